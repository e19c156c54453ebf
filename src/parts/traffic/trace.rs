//! `traffic.trace`: arrival times replayed from a file.
//!
//! A trace is a text file of one arrival per line: a time in seconds from
//! the start of the run, and optionally, after a comma, the name of the
//! request type. Blank lines and lines that start with `#` are skipped. The
//! file is read once, when the scenario is checked: its size is checked
//! first ([`MAX_TRACE_BYTES`]), then each line as it is read, so that a
//! mistake names the trace file and its line; the arrivals are kept in two
//! compact vectors ([`MAX_TRACE_ARRIVALS`] at most), shared by every run.

use std::fmt;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};

use super::RequestType;
use crate::engine::SimTime;
use crate::spec::limits::{MAX_DURATION_NS, MAX_TRACE_ARRIVALS, MAX_TRACE_BYTES};
use crate::spec::units::format_duration;
use crate::spec::Issue;

/// The type of an arrival whose line names none: it is drawn from the mix.
pub const DRAWN: u16 = u16::MAX;

/// The arrivals of a trace file, in time order.
#[derive(Clone, PartialEq, Eq)]
pub struct Trace {
    /// The file as written in the scenario.
    pub file: String,
    /// Where it was read from (the scenario's folder joined with `file`;
    /// empty for a trace not read from a file), so that no output replaces it.
    pub path: PathBuf,
    /// The arrival times, not decreasing.
    times: Vec<SimTime>,
    /// The type of each arrival ([`DRAWN`] for one the mix decides); empty
    /// when no line names a type.
    kinds: Vec<u16>,
}

impl fmt::Debug for Trace {
    /// Names the file and sums up its arrivals: a trace may list millions.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let fingerprint = self
            .times
            .iter()
            .zip(self.kinds.iter().chain(std::iter::repeat(&DRAWN)))
            .fold(0xcbf2_9ce4_8422_2325_u64, |h, (t, k)| {
                (h ^ t.0 ^ (u64::from(*k) << 48)).wrapping_mul(0x0100_0000_01b3)
            });
        f.debug_struct("Trace")
            .field("file", &self.file)
            .field("arrivals", &self.times.len())
            .field("fingerprint", &fingerprint)
            .finish()
    }
}

impl Trace {
    /// Returns the number of arrivals listed.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    /// Returns true if the trace lists no arrival.
    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Warns, at `path`, when every arrival is at or after `end`: the run
    /// would send no request at all. The time quoted is the one the run
    /// uses, as a duration (a time past the latest is read as the latest).
    pub fn warn_after(&self, end: SimTime, path: &str, warnings: &mut Vec<Issue>) {
        if let Some(&first) = self.times.first().filter(|t| **t >= end) {
            let latest = if first >= LATEST {
                " (the latest time a trace may give, the longest duration: later times are \
                 read as it)"
            } else {
                ""
            };
            warnings.push(Issue::new(
                path,
                format!(
                    "the first arrival of `{}` is at {}{latest}, at or after the end of the run \
                     ({}): no request arrives",
                    self.file,
                    format_duration(first),
                    format_duration(end)
                ),
            ));
        }
    }

    /// Returns arrival number `i`: its time, and its type if its line names one.
    #[inline]
    pub fn get(&self, i: usize) -> Option<(SimTime, Option<u16>)> {
        let time = *self.times.get(i)?;
        let kind = self.kinds.get(i).copied().filter(|&k| k != DRAWN);
        Some((time, kind))
    }

    /// Reads the trace `file` (relative to `base`, the folder of the
    /// scenario file) whose type names are those of `types`; the error says
    /// what is wrong, naming the trace file and its line.
    pub fn read(file: &str, base: &Path, types: &[RequestType]) -> Result<Self, String> {
        let path = base.join(file);
        let cannot = |e: std::io::Error| format!("cannot read the trace `{}`: {e}", show(&path));
        let handle = std::fs::File::open(&path).map_err(cannot)?;
        let size = handle.metadata().map_err(cannot)?.len();
        if size > MAX_TRACE_BYTES {
            return Err(format!(
                "the trace `{file}` holds {} MiB, more than the {} MiB a trace may hold",
                size >> 20,
                MAX_TRACE_BYTES >> 20
            ));
        }
        let reader = BufReader::new(std::io::Read::take(handle, MAX_TRACE_BYTES));
        let mut trace = Self::parse(file, reader, types)?;
        trace.path = path;
        if trace.is_empty() {
            return Err(format!("the trace `{file}` lists no arrival"));
        }
        Ok(trace)
    }

    /// Reads the lines of a trace named `file`.
    fn parse(file: &str, reader: impl BufRead, types: &[RequestType]) -> Result<Self, String> {
        let mut trace = Trace {
            file: file.to_string(),
            path: PathBuf::new(),
            times: Vec::new(),
            kinds: Vec::new(),
        };
        let mut last = 0.0_f64;
        for (n, line) in reader.lines().enumerate() {
            let at = |message: String| format!("{file}:{}: {message}", n + 1);
            let line = line.map_err(|e| at(format!("cannot read this line: {e}")))?;
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            if trace.times.len() >= MAX_TRACE_ARRIVALS {
                return Err(at(format!(
                    "a trace may list at most {MAX_TRACE_ARRIVALS} arrivals"
                )));
            }
            let (time, kind) = match line.split_once(',') {
                Some((time, kind)) => (time.trim(), Some(kind.trim())),
                None => (line, None),
            };
            let secs = time
                .parse::<f64>()
                .ok()
                .filter(|s| s.is_finite() && *s >= 0.0)
                .ok_or_else(|| {
                    at(format!(
                        "expected a time in seconds (0 or more), found `{}`",
                        shorten(time)
                    ))
                })?;
            if secs < last {
                return Err(at(format!(
                    "the times must not decrease: {secs} s comes after {last} s"
                )));
            }
            last = secs;
            trace.times.push(arrival_time(secs));
            if let Some(kind) = kind {
                let index = types.iter().position(|t| t.name == kind).ok_or_else(|| {
                    let names: Vec<&str> = types.iter().map(|t| t.name.as_str()).collect();
                    at(format!(
                        "`{}` is not a request type; the types are {}",
                        shorten(kind),
                        names.join(", ")
                    ))
                })?;
                if trace.kinds.is_empty() {
                    // The lines before named no type.
                    trace.kinds.resize(trace.times.len() - 1, DRAWN);
                }
                trace.kinds.push(index as u16);
            } else if !trace.kinds.is_empty() {
                trace.kinds.push(DRAWN);
            }
        }
        Ok(trace)
    }
}

/// The latest arrival time a trace gives: the longest duration a file may
/// give ([`MAX_DURATION_NS`]). An arrival written later comes after the end
/// of any run, so it is read as this time rather than refused.
const LATEST: SimTime = SimTime(MAX_DURATION_NS);

/// Returns the time of an arrival written `secs` seconds after the start
/// (finite and not negative), at the latest [`LATEST`].
fn arrival_time(secs: f64) -> SimTime {
    SimTime::from_secs_f64(secs).min(LATEST)
}

/// Returns a path as a message shows it.
fn show(path: &Path) -> String {
    path.display().to_string()
}

/// Returns a piece of a line cut to a readable length.
fn shorten(text: &str) -> String {
    const SHOWN: usize = 40;
    if text.chars().count() <= SHOWN {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(SHOWN).collect::<String>())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn types() -> Vec<RequestType> {
        vec![
            RequestType {
                name: "page".into(),
                ..RequestType::only()
            },
            RequestType {
                name: "api".into(),
                ..RequestType::only()
            },
        ]
    }

    fn parse(text: &str) -> Result<Trace, String> {
        Trace::parse("t.csv", text.as_bytes(), &types())
    }

    #[test]
    fn lines_give_times_and_optional_types() {
        let t = parse("# a comment\n0.5\n\n1.0, api\n1.0\n2.25,page\n").unwrap();
        assert_eq!(t.len(), 4);
        assert_eq!(t.get(0), Some((SimTime::from_millis(500), None)));
        assert_eq!(t.get(1), Some((SimTime::from_millis(1000), Some(1))));
        assert_eq!(t.get(2), Some((SimTime::from_millis(1000), None)));
        assert_eq!(t.get(3), Some((SimTime::from_millis(2250), Some(0))));
        assert_eq!(t.get(4), None);
        let plain = parse("1\n2\n").unwrap();
        assert!(plain.kinds.is_empty());
    }

    #[test]
    fn mistakes_name_the_file_and_its_line() {
        let e = parse("1\n2\nabc\n").unwrap_err();
        assert!(e.starts_with("t.csv:3: expected a time"), "{e}");
        let e = parse("1\n\n3\n2\n").unwrap_err();
        assert!(e.starts_with("t.csv:4: the times must not decrease"), "{e}");
        let e = parse("1,page\n2,buy\n").unwrap_err();
        assert!(e.starts_with("t.csv:2: `buy` is not a request type"), "{e}");
        let e = parse("-1\n").unwrap_err();
        assert!(e.starts_with("t.csv:1:"), "{e}");
    }

    #[test]
    fn times_past_the_longest_duration_are_read_as_it() {
        let t = parse("1\n1e9\n2e9\n1e308\n").unwrap();
        assert_eq!(t.get(1), Some((LATEST, None)));
        assert_eq!(t.get(2), Some((LATEST, None)));
        assert_eq!(t.get(3), Some((LATEST, None)));
    }

    #[test]
    fn a_missing_file_is_named() {
        let e = Trace::read("no-such-trace.csv", Path::new("/nonexistent"), &types()).unwrap_err();
        assert!(e.contains("cannot read the trace"), "{e}");
        assert!(e.contains("no-such-trace.csv"), "{e}");
    }
}
