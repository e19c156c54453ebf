//! Maps field paths (`components.web.cores`) to the line and column where the
//! field is written, with one pass over the YAML parser's events.
//!
//! serde reports a field path for type errors, and validation reports one for
//! semantic errors (`targets: webb`), but neither knows lines. This map is the
//! bridge: every error is named by its path and placed by this index.

use std::collections::HashMap;

use serde_saphyr::granit_parser::{Event, Parser, ScalarStyle};

/// Positions of every key and value in one YAML document, and the text of
/// each value written without quotes.
#[derive(Debug, Default)]
pub struct Locator {
    positions: HashMap<String, (usize, usize)>,
    /// The plain (unquoted) scalar values by path, as written: YAML reads
    /// some of them as booleans or numbers, and a message quotes them as
    /// the user wrote them (`no`, not `false`).
    plain: HashMap<String, String>,
}

/// A container being walked, with what is expected next inside it.
enum Frame {
    /// A mapping: the path of the mapping, and the key just read (if a value is due).
    Map { path: String, key: Option<String> },
    /// A sequence: the path of the sequence and the index of the next item.
    Seq { path: String, next: usize },
}

impl Locator {
    /// Builds the index for `text`; a text that does not parse gives an empty index.
    pub fn new(text: &str) -> Self {
        let mut locator = Locator::default();
        let mut stack: Vec<Frame> = Vec::new();
        for item in Parser::new_from_str(text) {
            let Ok((event, span)) = item else { break };
            let position = (span.start.line(), span.start.col() + 1);
            match event {
                Event::Scalar(value, style, ..) => {
                    if let Some(Frame::Map {
                        key: key @ None, ..
                    }) = stack.last_mut()
                    {
                        // A mapping key: the field's position is where its key is written.
                        *key = Some(value.into_owned());
                        let path = current_path(&stack);
                        locator.positions.entry(path).or_insert(position);
                    } else {
                        let path = locator.node(&mut stack, position);
                        if style == ScalarStyle::Plain {
                            locator.plain.entry(path).or_insert(value.into_owned());
                        }
                        finish_value(&mut stack);
                    }
                }
                Event::Alias(_) => {
                    locator.node(&mut stack, position);
                    finish_value(&mut stack);
                }
                Event::MappingStart(..) => {
                    let path = locator.node(&mut stack, position);
                    stack.push(Frame::Map { path, key: None });
                }
                Event::SequenceStart(..) => {
                    let path = locator.node(&mut stack, position);
                    stack.push(Frame::Seq { path, next: 0 });
                }
                Event::MappingEnd | Event::SequenceEnd => {
                    stack.pop();
                    finish_value(&mut stack);
                }
                _ => {}
            }
        }
        locator
    }

    /// Records a node that starts at `position` and returns its path.
    fn node(&mut self, stack: &mut [Frame], position: (usize, usize)) -> String {
        let path = current_path(stack);
        self.positions.entry(path.clone()).or_insert(position);
        path
    }

    /// Returns the value at `path` as written, if it is a scalar written
    /// without quotes.
    pub fn plain_value(&self, path: &str) -> Option<&str> {
        self.plain.get(path).map(String::as_str)
    }

    /// Returns true if `path` itself is written in the file.
    pub fn has(&self, path: &str) -> bool {
        self.positions.contains_key(path)
    }

    /// Returns the position of `path`, or of its nearest written ancestor.
    pub fn find(&self, path: &str) -> Option<(usize, usize)> {
        let mut path = path;
        loop {
            if let Some(&position) = self.positions.get(path) {
                return Some(position);
            }
            path = parent(path)?;
        }
    }
}

/// Returns the path of the node about to be read, given the open containers.
fn current_path(stack: &[Frame]) -> String {
    match stack.last() {
        None => String::new(),
        Some(Frame::Map { path, key }) => join_key(path, key.as_deref().unwrap_or("")),
        Some(Frame::Seq { path, next }) => join_index(path, *next),
    }
}

/// Moves the innermost container past the value that was just completed.
fn finish_value(stack: &mut [Frame]) {
    match stack.last_mut() {
        Some(Frame::Map { key, .. }) => *key = None,
        Some(Frame::Seq { next, .. }) => *next += 1,
        None => {}
    }
}

/// Appends a mapping key to a path.
pub fn join_key(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

/// Appends a sequence index to a path.
pub fn join_index(path: &str, index: usize) -> String {
    format!("{path}[{index}]")
}

/// Returns the path one level up, or `None` at the root.
pub fn parent(path: &str) -> Option<&str> {
    if path.is_empty() {
        return None;
    }
    let cut = path.rfind(['.', '[']).unwrap_or(0);
    Some(&path[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    const TEXT: &str = "\
name: x
traffic:
  rate: 800/s
  schedule:
    - {at: 0s, rate: 5/s}
    - at: 2m
      rate: 9/s
components:
  web:
    kind: server
    cores: 0
";

    #[test]
    fn finds_keys_in_maps_and_sequences() {
        let locator = Locator::new(TEXT);
        assert_eq!(locator.find("name"), Some((1, 1)));
        assert_eq!(locator.find("traffic.rate"), Some((3, 3)));
        assert_eq!(locator.find("traffic.schedule[0].rate"), Some((5, 16)));
        assert_eq!(locator.find("traffic.schedule[1].rate"), Some((7, 7)));
        assert_eq!(locator.find("components.web.cores"), Some((11, 5)));
    }

    #[test]
    fn plain_values_are_kept_as_written() {
        let locator = Locator::new("name: no\nabout: 'yes'\nzones: [on, 1.50]\n");
        assert_eq!(locator.plain_value("name"), Some("no"));
        assert_eq!(locator.plain_value("about"), None);
        assert_eq!(locator.plain_value("zones[0]"), Some("on"));
        assert_eq!(locator.plain_value("zones[1]"), Some("1.50"));
        assert_eq!(locator.plain_value("zones"), None);
    }

    #[test]
    fn unknown_paths_fall_back_to_the_nearest_ancestor() {
        let locator = Locator::new(TEXT);
        assert_eq!(locator.find("components.web.speed"), Some((9, 3)));
        assert_eq!(parent("a.b[2]"), Some("a.b"));
        assert_eq!(parent("a"), Some(""));
    }
}
