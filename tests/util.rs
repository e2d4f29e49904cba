//! Helpers shared by the integration tests that run the real `lrtool` binary: running it,
//! checking the one-line usage errors, and reading the files a run writes.

#![allow(dead_code)] // each test module uses a different subset

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

/// The files every successful `lrtool train` run writes into `--out`.
pub const TRAIN_FILES: [&str; 8] = [
    "steps.csv",
    "epochs.csv",
    "summary.json",
    "model.safetensors",
    "loss.svg",
    "lr.svg",
    "timing.json",
    ".lrtool-manifest.json",
];

/// The exact headers of the two CSV logs.
pub const STEPS_HEADER: &str = "step,epoch,lr,momentum,loss";
pub const EPOCHS_HEADER_CLASSIFY: &str = "epoch,lr,train_loss,train_acc,val_loss,val_acc";
pub const EPOCHS_HEADER_REGRESS: &str = "epoch,lr,train_loss,train_r2,val_loss,val_r2";

/// The finished process: exit code and both streams as text.
#[derive(Debug)]
pub struct Run {
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl From<Output> for Run {
    fn from(o: Output) -> Self {
        Run {
            code: o.status.code(),
            stdout: String::from_utf8(o.stdout).expect("stdout is UTF-8"),
            stderr: String::from_utf8(o.stderr).expect("stderr is UTF-8"),
        }
    }
}

impl Run {
    /// Panics with both streams unless the exit code is `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "expected exit code {code}\n--- stdout:\n{}\n--- stderr:\n{}",
            self.stdout,
            self.stderr
        );
        self
    }

    #[track_caller]
    pub fn success(&self) -> &Self {
        self.expect_code(0)
    }
}

/// A command for the binary under test, run in `dir` (so relative paths stay in the tempdir).
pub fn lrtool(dir: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_lrtool"));
    cmd.current_dir(dir);
    cmd
}

/// Runs `lrtool ARGS…` in `dir` and captures everything.
pub fn run(dir: &Path, args: &[&str]) -> Run {
    lrtool(dir).args(args).output().expect("lrtool runs").into()
}

/// Runs `lrtool train --out OUT --quiet ARGS…` in `dir`, the arguments split at whitespace
/// (write an empty value as `--hidden=`).
pub fn train(dir: &Path, out: &str, args: &str) -> Run {
    train_with(dir, out, &words(args))
}

/// Like [`train`] with the arguments given one by one (for values that hold spaces).
pub fn train_with(dir: &Path, out: &str, args: &[&str]) -> Run {
    let mut all = vec!["train", "--out", out, "--quiet"];
    all.extend_from_slice(args);
    run(dir, &all)
}

/// `args` split at whitespace.
pub fn words(args: &str) -> Vec<&str> {
    args.split_whitespace().collect()
}

/// A fresh temporary folder for one test.
pub fn tempdir() -> tempfile::TempDir {
    tempfile::tempdir().expect("tempdir")
}

/// Runs `lrtool train --out out ARGS…` (split at whitespace) and checks the usage-error contract: exit code 2,
/// nothing on stdout, exactly one stderr line that starts with `lrtool: ` and contains every
/// needle, and no output folder left behind when there was none before. Returns the line.
#[track_caller]
pub fn usage_error(dir: &Path, args: &str, needles: &[&str]) -> String {
    usage_error_with(dir, &words(args), needles)
}

/// The usage-error contract of any command's finished run: exit code 2, nothing on stdout,
/// exactly one `lrtool: ` line on stderr holding every needle. Returns the line.
#[track_caller]
pub fn expect_usage_error(r: &Run, what: &str, needles: &[&str]) -> String {
    r.expect_code(2);
    assert_eq!(
        r.stdout, "",
        "a usage error prints nothing on stdout ({what})"
    );
    let line = one_error_line(&r.stderr);
    for needle in needles {
        assert!(
            line.contains(needle),
            "the error for {what} should mention {needle:?}: {line}"
        );
    }
    line
}

/// Like [`usage_error`] with the arguments given one by one.
#[track_caller]
pub fn usage_error_with(dir: &Path, args: &[&str], needles: &[&str]) -> String {
    let out = dir.join("out");
    let existed = out.exists();
    let r = train_with(dir, "out", args);
    let line = expect_usage_error(&r, &format!("{args:?}"), needles);
    if !existed {
        assert!(
            !out.exists(),
            "a usage error must not create the output folder ({args:?})"
        );
    }
    line
}

/// The single `lrtool: …` line of an error, or a panic showing what was printed instead.
#[track_caller]
pub fn one_error_line(stderr: &str) -> String {
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "expected exactly one stderr line, got:\n{stderr}"
    );
    assert!(
        lines[0].starts_with("lrtool: "),
        "the error line starts with `lrtool: `: {}",
        lines[0]
    );
    assert!(stderr.ends_with('\n'), "the error line ends with a newline");
    lines[0].to_string()
}

/// A CSV file read into its header line and its rows of fields (no quoting in lrtool's logs).
pub struct Csv {
    pub header: String,
    pub rows: Vec<Vec<String>>,
}

impl Csv {
    pub fn read(path: &Path) -> Csv {
        let text = fs::read_to_string(path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        assert!(
            text.ends_with('\n'),
            "{} ends with a whole row",
            path.display()
        );
        let mut lines = text.lines();
        let header = lines.next().expect("a header line").to_string();
        let width = header.split(',').count();
        let rows: Vec<Vec<String>> = lines
            .map(|l| l.split(',').map(str::to_string).collect())
            .collect();
        for (i, r) in rows.iter().enumerate() {
            assert_eq!(
                r.len(),
                width,
                "{} row {} has {} fields, the header {width}",
                path.display(),
                i + 1,
                r.len()
            );
        }
        Csv { header, rows }
    }

    /// The index of a header column.
    pub fn col(&self, name: &str) -> usize {
        self.header
            .split(',')
            .position(|c| c == name)
            .unwrap_or_else(|| panic!("no column {name} in {}", self.header))
    }

    /// The column as numbers; an empty cell is a panic.
    pub fn f64s(&self, name: &str) -> Vec<f64> {
        let c = self.col(name);
        self.rows
            .iter()
            .map(|r| {
                r[c].parse::<f64>()
                    .unwrap_or_else(|e| panic!("column {name}: {:?}: {e}", r[c]))
            })
            .collect()
    }
}

/// `summary.json` (or any JSON file) parsed.
pub fn json(path: &Path) -> Value {
    let text =
        fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

pub fn summary(out: &Path) -> Value {
    json(&out.join("summary.json"))
}

/// A number from a JSON value, with a readable panic.
#[track_caller]
pub fn num(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, got {v}"))
}

/// A CSV cell parsed by serde_json's own number parser. Without serde_json's `float_roundtrip`
/// feature that parser may be one ULP off `str::parse`, so a number read from summary.json is
/// only comparable with a CSV cell read the same way.
#[track_caller]
pub fn json_f64(cell: &str) -> f64 {
    serde_json::from_str(cell).unwrap_or_else(|e| panic!("{cell:?} is not a number: {e}"))
}

/// Every file the run wrote is there and non-empty.
#[track_caller]
pub fn assert_train_files(out: &Path) {
    for f in TRAIN_FILES {
        let p = out.join(f);
        let len = fs::metadata(&p)
            .unwrap_or_else(|e| panic!("missing {}: {e}", p.display()))
            .len();
        assert!(len > 0, "{} is empty", p.display());
    }
    for svg in ["loss.svg", "lr.svg"] {
        let text = fs::read_to_string(out.join(svg)).unwrap();
        assert!(
            text.contains("<svg") && text.trim_end().ends_with("</svg>"),
            "{svg} is a whole SVG document"
        );
    }
}

/// Checks the step and epoch logs of a completed run against its summary: exact headers,
/// `epochs × ceil(train_rows / batch)` step rows numbered from 0, one row per epoch, and the
/// final metrics of the summary equal to the last epoch row. Returns (steps, epochs).
#[track_caller]
pub fn check_logs(out: &Path, epochs: usize, batch: usize, lr: f64) -> (Csv, Csv) {
    let s = summary(out);
    let regress = s["dataset"]["task"] == "regress";
    let train_rows = s["dataset"]["train_rows"].as_u64().unwrap() as usize;
    let per_epoch = train_rows.div_ceil(batch);
    assert_eq!(s["steps_per_epoch"].as_u64(), Some(per_epoch as u64));

    let steps = Csv::read(&out.join("steps.csv"));
    assert_eq!(steps.header, STEPS_HEADER);
    assert_eq!(steps.rows.len(), epochs * per_epoch, "steps.csv rows");
    for (i, r) in steps.rows.iter().enumerate() {
        assert_eq!(r[0], i.to_string(), "steps are numbered from 0");
        assert_eq!(r[1], (i / per_epoch + 1).to_string(), "epoch of step {i}");
    }
    for v in steps.f64s("lr") {
        assert_eq!(v, lr, "constant LR in steps.csv");
    }
    for v in steps.f64s("loss") {
        assert!(v.is_finite() && v >= 0.0, "loss {v}");
    }

    let ep = Csv::read(&out.join("epochs.csv"));
    let header = if regress {
        EPOCHS_HEADER_REGRESS
    } else {
        EPOCHS_HEADER_CLASSIFY
    };
    assert_eq!(ep.header, header);
    assert_eq!(ep.rows.len(), epochs, "epochs.csv rows");
    for (i, r) in ep.rows.iter().enumerate() {
        assert_eq!(r[0], (i + 1).to_string(), "epochs are numbered from 1");
    }
    let last = ep.rows.last().unwrap();
    let fin = &s["result"]["final"];
    let metric = if regress { "r2" } else { "acc" };
    let mut keys = vec!["train_loss".to_string(), format!("train_{metric}")];
    if s["dataset"]["val_rows"].as_u64() != Some(0) {
        keys.extend(["val_loss".to_string(), format!("val_{metric}")]);
    }
    for k in keys {
        assert_eq!(
            num(&fin[&k]),
            json_f64(&last[ep.col(&k)]),
            "summary result.final.{k} equals the last epochs.csv row"
        );
    }
    assert_eq!(
        s["result"]["epochs_completed"].as_u64(),
        Some(epochs as u64)
    );
    assert_eq!(
        s["result"]["steps"].as_u64(),
        Some((epochs * per_epoch) as u64)
    );
    assert_eq!(s["result"]["end"]["status"], "completed");
    (steps, ep)
}

/// Writes `text` to `dir/name` and returns the path.
pub fn write(dir: &Path, name: &str, bytes: impl AsRef<[u8]>) -> PathBuf {
    let p = dir.join(name);
    fs::write(&p, bytes).unwrap();
    p
}

/// gzip of `bytes`.
pub fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

/// An IDX3 images file (magic 0x00000803) claiming `count` images of `rows × cols` unsigned
/// bytes, followed by `n` images of pixel data.
pub fn idx_images(count: u32, n: usize, rows: u32, cols: u32) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x0803u32, count, rows, cols] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend((0..n * (rows * cols) as usize).map(|i| ((i * 37 + i / 7) % 256) as u8));
    b
}

/// An IDX1 labels file (magic 0x00000801) with labels `i % classes`.
pub fn idx_labels(n: usize, classes: u8) -> Vec<u8> {
    let mut b = Vec::new();
    for v in [0x0801u32, n as u32] {
        b.extend_from_slice(&v.to_be_bytes());
    }
    b.extend((0..n).map(|i| (i % classes as usize) as u8));
    b
}

/// A small CSV with two numeric features and string class labels (`cat`, `dog`, `emu`).
pub fn string_label_csv(rows: usize) -> String {
    let mut s = String::from("height,weight,animal\n");
    for i in 0..rows {
        let c = i % 3;
        s += &format!(
            "{:.2},{:.2},{}\n",
            c as f64 + (i % 5) as f64 * 0.1,
            (i % 7) as f64 - c as f64,
            ["cat", "dog", "emu"][c]
        );
    }
    s
}

/// The top-level keys of a run's `summary.json` that hold wall-clock measurements.
pub const WALL_CLOCK_KEYS: [&str; 2] = ["train_s", "samples_per_s"];

/// `file` of run folder `a` equals the same file of `b`: byte for byte, except that in a
/// `summary.json` the wall-clock keys ([`WALL_CLOCK_KEYS`]) must be present and are left out
/// of the comparison (every other byte of the text must match).
#[track_caller]
pub fn assert_same_output(a: &Path, b: &Path, file: &str) {
    let read = |d: &Path| fs::read(d.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"));
    let (x, y) = (read(a), read(b));
    if file.ends_with("summary.json") {
        let strip = |bytes: Vec<u8>| -> String {
            let text = String::from_utf8(bytes).expect("UTF-8");
            let v: Value = serde_json::from_str(&text).expect("summary.json is JSON");
            for k in WALL_CLOCK_KEYS {
                assert!(
                    v[k].as_f64().is_some_and(|s| s.is_finite() && s >= 0.0),
                    "{file}: {k} = {}",
                    v[k]
                );
            }
            text.lines()
                .filter(|l| {
                    !WALL_CLOCK_KEYS
                        .iter()
                        .any(|k| l.starts_with(&format!("  \"{k}\": ")))
                })
                .collect::<Vec<_>>()
                .join("\n")
        };
        assert_eq!(strip(x), strip(y), "{file} differs (wall-clock keys aside)");
    } else {
        assert!(
            x == y,
            "{file} differs between {} and {}",
            a.display(),
            b.display()
        );
    }
}
