//! `report.html`: one self-contained page for a run folder of `train`, `find-lr`,
//! `snapshot-ensemble` or `compare`, built only from the folder's `summary.json` and SVG plots
//! (inlined), so it opens offline and needs no JavaScript. It holds no time or path of its own
//! making: the same folder gives the same bytes (wall times stay in `timing.json`).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use serde_json::Value;

use crate::commands::common::fmt_num;
use crate::output::OutDir;

/// The report's file name inside a run folder.
pub const FILE: &str = "report.html";

/// Render the report of the run folder `dir` and write it there as `report.html` (recorded in the
/// folder's manifest like every other file of the run).
pub fn write(out: &mut OutDir) -> anyhow::Result<()> {
    let html = render(out.path())?;
    out.write_atomic(FILE, html.as_bytes())?;
    Ok(())
}

/// The HTML page for the run folder `dir`.
pub fn render(dir: &Path) -> anyhow::Result<String> {
    let shown = dir.display();
    let text = fs::read_to_string(dir.join("summary.json")).map_err(|e| {
        crate::input_err!("{shown}: cannot read summary.json ({e}); is it an lrtool run folder?")
    })?;
    let summary: Value = serde_json::from_str(&text)
        .map_err(|e| crate::input_err!("{shown}/summary.json: not valid JSON: {e}"))?;
    let command = summary["command"].as_str().unwrap_or("");
    let mut page = Page::default();
    match command {
        "train" => train(&mut page, dir, &summary),
        "find-lr" => find_lr(&mut page, dir, &summary),
        "snapshot-ensemble" => snapshot_ensemble(&mut page, dir, &summary),
        "compare" => compare(&mut page, dir, &summary),
        other => crate::input_bail!(
            "{shown}/summary.json: command \"{other}\" has no report (train, find-lr, snapshot-ensemble or compare)"
        ),
    }
    Ok(page.finish(command, &summary))
}

/// The page being built: a title line, a subtitle and the body.
#[derive(Default)]
struct Page {
    subtitle: String,
    body: String,
}

impl Page {
    fn h2(&mut self, title: &str) {
        let _ = writeln!(self.body, "<h2>{}</h2>", esc(title));
    }

    fn p(&mut self, text: &str) {
        let _ = writeln!(self.body, "<p>{}</p>", esc(text));
    }

    /// A table: header cells and rows, all escaped; numeric-looking cells right-aligned.
    fn table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        let mut t = String::from("<table>\n<thead><tr>");
        for h in header {
            let _ = write!(t, "<th>{}</th>", esc(h));
        }
        t.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            t.push_str("<tr>");
            for cell in row {
                let class = if looks_numeric(cell) {
                    " class=\"num\""
                } else {
                    ""
                };
                let _ = write!(t, "<td{class}>{}</td>", esc(cell));
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</tbody>\n</table>\n");
        self.body.push_str(&t);
    }

    /// Key–value rows.
    fn facts(&mut self, rows: &[(&str, String)]) {
        let mut t = String::from("<table class=\"facts\">\n<tbody>\n");
        for (k, v) in rows {
            let _ = writeln!(t, "<tr><th>{}</th><td>{}</td></tr>", esc(k), esc(v));
        }
        t.push_str("</tbody>\n</table>\n");
        self.body.push_str(&t);
    }

    /// Shell commands, one per line.
    fn commands(&mut self, lines: &[String]) {
        if lines.is_empty() {
            return;
        }
        let joined = lines.iter().map(|l| esc(l)).collect::<Vec<_>>().join("\n");
        let _ = writeln!(self.body, "<pre class=\"cmd\">{joined}</pre>");
    }

    /// Inline `dir/name` as a figure when the file is there (a missing plot is said so).
    fn plot(&mut self, dir: &Path, name: &str, caption: &str) {
        match fs::read_to_string(dir.join(name)) {
            Ok(svg) if svg.trim_start().starts_with("<svg") => {
                let _ = writeln!(
                    self.body,
                    "<figure class=\"plot\" id=\"plot-{}\">\n{}\n<figcaption>{} <span class=\"file\">({})</span></figcaption>\n</figure>",
                    esc(&name.replace(['.', '/'], "-")),
                    svg.trim_end(),
                    esc(caption),
                    esc(name)
                );
            }
            _ => {
                let _ = writeln!(
                    self.body,
                    "<p class=\"missing\">{} is missing from this folder.</p>",
                    esc(name)
                );
            }
        }
    }

    fn finish(self, command: &str, summary: &Value) -> String {
        let version = summary["lrtool_version"].as_str().unwrap_or("");
        let title = format!("lrtool {command}");
        format!(
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<meta name=\"generator\" content=\"lrtool {v}\">\n<title>{t}</title>\n<style>\n{CSS}</style>\n</head>\n<body>\n<header>\n<h1>{t}</h1>\n<p class=\"subtitle\">{s}</p>\n</header>\n<main>\n{b}</main>\n<footer>Written by lrtool {v} from this folder's summary.json and SVG plots; the CSV logs and the weights are beside it. Wall times are in timing.json.</footer>\n</body>\n</html>\n",
            v = esc(version),
            t = esc(&title),
            s = esc(&self.subtitle),
            b = self.body,
        )
    }
}

const CSS: &str = "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1000px; padding: 1em 1.5em; color: #1d1d1f; background: #fff; line-height: 1.45; }
h1 { margin-bottom: 0.1em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
table.facts th { background: #f7f7f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
pre.cmd { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.7em; overflow-x: auto; font-size: 0.88em; }
figure.plot { margin: 1em 0; }
figure.plot svg { display: block; max-width: 100%; height: auto; border: 1px solid #eee; }
figcaption { color: #555; font-size: 0.9em; margin-top: 0.3em; }
.file { color: #888; }
.missing, .warn { color: #a33; }
footer { margin-top: 2.5em; color: #777; font-size: 0.85em; border-top: 1px solid #ddd; padding-top: 0.6em; }
";

/// HTML text escaping.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn looks_numeric(s: &str) -> bool {
    let s = s.trim_start_matches(['+', '-', '−']);
    !s.is_empty()
        && s.chars().next().is_some_and(|c| c.is_ascii_digit())
        && s.chars()
            .all(|c| c.is_ascii_digit() || ".e-+ ±×%".contains(c))
}

/// A JSON number for people (4 significant digits), "–" when absent.
fn num(v: &Value) -> String {
    fmt_num(v.as_f64())
}

/// A learning rate: 3 significant digits in scientific notation.
fn lr(v: &Value) -> String {
    v.as_f64().map_or("–".into(), |x| format!("{x:.2e}"))
}

/// A configured value as given: shortest form, scientific when tiny or huge.
fn plain(x: f64) -> String {
    if x != 0.0 && (x.abs() < 1e-3 || x.abs() >= 1e5) {
        format!("{x:e}")
    } else {
        format!("{x}")
    }
}

/// A JSON scalar as text ("–" for null).
fn text(v: &Value) -> String {
    match v {
        Value::Null => "–".into(),
        Value::String(s) => s.clone(),
        Value::Bool(b) => if *b { "yes" } else { "no" }.into(),
        Value::Number(n) => match (n.as_i64(), n.as_u64()) {
            (Some(i), _) => i.to_string(),
            (_, Some(u)) => u.to_string(),
            _ => num(v),
        },
        other => other.to_string(),
    }
}

/// `name: key value, …` for a JSON object such as a schedule or optimizer configuration.
fn object_line(v: &Value, skip: &[&str]) -> String {
    let Some(map) = v.as_object() else {
        return text(v);
    };
    let name = map.get("name").and_then(Value::as_str).unwrap_or("");
    let rest: Vec<String> = map
        .iter()
        .filter(|(k, v)| k.as_str() != "name" && !skip.contains(&k.as_str()) && !v.is_null())
        .map(|(k, v)| match v {
            Value::Number(_) if k.contains("lr") => format!("{k} {}", lr(v)),
            Value::Number(n) if n.as_f64().is_some_and(|x| x.fract() != 0.0) => {
                format!("{k} {}", plain(n.as_f64().unwrap_or(0.0)))
            }
            Value::Number(n) if n.as_f64() == Some(0.0) => format!("{k} 0"),
            Value::Array(a) => format!("{k} {}", a.iter().map(text).collect::<Vec<_>>().join(",")),
            Value::Object(_) => format!("{k} ({})", object_line(v, &[])),
            _ => format!("{k} {}", text(v)),
        })
        .collect();
    match (name.is_empty(), rest.is_empty()) {
        (true, _) => rest.join(", "),
        (false, true) => name.to_string(),
        (false, false) => format!("{name}: {}", rest.join(", ")),
    }
}

fn model_line(s: &Value) -> String {
    let sizes = s["model"]["sizes"]
        .as_array()
        .map(|a| a.iter().map(text).collect::<Vec<_>>().join("-"))
        .unwrap_or_default();
    format!(
        "MLP {sizes} {} ({} parameters)",
        s["model"]["activation"].as_str().unwrap_or(""),
        text(&s["model"]["parameters"])
    )
}

fn dataset_line(s: &Value) -> String {
    let d = &s["dataset"];
    let kind = match d["task"].as_str() {
        Some("regress") => "regression".to_string(),
        _ => format!("{} classes", text(&d["classes"])),
    };
    format!(
        "{} ({} rows × {} features, {kind}; {} train / {} validation)",
        d["name"].as_str().unwrap_or("?"),
        text(&d["samples"]),
        text(&d["features"]),
        text(&d["train_rows"]),
        text(&d["val_rows"])
    )
}

/// "acc" or "r2", from the dataset's task.
fn metric(s: &Value) -> &'static str {
    match s["dataset"]["task"].as_str() {
        Some("regress") => "r2",
        _ => "acc",
    }
}

/// Dataset, model and optimizer rows shared by the training commands.
fn run_facts(s: &Value) -> Vec<(&'static str, String)> {
    let mut rows = vec![
        ("dataset", dataset_line(s)),
        ("model", model_line(s)),
        (
            "optimizer",
            object_line(&s["config"]["optimizer"], &["decoupled"]),
        ),
    ];
    if let Some(from) = s["model"]["init_from"].as_str() {
        rows.push(("initial weights", from.to_string()));
    }
    rows
}

/// `run_facts` plus the schedule, the length of training and how it ended (train and
/// snapshot-ensemble).
fn training_facts(s: &Value) -> Vec<(&'static str, String)> {
    let run = &s["config"]["run"];
    let mut facts = run_facts(s);
    facts.push(("schedule", object_line(&s["config"]["schedule"], &[])));
    facts.push((
        "training",
        format!(
            "{} epochs × {} steps of {} rows, seed {}",
            text(&run["epochs"]),
            text(&s["steps_per_epoch"]),
            text(&run["batch_size"]),
            text(&run["seed"])
        ),
    ));
    facts.push(("end", end_status(&s["result"]["end"])));
    facts
}

/// The command line when the summary keeps it, else the one rebuilt from the configuration.
fn command_line(s: &Value, rebuilt: String) -> String {
    s["command_line"]
        .as_str()
        .map(|c| {
            // the program as invoked may be a path (target/release/lrtool)
            match c.split_once(' ') {
                Some((prog, rest)) if prog.ends_with("lrtool") => format!("lrtool {rest}"),
                _ => c.to_string(),
            }
        })
        .unwrap_or(rebuilt)
}

/// `--dataset … --optimizer …` and the model flags that differ from the defaults.
fn base_flags(s: &Value) -> String {
    let c = &s["config"];
    let mut f = format!(
        "--dataset {} --optimizer {}",
        c["data"]["dataset"].as_str().unwrap_or("digits"),
        c["optimizer"]["name"].as_str().unwrap_or("adam")
    );
    if let Some(h) = c["model"]["hidden"].as_array() {
        let h: Vec<String> = h.iter().map(text).collect();
        if h != ["128", "64"] {
            let _ = write!(f, " --hidden {}", h.join(","));
        }
    }
    if let Some(a) = c["model"]["activation"].as_str()
        && a != "relu"
    {
        let _ = write!(f, " --activation {a}");
    }
    if let Some(m) = c["optimizer"]["momentum"].as_f64()
        && m != 0.0
    {
        let _ = write!(f, " --momentum {m}");
    }
    f
}

fn end_status(end: &Value) -> String {
    match end["status"].as_str() {
        Some("diverged") => format!(
            "diverged at step {} (lr {}, loss {})",
            text(&end["step"]),
            lr(&end["lr"]),
            text(&end["loss"])
        ),
        Some("stopped") => format!("stopped: {}", text(&end["reason"])),
        Some(s) => s.to_string(),
        None => "–".into(),
    }
}

fn train(page: &mut Page, dir: &Path, s: &Value) {
    let m = metric(s);
    let r = &s["result"];
    let run = &s["config"]["run"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(s),
        model_line(s),
        object_line(&s["config"]["schedule"], &[])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool train {} --lr {} --epochs {} --batch-size {} --seed {}",
        base_flags(s),
        text(&run["lr"]),
        text(&run["epochs"]),
        text(&run["batch_size"]),
        text(&run["seed"])
    );
    page.commands(&[command_line(s, rebuilt)]);
    page.facts(&training_facts(s));

    page.h2("Results");
    let row = |label: &str, e: &Value| {
        vec![
            label.to_string(),
            text(&e["epoch"]),
            num(&e["train_loss"]),
            num(&e[format!("train_{m}")]),
            num(&e["val_loss"]),
            num(&e[format!("val_{m}")]),
        ]
    };
    let (tm, vm) = (format!("train {m}"), format!("val {m}"));
    page.table(
        &["", "epoch", "train loss", &tm, "val loss", &vm],
        &[
            row("final", &r["final"]),
            row("best val loss", &r["best_val_loss"]),
        ],
    );
    page.h2("Plots");
    page.plot(
        dir,
        "loss.svg",
        "Loss per mini-batch and per epoch; accuracy (R²) per epoch.",
    );
    page.plot(
        dir,
        "lr.svg",
        "The learning rate (and momentum when it moves) at every step.",
    );

    let lr_used = run["lr"].as_f64().unwrap_or(1e-3);
    let epochs = text(&run["epochs"]);
    let base = base_flags(s);
    next(
        page,
        &[
            format!("lrtool find-lr {base}"),
            format!(
                "lrtool compare {base} --epochs {epochs} --arms \"constant:lr={};cosine:lr={};sgdr:lr={},t0=1,t-mult=2\" --seeds 3",
                short(lr_used),
                short(lr_used),
                short(lr_used)
            ),
            format!(
                "lrtool snapshot-ensemble {base} --lr {} --epochs {epochs} --cycles 5 --baseline",
                short(lr_used)
            ),
        ],
    );
}

fn short(x: f64) -> String {
    format!("{x:.3e}")
}

fn next(page: &mut Page, lines: &[String]) {
    page.h2("Next commands to try");
    page.commands(lines);
}

fn find_lr(page: &mut Page, dir: &Path, s: &Value) {
    let c = &s["config"]["sweep"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(s),
        model_line(s),
        object_line(&s["config"]["optimizer"], &["decoupled"])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool find-lr {} --min {} --max {} --batch-size {} --seed {}",
        base_flags(s),
        text(&c["min"]),
        text(&c["max"]),
        text(&c["batch_size"]),
        text(&c["seed"])
    );
    page.commands(&[command_line(s, rebuilt)]);
    page.p("The LR range test trains a fresh model while the learning rate rises after every mini-batch, and records the loss. At low rates the loss barely moves, then it falls steeply, then it diverges; good learning rates lie in the steep part, below the point of divergence.");
    let mut facts = run_facts(s);
    facts.push((
        "sweep",
        format!(
            "{} → {} ({}, {} steps of {} rows), smoothing β {}, seed {}, {} repeat(s)",
            lr(&s["range"]["min"]),
            lr(&s["range"]["max"]),
            text(&s["range"]["mode"]),
            text(&s["range"]["steps"]),
            text(&c["batch_size"]),
            text(&c["smooth"]),
            text(&c["seed"]),
            text(&c["repeats"])
        ),
    ));
    if let Some(sweeps) = s["sweeps"].as_array() {
        for sw in sweeps {
            let ended = &sw["ended"];
            let how = match ended["end"].as_str() {
                Some("diverged") => format!("diverged at step {}", text(&ended["step"])),
                Some(e) => e.to_string(),
                None => text(ended),
            };
            facts.push((
                "sweep ended",
                format!(
                    "seed {}: {how}, {} steps recorded, last lr {}",
                    text(&sw["seed"]),
                    text(&sw["steps_recorded"]),
                    lr(&sw["last_lr"])
                ),
            ));
        }
    }
    if s["interrupted"].as_bool() == Some(true) {
        facts.push((
            "interrupted",
            "yes: suggestions from the curve so far".into(),
        ));
    }
    page.facts(&facts);

    page.h2("Suggestions");
    let mut rows: Vec<Vec<String>> = s["suggestions"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|m| {
                    vec![
                        text(&m["method"]),
                        lr(&m["lr"]),
                        m["iqr_decades"]
                            .as_f64()
                            .map_or("–".into(), |d| format!("{d:.2}")),
                        method_note(m["method"].as_str().unwrap_or("")).into(),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let cons = &s["consensus"];
    rows.push(vec![
        "consensus".into(),
        lr(&cons["lr"]),
        s["consensus_iqr_decades"]
            .as_f64()
            .map_or("–".into(), |d| format!("{d:.2}")),
        format!(
            "geometric middle of the methods; they span {} decades{}",
            cons["spread_decades"]
                .as_f64()
                .map_or("–".into(), |d| format!("{d:.1}")),
            if cons["disagree"].as_bool() == Some(true) {
                " (they disagree: read the plot)"
            } else {
                ""
            }
        ),
    ]);
    if s["consensus_iqr_decades"].is_null() {
        // one sweep: no spread to show
        for r in &mut rows {
            r.remove(2);
        }
        page.table(&["method", "learning rate", "what it is"], &rows);
    } else {
        page.table(
            &[
                "method",
                "learning rate",
                "IQR over repeats (decades)",
                "what it is",
            ],
            &rows,
        );
    }
    let b = &s["schedule_bounds"];
    if !b["one_cycle_max_lr"].is_null() {
        page.facts(&[
            (
                "triangular (CLR) bounds",
                format!(
                    "base {} → max {}",
                    lr(&b["triangular"]["base_lr"]),
                    lr(&b["triangular"]["max_lr"])
                ),
            ),
            ("one-cycle max lr", lr(&b["one_cycle_max_lr"])),
        ]);
    }
    let ph = &s["phases"];
    page.facts(&[(
        "phases seen",
        format!(
            "flat start {}, descent {}, divergence {}",
            text(&ph["flat_start"]),
            text(&ph["descent"]),
            text(&ph["divergence"])
        ),
    )]);
    if let Some(advice) = ph["advice"].as_array() {
        for a in advice {
            let _ = writeln!(page.body, "<p class=\"warn\">{}</p>", esc(&text(a)));
        }
    }
    if let Some(note) = s["note"].as_str() {
        page.p(&format!("Note: {note}."));
    }
    page.h2("Plot");
    page.plot(dir, "find-lr.svg", "Loss against the learning rate (log scale), raw and smoothed, with one marker per suggestion.");

    let mut lines: Vec<String> = s["next_commands"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    if let Some(first) = lines.first().cloned()
        && let Some(rest) = first.strip_prefix("lrtool train ")
    {
        let epochs = "--epochs 10";
        lines.push(format!(
            "lrtool snapshot-ensemble {rest} {epochs} --cycles 5 --baseline"
        ));
    }
    next(page, &lines);
}

fn method_note(method: &str) -> &'static str {
    match method {
        "steepest" => "where the smoothed loss falls fastest against log10(lr)",
        "valley" => "fastai's valley: inside the longest descent, before the bottom",
        "minimum" => "a tenth of the LR at the lowest smoothed loss",
        "slide" => "fastai's slide: where the loss stops falling, walked back",
        _ => "",
    }
}

fn snapshot_ensemble(page: &mut Page, dir: &Path, s: &Value) {
    let m = metric(s);
    let r = &s["result"];
    let run = &s["config"]["run"];
    let ens = &s["config"]["ensemble"];
    page.subtitle = format!(
        "{} · {} · {}",
        dataset_line(s),
        model_line(s),
        object_line(&s["config"]["schedule"], &[])
    );
    page.h2("Run");
    let rebuilt = format!(
        "lrtool snapshot-ensemble {} --lr {} --epochs {} --cycles {} --seed {}{}",
        base_flags(s),
        text(&run["lr"]),
        text(&run["epochs"]),
        text(&ens["snapshots"]),
        text(&run["seed"]),
        if ens["baseline"].is_null() {
            ""
        } else {
            " --baseline"
        }
    );
    page.commands(&[command_line(s, rebuilt)]);
    page.p("A snapshot ensemble trains once under a learning rate that restarts every cycle, keeps the weights at the end of each cycle (where the LR is lowest), and averages the class probabilities of the last few snapshots.");
    page.facts(&training_facts(s));

    page.h2("Snapshots");
    let vm = format!("val {m}");
    let evm = format!("ensemble val {m}");
    let rows: Vec<Vec<String>> = r["snapshots"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|x| {
                    vec![
                        text(&x["k"]),
                        text(&x["epoch"]),
                        text(&x["step"]),
                        lr(&x["lr"]),
                        num(&x["val_loss"]),
                        num(&x[format!("val_{m}")]),
                        num(&x["ens_val_loss"]),
                        num(&x[format!("ens_val_{m}")]),
                        text(&x["file"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    page.table(
        &[
            "snapshot",
            "epoch",
            "step",
            "lr",
            "val loss",
            &vm,
            "ensemble val loss",
            &evm,
            "file",
        ],
        &rows,
    );
    page.h2("Ensembles and baselines");
    let mut rows: Vec<Vec<String>> = r["ensembles"]
        .as_array()
        .map(|a| {
            a.iter()
                .map(|e| {
                    vec![
                        format!("last {} snapshots", text(&e["m"])),
                        e["snapshots"]
                            .as_array()
                            .map(|v| v.iter().map(text).collect::<Vec<_>>().join(", "))
                            .unwrap_or_default(),
                        num(&e["val_loss"]),
                        num(&e[format!("val_{m}")]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let f = &r["final"];
    if f.is_object() {
        rows.push(vec![
            "final model".into(),
            f["same_weights_as_snapshot"]
                .as_u64()
                .map_or("–".into(), |k| format!("= snapshot {k}")),
            num(&f["val_loss"]),
            num(&f[format!("val_{m}")]),
        ]);
    }
    let b = &r["baseline"];
    if b.is_object() {
        rows.push(vec![
            format!("baseline ({})", object_line(&b["schedule"], &[])),
            end_status(&b["end"]),
            num(&b["val_loss"]),
            num(&b[format!("val_{m}")]),
        ]);
    }
    page.table(&["model", "snapshots", "val loss", &vm], &rows);
    page.h2("Plots");
    page.plot(
        dir,
        "snapshot-ensemble.svg",
        "Each snapshot alone and the ensemble of the snapshots so far, on the validation split.",
    );
    page.plot(
        dir,
        "loss.svg",
        "Loss per mini-batch and per epoch; accuracy (R²) per epoch.",
    );
    page.plot(
        dir,
        "lr.svg",
        "The cyclic learning rate; a snapshot is taken at the end of every cycle.",
    );

    let mut models = String::new();
    if let Some(a) = r["snapshots"].as_array() {
        for x in a.iter().rev().take(3).rev() {
            if let Some(f) = x["file"].as_str() {
                let _ = write!(models, " --model {}", dir.join(f).display());
            }
        }
    }
    let mut lines = Vec::new();
    if !models.is_empty() {
        lines.push(format!(
            "lrtool evaluate{models} --dataset {} --seed {}",
            s["config"]["data"]["dataset"].as_str().unwrap_or("digits"),
            text(&run["seed"])
        ));
    }
    lines.push(format!(
        "lrtool compare {} --epochs {} --arms \"snapshot:command=snapshot-ensemble,lr={},cycles={};cosine:lr={}\" --seeds 3",
        base_flags(s),
        text(&run["epochs"]),
        short(run["lr"].as_f64().unwrap_or(1e-3)),
        text(&ens["snapshots"]),
        short(run["lr"].as_f64().unwrap_or(1e-3)),
    ));
    next(page, &lines);
}

fn compare(page: &mut Page, dir: &Path, s: &Value) {
    let exp = &s["experiment"];
    let m = exp["metric"].as_str().unwrap_or("acc");
    let arms = exp["arms"].as_array().cloned().unwrap_or_default();
    let seeds: Vec<String> = exp["seeds"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    let shared: Vec<String> = exp["shared"]
        .as_array()
        .map(|a| a.iter().map(text).collect())
        .unwrap_or_default();
    // dataset and model from the first run that left a summary
    let first_run: Option<Value> = s["runs"].as_array().and_then(|runs| {
        runs.iter().find_map(|r| {
            let folder = r["folder"].as_str()?;
            let text = fs::read_to_string(dir.join(folder).join("summary.json")).ok()?;
            serde_json::from_str(&text).ok()
        })
    });
    page.subtitle = format!(
        "{} arm{} × {} seed{}{}",
        arms.len(),
        if arms.len() == 1 { "" } else { "s" },
        seeds.len(),
        if seeds.len() == 1 { "" } else { "s" },
        first_run.as_ref().map_or(String::new(), |r| format!(
            " · {} · {}",
            dataset_line(r),
            model_line(r)
        ))
    );
    page.h2("Experiment");
    let arm_spec = arms
        .iter()
        .map(|a| {
            let o: Vec<String> = a["overrides"]
                .as_array()
                .map(|v| v.iter().map(text).collect())
                .unwrap_or_default();
            format!("{}:{}", text(&a["name"]), o.join(","))
        })
        .collect::<Vec<_>>()
        .join(";");
    page.commands(&[format!(
        "lrtool compare {} --arms '{arm_spec}' --seeds {}",
        shared.join(" "),
        seeds.join(",")
    )]);
    if let Some(d) = exp["description"].as_str() {
        page.p(d);
    }
    let mut facts = vec![("shared flags", shared.join(" "))];
    if let Some(r) = &first_run {
        facts.push(("dataset", dataset_line(r)));
        facts.push(("model", model_line(r)));
        facts.push((
            "optimizer",
            object_line(&r["config"]["optimizer"], &["decoupled"]),
        ));
    }
    facts.push(("seeds", seeds.join(", ")));
    if let Some(t) = exp["target"].as_object() {
        facts.push((
            "target",
            format!(
                "{} {}",
                t.get("kind").map_or("–".into(), text),
                t.get("value").map_or("–".into(), text)
            ),
        ));
    }
    if let Some(sh) = s["shard"].as_array() {
        facts.push((
            "shard",
            sh.iter().map(text).collect::<Vec<_>>().join(" of "),
        ));
    }
    page.facts(&facts);
    let rows: Vec<Vec<String>> = arms
        .iter()
        .map(|a| {
            vec![
                text(&a["name"]),
                text(&a["command"]),
                text(&a["schedule"]),
                format!("{} × {}", text(&a["epochs"]), text(&a["steps_per_epoch"])),
            ]
        })
        .collect();
    page.table(
        &["arm", "command", "schedule (first seed)", "epochs × steps"],
        &rows,
    );

    page.h2("Results per arm");
    page.p("Mean ± sample standard deviation over the seeds that finished; Δ is the arm's final value minus the first arm's of the same seed, averaged over seeds.");
    let pm = |v: &Value| -> String {
        match (v["mean"].as_f64(), v["std"].as_f64()) {
            (Some(mean), Some(sd)) => format!("{} ± {}", fmt_num(Some(mean)), fmt_num(Some(sd))),
            (Some(mean), None) => fmt_num(Some(mean)),
            _ => "–".into(),
        }
    };
    let stats = s["arms"].as_array().cloned().unwrap_or_default();
    let has_ens = stats
        .iter()
        .any(|a| a["ensemble_val_metric"]["n"].as_u64() > Some(0));
    let has_target = !exp["target"].is_null();
    let rows: Vec<Vec<String>> = stats
        .iter()
        .map(|a| {
            let mut row = vec![
                text(&a["name"]),
                format!("{}/{}", text(&a["finished"]), text(&a["runs"])),
                text(&a["diverged"]),
                pm(&a["final_val_metric"]),
                pm(&a["final_val_metric_vs_first"]),
                pm(&a["best_val_metric"]),
                pm(&a["final_val_loss"]),
            ];
            if has_ens {
                row.push(pm(&a["ensemble_val_metric"]));
            }
            if has_target {
                row.push(format!("{}/{}", text(&a["reached"]), text(&a["runs"])));
                row.push(pm(&a["steps_to_target"]));
            }
            row
        })
        .collect();
    let (fm, dm, bm, em) = (
        format!("final val {m}"),
        format!("Δ final val {m}"),
        format!("best val {m}"),
        format!("ensemble val {m}"),
    );
    let mut header = vec![
        "arm",
        "finished",
        "diverged",
        fm.as_str(),
        dm.as_str(),
        bm.as_str(),
        "final val loss",
    ];
    if has_ens {
        header.push(em.as_str());
    }
    if has_target {
        header.extend(["reached target", "steps to target"]);
    }
    page.table(&header, &rows);

    page.h2("Plots");
    page.plot(dir, "val.svg", "Validation accuracy (R²) and loss per epoch: the median over seeds per arm, with faint min and max lines.");
    page.plot(
        dir,
        "loss.svg",
        "Training loss per step, median over seeds per arm.",
    );
    page.plot(dir, "lr.svg", "The schedules of the arms.");

    page.h2("Runs");
    let rows: Vec<Vec<String>> = s["runs"]
        .as_array()
        .map(|runs| {
            runs.iter()
                .map(|r| {
                    vec![
                        text(&r["arm"]),
                        text(&r["seed"]),
                        text(&r["status"]),
                        text(&r["steps"]),
                        num(&r["final"][format!("val_{m}")]),
                        num(&r["final"]["val_loss"]),
                        num(&r[format!("best_val_{m}")]["value"]),
                        text(&r["folder"]),
                    ]
                })
                .collect()
        })
        .unwrap_or_default();
    let (fm2, bm2) = (format!("final val {m}"), format!("best val {m}"));
    page.table(
        &[
            "arm",
            "seed",
            "status",
            "steps",
            &fm2,
            "final val loss",
            &bm2,
            "folder",
        ],
        &rows,
    );

    // the best arm by mean final metric
    let best = stats
        .iter()
        .filter_map(|a| Some((a["final_val_metric"]["mean"].as_f64()?, text(&a["name"]))))
        .max_by(|a, b| a.0.partial_cmp(&b.0).unwrap_or(std::cmp::Ordering::Equal));
    let mut lines = Vec::new();
    if let (Some((_, name)), Some(seed)) = (best, seeds.first()) {
        lines.push(format!(
            "lrtool report {}",
            dir.join("runs")
                .join(format!("{name}-seed{seed}"))
                .display()
        ));
    }
    lines.push(format!(
        "lrtool compare {} --arms '{arm_spec}' --seeds {}",
        shared.join(" "),
        (seeds.len().max(1) * 2).min(10)
    ));
    next(page, &lines);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            esc("<a href=\"x\">&'"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39;"
        );
    }

    #[test]
    fn object_lines_read_well() {
        let v = serde_json::json!({"name": "sgdr", "lr": 0.05, "t0": 2, "min_lr": null});
        assert_eq!(object_line(&v, &[]), "sgdr: lr 5.00e-2, t0 2");
    }

    #[test]
    fn refuses_a_folder_without_summary() {
        let tmp = tempfile::tempdir().unwrap();
        let err = render(tmp.path()).unwrap_err();
        assert!(crate::error::is_input_error(&err), "{err}");
    }
}
