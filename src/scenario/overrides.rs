//! `--set PATH=VALUE`: edits one field of the parsed tree before validation, so
//! an override is checked exactly like the same value written in the file.

use serde_json::Value;

use crate::spec::Issue;

/// One `PATH=VALUE` override.
#[derive(Clone, Debug, PartialEq)]
pub struct Override {
    /// The field path, like `components.web.replicas` or `traffic.schedule[1].rate`.
    pub path: String,
    /// The value, as YAML text (`8`, `least_connections`, `[1, 2]`).
    pub value: String,
    /// The flag that gave it (`--set`, or `--vary` for a sweep's point),
    /// which messages about it name.
    pub flag: &'static str,
}

/// One step of a path: a mapping key or a sequence index.
#[derive(Debug, PartialEq)]
enum Step<'a> {
    Key(&'a str),
    Index(usize),
}

impl Override {
    /// Parses `PATH=VALUE`; returns a usage message when the text does not fit.
    pub fn parse(text: &str) -> Result<Override, String> {
        let (path, value) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: expected PATH=VALUE, like components.web.replicas=8")
        })?;
        let path = path.trim();
        steps(path).map_err(|e| format!("`{text}`: {e}"))?;
        Ok(Override::set(path, value.trim()))
    }

    /// Returns the override `--set PATH=VALUE`.
    pub fn set(path: &str, value: &str) -> Override {
        Override {
            path: path.to_string(),
            value: value.to_string(),
            flag: "--set",
        }
    }

    /// Returns the override a sweep's `--vary PATH=...` gives one point.
    pub fn varied(path: &str, value: &str) -> Override {
        Override {
            flag: "--vary",
            ..Override::set(path, value)
        }
    }

    /// Returns the override as the user wrote it.
    pub fn text(&self) -> String {
        format!("{}={}", self.path, self.value)
    }

    /// Writes the value into `root`, creating missing mapping keys on the way.
    pub fn apply(&self, root: &mut Value) -> Result<(), Issue> {
        let value: Value = serde_saphyr::from_str(&self.value).map_err(|e| {
            Issue::new(
                &self.path,
                format!(
                    "the value is not valid YAML: {}",
                    super::load::parser_message(&e.to_string())
                ),
            )
        })?;
        let steps = steps(&self.path).map_err(|e| Issue::new(&self.path, e))?;
        check_component(&steps, root).map_err(|e| Issue::new(&self.path, e))?;
        let mut node = root;
        for (i, step) in steps.iter().enumerate() {
            let last = i + 1 == steps.len();
            node = match step {
                Step::Key(key) => {
                    if node.is_null() {
                        *node = Value::Object(Default::default());
                    }
                    let map = node.as_object_mut().ok_or_else(|| {
                        Issue::new(
                            &self.path,
                            format!("cannot set `{key}`: its parent is not a mapping"),
                        )
                    })?;
                    if last {
                        map.insert((*key).to_string(), value);
                        return Ok(());
                    }
                    map.entry((*key).to_string()).or_insert(Value::Null)
                }
                Step::Index(index) => {
                    let list = node.as_array_mut().ok_or_else(|| {
                        Issue::new(&self.path, format!("cannot index [{index}]: not a list"))
                    })?;
                    let len = list.len();
                    let slot = list.get_mut(*index).ok_or_else(|| {
                        Issue::new(
                            &self.path,
                            format!("index [{index}] is out of range (the list has {len} items)"),
                        )
                    })?;
                    if last {
                        *slot = value;
                        return Ok(());
                    }
                    slot
                }
            };
        }
        Ok(())
    }
}

/// Returns the value at `path` (as `--set` writes it) in `root`, if the
/// tree has one there.
pub fn value_at<'a>(root: &'a Value, path: &str) -> Option<&'a Value> {
    steps(path)
        .ok()?
        .iter()
        .try_fold(root, |node, step| match step {
            Step::Key(key) => node.get(*key),
            Step::Index(index) => node.get(*index),
        })
}

/// Refuses a path into a field of a component the tree does not have
/// (`components.wbe.cores`): the override would create a component of that
/// one field, refused later for want of a `kind`. Setting a whole new
/// component (`components.cache={kind: cache, ...}`) is fine.
fn check_component(steps: &[Step<'_>], root: &Value) -> Result<(), String> {
    let [Step::Key("components"), Step::Key(name), _, ..] = steps else {
        return Ok(());
    };
    let Some(components) = root.get("components").and_then(Value::as_object) else {
        return Ok(());
    };
    if components.contains_key(*name) {
        return Ok(());
    }
    let names: Vec<String> = components.keys().cloned().collect();
    Err(crate::spec::no_such_component(name, &names))
}

/// Checks that `path` is a well-formed field path (`components.web.cores`,
/// `traffic.schedule[1].rate`).
pub fn check_path(path: &str) -> Result<(), String> {
    steps(path).map(|_| ())
}

/// Splits `a.b[2].c` into steps.
fn steps(path: &str) -> Result<Vec<Step<'_>>, String> {
    if path.is_empty() {
        return Err("the path is empty: expected a field, like components.web.cores".into());
    }
    let mut out = Vec::new();
    for part in path.split('.') {
        let (key, mut rest) = match part.find('[') {
            Some(i) => (&part[..i], &part[i..]),
            None => (part, ""),
        };
        if key.is_empty() && (out.is_empty() || rest.is_empty()) {
            return Err(format!(
                "`{path}` has an empty field name (two dots in a row, or a dot at an end)"
            ));
        }
        if !key.is_empty() {
            out.push(Step::Key(key));
        }
        while let Some(inner) = rest.strip_prefix('[') {
            let close = inner
                .find(']')
                .ok_or_else(|| format!("`{path}`: missing `]`"))?;
            let index = inner[..close]
                .parse()
                .map_err(|_| format!("`{path}`: `{}` is not a list index", &inner[..close]))?;
            out.push(Step::Index(index));
            rest = &inner[close + 1..];
        }
        if !rest.is_empty() {
            return Err(format!("`{path}`: unexpected `{rest}`"));
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn reads_the_value_at_a_path() {
        let root = json!({"components": {"web": {"replicas": 2}}, "s": [{"rate": "1/s"}]});
        assert_eq!(value_at(&root, "components.web.replicas"), Some(&json!(2)));
        assert_eq!(value_at(&root, "s[0].rate"), Some(&json!("1/s")));
        assert_eq!(value_at(&root, "components.web.cores"), None);
        assert_eq!(value_at(&root, "s[3].rate"), None);
    }

    #[test]
    fn sets_nested_fields_and_list_items() {
        let mut root = json!({"components": {"web": {"replicas": 2}}, "s": [{"rate": "1/s"}]});
        Override::parse("components.web.replicas=8")
            .unwrap()
            .apply(&mut root)
            .unwrap();
        Override::parse("s[0].rate=5/s")
            .unwrap()
            .apply(&mut root)
            .unwrap();
        Override::parse("components.web.speed=1.5")
            .unwrap()
            .apply(&mut root)
            .unwrap();
        assert_eq!(root["components"]["web"]["replicas"], json!(8));
        assert_eq!(root["components"]["web"]["speed"], json!(1.5));
        assert_eq!(root["s"][0]["rate"], json!("5/s"));
    }

    #[test]
    fn bad_overrides_explain_themselves() {
        assert!(Override::parse("components.web.replicas").is_err());
        assert!(Override::parse("a[x]=1").is_err());
        let mut root = json!({"s": [1]});
        let issue = Override::parse("s[3]=1")
            .unwrap()
            .apply(&mut root)
            .unwrap_err();
        assert!(issue.message.contains("out of range"));
    }

    #[test]
    fn a_field_of_a_component_the_file_does_not_have_is_refused() {
        let mut root = json!({"components": {"web": {"cores": 2}, "db": {}}});
        let issue = Override::parse("components.wbe.cores=4")
            .unwrap()
            .apply(&mut root)
            .unwrap_err();
        assert!(
            issue
                .message
                .contains("no component is called `wbe`; the components are `web`, `db`"),
            "{}",
            issue.message
        );
        // A whole new component may be set.
        Override::parse("components.cache={kind: cache}")
            .unwrap()
            .apply(&mut root)
            .unwrap();
        assert_eq!(root["components"]["cache"]["kind"], json!("cache"));
    }

    #[test]
    fn an_empty_step_is_refused_not_skipped() {
        for text in ["components..cores=1", "components.web.=1", ".web=1"] {
            let e = Override::parse(text).unwrap_err();
            assert!(e.contains("has an empty field name"), "{text}: {e}");
        }
        // A list index right after a key is no empty step.
        assert!(Override::parse("traffic.schedule[1].rate=2/s").is_ok());
    }
}
