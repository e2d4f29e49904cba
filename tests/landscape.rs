//! `lrtool landscape` end to end: the ends of a line and the centre of a grid are exactly what
//! `lrtool evaluate` says of the same files, directions are reproducible per seed, the plane
//! holds its three models, sharpness is reported and repeatable, and bad input is refused
//! (exit 2) before anything is written.

use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::util::{expect_usage_error, run, tempdir, train, words};

fn json(path: &Path) -> Value {
    serde_json::from_str(&fs::read_to_string(path).unwrap()).unwrap()
}

/// `lrtool evaluate --json` of one file on one split: (loss, acc).
fn evaluate(dir: &Path, model: &str, split: &str, extra: &str) -> (f64, f64) {
    let mut args = vec!["evaluate", "--model", model, "--split", split, "--json"];
    args.extend(words(extra));
    let r = run(dir, &args);
    r.success();
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    let m = &v["models"][0];
    (m["loss"].as_f64().unwrap(), m["acc"].as_f64().unwrap())
}

fn point(v: &Value) -> [(f64, f64); 2] {
    [
        (
            v["train_loss"].as_f64().unwrap(),
            v["train_acc"].as_f64().unwrap(),
        ),
        (
            v["val_loss"].as_f64().unwrap(),
            v["val_acc"].as_f64().unwrap(),
        ),
    ]
}

/// Rows of a CSV written by landscape, as numbers by column name.
fn csv_rows(path: &Path) -> Vec<std::collections::BTreeMap<String, f64>> {
    let text = fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split(','))
                .map(|(h, v)| (h.to_string(), v.parse::<f64>().unwrap()))
                .collect()
        })
        .collect()
}

const DATA: &str = "--dataset wine --seed 3 --val-split 0.25";

#[test]
fn landscape_line_ends_equal_evaluate_exactly() {
    let dir = tempdir();
    let d = dir.path();
    train(d, "run", &format!("{DATA} --epochs 8 --hidden 12")).success();
    assert!(d.join("run/init.safetensors").is_file());
    let mut args = vec![
        "landscape",
        "--from",
        "init",
        "--to",
        "run",
        "--points",
        "7",
        "--out",
        "line",
    ];
    args.extend(words(DATA));
    let r = run(d, &args);
    r.success();
    assert!(r.stdout.contains("barrier (train loss)"), "{}", r.stdout);
    let s = json(&d.join("line/summary.json"));
    let line = &s["line"];
    for (key, file) in [
        ("start", "run/init.safetensors"),
        ("end", "run/model.safetensors"),
    ] {
        let [train, val] = point(&line[key]);
        assert_eq!(train, evaluate(d, file, "train", DATA), "{key} on train");
        assert_eq!(val, evaluate(d, file, "val", DATA), "{key} on val");
    }
    // the CSV's rows at α = 0 and 1 hold the same numbers; 7 points from −0.5 to 1.5 miss both,
    // so they were added
    let rows = csv_rows(&d.join("line/line.csv"));
    assert_eq!(rows.len(), 9);
    for (alpha, key) in [(0.0, "start"), (1.0, "end")] {
        let row = rows.iter().find(|r| r["alpha"] == alpha).unwrap();
        let [train, val] = point(&line[key]);
        assert_eq!((row["train_loss"], row["train_acc"]), train);
        assert_eq!((row["val_loss"], row["val_acc"]), val);
    }
    assert!(rows.windows(2).all(|w| w[0]["alpha"] < w[1]["alpha"]));
    // the barrier is the highest training loss on [0, 1] minus the mean of the ends
    let inside: Vec<f64> = rows
        .iter()
        .filter(|r| (0.0..=1.0).contains(&r["alpha"]))
        .map(|r| r["train_loss"])
        .collect();
    let max = inside.iter().copied().fold(f64::MIN, f64::max);
    let [(l0, _), _] = point(&line["start"]);
    let [(l1, _), _] = point(&line["end"]);
    let b = line["train_barrier"]["height"].as_f64().unwrap();
    assert!((b - (max - 0.5 * (l0 + l1))).abs() < 1e-12);
    assert!(
        fs::read_to_string(d.join("line/line.svg"))
            .unwrap()
            .contains("<svg")
    );
}

#[test]
fn landscape_surface_centre_is_the_model_and_directions_repeat_per_seed() {
    let dir = tempdir();
    let d = dir.path();
    train(d, "run", &format!("{DATA} --epochs 8 --hidden 12")).success();
    let surface = |out: &str, seed: &str| {
        let mut args = vec![
            "landscape",
            "--model",
            "run/model.safetensors",
            "--grid",
            "7",
            "--span",
            "0.5",
            "--direction-seed",
            seed,
            "--out",
            out,
            "--quiet",
        ];
        args.extend(words(DATA));
        run(d, &args).success();
        fs::read_to_string(d.join(out).join("surface.csv")).unwrap()
    };
    let a = surface("s1", "4");
    assert_eq!(a, surface("s2", "4"), "same seed, same grid");
    assert_ne!(a, surface("s3", "5"), "another seed, other directions");
    let rows = csv_rows(&d.join("s1/surface.csv"));
    assert_eq!(rows.len(), 49);
    let centre = rows
        .iter()
        .find(|r| r["x"] == 0.0 && r["y"] == 0.0)
        .unwrap();
    let train = evaluate(d, "run/model.safetensors", "train", DATA);
    let val = evaluate(d, "run/model.safetensors", "val", DATA);
    assert_eq!((centre["train_loss"], centre["train_acc"]), train);
    assert_eq!((centre["val_loss"], centre["val_acc"]), val);
    let s = json(&d.join("s1/summary.json"));
    assert_eq!(point(&s["surface"]["centre"]), [train, val]);
    // a trained model sits low on its own surface
    let min = s["surface"]["min_train_loss"].as_f64().unwrap();
    let max = s["surface"]["max_train_loss"].as_f64().unwrap();
    assert!(min <= train.0 && train.0 < max);
    assert!(
        fs::read_to_string(d.join("s1/surface.svg"))
            .unwrap()
            .contains("<svg")
    );
}

#[test]
fn landscape_sharpness_is_reported_and_repeatable() {
    let dir = tempdir();
    let d = dir.path();
    train(d, "run", &format!("{DATA} --epochs 8 --hidden 12")).success();
    let measure = |out: &str| {
        let mut args = vec![
            "landscape",
            "--model",
            "run",
            "--sharpness",
            "--top-k",
            "3",
            "--out",
            out,
            "--json",
        ];
        args.extend(words(DATA));
        let r = run(d, &args);
        r.success();
        let mut v: Value = serde_json::from_str(&r.stdout).unwrap();
        assert_eq!(
            v.as_object_mut().unwrap().remove("folder"),
            Some(out.into())
        );
        assert_eq!(v, json(&d.join(out).join("summary.json")));
        v
    };
    let a = measure("m1");
    assert_eq!(a, measure("m2"));
    let sh = &a["sharpness"];
    let eig: Vec<f64> = sh["eigenvalues"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert_eq!(eig.len(), 3);
    assert!(
        eig[0] > 0.0 && eig.windows(2).all(|w| w[0] >= w[1]),
        "{eig:?}"
    );
    let loss = sh["loss"].as_f64().unwrap();
    let top = sh["epsilon_max_loss"].as_f64().unwrap();
    let pct = sh["epsilon_sharpness"].as_f64().unwrap();
    assert!(top > loss);
    assert!((pct - 100.0 * (top - loss) / (1.0 + loss)).abs() < 1e-12);
    // the sharpness loss (f64) is the model's training loss as evaluate reports it (f32 model)
    let (train_loss, _) = evaluate(d, "run/model.safetensors", "train", DATA);
    assert!((loss - train_loss).abs() < 1e-5 * (1.0 + train_loss));
}

#[test]
fn landscape_plane_holds_its_three_models() {
    let dir = tempdir();
    let d = dir.path();
    let mut args = vec![
        "snapshot-ensemble",
        "--epochs",
        "9",
        "--cycles",
        "3",
        "--hidden",
        "12",
        "--out",
        "se",
        "--quiet",
    ];
    args.extend(words(DATA));
    run(d, &args).success();
    let snaps: Vec<String> = (1..=3)
        .map(|k| format!("se/snapshots/snapshot-{k}.safetensors"))
        .collect();
    let mut args = vec!["landscape", "--plane"];
    args.extend(snaps.iter().map(String::as_str));
    args.extend(["--grid", "5", "--out", "plane", "--quiet"]);
    args.extend(words(DATA));
    run(d, &args).success();
    let s = json(&d.join("plane/summary.json"));
    let p = &s["plane"];
    for (k, file) in snaps.iter().enumerate() {
        assert_eq!(
            point(&p["model_points"][k]),
            [
                evaluate(d, file, "train", DATA),
                evaluate(d, file, "val", DATA)
            ]
        );
    }
    assert_eq!(p["coordinates"][0], serde_json::json!([0.0, 0.0]));
    assert_eq!(p["coordinates"][1][1], serde_json::json!(0.0));
    assert!(p["coordinates"][2][1].as_f64().unwrap() > 0.0);
    assert_eq!(csv_rows(&d.join("plane/plane.csv")).len(), 25);
    // --from init finds the run's initial weights above the snapshots folder
    let mut args = vec![
        "landscape",
        "--from",
        "init",
        "--to",
        &snaps[2],
        "--points",
        "3",
    ];
    args.extend(["--out", "line", "--quiet"]);
    args.extend(words(DATA));
    run(d, &args).success();
    assert_eq!(
        json(&d.join("line/summary.json"))["line"]["from"],
        "se/init.safetensors"
    );
}

#[test]
fn landscape_bad_input_is_refused_before_anything_is_written() {
    let dir = tempdir();
    let d = dir.path();
    train(d, "run", &format!("{DATA} --epochs 2 --hidden 12")).success();
    train(d, "other", &format!("{DATA} --epochs 2 --hidden 7")).success();
    fs::create_dir(d.join("lonely")).unwrap();
    fs::copy(
        d.join("run/model.safetensors"),
        d.join("lonely/m.safetensors"),
    )
    .unwrap();
    let cases: &[(&str, &[&str])] = &[
        (
            "--from run/missing.safetensors --to run",
            &["--from", "missing.safetensors"],
        ),
        ("--from run --to run --points 0", &["--points 0"]),
        ("--from run --to run --points 1", &["--points 1"]),
        (
            "--from run --to run --alpha-min 1 --alpha-max 1",
            &["--alpha-min"],
        ),
        (
            "--from run --to other",
            &["--to other/model.safetensors", "layer sizes"],
        ),
        (
            "--from init --to lonely/m.safetensors",
            &["--from init", "init.safetensors"],
        ),
        ("--from run", &["--from", "--to"]),
        ("--to run", &["--to", "--from"]),
        ("--model run", &["--model", "--grid", "--sharpness"]),
        ("--model run --grid 4", &["--grid 4", "odd"]),
        ("--model run --grid 1", &["--grid 1"]),
        ("--model run --grid 5 --span 0", &["--span 0"]),
        ("--model run --sharpness --epsilon 0", &["--epsilon 0"]),
        ("--model run --sharpness --top-k 0", &["--top-k 0"]),
        ("--grid 5", &["--grid", "--model"]),
        ("--sharpness", &["--sharpness", "--model"]),
        ("--from run --to run --model run --grid 3", &["one of them"]),
        (
            "--model lonely --grid 3",
            &["--model lonely", "model.safetensors"],
        ),
        ("--plane run run run", &["--plane", "one line"]),
        ("", &["--from", "--model", "--plane"]),
    ];
    for (flags, needles) in cases {
        let mut args = vec!["landscape"];
        args.extend(words(flags));
        args.extend(words(DATA));
        args.extend(["--out", "refused"]);
        let r = run(d, &args);
        expect_usage_error(&r, flags, needles);
        assert!(!d.join("refused").exists(), "{flags}: wrote the folder");
    }
    // a model that does not fit the data
    let r = run(
        d,
        &[
            "landscape",
            "--model",
            "run",
            "--grid",
            "3",
            "--dataset",
            "iris",
            "--out",
            "refused",
        ],
    );
    expect_usage_error(&r, "iris", &["--model run/model.safetensors", "iris"]);
}

/// The top Hessian eigenvalues against PyTorch's full Hessian (`torch.autograd.functional.hessian`
/// then `eigvalsh`, in f64) for two fixture models (4-8-3, tanh and ReLU, trained by lrtool on
/// all of iris with `--val-split 0 --epochs 150 --lr 0.01`), over all 150 rows. The numbers
/// below were printed by this script (`python ref.py FILE datasets/iris.csv.gz`, torch 2.x):
///
#[rustfmt::skip]
#[test]
fn landscape_top_eigenvalues_match_pytorch() {
// # PyTorch reference for tests/landscape.rs: top Hessian eigenvalues of the mean cross-entropy of
// # an lrtool weights file over all rows of iris (--val-split 0), inputs standardised in f32 with
// # the file's stored statistics, everything else in f64.
// import gzip, json, struct, sys
// import torch
// def load(path):
//     raw = open(path, "rb").read()
//     n = struct.unpack("<Q", raw[:8])[0]
//     head = json.loads(raw[8:8 + n]); data = bytearray(raw[8 + n:])
//     meta = head.pop("__metadata__")
//     t = {k: torch.frombuffer(data[v["data_offsets"][0]:v["data_offsets"][1]], dtype=torch.float32).reshape(v["shape"]) for k, v in head.items()}
//     return t, meta
// t, meta = load(sys.argv[1])
// rows = [l.split(",") for l in gzip.open(sys.argv[2], "rt").read().splitlines()[1:]]
// x = torch.tensor([[float(v) for v in r[:-1]] for r in rows], dtype=torch.float32)
// y = torch.tensor([int(r[-1]) for r in rows])
// mean = torch.tensor(json.loads(meta["feature_mean"]), dtype=torch.float64).float()
// std = torch.tensor(json.loads(meta["feature_std"]), dtype=torch.float64).float()
// x = ((x - mean) / std).double()
// L = len([k for k in t if k.endswith(".weight")])
// shapes = [(tuple(t[f"layers.{k}.weight"].shape), tuple(t[f"layers.{k}.bias"].shape)) for k in range(L)]
// flat = torch.cat([torch.cat([t[f"layers.{k}.weight"].reshape(-1), t[f"layers.{k}.bias"]]) for k in range(L)]).double()
// act = {"tanh": torch.tanh, "relu": torch.relu}[meta["activation"]]
// def loss(p):
//     h, at = x, 0
//     for k, (ws, bs) in enumerate(shapes):
//         w = p[at:at + ws[0] * ws[1]].reshape(ws); at += ws[0] * ws[1]
//         b = p[at:at + bs[0]]; at += bs[0]
//         h = h @ w.T + b
//         if k < L - 1: h = act(h)
//     return torch.nn.functional.cross_entropy(h, y)
// H = torch.autograd.functional.hessian(loss, flat)
// ev = torch.linalg.eigvalsh(H).flip(0)
// print(repr(loss(flat).item()), [repr(v) for v in ev[:3].tolist()])
    let cases = [
        ("iris-tanh", 0.04172505710271738, [1.242303366379693, 0.21420726641093518, 0.09473699482395018]),
        ("iris-relu", 0.0426389998323676, [1.7972123180641342, 0.23327584555116426, 0.1015404735175682]),
    ];
    let dir = tempdir();
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/landscape");
    for (name, loss, want) in cases {
        let file = fixtures.join(format!("{name}.safetensors"));
        let r = run(dir.path(), &[
            "landscape", "--model", file.to_str().unwrap(), "--sharpness", "--top-k", "3",
            "--dataset", "iris", "--val-split", "0", "--out", name, "--json",
        ]);
        r.success();
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let sh = &v["sharpness"];
        let got_loss = sh["loss"].as_f64().unwrap();
        // the inputs are standardised in a slightly different order of f32 operations
        assert!((got_loss - loss).abs() < 1e-6 * loss, "{name}: loss {got_loss} vs {loss}");
        for (k, w) in want.iter().enumerate() {
            let g = sh["eigenvalues"][k].as_f64().unwrap();
            assert!((g - w).abs() < 1e-5 * w, "{name}: eigenvalue {k}: {g} vs PyTorch {w}");
        }
    }
}

#[test]
fn compare_sharpness_column_equals_landscape_sharpness() {
    let dir = tempdir();
    let d = dir.path();
    let mut args = vec![
        "compare",
        "--arms",
        "constant:lr=0.05;sgdr:lr=0.1,t0=2",
        "--seeds",
        "2",
        "--epochs",
        "4",
        "--hidden",
        "12",
        "--sharpness",
        "--out",
        "cmp",
        "--quiet",
    ];
    args.extend(words("--dataset wine --val-split 0.25"));
    run(d, &args).success();
    let text = fs::read_to_string(d.join("cmp/results.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let rows: Vec<Vec<&str>> = lines.map(|l| l.split(',').collect()).collect();
    assert_eq!(rows.len(), 4);
    for row in &rows {
        let (arm, seed) = (row[col("arm")], row[col("seed")]);
        let folder = format!("cmp/runs/{arm}-seed{seed}");
        let r = run(
            d,
            &[
                "landscape",
                "--model",
                &folder,
                "--sharpness",
                "--dataset",
                "wine",
                "--val-split",
                "0.25",
                "--seed",
                seed,
                "--out",
                "one",
                "--json",
            ],
        );
        r.success();
        let v: Value = serde_json::from_str(&r.stdout).unwrap();
        let sh = &v["sharpness"];
        let top: f64 = row[col("top_hessian_eigenvalue")].parse().unwrap();
        let eps: f64 = row[col("epsilon_sharpness")].parse().unwrap();
        assert_eq!(top, sh["eigenvalues"][0].as_f64().unwrap(), "{folder}");
        assert_eq!(eps, sh["epsilon_sharpness"].as_f64().unwrap(), "{folder}");
    }
    let report = fs::read_to_string(d.join("cmp/report.md")).unwrap();
    assert!(report.contains("## Sharpness"), "{report}");
    let page = fs::read_to_string(d.join("cmp/report.html")).unwrap();
    assert!(page.contains("<h2>Sharpness</h2>"));
    let summary = json(&d.join("cmp/summary.json"));
    assert!(summary["runs"][0]["sharpness"]["top_eigenvalue"].is_f64());
}
