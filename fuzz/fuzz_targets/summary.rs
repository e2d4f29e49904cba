//! The summary.json reader (`RunSummary::parse`, what `lrtool report` and `compare --merge`
//! read) and the report page built from it. Never a panic; a summary it accepts writes back as
//! text that reads as the same summary (the second write equals the first); the page rendered
//! from a folder holding that summary carries no script.
#![no_main]

use std::fs;
use std::path::PathBuf;
use std::sync::OnceLock;

use libfuzzer_sys::fuzz_target;
use lrtool::report::html;
use lrtool::report::records::RunSummary;

fn root() -> &'static PathBuf {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| std::env::temp_dir().join(format!("lrtool-fuzz-summary-{}", std::process::id())))
}

fuzz_target!(|input: &[u8]| {
    let Ok(text) = std::str::from_utf8(input) else {
        return;
    };
    let Ok(summary) = RunSummary::parse(text, "summary.json") else {
        return;
    };
    let first = summary.to_json_text().expect("an accepted summary writes");
    let again = RunSummary::parse(&first, "written")
        .expect("lrtool reads the summary it writes")
        .to_json_text()
        .expect("writes again");
    assert_eq!(first, again, "a summary reads back as itself");

    let dir = root();
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).unwrap();
    fs::write(dir.join("summary.json"), text).unwrap();
    if let Ok(page) = html::render(dir) {
        let lower = page.to_ascii_lowercase();
        assert!(!lower.contains("<script"), "a script in the page");
        assert!(!lower.contains("javascript:"), "a script link in the page");
    }
});
