//! One lrtool process per output folder: `.lrtool-lock` holds the holder's pid and an exclusive
//! advisory lock (`flock`), which the kernel releases when the process ends however it ends. The
//! holder removes the file when it is done; a file left by a killed run is lrtool's and is taken
//! over by the next run.

use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

/// Name of the lock file lrtool keeps in an output folder while it writes there.
pub const LOCK: &str = ".lrtool-lock";

/// An exclusive lock on a folder, held until dropped.
#[derive(Debug)]
pub struct Lock {
    file: fs::File,
    path: PathBuf,
}

impl Lock {
    /// Lock `dir` for this process. Another process holding it is bad input (exit 2): the
    /// message names `label` (the flag and folder) and the holder's pid.
    pub fn take(dir: &Path, label: &str) -> anyhow::Result<Lock> {
        let path = dir.join(LOCK);
        // a file at the path that is not the one locked (removed and made again by a holder that
        // just ended) is tried again; a few rounds settle it
        for _ in 0..8 {
            if let Ok(m) = fs::symlink_metadata(&path)
                && !m.file_type().is_file()
            {
                crate::input_bail!(
                    "{label}: {LOCK} is not a file lrtool wrote (a link or a folder); remove it or choose another folder"
                );
            }
            let mut file = fs::OpenOptions::new()
                .read(true)
                .write(true)
                .create(true)
                .truncate(false)
                .open(&path)
                .map_err(|e| {
                    crate::input_err!("{label}: not writable: cannot create {LOCK}: {e}")
                })?;
            match file.try_lock() {
                Ok(()) => {
                    if !same_file(&file, &path) {
                        continue;
                    }
                    let _ = file.set_len(0);
                    let _ = file.seek(SeekFrom::Start(0));
                    let _ = writeln!(file, "{}", std::process::id());
                    return Ok(Lock { file, path });
                }
                Err(fs::TryLockError::WouldBlock) => {
                    let mut text = String::new();
                    let _ = (&file).take(64).read_to_string(&mut text);
                    let pid = text.trim();
                    let holder = if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) {
                        format!("pid {pid}")
                    } else {
                        "pid not yet written".to_string()
                    };
                    crate::input_bail!(
                        "{label}: in use by another lrtool run ({holder}); wait for it to end or choose another folder"
                    );
                }
                Err(fs::TryLockError::Error(e)) => {
                    crate::input_bail!("{label}: cannot lock {LOCK}: {e}")
                }
            }
        }
        crate::input_bail!("{label}: cannot lock {LOCK}: it keeps being replaced")
    }
}

impl Drop for Lock {
    fn drop(&mut self) {
        // removed while still locked, and only if it is still our file
        if same_file(&self.file, &self.path) {
            let _ = fs::remove_file(&self.path);
        }
    }
}

/// Whether the open `file` is the file at `path` (not followed if a link).
#[cfg(unix)]
fn same_file(file: &fs::File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (file.metadata(), fs::symlink_metadata(path)) {
        (Ok(a), Ok(b)) => a.dev() == b.dev() && a.ino() == b.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn same_file(_file: &fs::File, path: &Path) -> bool {
    fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_file())
}

/// Whether two paths name the same file (the same device and inode on Unix, so a hard link or
/// another spelling of the path is caught). False when either is missing.
pub fn same_path(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        match (fs::metadata(a), fs::metadata(b)) {
            (Ok(x), Ok(y)) => x.dev() == y.dev() && x.ino() == y.ino(),
            _ => false,
        }
    }
    #[cfg(not(unix))]
    {
        match (fs::canonicalize(a), fs::canonicalize(b)) {
            (Ok(x), Ok(y)) => x == y,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_is_refused_with_the_pid_and_released_on_drop() {
        let tmp = tempfile::tempdir().unwrap();
        let lock = Lock::take(tmp.path(), "--out x").unwrap();
        let pid = std::process::id().to_string();
        assert_eq!(
            fs::read_to_string(tmp.path().join(LOCK)).unwrap().trim(),
            pid
        );
        // flock locks belong to the open file, so a second open in this process conflicts too
        let err = Lock::take(tmp.path(), "--out x").unwrap_err();
        assert!(crate::error::is_input_error(&err));
        assert!(err.to_string().contains(&format!("pid {pid}")), "{err}");
        drop(lock);
        assert!(!tmp.path().join(LOCK).exists());
        // a file left by a killed holder is taken over
        fs::write(tmp.path().join(LOCK), "99999\n").unwrap();
        let lock = Lock::take(tmp.path(), "--out x").unwrap();
        drop(lock);
        assert!(!tmp.path().join(LOCK).exists());
    }
}
