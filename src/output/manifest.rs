//! `.lrtool-manifest.json`: what lrtool wrote in an output folder. It is read strictly, because
//! lrtool deletes what it lists: every entry must be a plain relative path inside the folder (no
//! `..`, no absolute path, no empty or `.` component, no link on the way), and a manifest that is
//! not JSON of the expected shape is refused, not obeyed.

use std::fs;
use std::io::Read;
use std::path::Path;

use serde_json::{Map, Value};

/// Name of the manifest lrtool keeps in every output folder.
pub const MANIFEST: &str = ".lrtool-manifest.json";

/// The largest manifest lrtool reads (a comparison of thousands of runs stays far below).
pub const MAX_MANIFEST_BYTES: u64 = 16 << 20;

/// A manifest as read.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Manifest {
    /// Files lrtool wrote, relative to the folder.
    pub files: Vec<String>,
    /// Folders below this one that are lrtool run folders of their own (a comparison's runs),
    /// each with its own manifest; listed before those runs start.
    pub runs: Vec<String>,
    /// Every other key (`written_by`, `command`, what a comparison records of its experiment).
    pub other: Map<String, Value>,
}

/// Parse a manifest's text; the error says what is wrong with it.
pub fn parse(text: &str) -> Result<Manifest, String> {
    let value: Value = serde_json::from_str(text).map_err(|e| format!("not valid JSON ({e})"))?;
    let Value::Object(mut map) = value else {
        return Err("not a JSON object".into());
    };
    let files = match map.remove("files") {
        Some(v) => entries(v, "files")?,
        None => return Err("no \"files\" list".into()),
    };
    let runs = match map.remove("runs") {
        Some(v) => entries(v, "runs")?,
        None => Vec::new(),
    };
    Ok(Manifest {
        files,
        runs,
        other: map,
    })
}

fn entries(v: Value, key: &str) -> Result<Vec<String>, String> {
    let Value::Array(items) = v else {
        return Err(format!("\"{key}\" is not a list"));
    };
    items
        .into_iter()
        .map(|item| match item {
            Value::String(s) => check_entry(&s).map(|()| s),
            other => Err(format!(
                "\"{key}\" holds {}, not a file name",
                crate::output::short(&other.to_string())
            )),
        })
        .collect()
}

/// A manifest entry must be a plain relative path inside the folder.
pub fn check_entry(entry: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("entry \"{}\" {why}", crate::output::short(entry)));
    if entry.is_empty() {
        return bad("is empty");
    }
    if entry.starts_with('/') || entry.contains('\\') || entry.contains(':') {
        return bad("is not a relative path inside the folder");
    }
    if entry.contains('\0') {
        return bad("holds a NUL character");
    }
    for c in entry.split('/') {
        if c.is_empty() || c == "." || c == ".." {
            return bad("is not a plain path inside the folder (empty, . or .. component)");
        }
    }
    Ok(())
}

/// Read and check the manifest of `dir`: `None` when there is none; an error (bad input, naming
/// the manifest and what is wrong) when it cannot be trusted.
pub fn read(dir: &Path) -> anyhow::Result<Option<Manifest>> {
    let path = dir.join(MANIFEST);
    let meta = match fs::symlink_metadata(&path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => crate::input_bail!("{}: cannot read: {e}", path.display()),
    };
    let refuse = |why: &str| {
        crate::input_err!(
            "{}: {why}; lrtool does not obey it (it lists what lrtool may delete): remove it or choose another folder",
            path.display()
        )
    };
    if !meta.file_type().is_file() {
        return Err(refuse("not a regular file"));
    }
    let mut text = String::new();
    fs::File::open(&path)
        .and_then(|f| f.take(MAX_MANIFEST_BYTES + 1).read_to_string(&mut text))
        .map_err(|e| refuse(&format!("cannot read: {e}")))?;
    if text.len() as u64 > MAX_MANIFEST_BYTES {
        return Err(refuse(&format!(
            "larger than {} MiB",
            MAX_MANIFEST_BYTES >> 20
        )));
    }
    let manifest = parse(&text).map_err(|why| refuse(&why))?;
    for entry in manifest.files.iter().chain(&manifest.runs) {
        if let Err(link) = no_link_on_the_way(dir, entry) {
            return Err(refuse(&format!(
                "entry \"{}\" goes through the link {link}",
                crate::output::short(entry)
            )));
        }
    }
    Ok(Some(manifest))
}

/// What is at a path inside a folder, never following a link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Absent,
    File,
    Dir,
    /// A link, or anything else that is neither a regular file nor a folder.
    Other,
}

/// What `rel` is below `dir`, checking that no folder on the way is a link: `Err` names the
/// first link on the way. A regular file on the way means the entry is absent.
pub fn no_link_on_the_way(dir: &Path, rel: &str) -> Result<Kind, String> {
    let parts: Vec<&str> = rel.split('/').collect();
    let mut p = dir.to_path_buf();
    for (i, part) in parts.iter().enumerate() {
        p.push(part);
        let last = i + 1 == parts.len();
        let ft = match fs::symlink_metadata(&p) {
            Ok(m) => m.file_type(),
            Err(_) => return Ok(Kind::Absent),
        };
        if last {
            return Ok(if ft.is_file() {
                Kind::File
            } else if ft.is_dir() {
                Kind::Dir
            } else {
                Kind::Other
            });
        }
        if ft.is_symlink() {
            return Err(parts[..=i].join("/"));
        }
        if !ft.is_dir() {
            return Ok(Kind::Absent);
        }
    }
    Ok(Kind::Absent)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entries_must_be_plain_relative_paths() {
        for bad in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a//b",
            "./a",
            "a/",
            "a\\b",
            "C:x",
        ] {
            assert!(check_entry(bad).is_err(), "{bad:?}");
        }
        for good in [
            "summary.json",
            "snapshots/snapshot-1.safetensors",
            ".x.1.tmp",
        ] {
            check_entry(good).unwrap();
        }
    }

    #[test]
    fn parse_wants_the_expected_shape() {
        assert!(parse("[]").is_err());
        assert!(parse("{}").is_err());
        assert!(parse(r#"{"files": "a"}"#).is_err());
        assert!(parse(r#"{"files": [1]}"#).is_err());
        assert!(parse(r#"{"files": ["a"], "runs": ["../r"]}"#).is_err());
        let m = parse(r#"{"command": "train", "files": ["a", "b/c"]}"#).unwrap();
        assert_eq!(m.files, vec!["a", "b/c"]);
        assert_eq!(m.other["command"], "train");
    }
}
