//! The house drawn from the imports: every module lives on a floor and imports only from the
//! floors below it, and no two files of one folder import each other round a circle. A newcomer
//! reads where a line belongs from [`FLOORS`]; an arrow running back up fails here, naming the
//! file, the line and both floors.
//!
//! The drawing is read from the source text (`crate::x`, `use crate::{x, …}`, `super::x`, and
//! `purse::x` in the binary's `cli`), leaving out comments and `#[cfg(test)]` modules: tests may
//! reach anywhere.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Bottom to top. A module may import from any floor below its own, never from its own floor
/// or above. Keep `src/lib.rs`'s map in step.
const FLOORS: &[&[&str]] = &[
    // Ground: value types, errors and process-wide facilities that know nothing of purse.
    &["error", "cores", "logs", "memory"],
    &["common", "cluster", "config", "datasets", "db", "output"],
    // Stores and the engine over them.
    &["charts", "i18n", "users", "warehouse", "workflow"],
    &["engine", "ingest"],
    &["child", "rules"],
    &["alerts", "console", "figures"],
    &["ask", "foresight", "problems", "trail"],
    &["access", "backup", "check", "views"],
    &["report", "review"],
    // The application, then its callers.
    &["app"],
    &["web"],
    &["cli"],
];

fn floor_of(module: &str) -> Option<usize> {
    FLOORS.iter().position(|f| f.contains(&module))
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            rust_files(&p, out);
        } else if p.extension().is_some_and(|x| x == "rs") {
            out.push(p);
        }
    }
}

/// The file's code lines with their numbers: comments and the test module left out.
fn code_lines(text: &str) -> Vec<(usize, String)> {
    let end = text.find("#[cfg(test)]").unwrap_or(text.len());
    text[..end]
        .lines()
        .enumerate()
        .filter(|(_, l)| !l.trim_start().starts_with("//"))
        .map(|(n, l)| (n + 1, l.to_string()))
        .collect()
}

fn ident_at(s: &str) -> &str {
    let end = s
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
        .unwrap_or(s.len());
    &s[..end]
}

/// Every `prefix NAME` in the line (`crate::warehouse` → `warehouse`).
fn after<'a>(line: &'a str, prefix: &str) -> Vec<&'a str> {
    line.match_indices(prefix)
        .filter(|(i, _)| {
            // `crate::` itself, not `foo_crate::`.
            *i == 0
                || !line[..*i]
                    .chars()
                    .next_back()
                    .is_some_and(|c| c.is_ascii_alphanumeric() || c == '_')
        })
        .map(|(i, _)| ident_at(&line[i + prefix.len()..]))
        .filter(|n| !n.is_empty())
        .collect()
}

/// The modules one file names: `crate::x`, and each first name inside `use crate::{…}`.
fn imports(lines: &[(usize, String)], prefix: &str) -> Vec<(usize, String)> {
    let mut out = Vec::new();
    let joined: String = lines
        .iter()
        .map(|(n, l)| format!("\u{1}{n}\u{1}{l}\n"))
        .collect();
    let mut line_no = 0;
    let mut in_group = 0usize;
    let mut at_start = false;
    let group = format!("use {prefix}{{");
    let mut rest = joined.as_str();
    while !rest.is_empty() {
        if let Some(r) = rest.strip_prefix('\u{1}') {
            let (n, r) = r.split_once('\u{1}').unwrap();
            line_no = n.parse().unwrap();
            rest = r;
            continue;
        }
        if rest.starts_with(&group) {
            in_group = 1;
            at_start = true;
            rest = &rest[group.len()..];
            continue;
        }
        if in_group > 0 {
            let c = rest.chars().next().unwrap();
            match c {
                '{' => in_group += 1,
                '}' => in_group -= 1,
                ',' if in_group == 1 => at_start = true,
                c if c.is_ascii_alphabetic() && at_start && in_group == 1 => {
                    out.push((line_no, ident_at(rest).to_string()));
                    at_start = false;
                }
                _ => {}
            }
            rest = &rest[c.len_utf8()..];
            continue;
        }
        let c = rest.chars().next().unwrap();
        rest = &rest[c.len_utf8()..];
    }
    for (n, l) in lines {
        for name in after(l, prefix) {
            out.push((*n, name.to_string()));
        }
    }
    out
}

#[test]
fn no_module_imports_from_its_own_floor_or_above() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    let mut wrong = Vec::new();
    for f in &files {
        let rel = f.strip_prefix(&src).unwrap();
        let first = rel
            .components()
            .next()
            .unwrap()
            .as_os_str()
            .to_string_lossy();
        let module = first.trim_end_matches(".rs").to_string();
        if module == "lib" || module == "main" {
            continue;
        }
        let Some(mine) = floor_of(&module) else {
            wrong.push(format!(
                "src/{module}: on no floor (add it to FLOORS and lib.rs)"
            ));
            continue;
        };
        let text = std::fs::read_to_string(f).unwrap();
        let lines = code_lines(&text);
        let prefix = if module == "cli" {
            "purse::"
        } else {
            "crate::"
        };
        for (n, dep) in imports(&lines, prefix) {
            if dep == module || matches!(dep.as_str(), "Result" | "PurseError" | "hex") {
                continue;
            }
            match floor_of(&dep) {
                Some(theirs) if theirs < mine => {}
                Some(theirs) => wrong.push(format!(
                    "{}:{n}: {module} (floor {mine}) imports {dep} (floor {theirs})",
                    rel.display()
                )),
                None => wrong.push(format!(
                    "{}:{n}: {module} imports {dep}, which is on no floor",
                    rel.display()
                )),
            }
        }
    }
    assert!(wrong.is_empty(), "arrows running up:\n{}", wrong.join("\n"));
}

#[test]
fn no_files_of_one_folder_import_each_other_round_a_circle() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    rust_files(&src, &mut files);
    // folder → (sibling → siblings it imports). A folder's `mod.rs` is its door, not a sibling.
    let mut folders: BTreeMap<PathBuf, BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    for f in &files {
        let Some(dir) = f.parent() else { continue };
        if dir == src || f.file_name().is_some_and(|n| n == "mod.rs") {
            continue;
        }
        let folder = dir.to_path_buf();
        let top = dir
            .strip_prefix(&src)
            .unwrap()
            .to_string_lossy()
            .replace('/', "::");
        let siblings: BTreeSet<String> = std::fs::read_dir(dir)
            .unwrap()
            .filter_map(|e| {
                let p = e.ok()?.path();
                let name = p.file_stem()?.to_string_lossy().to_string();
                (name != "mod" && (p.is_dir() || p.extension().is_some_and(|x| x == "rs")))
                    .then_some(name)
            })
            .collect();
        let me = f.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(f).unwrap();
        let lines = code_lines(&text);
        let mut deps = BTreeSet::new();
        for prefix in ["super::".to_string(), format!("crate::{top}::")] {
            for (_, d) in imports(&lines, &prefix) {
                if d != me && siblings.contains(&d) {
                    deps.insert(d);
                }
            }
        }
        folders.entry(folder).or_default().insert(me, deps);
    }
    let mut circles = Vec::new();
    for (folder, g) in &folders {
        // Peel off files that import no remaining sibling; what cannot be peeled is a circle.
        let mut left: BTreeMap<&String, BTreeSet<&String>> = g
            .iter()
            .map(|(k, v)| (k, v.iter().filter(|d| g.contains_key(*d)).collect()))
            .collect();
        loop {
            let free: Vec<&String> = left
                .iter()
                .filter(|(_, d)| d.is_empty())
                .map(|(k, _)| *k)
                .collect();
            if free.is_empty() {
                break;
            }
            for k in &free {
                left.remove(k);
            }
            for d in left.values_mut() {
                d.retain(|x| !free.contains(x));
            }
        }
        if !left.is_empty() {
            circles.push(format!(
                "{}: {}",
                folder.display(),
                left.iter()
                    .map(|(k, d)| format!(
                        "{k} → {}",
                        d.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join("; ")
            ));
        }
    }
    assert!(circles.is_empty(), "circles:\n{}", circles.join("\n"));
}

/// The checker itself sees what it must: a grouped import, a path in an expression, and not a
/// comment or a test module.
#[test]
fn the_drawing_reads_grouped_imports_and_skips_comments_and_tests() {
    let text = "use crate::{\n    figures::{Money, Val},\n    rules,\n};\n// crate::web in a comment\nfn f() { crate::warehouse::open(); }\n#[cfg(test)]\nmod tests { use crate::web; }\n";
    let lines = code_lines(text);
    let got: Vec<(usize, String)> = imports(&lines, "crate::");
    assert_eq!(
        got,
        vec![
            (2, "figures".to_string()),
            (3, "rules".to_string()),
            (6, "warehouse".to_string())
        ]
    );
}
