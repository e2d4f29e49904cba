//! `lrtool predict`: predictions of one saved model, or of the ensemble of several (uniform average
//! of probabilities), for the rows of a CSV file, written as CSV `row,predicted,p_<class>…`
//! (regression: `row,predicted`).

use std::fmt::Write as _;

use crate::cli::PredictArgs;
use crate::commands::common::{json_text, print_stdout};
use crate::commands::evaluate::{SavedModel, load_models, prediction_estimate, trained_on};
use crate::data::Task;
use crate::ensemble::{self, Predictions};
use crate::input_bail;
use serde_json::{Map, Value, json};

pub fn run(args: PredictArgs) -> anyhow::Result<()> {
    if let Some(out) = &args.output {
        // the same file by any spelling or hard link: the predictions would replace their input
        let inputs = args.models.iter().map(|m| ("--model", m));
        for (flag, input) in inputs.chain(std::iter::once(("--input", &args.input))) {
            if crate::output::same_path(out, input) {
                input_bail!(
                    "--output {}: is the same file as {flag} {}; write the predictions elsewhere",
                    out.display(),
                    input.display()
                );
            }
        }
    }
    let models = load_models(&args.models)?;
    let first = &models[0];
    let Some(names) = &first.feature_names else {
        input_bail!(
            "--model {}: the file names no features (metadata \"feature_names\"), so the --input columns cannot be matched",
            first.path.display()
        );
    };
    for m in &models {
        if m.standardizer.is_none() {
            input_bail!(
                "--model {}: the file holds no feature statistics (metadata \"feature_mean\", \"feature_std\"); predict needs the model's own standardisation",
                m.path.display()
            );
        }
    }
    let source = format!("--input {}", args.input.display());
    let bytes = crate::limits::read(&args.input, &source, crate::limits::Kind::CsvData)?;
    check_memory(&models, &bytes, &source)?;
    // unseen categories per column and the rows holding any (for a CSV-trained model)
    let mut unseen_summary: Option<(Vec<(String, usize)>, usize)> = None;
    let raw = match &first.columns {
        // a CSV-trained model reads its columns by name and encodes them as in training
        Some(enc) => {
            let (raw, unseen) = crate::data::csv::encode::read_encoded(&bytes, &source, enc)
                .map_err(|e| {
                    if crate::error::is_input_error(&e) {
                        crate::input_err!("{e:#}; {}", trained_on(first, enc))
                    } else {
                        e
                    }
                })?;
            let counts = enc.unseen_counts(&unseen);
            let rows = {
                let mut r: Vec<usize> = unseen.iter().map(|(i, _)| *i).collect();
                r.dedup();
                r.len()
            };
            if !counts.is_empty() {
                crate::error::eprint_line(&format!(
                    "lrtool predict: {} ({} of {}) hold categories the model never saw; \
                     encoded as all zeros",
                    crate::data::csv::encode::describe_counts(&counts),
                    rows,
                    crate::words::count(raw.nrows(), "row")
                ));
            }
            unseen_summary = Some((counts, rows));
            raw
        }
        None => crate::data::csv::read_columns(&bytes, &source, names)?,
    };
    let predictions = models
        .iter()
        .map(|m| m.predict(&raw, None))
        .collect::<anyhow::Result<Vec<_>>>()?;
    let refs: Vec<&Predictions> = predictions.iter().collect();
    let pred = ensemble::average(&refs)?;

    let mut text = String::new();
    match &pred {
        Predictions::LogProbabilities(p) => {
            let classes: Vec<String> = match &first.class_names {
                Some(n) => n.clone(),
                None => (0..p.ncols()).map(|j| j.to_string()).collect(),
            };
            text.push_str("row,predicted");
            for c in &classes {
                text.push(',');
                text.push_str(&quote(&format!("p_{c}")));
            }
            text.push('\n');
            for (i, row) in p.rows().into_iter().enumerate() {
                let best = ensemble::argmax(row.iter());
                let _ = write!(text, "{i},{}", quote(&classes[best]));
                for log_p in row {
                    let _ = write!(text, ",{}", log_p.exp());
                }
                text.push('\n');
            }
        }
        Predictions::Values(v) => {
            debug_assert_eq!(first.task, Task::Regress);
            text.push_str("row,predicted\n");
            for (i, value) in v.iter().enumerate() {
                let _ = writeln!(text, "{i},{value}");
            }
        }
    }
    if let Some(path) = &args.output {
        crate::output::write_atomic(path, text.as_bytes())
            .map_err(|e| crate::input_err!("--output {}: {e:#}", path.display()))?;
    }
    if args.json {
        let summary = PredictSummary {
            input: &args.input,
            models: &models,
            output: args.output.as_deref(),
            unseen: unseen_summary.as_ref(),
        };
        return print_stdout(&json_text(&summary.json(&pred, first)));
    }
    match &args.output {
        Some(_) => Ok(()),
        None => print_stdout(&text),
    }
}

/// What `predict --json` prints: the input, the models, the rows, the categories the model never
/// saw (per column, and the rows holding any), and the predictions themselves unless they went
/// to `--output`.
struct PredictSummary<'a> {
    input: &'a std::path::Path,
    models: &'a [SavedModel],
    output: Option<&'a std::path::Path>,
    unseen: Option<&'a (Vec<(String, usize)>, usize)>,
}

impl PredictSummary<'_> {
    fn json(&self, pred: &Predictions, first: &SavedModel) -> Value {
        let mut v = json!({
            "input": self.input.display().to_string(),
            "models": self.models.iter().map(|m| m.path.display().to_string()).collect::<Vec<_>>(),
            "output": self.output.map(|p| p.display().to_string()),
            "rows": pred.rows(),
            // null for a model that does not read CSV columns by name (no categories)
            "unseen_categories": self.unseen.map(|(counts, _)| counts
                .iter()
                .map(|(c, n)| (c.clone(), json!(n)))
                .collect::<Map<String, Value>>()),
            "unseen_rows": self.unseen.map(|(_, rows)| rows),
        });
        if self.output.is_none() {
            let rows: Vec<Value> = match pred {
                Predictions::LogProbabilities(p) => {
                    let classes: Vec<String> = match &first.class_names {
                        Some(n) => n.clone(),
                        None => (0..p.ncols()).map(|j| j.to_string()).collect(),
                    };
                    v["classes"] = json!(classes);
                    p.rows()
                        .into_iter()
                        .enumerate()
                        .map(|(i, row)| {
                            let best = ensemble::argmax(row.iter());
                            let probs: Vec<f64> = row.iter().map(|l| l.exp()).collect();
                            json!({"row": i, "predicted": classes[best], "p": probs})
                        })
                        .collect()
                }
                Predictions::Values(values) => values
                    .iter()
                    .enumerate()
                    .map(|(i, x)| json!({"row": i, "predicted": x}))
                    .collect(),
            };
            v["predictions"] = Value::Array(rows);
        }
        v
    }
}

/// Refuse an `--input` whose predictions would not fit the memory limit, before it is parsed:
/// its rows (at most its line count) and cells (rows × the header's fields) as a table, the
/// inputs, every model's predictions and the predictions text.
fn check_memory(models: &[SavedModel], bytes: &[u8], source: &str) -> anyhow::Result<()> {
    let lines =
        bytes.iter().filter(|&&b| b == b'\n').count() + usize::from(!bytes.ends_with(b"\n"));
    let header = bytes.split(|&b| b == b'\n').next().unwrap_or_default();
    let fields = header.iter().filter(|&&b| b == b',').count() as u128 + 1;
    let inputs = models.first().map_or(0, |m| m.model.n_inputs()) as u128;
    let outputs = models.first().map_or(0, |m| m.model.n_outputs()) as u128;
    let mut estimate = prediction_estimate(models, lines, lines as u128 * inputs);
    estimate.add(
        "the CSV table",
        bytes.len() as u128 + lines as u128 * fields * 8,
    );
    // a row: its number, the prediction and one probability per class, up to 24 characters each
    estimate.add("the predictions text", lines as u128 * (outputs + 2) * 24);
    estimate.check_with(
        &format!(
            "predicting the {lines} line{} of {source}",
            if lines == 1 { "" } else { "s" }
        ),
        "split the --input file, or raise the limit with --max-memory-mb",
    )
}

/// A CSV field, quoted when it holds a comma, a quote, a line break or surrounding blanks.
fn quote(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) || field.trim() != field {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn fields_are_quoted_only_when_needed() {
        assert_eq!(quote("cat"), "cat");
        assert_eq!(quote("p_a,b"), "\"p_a,b\"");
        assert_eq!(quote("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(quote(" x"), "\" x\"");
    }
}
