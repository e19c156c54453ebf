//! The layering of the crate, as `src/lib.rs` states it: every module imports
//! only from the layers listed before its own, and no kind reads another.
//!
//! The rule holds for the library's code; the unit tests at the bottom of a
//! file (after `#[cfg(test)]`) may use any layer, as they run whole scenarios.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use super::root;

/// Reads the layer table of `src/lib.rs`: each module with its layer number.
fn layers() -> BTreeMap<String, u32> {
    let lib = fs::read_to_string(root().join("src/lib.rs")).unwrap();
    let mut table = BTreeMap::new();
    let mut inside = false;
    for line in lib.lines() {
        let text = line.trim_start_matches("//!");
        if text.trim_start().starts_with("layer  modules") {
            inside = true;
            continue;
        }
        if inside && text.trim_start().starts_with("```") {
            break;
        }
        if !inside {
            continue;
        }
        // `  3     model            what it holds`: the number, then the
        // modules up to the first gap of two spaces.
        let rest = text.trim_start();
        let Some((number, rest)) = rest.split_once(' ') else {
            continue;
        };
        let Ok(layer) = number.parse::<u32>() else {
            continue;
        };
        let modules = rest.trim_start().split("  ").next().unwrap_or("");
        for module in modules.split_whitespace() {
            table.insert(module.to_string(), layer);
        }
    }
    assert!(table.len() > 5, "no layer table found in src/lib.rs");
    table
}

/// Returns every `.rs` file under `dir`.
fn sources(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            out.extend(sources(&path));
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    out
}

/// Returns the library code of a file: its text before `#[cfg(test)]`.
fn library_code(path: &Path) -> String {
    let text = fs::read_to_string(path).unwrap();
    text.split("#[cfg(test)]").next().unwrap_or("").to_string()
}

/// Returns the top-level modules a piece of code names through `crate::`,
/// whether as `crate::name` or inside `crate::{a, b::c}`.
fn named_modules(code: &str) -> Vec<String> {
    let mut out = Vec::new();
    for (i, _) in code.match_indices("crate::") {
        let rest = &code[i + "crate::".len()..];
        if let Some(group) = rest.strip_prefix('{') {
            let group = group.split('}').next().unwrap_or("");
            for item in group.split(',') {
                let name: String = item
                    .trim()
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                out.push(name);
            }
        } else {
            out.push(
                rest.chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect(),
            );
        }
    }
    out.retain(|m| !m.is_empty());
    out
}

/// Returns the top-level module a source file belongs to (`src/parts/x.rs`: `parts`).
fn owner(src: &Path, file: &Path) -> String {
    let relative = file.strip_prefix(src).unwrap();
    let first = relative.components().next().unwrap().as_os_str();
    first.to_string_lossy().trim_end_matches(".rs").to_string()
}

#[test]
fn every_module_imports_only_from_the_layers_before_its_own() {
    let layers = layers();
    let src = root().join("src");
    let mut wrong = Vec::new();
    for file in sources(&src) {
        let module = owner(&src, &file);
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(&own) = layers.get(&module) else {
            wrong.push(format!(
                "`{module}` is not in the layer table of src/lib.rs"
            ));
            continue;
        };
        for used in named_modules(&library_code(&file)) {
            if used == module || used == "self" || used == "super" {
                continue;
            }
            match layers.get(&used) {
                Some(&layer) if layer < own => {}
                Some(&layer) => wrong.push(format!(
                    "{}: `{module}` (layer {own}) imports `{used}` (layer {layer})",
                    file.display()
                )),
                None => {}
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn no_kind_reads_another_kind() {
    let kinds_dir = root().join("src/parts/kinds");
    let kinds: Vec<String> = fs::read_dir(&kinds_dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "rs"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().to_string())
        .collect();
    assert!(kinds.len() >= 4, "kinds found: {kinds:?}");
    let mut wrong = Vec::new();
    for file in sources(&kinds_dir) {
        let own = owner(&kinds_dir, &file);
        let code = library_code(&file);
        for other in kinds.iter().filter(|k| **k != own) {
            for pattern in [format!("kinds::{other}"), format!("super::{other}::")] {
                if code.contains(&pattern) {
                    wrong.push(format!("{}: names `{pattern}`", file.display()));
                }
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[test]
fn the_import_reader_sees_grouped_and_plain_paths() {
    let code = "use crate::{engine::SimTime, metrics};\nlet x = crate::parts::World;";
    assert_eq!(named_modules(code), ["engine", "metrics", "parts"]);
}
