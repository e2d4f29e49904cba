//! Build script: `lrtool --version` names the git revision when built from a checkout
//! (`git rev-parse --short HEAD`); without git or outside a checkout it is the bare version.

use std::path::Path;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    let dir = std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into());
    let git = Path::new(&dir).join(".git");
    // rebuild the string when HEAD moves (a commit, a checkout)
    if git.join("HEAD").is_file() {
        println!("cargo:rerun-if-changed={}", git.join("HEAD").display());
        if let Ok(head) = std::fs::read_to_string(git.join("HEAD"))
            && let Some(r) = head.trim().strip_prefix("ref: ")
        {
            println!("cargo:rerun-if-changed={}", git.join(r).display());
        }
        println!(
            "cargo:rerun-if-changed={}",
            git.join("packed-refs").display()
        );
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
