//! The output folder: refuses folders holding files lrtool did not write (unless `--force`),
//! replaces an earlier lrtool run, writes whole files atomically (temporary name, then rename)
//! and keeps a manifest of what it wrote.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;

/// Name of the manifest lrtool keeps in every output folder.
pub const MANIFEST: &str = ".lrtool-manifest.json";

/// An output folder being written.
#[derive(Debug)]
pub struct OutDir {
    path: PathBuf,
    command: String,
    files: BTreeSet<String>,
}

impl OutDir {
    /// Make `path` ready for a run of `command`. A folder with files that the manifest of an
    /// earlier lrtool run does not list is refused unless `force`; the earlier run's files are
    /// removed (with `force`, foreign files stay where they are).
    pub fn prepare(path: &Path, force: bool, command: &str) -> anyhow::Result<OutDir> {
        let shown = path.display();
        if path.exists() && !path.is_dir() {
            crate::input_bail!("--out {shown}: exists and is not a folder");
        }
        fs::create_dir_all(path)
            .map_err(|e| crate::input_err!("--out {shown}: cannot create the folder: {e}"))?;
        let previous = read_manifest(path);
        let mut foreign = Vec::new();
        for entry in walk(path).map_err(|e| crate::input_err!("--out {shown}: {e}"))? {
            if entry == MANIFEST || previous.contains(&entry) || is_our_temp(&entry) {
                continue;
            }
            foreign.push(entry);
        }
        if !foreign.is_empty() && !force {
            foreign.sort();
            crate::input_bail!(
                "--out {shown}: holds files lrtool did not write ({}{}); choose another folder or add --force",
                foreign[..foreign.len().min(3)].join(", "),
                if foreign.len() > 3 { ", …" } else { "" }
            );
        }
        for old in &previous {
            let p = path.join(old);
            if p.is_file() {
                fs::remove_file(&p)
                    .map_err(|e| crate::input_err!("--out {shown}: cannot replace {old}: {e}"))?;
            }
        }
        let dir = OutDir {
            path: path.to_path_buf(),
            command: command.to_string(),
            files: BTreeSet::new(),
        };
        dir.write_manifest()
            .map_err(|e| crate::input_err!("--out {shown}: not writable: {e:#}"))?;
        Ok(dir)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Full path of `name` inside the folder.
    pub fn join(&self, name: &str) -> PathBuf {
        self.path.join(name)
    }

    /// Create (truncate) `name` for writing as the run goes (CSV logs), recording it first.
    pub fn create(&mut self, name: &str) -> anyhow::Result<LogFile> {
        self.record(name)?;
        let p = self.path.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent)
                .with_context(|| format!("cannot create {}", parent.display()))?;
        }
        let file = fs::File::create(&p).with_context(|| format!("cannot write {}", p.display()))?;
        Ok(LogFile {
            file,
            path: p,
            len: 0,
        })
    }

    /// Write `name` whole: to a temporary file, flushed, then renamed over the target.
    pub fn write_atomic(&mut self, name: &str, bytes: &[u8]) -> anyhow::Result<PathBuf> {
        self.record(name)?;
        let target = self.path.join(name);
        write_atomic(&target, bytes)?;
        Ok(target)
    }

    /// Record files that another writer put below the folder (a nested run's own output, as
    /// `lrtool compare` keeps them), so that a later run into this folder may replace them.
    pub fn adopt(&mut self, names: &[String]) -> anyhow::Result<()> {
        let before = self.files.len();
        self.files.extend(names.iter().cloned());
        if self.files.len() != before {
            self.write_manifest()?;
        }
        Ok(())
    }

    fn record(&mut self, name: &str) -> anyhow::Result<()> {
        if self.files.insert(name.to_string()) {
            self.write_manifest()?;
        }
        Ok(())
    }

    fn write_manifest(&self) -> anyhow::Result<()> {
        let json = serde_json::json!({
            "written_by": format!("lrtool {}", env!("CARGO_PKG_VERSION")),
            "command": self.command,
            "files": self.files,
        });
        let mut text = serde_json::to_string_pretty(&json)?;
        text.push('\n');
        write_atomic(&self.path.join(MANIFEST), text.as_bytes())
    }
}

/// Add `name` to the manifest of the lrtool folder `dir` (when it has one), for a file written
/// there after the run (`lrtool report DIR`), so a later run into the folder may replace it.
pub fn record_in_manifest(dir: &Path, name: &str) -> anyhow::Result<()> {
    let path = dir.join(MANIFEST);
    let Ok(text) = fs::read_to_string(&path) else {
        return Ok(());
    };
    let Ok(mut json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return Ok(());
    };
    let Some(files) = json.get_mut("files").and_then(|f| f.as_array_mut()) else {
        return Ok(());
    };
    if files.iter().any(|f| f.as_str() == Some(name)) {
        return Ok(());
    }
    files.push(serde_json::Value::from(name));
    let mut sorted: Vec<String> = files
        .iter()
        .filter_map(|f| f.as_str().map(str::to_string))
        .collect();
    sorted.sort();
    json["files"] = serde_json::json!(sorted);
    let mut text = serde_json::to_string_pretty(&json)?;
    text.push('\n');
    write_atomic(&path, text.as_bytes())
}

/// A file written as the run goes (the CSV logs), which are handed whole rows at a time. A write
/// that fails (a full disk) cuts the file back to the end of the last whole write, so it still
/// ends on a whole row, and its error names the file.
#[derive(Debug)]
pub struct LogFile {
    file: fs::File,
    path: PathBuf,
    /// Bytes of whole writes in the file.
    len: u64,
}

impl Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.write_all(buf).map(|()| buf.len())
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        use std::io::{Seek, SeekFrom};
        match self.file.write_all(buf) {
            Ok(()) => {
                self.len += buf.len() as u64;
                Ok(())
            }
            Err(e) => {
                let _ = self.file.set_len(self.len);
                let _ = self.file.seek(SeekFrom::Start(self.len));
                Err(std::io::Error::new(
                    e.kind(),
                    format!("cannot write {}: {e}", self.path.display()),
                ))
            }
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

/// Write `bytes` to `target` through a temporary file in the same folder and a rename, so the
/// target is either the old file or the whole new one.
pub fn write_atomic(target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let dir = target.parent().unwrap_or(Path::new("."));
    if !dir.as_os_str().is_empty() {
        fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    let file_name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.{}.tmp", std::process::id()));
    let result = (|| -> std::io::Result<()> {
        let mut f = fs::File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, target)
    })();
    if let Err(e) = result {
        let _ = fs::remove_file(&tmp);
        return Err(anyhow::Error::new(e).context(format!("cannot write {}", target.display())));
    }
    Ok(())
}

fn is_our_temp(rel: &str) -> bool {
    let name = rel.rsplit('/').next().unwrap_or(rel);
    name.starts_with('.') && name.ends_with(".tmp")
}

fn read_manifest(dir: &Path) -> BTreeSet<String> {
    let Ok(text) = fs::read_to_string(dir.join(MANIFEST)) else {
        return BTreeSet::new();
    };
    let Ok(json) = serde_json::from_str::<serde_json::Value>(&text) else {
        return BTreeSet::new();
    };
    json.get("files")
        .and_then(|f| f.as_array())
        .map(|files| {
            files
                .iter()
                .filter_map(|f| f.as_str())
                // never follow a manifest outside its folder
                .filter(|f| !f.split('/').any(|c| c == ".." || c.is_empty()))
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

/// Every file below `dir`, as `/`-separated relative paths (folders themselves are not listed).
fn walk(dir: &Path) -> std::io::Result<Vec<String>> {
    let mut out = Vec::new();
    let mut stack = vec![(dir.to_path_buf(), String::new())];
    while let Some((abs, rel)) = stack.pop() {
        for entry in fs::read_dir(&abs)? {
            let entry = entry?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let rel_name = if rel.is_empty() {
                name
            } else {
                format!("{rel}/{name}")
            };
            if entry.file_type()?.is_dir() {
                stack.push((entry.path(), rel_name));
            } else {
                out.push(rel_name);
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_foreign_files_and_replaces_own_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let mut out = OutDir::prepare(&dir, false, "train").unwrap();
        out.write_atomic("summary.json", b"{}").unwrap();
        out.write_atomic("snapshots/snapshot-1.safetensors", b"x")
            .unwrap();
        drop(out);
        // a second run into the same folder replaces the first
        let out = OutDir::prepare(&dir, false, "train").unwrap();
        assert!(!dir.join("summary.json").exists());
        drop(out);
        // a file lrtool did not write makes the folder off limits
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = OutDir::prepare(&dir, false, "train").unwrap_err();
        assert!(crate::error::is_input_error(&err));
        assert!(err.to_string().contains("notes.txt"), "{err}");
        // --force keeps the foreign file
        OutDir::prepare(&dir, true, "train").unwrap();
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn atomic_write_leaves_no_temporary() {
        let tmp = tempfile::tempdir().unwrap();
        let target = tmp.path().join("a.json");
        write_atomic(&target, b"one").unwrap();
        write_atomic(&target, b"two").unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"two");
        assert_eq!(fs::read_dir(tmp.path()).unwrap().count(), 1);
    }
}
