//! Build script: `lrtool --version` names the git revision when built from a checkout
//! (`git rev-parse --short HEAD`); without git or outside a checkout it is the bare version.

use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    // rebuild the string when HEAD moves (a commit, a checkout); name only paths that exist, or
    // cargo would rerun this script (and rebuild the crate) on every build
    if let Some((git_dir, common_dir)) = git_dirs(Path::new(&dir)) {
        let head = git_dir.join("HEAD");
        rerun_if_exists(&head);
        if let Ok(text) = std::fs::read_to_string(&head)
            && let Some(r) = text.trim().strip_prefix("ref: ")
        {
            // branch refs live in the common folder (shared by every worktree)
            let loose = common_dir.join(r);
            if loose.is_file() {
                rerun_if_exists(&loose);
            } else if let Some(parent) = loose.parent() {
                // only packed for now: see the loose file appear at the next commit
                rerun_if_exists(parent);
            }
        }
        rerun_if_exists(&common_dir.join("packed-refs"));
    }
    let rev = Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .current_dir(&dir)
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty() && s.chars().all(|c| c.is_ascii_hexdigit()));
    let version = env!("CARGO_PKG_VERSION");
    let long = match rev {
        Some(r) => format!("{version} (git {r})"),
        None => version.to_string(),
    };
    println!("cargo:rustc-env=LRTOOL_VERSION_LONG={long}");
}

/// The git folder of the checkout at `dir` and its common folder: `.git` itself for a plain
/// checkout; in a worktree (or submodule) `.git` is a file `gitdir: PATH`, and that folder's
/// `commondir` names the folder that holds the refs. `None` outside a checkout.
fn git_dirs(dir: &Path) -> Option<(PathBuf, PathBuf)> {
    let dot_git = dir.join(".git");
    let git_dir = if dot_git.is_dir() {
        dot_git
    } else {
        let text = std::fs::read_to_string(&dot_git).ok()?;
        let target = text.lines().next()?.strip_prefix("gitdir:")?.trim();
        let path = dir.join(target); // an absolute target replaces dir
        path.is_dir().then_some(path)?
    };
    let common = match std::fs::read_to_string(git_dir.join("commondir")) {
        Ok(text) => git_dir.join(text.trim()),
        Err(_) => git_dir.clone(),
    };
    Some((git_dir, common))
}

fn rerun_if_exists(path: &Path) {
    if path.exists() {
        println!("cargo:rerun-if-changed={}", path.display());
    }
}
