//! The manifest reader and what `OutDir::prepare` does with what it reads. The input is the text
//! of `.lrtool-manifest.json` in a folder that also holds a link `sub` to a folder outside it,
//! next to a file `x` that must survive; the first byte picks `--force`. Never a panic; an
//! accepted manifest has only plain relative entries; whatever the manifest says, the file
//! outside the folder survives, and so does the link.
#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lrtool::output::{Layout, MANIFEST, OutDir, check_entry, parse_manifest};

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| std::env::temp_dir().join(format!("lrtool-fuzz-manifest-{}", std::process::id())))
}

fuzz_target!(|input: &[u8]| {
    let Some((&first, rest)) = input.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    if let Ok(m) = parse_manifest(text) {
        for e in m.files.iter().chain(&m.runs) {
            assert!(check_entry(e).is_ok(), "accepted entry {e:?}");
            assert!(!e.starts_with('/') && !e.split('/').any(|c| c == ".." || c.is_empty()));
        }
    }
    let root = root();
    let _ = fs::remove_dir_all(root);
    let out = root.join("out");
    let outside = root.join("outside");
    fs::create_dir_all(&out).unwrap();
    fs::create_dir_all(&outside).unwrap();
    fs::write(outside.join("x"), "mine").unwrap();
    fs::write(root.join("y"), "mine").unwrap();
    std::os::unix::fs::symlink(&outside, out.join("sub")).unwrap();
    fs::write(out.join(MANIFEST), text).unwrap();
    let layout = Layout::outputs(&["summary.json", "sub/**"]);
    if let Ok(mut dir) = OutDir::prepare(&out, first & 1 == 1, "fuzz", layout) {
        // writing through the link is refused
        assert!(dir.write_atomic("sub/x", b"lrtool").is_err());
        let _ = dir.write_atomic("summary.json", b"{}");
    }
    assert_eq!(fs::read_to_string(outside.join("x")).unwrap(), "mine");
    assert_eq!(fs::read_to_string(root.join("y")).unwrap(), "mine");
    assert!(fs::symlink_metadata(out.join("sub")).unwrap().file_type().is_symlink());
});
