//! `lrtool predict`: predictions of one saved model, or of the ensemble of several (uniform average
//! of probabilities), for the rows of a CSV file, written as CSV `row,predicted,p_<class>…`
//! (regression: `row,predicted`).

use std::fmt::Write as _;

use crate::cli::PredictArgs;
use crate::commands::common::print_stdout;
use crate::commands::evaluate::load_models;
use crate::data::Task;
use crate::ensemble::{self, Predictions};
use crate::input_bail;

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
    let raw = match &first.columns {
        // a CSV-trained model reads its columns by name and encodes them as in training
        Some(enc) => {
            let (raw, unseen) = crate::data::csv::encode::read_encoded(&bytes, &source, enc)?;
            let counts = enc.unseen_counts(&unseen);
            if !counts.is_empty() {
                let rows = {
                    let mut r: Vec<usize> = unseen.iter().map(|(i, _)| *i).collect();
                    r.dedup();
                    r.len()
                };
                crate::error::eprint_line(&format!(
                    "lrtool predict: {} ({} of {}) hold categories the model never saw; \
                     encoded as all zeros",
                    crate::data::csv::encode::describe_counts(&counts),
                    rows,
                    crate::words::count(raw.nrows(), "row")
                ));
            }
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
    match &args.output {
        Some(path) => crate::output::write_atomic(path, text.as_bytes())
            .map_err(|e| crate::input_err!("--output {}: {e:#}", path.display())),
        None => print_stdout(&text),
    }
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
