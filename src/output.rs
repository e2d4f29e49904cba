//! The output folder: refuses folders holding files lrtool did not write (unless `--force`),
//! never removes, replaces or writes through anything it did not write (`--force` or not),
//! replaces an earlier lrtool run, holds an exclusive lock for the run's life, writes whole files
//! atomically (temporary name, then rename) and keeps a manifest of what it wrote, updated before
//! each file is made, so a folder left by a killed run is still recognised as lrtool's.

use std::collections::BTreeSet;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use serde_json::{Map, Value};

mod lock;
mod manifest;

pub use lock::{LOCK, Lock, same_path};
pub use manifest::{
    Kind, MANIFEST, Manifest, check_entry, no_link_on_the_way as kind_of, parse as parse_manifest,
    read as read_manifest,
};

/// The most entries lrtool looks at below an output folder before it refuses the folder as too
/// large to be a run folder (`--out /`, a home folder).
pub const MAX_ENTRIES: usize = 10_000;
/// The deepest lrtool looks below an output folder.
pub const MAX_DEPTH: usize = 16;

/// What a run is about to write, so that a foreign file in the way is refused before it starts.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    /// Files the run may write, relative to the folder; `DIR/**` stands for anything below DIR.
    pub outputs: Vec<String>,
    /// Sub-folders that become lrtool run folders of their own (a comparison's runs), listed in
    /// the manifest before they are written.
    pub runs: Vec<String>,
    /// Sub-folders of the earlier run to keep as they are (`compare --resume`).
    pub keep: Vec<String>,
    /// Further keys for the manifest.
    pub other: Map<String, Value>,
}

impl Layout {
    pub fn outputs(names: &[&str]) -> Layout {
        Layout {
            outputs: names.iter().map(|s| s.to_string()).collect(),
            ..Layout::default()
        }
    }
}

/// The most numbered default folders (`runs/train`, `runs/train-2`, …) lrtool tries before it
/// asks for `--out`.
pub const MAX_NUMBERED: usize = 10_000;

/// The `n`th default folder of `base`: `base` itself, then `base-2`, `base-3`, …
pub fn numbered(base: &Path, n: usize) -> PathBuf {
    if n <= 1 {
        return base.to_path_buf();
    }
    let name = base
        .file_name()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    base.with_file_name(format!("{name}-{n}"))
}

/// Create the first free default folder of `base` (`runs/train`, else `runs/train-2`, …) and
/// return it. The folder is taken by creating it (`create_dir`, which fails for a name that
/// exists), so two runs started together never share one; a name that exists in any form (a
/// folder, empty or not, or a file) is passed over.
pub fn claim_numbered(base: &Path) -> anyhow::Result<PathBuf> {
    let label = format!(
        "default output folder {}",
        short(&base.display().to_string())
    );
    if let Some(parent) = base.parent().filter(|p| !p.as_os_str().is_empty()) {
        fs::create_dir_all(parent).map_err(|e| {
            crate::input_err!(
                "{label}: cannot create {}: {e}; give --out",
                parent.display()
            )
        })?;
    }
    for n in 1..=MAX_NUMBERED {
        let candidate = numbered(base, n);
        match fs::create_dir(&candidate) {
            Ok(()) => return Ok(candidate),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => crate::input_bail!(
                "{label}: cannot create {}: {e}; give --out",
                candidate.display()
            ),
        }
    }
    crate::input_bail!(
        "{label}: {} to {} all exist; give --out or clear old runs",
        base.display(),
        numbered(base, MAX_NUMBERED).display()
    )
}

/// The default folders of `base` that exist, the highest number first (`runs/compare-3`,
/// `runs/compare-2`, `runs/compare`), for resuming a run without `--out`.
pub fn numbered_folders(base: &Path) -> Vec<PathBuf> {
    let Some(name) = base.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Vec::new();
    };
    let parent = match base.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let Ok(entries) = fs::read_dir(parent) else {
        return Vec::new();
    };
    let mut found: Vec<usize> = Vec::new();
    for entry in entries.flatten() {
        let entry_name = entry.file_name().to_string_lossy().into_owned();
        let n = if entry_name == name {
            1
        } else {
            match entry_name
                .strip_prefix(&name)
                .and_then(|r| r.strip_prefix('-'))
                .filter(|d| !d.starts_with('0') && d.bytes().all(|b| b.is_ascii_digit()))
                .and_then(|d| d.parse::<usize>().ok())
            {
                Some(n) if n >= 2 => n,
                _ => continue,
            }
        };
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            found.push(n);
        }
    }
    found.sort_unstable_by(|a, b| b.cmp(a));
    found.into_iter().map(|n| numbered(base, n)).collect()
}

/// An output folder being written.
#[derive(Debug)]
pub struct OutDir {
    path: PathBuf,
    command: String,
    files: BTreeSet<String>,
    /// `files` in the order they were first recorded.
    order: Vec<String>,
    runs: Vec<String>,
    other: Map<String, Value>,
    /// Held for the life of the value; dropped last.
    _lock: Lock,
}

impl OutDir {
    /// Make `path` ready for a run of `command` that writes what `layout` says. The folder is
    /// locked; a folder with files that the manifest of an earlier lrtool run does not list is
    /// refused unless `force`; a foreign file where the run will write is refused even with
    /// `force`; the earlier run's files are removed (never through a link; foreign files stay).
    pub fn prepare(
        path: &Path,
        force: bool,
        command: &str,
        layout: Layout,
    ) -> anyhow::Result<OutDir> {
        let shown = path.display();
        let label = format!("--out {}", short(&shown.to_string()));
        if path.exists() && !path.is_dir() {
            crate::input_bail!("{label}: exists and is not a folder");
        }
        fs::create_dir_all(path)
            .map_err(|e| crate::input_err!("{label}: cannot create the folder: {e}"))?;
        let lock = Lock::take(path, &label)?;
        let ours = our_files(path)?;
        let scan = Scan::new(&ours, &layout);
        let found = scan
            .walk(path, if force { usize::MAX } else { 4 })
            .map_err(|e| crate::input_err!("{label}: {e}"))?;
        let mut foreign = found.foreign;
        foreign.sort();
        if !foreign.is_empty() && !force {
            crate::input_bail!(
                "{label}: holds files lrtool did not write ({}{}); choose another folder or add --force",
                foreign[..foreign.len().min(3)].join(", "),
                if foreign.len() > 3 { ", …" } else { "" }
            );
        }
        if let Some(f) = foreign
            .iter()
            .find(|f| layout.outputs.iter().any(|o| in_the_way(f, o)))
        {
            crate::input_bail!(
                "{label}: {} is in the way of what lrtool writes and lrtool did not write it; --force never replaces a file lrtool did not write: move it or choose another folder",
                short(f)
            );
        }
        for old in ours.iter().chain(&found.temps) {
            if layout.keep.iter().any(|k| below(old, k)) {
                continue;
            }
            // a regular file, reached through real folders only
            if manifest::no_link_on_the_way(path, old) != Ok(manifest::Kind::File) {
                continue;
            }
            if let Some(run) = old.strip_suffix(&format!("/{LOCK}")) {
                // the lock of a run folder goes only if no process holds it (taken, then dropped)
                drop(Lock::take(&path.join(run), &format!("{label}: {run}"))?);
            } else {
                fs::remove_file(path.join(old))
                    .map_err(|e| crate::input_err!("{label}: cannot replace {old}: {e}"))?;
            }
        }
        let dir = OutDir {
            path: path.to_path_buf(),
            command: command.to_string(),
            files: BTreeSet::new(),
            order: Vec::new(),
            runs: layout.runs,
            other: layout.other,
            _lock: lock,
        };
        dir.write_manifest()
            .map_err(|e| crate::input_err!("{label}: not writable: {e:#}"))?;
        Ok(dir)
    }

    /// [`OutDir::prepare`] in the first free default folder of `base` ([`claim_numbered`]),
    /// which the run has to itself. The folder is removed again if it cannot be prepared.
    pub fn prepare_numbered(base: &Path, command: &str, layout: Layout) -> anyhow::Result<OutDir> {
        let path = claim_numbered(base)?;
        OutDir::prepare(&path, false, command, layout).inspect_err(|_| {
            let _ = fs::remove_file(path.join(LOCK));
            let _ = fs::remove_dir(&path);
        })
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
        for name in names {
            if self.files.insert(name.clone()) {
                self.order.push(name.clone());
            }
        }
        if self.files.len() != before {
            self.write_manifest()?;
        }
        Ok(())
    }

    /// Record `name` in the manifest before it is written. Something already at its place that
    /// this run did not write (a file lrtool did not write, a link, a folder) is bad input:
    /// lrtool never replaces or writes through it.
    fn record(&mut self, name: &str) -> anyhow::Result<()> {
        if self.files.contains(name) {
            return Ok(());
        }
        check_entry(name).map_err(|e| anyhow::anyhow!("internal: output {e}"))?;
        let in_the_way = match manifest::no_link_on_the_way(&self.path, name) {
            Err(link) => Some(link),
            Ok(manifest::Kind::Absent) => None,
            Ok(_) => Some(name.to_string()),
        };
        if let Some(f) = in_the_way {
            crate::input_bail!(
                "--out {}: {} is in the way of {name} and lrtool did not write it; lrtool never replaces a file it did not write: move it or choose another folder",
                short(&self.path.display().to_string()),
                short(&f)
            );
        }
        self.files.insert(name.to_string());
        self.order.push(name.to_string());
        self.write_manifest()
    }

    /// What the run wrote so far, as its "wrote …" line names it: taken from what the manifest
    /// records, so nothing written is left out. Files in the order they were first written; the
    /// files below a sub-folder as that folder, once (`snapshots/`, `runs/`).
    pub fn written(&self) -> Vec<String> {
        let mut shown: Vec<String> = Vec::new();
        for f in &self.order {
            let entry = match f.split_once('/') {
                Some((dir, _)) => format!("{dir}/"),
                None => f.clone(),
            };
            if !shown.contains(&entry) {
                shown.push(entry);
            }
        }
        shown
    }

    fn write_manifest(&self) -> anyhow::Result<()> {
        let mut json = self.other.clone();
        json.insert(
            "written_by".into(),
            Value::from(format!("lrtool {}", env!("CARGO_PKG_VERSION"))),
        );
        json.insert("command".into(), Value::from(self.command.clone()));
        json.insert("files".into(), serde_json::json!(self.files));
        if !self.runs.is_empty() {
            json.insert("runs".into(), serde_json::json!(self.runs));
        }
        let mut text = serde_json::to_string_pretty(&Value::Object(json))?;
        text.push('\n');
        write_atomic(&self.path.join(MANIFEST), text.as_bytes())
    }
}

/// The files an earlier lrtool run left in `dir`, by its manifest (and, for the run folders it
/// lists, by theirs): checked entries, relative to `dir`.
/// Refuse (exit 2) an input of a run that preparing `out` would remove: a file the folder's
/// manifest lists (written by an earlier lrtool run there), by any spelling or hard link. Each
/// input is named by its flag. Called before the folder is prepared, so nothing is touched.
pub fn check_inputs_kept(out: &Path, inputs: &[(&str, PathBuf)]) -> anyhow::Result<()> {
    if !out.is_dir() {
        return Ok(());
    }
    let ours = our_files(out)?;
    for (flag, input) in inputs {
        if let Some(f) = ours.iter().find(|f| same_path(&out.join(f), input)) {
            crate::input_bail!(
                "--out {}: would replace {f}, which is {flag} {} of this run (an earlier lrtool run \
                 wrote it there); write to another --out, or copy the input elsewhere first",
                short(&out.display().to_string()),
                input.display()
            );
        }
    }
    Ok(())
}

fn our_files(dir: &Path) -> anyhow::Result<BTreeSet<String>> {
    let mut ours = BTreeSet::new();
    let Some(m) = manifest::read(dir)? else {
        return Ok(ours);
    };
    ours.extend(m.files.iter().cloned());
    for run in &m.runs {
        if manifest::no_link_on_the_way(dir, run) != Ok(manifest::Kind::Dir) {
            continue;
        }
        // a run killed before it wrote its manifest left its lock
        ours.insert(format!("{run}/{LOCK}"));
        if let Some(inner) = manifest::read(&dir.join(run))? {
            ours.extend(inner.files.iter().map(|f| format!("{run}/{f}")));
            ours.insert(format!("{run}/{MANIFEST}"));
        }
    }
    Ok(ours)
}

/// Add `name` to the manifest of the lrtool folder `dir` (when it has one), for a file written
/// there after the run (`lrtool report DIR`), so a later run into the folder may replace it.
pub fn record_in_manifest(dir: &Path, name: &str) -> anyhow::Result<()> {
    let path = dir.join(MANIFEST);
    let Some(m) = manifest::read(dir)? else {
        return Ok(());
    };
    if m.files.iter().any(|f| f == name) {
        return Ok(());
    }
    let mut files = m.files;
    files.push(name.to_string());
    files.sort();
    let mut json = m.other;
    json.insert("files".into(), serde_json::json!(files));
    if !m.runs.is_empty() {
        json.insert("runs".into(), serde_json::json!(m.runs));
    }
    let mut text = serde_json::to_string_pretty(&Value::Object(json))?;
    text.push('\n');
    write_atomic(&path, text.as_bytes())
}

/// `text` cut to a readable length for a message.
pub fn short(text: &str) -> String {
    const MAX: usize = 200;
    if text.chars().count() <= MAX {
        return text.to_string();
    }
    let head: String = text.chars().take(MAX).collect();
    format!("{head}…")
}

/// Whether `rel` is `dir` or below it.
fn below(rel: &str, dir: &str) -> bool {
    rel == dir || rel.strip_prefix(dir).is_some_and(|r| r.starts_with('/'))
}

/// Whether the foreign entry `f` (a folder is written `DIR/`) stands where `output` (a file, or
/// `DIR/**` for anything below DIR) would be written.
fn in_the_way(f: &str, output: &str) -> bool {
    let f = f.trim_end_matches('/');
    match output.strip_suffix("/**") {
        Some(dir) => below(f, dir) || below(dir, f),
        None => f == output || below(output, f),
    }
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

/// [`write_atomic`] for a file named by a flag (`schedule --plot`, `report --output`): a folder
/// given as the file, or a file that cannot be written, is bad input naming the flag (exit 2).
pub fn write_file_for_flag(flag: &str, target: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    let shown = crate::limits::cut(&target.display().to_string(), crate::limits::ECHO_CHARS);
    if target.is_dir() {
        crate::input_bail!("{flag} {shown}: is a folder; give a file name inside it");
    }
    write_atomic(target, bytes).map_err(|e| crate::input_err!("{flag} {shown}: {e:#}"))
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

/// Whether `name` is a temporary file of [`write_atomic`]: `.NAME.PID.tmp`.
fn is_our_temp(name: &str) -> bool {
    let Some(stem) = name.strip_suffix(".tmp") else {
        return false;
    };
    let Some((rest, pid)) = stem.rsplit_once('.') else {
        return false;
    };
    name.starts_with('.')
        && rest.len() > 1
        && !pid.is_empty()
        && pid.bytes().all(|b| b.is_ascii_digit())
}

/// What a look through the output folder found.
#[derive(Debug, Default)]
struct Found {
    /// Entries lrtool did not write (a folder not looked into is written `DIR/`).
    foreign: Vec<String>,
    /// Temporary files left by a killed run.
    temps: Vec<String>,
}

/// A bounded look through an output folder: it goes only into folders that lrtool's files or
/// outputs are in, never follows a link and gives up past [`MAX_ENTRIES`] or [`MAX_DEPTH`].
struct Scan<'a> {
    ours: &'a BTreeSet<String>,
    keep: &'a [String],
    /// Folders to look into: the folders of our files and outputs, with their parents.
    into: BTreeSet<String>,
    /// Folders to look into whole (`DIR/**` outputs and the runs of a comparison).
    whole: Vec<String>,
}

impl<'a> Scan<'a> {
    fn new(ours: &'a BTreeSet<String>, layout: &'a Layout) -> Scan<'a> {
        let mut into = BTreeSet::new();
        let mut whole = layout.runs.clone();
        for entry in ours.iter().chain(&layout.outputs).chain(&layout.runs) {
            let entry = match entry.strip_suffix("/**") {
                Some(dir) => {
                    whole.push(dir.to_string());
                    into.insert(dir.to_string());
                    dir
                }
                None => entry,
            };
            let mut parent = entry;
            while let Some((p, _)) = parent.rsplit_once('/') {
                into.insert(p.to_string());
                parent = p;
            }
        }
        Scan {
            ours,
            keep: &layout.keep,
            into,
            whole,
        }
    }

    /// Look through `dir`, stopping once `enough` foreign entries are found.
    fn walk(&self, dir: &Path, enough: usize) -> Result<Found, String> {
        let mut found = Found::default();
        let mut seen = 0usize;
        let mut stack = vec![(dir.to_path_buf(), String::new(), 0usize)];
        while let Some((abs, rel, depth)) = stack.pop() {
            if depth > MAX_DEPTH {
                return Err(format!(
                    "{rel}: deeper than {MAX_DEPTH} folders; lrtool does not search a tree that deep: choose a new or empty folder"
                ));
            }
            let entries = fs::read_dir(&abs).map_err(|e| format!("cannot read {rel}: {e}"))?;
            for entry in entries {
                let entry = entry.map_err(|e| e.to_string())?;
                let name = entry.file_name().to_string_lossy().into_owned();
                let rel_name = if rel.is_empty() {
                    name.clone()
                } else {
                    format!("{rel}/{name}")
                };
                // never follows a link: the type of the entry itself
                let ft = entry.file_type().map_err(|e| e.to_string())?;
                if self.keep.iter().any(|k| below(&rel_name, k)) {
                    continue;
                }
                let known = if ft.is_file() {
                    self.ours.contains(&rel_name)
                } else {
                    ft.is_dir() && self.into.contains(&rel_name)
                };
                // lrtool's own entries are bounded by its manifest; the others are counted
                if !known {
                    seen += 1;
                    if seen > MAX_ENTRIES {
                        return Err(format!(
                            "holds more than {MAX_ENTRIES} entries lrtool did not write; lrtool does not search a folder that large (it would not be a run folder): choose a new or empty folder"
                        ));
                    }
                }
                if ft.is_file() {
                    if is_our_temp(&name) {
                        found.temps.push(rel_name);
                        continue;
                    }
                    if self.ours.contains(&rel_name)
                        || (rel.is_empty() && (name == MANIFEST || name == LOCK))
                        || (name == LOCK && self.whole.iter().any(|w| below(&rel, w)))
                    {
                        continue;
                    }
                } else if ft.is_dir() {
                    if self.into.contains(&rel_name)
                        || self.whole.iter().any(|w| below(&rel_name, w))
                    {
                        stack.push((entry.path(), rel_name, depth + 1));
                        continue;
                    }
                    // a foreign folder is not searched; an empty one is no one's files
                    let empty = fs::read_dir(entry.path()).is_ok_and(|mut d| d.next().is_none());
                    if empty {
                        continue;
                    }
                    found.foreign.push(format!("{rel_name}/"));
                    if found.foreign.len() >= enough {
                        return Ok(found);
                    }
                    continue;
                }
                found.foreign.push(rel_name);
                if found.foreign.len() >= enough {
                    return Ok(found);
                }
            }
        }
        Ok(found)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_foreign_files_and_replaces_own_run() {
        let tmp = tempfile::tempdir().unwrap();
        let dir = tmp.path().join("run");
        let mut out = OutDir::prepare(&dir, false, "train", Layout::default()).unwrap();
        out.write_atomic("summary.json", b"{}").unwrap();
        out.write_atomic("snapshots/snapshot-1.safetensors", b"x")
            .unwrap();
        drop(out);
        // a second run into the same folder replaces the first
        let out = OutDir::prepare(&dir, false, "train", Layout::default()).unwrap();
        assert!(!dir.join("summary.json").exists());
        drop(out);
        // a file lrtool did not write makes the folder off limits
        fs::write(dir.join("notes.txt"), "mine").unwrap();
        let err = OutDir::prepare(&dir, false, "train", Layout::default()).unwrap_err();
        assert!(crate::error::is_input_error(&err));
        assert!(err.to_string().contains("notes.txt"), "{err}");
        // --force keeps the foreign file
        OutDir::prepare(&dir, true, "train", Layout::default()).unwrap();
        assert_eq!(fs::read_to_string(dir.join("notes.txt")).unwrap(), "mine");
    }

    #[test]
    fn default_folders_are_numbered_and_never_shared() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("runs/train");
        assert!(numbered_folders(&base).is_empty());
        let a = OutDir::prepare_numbered(&base, "train", Layout::default()).unwrap();
        let b = OutDir::prepare_numbered(&base, "train", Layout::default()).unwrap();
        assert_eq!(a.path(), base);
        assert_eq!(b.path(), tmp.path().join("runs/train-2"));
        drop((a, b));
        // an empty folder or a file of that name is passed over, never written into
        fs::create_dir(tmp.path().join("runs/train-3")).unwrap();
        fs::write(tmp.path().join("runs/train-4"), "mine").unwrap();
        let c = OutDir::prepare_numbered(&base, "train", Layout::default()).unwrap();
        assert_eq!(c.path(), tmp.path().join("runs/train-5"));
        assert_eq!(
            fs::read_to_string(tmp.path().join("runs/train-4")).unwrap(),
            "mine"
        );
        assert_eq!(
            fs::read_dir(tmp.path().join("runs/train-3"))
                .unwrap()
                .count(),
            0
        );
        // not folders of this base: train-02, train-x, trainer
        for other in ["train-02", "train-x", "trainer-9"] {
            fs::create_dir(tmp.path().join("runs").join(other)).unwrap();
        }
        let runs = tmp.path().join("runs");
        assert_eq!(
            numbered_folders(&base),
            ["train-5", "train-3", "train-2", "train"].map(|n| runs.join(n))
        );
        // a freed name is taken again: the first free one
        drop(c);
        fs::remove_dir_all(tmp.path().join("runs/train-2")).unwrap();
        let d = OutDir::prepare_numbered(&base, "train", Layout::default()).unwrap();
        assert_eq!(d.path(), tmp.path().join("runs/train-2"));
    }

    #[test]
    fn two_threads_claiming_at_once_get_two_folders() {
        let tmp = tempfile::tempdir().unwrap();
        let base = tmp.path().join("runs/compare");
        let claimed: Vec<PathBuf> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..8)
                .map(|_| s.spawn(|| claim_numbered(&base).unwrap()))
                .collect();
            handles.into_iter().map(|h| h.join().unwrap()).collect()
        });
        let distinct: BTreeSet<&PathBuf> = claimed.iter().collect();
        assert_eq!(distinct.len(), 8, "{claimed:?}");
        assert!((1..=8).all(|n| claimed.contains(&numbered(&base, n))));
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
