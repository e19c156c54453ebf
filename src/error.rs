//! Errors of the library, and the exit status each one maps to.

use std::fmt;
use std::path::PathBuf;

/// Where an issue sits in its source.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Origin {
    /// A line and column (both 1-based) of the scenario file.
    Line {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        col: usize,
    },
    /// An override given on the command line: `flag` is `--set` or
    /// `--vary`, `text` its `PATH=VALUE`.
    Override {
        /// The flag that gave it.
        flag: &'static str,
        /// `PATH=VALUE`, as given.
        text: String,
    },
    /// The whole file (no better place is known).
    File,
}

/// One problem, placed in its file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LocatedIssue {
    /// Where it is.
    pub origin: Origin,
    /// Field path (empty for a syntax error).
    pub path: String,
    /// What was wrong and what was expected.
    pub message: String,
}

/// Every problem found in one scenario file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ScenarioError {
    /// The file, as the user named it.
    pub file: String,
    /// The problems, in file order.
    pub issues: Vec<LocatedIssue>,
}

impl ScenarioError {
    /// Returns the error of a whole file, with no better place to point at.
    pub fn whole(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            issues: vec![LocatedIssue {
                origin: Origin::File,
                path: String::new(),
                message: message.into(),
            }],
        }
    }

    /// Returns the error of one place of a file, at a line and column (1-based).
    pub fn at(file: &str, line: usize, col: usize, message: impl Into<String>) -> Self {
        Self {
            file: file.to_string(),
            issues: vec![LocatedIssue {
                origin: Origin::Line { line, col },
                path: String::new(),
                message: message.into(),
            }],
        }
    }
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, issue) in self.issues.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            match &issue.origin {
                Origin::Line { line, col } => write!(f, "{}:{line}:{col}: ", self.file)?,
                Origin::Override { flag, text } => {
                    write!(f, "{}: {flag} {}: ", self.file, cut_for_message(text, 200))?
                }
                Origin::File => write!(f, "{}: ", self.file)?,
            }
            if !issue.path.is_empty() {
                write!(f, "{}: ", shortened(&issue.path))?;
            }
            write!(f, "{}", issue.message)?;
        }
        Ok(())
    }
}

impl std::error::Error for ScenarioError {}

/// Returns `text` cut to its first `shown` characters, saying how long it
/// was: a value quoted in a message may be as long as a file, and the
/// message quotes it only to say which.
pub fn cut_for_message(text: &str, shown: usize) -> String {
    match text.char_indices().nth(shown) {
        Some((cut, _)) => format!("{}… ({} characters)", &text[..cut], text.chars().count()),
        None => text.to_string(),
    }
}

/// Returns a field path cut to a readable length: a path holds the names
/// written in the file, and a file may hold a name of thousands of characters.
fn shortened(path: &str) -> String {
    const SHOWN: usize = 120;
    if path.chars().count() <= SHOWN {
        path.to_string()
    } else {
        format!("{}…", path.chars().take(SHOWN).collect::<String>())
    }
}

/// Everything that can go wrong in scalesim.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A scenario file is invalid (exit status 2).
    #[error("{0}")]
    Scenario(#[from] ScenarioError),
    /// A file could not be read (exit status 2: the user named it).
    #[error("{path}: cannot read: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A command-line argument is invalid (exit status 2).
    #[error("{0}")]
    Usage(String),
    /// Results could not be written (exit status 1).
    #[error("{path}: cannot write: {source}")]
    Write {
        /// The file or folder.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A chart or report could not be drawn (exit status 1).
    #[error("cannot draw {what}: {message}")]
    Draw {
        /// The chart.
        what: String,
        /// Why.
        message: String,
    },
    /// The user pressed Ctrl-C; what was finished was written (exit status 130).
    #[error("interrupted")]
    Interrupted,
    /// Ctrl-C stopped the writing of results before any file changed: the
    /// folder keeps what it had (exit status 130).
    #[error("interrupted before the results were written: {} is unchanged", dir.display())]
    NotWritten {
        /// The folder of results.
        dir: PathBuf,
    },
    /// Writing results stopped part-way, by an error or Ctrl-C: the folder has
    /// some of the new files and no manifest (the exit status of `source`).
    #[error(
        "{source}\n{}: the results there are incomplete (no results.manifest.json)",
        dir.display()
    )]
    Incomplete {
        /// The folder of results.
        dir: PathBuf,
        /// What stopped the writing.
        source: Box<Error>,
    },
    /// Another process kept writing results into the same folder for longer
    /// than scalesim waits (exit status 1).
    #[error(
        "{}: another scalesim ({}) is still writing results there after {} s of waiting",
        dir.display(),
        holder.map_or("process unknown".to_string(), |pid| format!("process {pid}")),
        waited.as_secs()
    )]
    Busy {
        /// The folder of results.
        dir: PathBuf,
        /// The process id written in the folder's lock, when it could be read.
        holder: Option<u32>,
        /// How long scalesim waited.
        waited: std::time::Duration,
    },
}

impl Error {
    /// Returns the process exit status for this error: 2 for bad input, 130
    /// for Ctrl-C (the shell's convention for SIGINT), 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            Error::Scenario(_) | Error::Read { .. } | Error::Usage(_) => 2,
            Error::Interrupted | Error::NotWritten { .. } => 130,
            Error::Incomplete { source, .. } => source.exit_code(),
            Error::Write { .. } | Error::Draw { .. } | Error::Busy { .. } => 1,
        }
    }
}

/// The library's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
