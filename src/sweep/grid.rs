//! Parameter grids for `sweep`: `--vary PATH=VALUES`, where VALUES is a list
//! (`1,2,4,8`, `round_robin,least_connections`) or a range `start:stop:step`
//! whose parts may carry a unit (`100/s:2000/s:100/s`, or `100:2000:100/s`).

use crate::scenario::Override;

/// One varied field and its values, as YAML text.
#[derive(Clone, Debug, PartialEq)]
pub struct Axis {
    /// The field path.
    pub path: String,
    /// The values, in order.
    pub values: Vec<String>,
}

pub use crate::spec::limits::MAX_POINTS;

impl Axis {
    /// Parses `PATH=VALUES`; returns a usage message when the text does not fit.
    pub fn parse(text: &str) -> Result<Axis, String> {
        let (path, values) = text.split_once('=').ok_or_else(|| {
            format!("`{text}`: expected PATH=VALUES, like components.web.replicas=1,2,4,8")
        })?;
        let path = path.trim().to_string();
        let values = values.trim();
        let values = if values.contains(':') && !values.contains(',') && !is_nested(values) {
            range(values).map_err(|e| format!("`{text}`: {e}"))?
        } else {
            list(values).map_err(|e| format!("`{text}`: {e}"))?
        };
        // Each value must make a well-formed override (validated later, with the file).
        Override::parse(&format!("{path}={}", values[0])).map_err(|e| e.to_string())?;
        Ok(Axis { path, values })
    }
}

/// Returns whether `text` holds a YAML list, mapping or quoted string (`[`,
/// `{`, quotes), whose commas and colons are its own, not the sweep's.
fn is_nested(text: &str) -> bool {
    text.contains(['[', '{', '"', '\''])
}

/// Splits `1,2,4` into its values; commas inside brackets, braces or quotes
/// belong to a value (`{a: 1, b: 2},{a: 2, b: 1}` is two, `"a,b",c` too). Refuses an empty value
/// and a value listed twice: each would make a point that is not a new one.
fn list(text: &str) -> Result<Vec<String>, String> {
    let mut values = Vec::new();
    let (mut depth, mut start) = (0_i32, 0);
    let mut quote: Option<char> = None;
    for (i, c) in text.char_indices() {
        match (c, quote) {
            (q, Some(open)) if q == open => quote = None,
            (_, Some(_)) => {}
            ('"' | '\'', None) => quote = Some(c),
            ('[' | '{', None) => depth += 1,
            (']' | '}', None) => depth -= 1,
            (',', None) if depth == 0 => {
                values.push(text[start..i].trim().to_string());
                start = i + 1;
            }
            _ => {}
        }
    }
    values.push(text[start..].trim().to_string());
    if values.iter().all(String::is_empty) {
        return Err("no values".into());
    }
    if values.iter().any(String::is_empty) {
        return Err("an empty value (two commas in a row, or a comma at an end)".into());
    }
    for (i, v) in values.iter().enumerate() {
        if values[..i].contains(v) {
            return Err(format!("`{v}` is listed twice"));
        }
    }
    Ok(values)
}

/// Refuses axes that vary the same field twice, or a field that `set` (the
/// `--set` overrides' paths) also fixes: the points would not differ as
/// their labels say.
pub fn check_axes(axes: &[Axis], set: &[&str]) -> Result<(), String> {
    for (i, axis) in axes.iter().enumerate() {
        if axes[..i].iter().any(|a| a.path == axis.path) {
            return Err(format!("`{}` is varied twice", axis.path));
        }
        if set.contains(&axis.path.as_str()) {
            return Err(format!(
                "`{}` is both varied (--vary) and fixed (--set)",
                axis.path
            ));
        }
    }
    Ok(())
}

/// Expands `start:stop:step` (inclusive), keeping a unit suffix.
fn range(text: &str) -> Result<Vec<String>, String> {
    let parts: Vec<&str> = text.split(':').collect();
    if parts.len() != 3 {
        return Err("a range is start:stop:step, like 100:2000:100".into());
    }
    let mut unit = "";
    let mut numbers = [0.0_f64; 3];
    for (i, part) in parts.iter().enumerate() {
        let split = part
            .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+' || c == 'e'))
            .unwrap_or(part.len());
        let (number, suffix) = part.split_at(split);
        numbers[i] = number
            .parse()
            .map_err(|_| format!("`{part}` is not a number (with an optional unit)"))?;
        if !suffix.is_empty() {
            if !unit.is_empty() && unit != suffix {
                return Err(format!("the range mixes units `{unit}` and `{suffix}`"));
            }
            unit = suffix;
        }
    }
    let [start, stop, step] = numbers;
    if step.is_nan() || step <= 0.0 || stop < start {
        return Err("a range needs start <= stop and a positive step".into());
    }
    let count = ((stop - start) / step + 1e-9).floor() as usize + 1;
    if count > MAX_POINTS {
        return Err(format!(
            "the range has {count} values (at most {MAX_POINTS})"
        ));
    }
    Ok((0..count)
        .map(|i| format!("{}{unit}", format_number(start + step * i as f64)))
        .collect())
}

/// Formats a range value without floating-point noise (`0.30000000000000004` -> `0.3`).
fn format_number(x: f64) -> String {
    let rounded = (x * 1e9).round() / 1e9;
    let mut text = format!("{rounded}");
    if text == "-0" {
        text = "0".into();
    }
    text
}

/// Returns every combination of the axes' values, the last axis varying fastest.
pub fn grid(axes: &[Axis]) -> Result<Vec<Vec<String>>, String> {
    let size: usize = axes.iter().map(|a| a.values.len()).product();
    if size > MAX_POINTS {
        return Err(format!("the grid has {size} points (at most {MAX_POINTS})"));
    }
    let mut points: Vec<Vec<String>> = vec![Vec::new()];
    for axis in axes {
        points = points
            .into_iter()
            .flat_map(|prefix| {
                axis.values.iter().map(move |v| {
                    let mut point = prefix.clone();
                    point.push(v.clone());
                    point
                })
            })
            .collect();
    }
    Ok(points)
}

/// Returns the number in a value like `8`, `2.5`, `800/s` or `4ms`, if it starts with one.
pub fn leading_number(value: &str) -> Option<f64> {
    let end = value
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '-' || c == '+'))
        .unwrap_or(value.len());
    value[..end].parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges() {
        let a = Axis::parse("components.web.replicas=1,2,4,8").unwrap();
        assert_eq!(a.values, ["1", "2", "4", "8"]);
        let r = Axis::parse("traffic.rate=100:500:100/s").unwrap();
        assert_eq!(r.values, ["100/s", "200/s", "300/s", "400/s", "500/s"]);
        let f = Axis::parse("components.web.speed=0.1:0.3:0.1").unwrap();
        assert_eq!(f.values, ["0.1", "0.2", "0.3"]);
        assert!(Axis::parse("x=5:1:1").is_err());
        assert!(Axis::parse("x=1:5").is_err());
        assert!(Axis::parse("novalues").is_err());
    }

    #[test]
    fn grid_is_a_cartesian_product_last_axis_fastest() {
        let axes = [
            Axis {
                path: "a".into(),
                values: vec!["1".into(), "2".into()],
            },
            Axis {
                path: "b".into(),
                values: vec!["x".into(), "y".into(), "z".into()],
            },
        ];
        let g = grid(&axes).unwrap();
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], ["1", "x"]);
        assert_eq!(g[1], ["1", "y"]);
        assert_eq!(g[3], ["2", "x"]);
    }

    #[test]
    fn values_that_make_no_new_point_are_refused() {
        for (text, said) in [
            ("a=1,,2", "an empty value"),
            ("a=1,2,", "an empty value"),
            ("a=2,2,2", "`2` is listed twice"),
            ("a=,", "no values"),
        ] {
            let e = Axis::parse(text).unwrap_err();
            assert!(e.contains(said), "{text}: {e}");
        }
    }

    #[test]
    fn commas_inside_a_mapping_or_list_belong_to_the_value() {
        let a = Axis::parse("t.requests={a: {weight: 1}, b: 2},{a: 3, b: 1}").unwrap();
        assert_eq!(a.values, ["{a: {weight: 1}, b: 2}", "{a: 3, b: 1}"]);
        let b = Axis::parse("c.calls=[x, y],[y]").unwrap();
        assert_eq!(b.values, ["[x, y]", "[y]"]);
        let c = Axis::parse(r#"name="a,b",'c,d',e"#).unwrap();
        assert_eq!(c.values, [r#""a,b""#, "'c,d'", "e"]);
    }

    #[test]
    fn a_field_varied_twice_or_also_fixed_is_refused() {
        let axis = |path: &str| Axis {
            path: path.into(),
            values: vec!["1".into()],
        };
        assert!(check_axes(&[axis("a"), axis("b")], &["c"]).is_ok());
        let twice = check_axes(&[axis("a"), axis("a")], &[]).unwrap_err();
        assert!(twice.contains("varied twice"), "{twice}");
        let fixed = check_axes(&[axis("a")], &["a"]).unwrap_err();
        assert!(
            fixed.contains("both varied (--vary) and fixed (--set)"),
            "{fixed}"
        );
    }

    #[test]
    fn numbers_lead_values() {
        assert_eq!(leading_number("800/s"), Some(800.0));
        assert_eq!(leading_number("4ms"), Some(4.0));
        assert_eq!(leading_number("least_connections"), None);
    }
}
