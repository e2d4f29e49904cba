//! Typed run records (src/report/records.rs): every summary.json the binary writes parses into
//! its family's type and serialises back to the same bytes, so a renamed or retyped field breaks
//! a test here rather than showing "–" in a report.
//!
//! `tests/fixtures/summaries/*.json` were written by the release binary (train, find-lr,
//! snapshot-ensemble, compare and landscape; classification and regression; diverged runs; repeats; a
//! target; a snapshot-ensemble arm); the last test checks summaries of the binary under test.

use std::fs;
use std::path::Path;

use lrtool::report::records::RunSummary;

use crate::util::{run, tempdir, words};

fn round_trip(text: &str, source: &str) -> RunSummary {
    let summary = RunSummary::parse(text, source).unwrap_or_else(|e| panic!("{e:#}"));
    let again = summary.to_json_text().unwrap();
    assert!(
        again == text,
        "{source}: serialize(deserialize(file)) differs from the file"
    );
    summary
}

#[test]
fn report_records_fixture_summaries_round_trip_byte_for_byte() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/summaries");
    let mut seen = Vec::new();
    for entry in fs::read_dir(&dir).unwrap() {
        let path = entry.unwrap().path();
        let text = fs::read_to_string(&path).unwrap();
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let summary = round_trip(&text, &name);
        let family = name.split('-').next().unwrap();
        let expected = match family {
            "find" => "find-lr",
            "snapshot" => "snapshot-ensemble",
            other => other,
        };
        assert_eq!(summary.command(), expected, "{name}");
        match &summary {
            RunSummary::Train(s) if name.contains("diverged") => {
                assert_eq!(s.result.end.name(), "diverged", "{name}");
                assert!(s.result.last.is_none(), "{name}");
            }
            RunSummary::Train(s) if name.contains("sine") => {
                let last = s.result.last.as_ref().unwrap();
                assert!(last.val_r2.is_some() && last.val_acc.is_none(), "{name}");
                assert!(last.val_metric().is_some(), "{name}");
            }
            RunSummary::Snapshot(s) if name.contains("baseline") => {
                assert!(s.result.baseline.as_ref().unwrap().val_metric().is_some());
            }
            _ => {}
        }
        seen.push(expected.to_string());
    }
    for family in [
        "train",
        "find-lr",
        "snapshot-ensemble",
        "compare",
        "landscape",
    ] {
        assert!(seen.iter().any(|s| s == family), "no fixture of {family}");
    }
}

#[test]
fn report_records_summaries_of_this_binary_round_trip() {
    let tmp = tempdir();
    let dir = tmp.path();
    let cases: [(&str, &str); 5] = [
        ("t", "train --dataset iris --hidden 8 --epochs 2"),
        (
            "r",
            "train --dataset sine --samples 200 --hidden 8 --epochs 1",
        ),
        (
            "f",
            "find-lr --dataset iris --hidden 8 --steps 30 --repeats 2",
        ),
        (
            "s",
            "snapshot-ensemble --dataset iris --hidden 8 --epochs 2 --cycles 2 --baseline",
        ),
        (
            "c",
            "compare --dataset iris --hidden 8 --epochs 1 --seeds 1, --target-acc 0.5",
        ),
    ];
    for (out, args) in cases {
        let mut a = words(args);
        if out == "c" {
            a.extend([
                "--arms",
                "constant:lr=0.01;snap:command=snapshot-ensemble,cycles=1",
            ]);
        }
        a.extend(["--out", out, "--quiet"]);
        run(dir, &a).success();
        let path = dir.join(out).join("summary.json");
        round_trip(
            &fs::read_to_string(&path).unwrap(),
            &path.display().to_string(),
        );
        if out == "c" {
            for seed_run in fs::read_dir(dir.join("c/runs")).unwrap() {
                let path = seed_run.unwrap().path().join("summary.json");
                round_trip(
                    &fs::read_to_string(&path).unwrap(),
                    &path.display().to_string(),
                );
            }
        }
    }
}
