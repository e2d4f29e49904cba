//! A CSV file's feature columns as the network's inputs, and the mapping that does it.
//!
//! A feature column is numeric when every cell that is not missing is a number; otherwise it is a
//! text (categorical) column, one-hot encoded: one input per category seen in the training
//! rows, in sorted (byte) order, named `column=category`. A category the training rows did not
//! hold, and a missing text cell, encode as all zeros. Numbers go in as they are (the
//! standardisation follows); one-hot inputs are left at 0 and 1. The mapping ([`Encoding`]) is
//! fitted once when the data is loaded and is saved beside the weights, so that `evaluate` and
//! `predict` encode new files the same way.

use std::collections::HashMap;

use ndarray::Array2;
use serde::{Deserialize, Serialize};

use super::columns::{self, DEFAULT_MAX_CATEGORIES, ID_MIN_ROWS, MissingMode, is_missing};
use super::{CsvOptions, Records, build_target, check_width, column_label, parse_number};
use crate::data::Dataset;

/// How a CSV file's feature columns become the network's inputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Encoding {
    /// The input columns, in file order.
    pub columns: Vec<InputColumn>,
    /// `--missing` of the training run.
    pub missing: MissingMode,
    /// The target column's name.
    pub target: String,
}

/// One input column of the file, by name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputColumn {
    pub name: String,
    #[serde(flatten)]
    pub kind: ColumnKind,
}

/// A numeric column or a one-hot encoded text column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum ColumnKind {
    /// Numbers; `mean` (over the training rows' cells) fills a missing cell under
    /// `--missing mean`.
    Number { mean: f64 },
    /// Text: one input per category, in this (sorted) order.
    Text { categories: Vec<String> },
}

/// Text cells of unknown categories: `(row, input column)`.
pub type UnseenCells = Vec<(usize, usize)>;

/// The encoding a dataset was loaded with, and the cells it could not place.
#[derive(Debug, Clone, PartialEq)]
pub struct Encoded {
    pub encoding: Encoding,
    /// Text cells whose category the encoding does not know (encoded as all zeros):
    /// `(row, input column)`, row-major.
    pub unseen: Vec<(usize, usize)>,
}

impl Encoding {
    /// Number of network inputs.
    pub fn width(&self) -> usize {
        self.columns.iter().map(InputColumn::width).sum()
    }

    /// One name per network input: the column's name, or `column=category`; an unnamed column
    /// is called `column_N` after its 1-based place among the file's columns (`positions`,
    /// 0-based, one per column).
    pub fn feature_names(&self, positions: &[usize]) -> Vec<String> {
        let mut names = Vec::with_capacity(self.width());
        for (c, &j) in self.columns.iter().zip(positions) {
            let name = if c.name.is_empty() {
                format!("column_{}", j + 1)
            } else {
                c.name.clone()
            };
            match &c.kind {
                ColumnKind::Number { .. } => names.push(name),
                ColumnKind::Text { categories } => {
                    names.extend(categories.iter().map(|k| format!("{name}={k}")))
                }
            }
        }
        names
    }

    /// For each network input, whether it is one-hot (kept at 0/1, not standardised).
    pub fn one_hot(&self) -> Vec<bool> {
        let mut out = Vec::with_capacity(self.width());
        for c in &self.columns {
            out.extend(std::iter::repeat_n(
                matches!(c.kind, ColumnKind::Text { .. }),
                c.width(),
            ));
        }
        out
    }

    /// Cells per column among `unseen` (only columns with some), in column order.
    pub fn unseen_counts<'u>(
        &self,
        unseen: impl IntoIterator<Item = &'u (usize, usize)>,
    ) -> Vec<(String, usize)> {
        let mut counts = vec![0usize; self.columns.len()];
        for &(_, k) in unseen {
            counts[k] += 1;
        }
        self.columns
            .iter()
            .zip(counts)
            .filter(|(_, n)| *n > 0)
            .map(|(c, n)| (c.name.clone(), n))
            .collect()
    }
}

impl InputColumn {
    fn width(&self) -> usize {
        match &self.kind {
            ColumnKind::Number { .. } => 1,
            ColumnKind::Text { categories } => categories.len(),
        }
    }
}

/// `3 cells of "city", 1 of "zone"`.
pub fn describe_counts(counts: &[(String, usize)]) -> String {
    counts
        .iter()
        .enumerate()
        .map(|(i, (c, n))| {
            let cells = if i > 0 {
                "of"
            } else if *n == 1 {
                "cell of"
            } else {
                "cells of"
            };
            format!("{n} {cells} column \"{c}\"")
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// What a row with a missing cell does while reading.
enum OnMissing {
    /// An error; the text says what would have helped.
    Error(String),
    /// The row is left out.
    Drop,
    /// Kept: numbers are filled later, text cells encode as zeros (a missing target is still an
    /// error).
    Fill,
}

/// What to read: the feature columns (file positions), which of them are text, the target.
struct Plan {
    feats: Vec<usize>,
    text: Vec<bool>,
    target: Option<usize>,
    missing: OnMissing,
    /// Added to a "not a number" message in a numeric column.
    number_hint: &'static str,
}

/// Marks a missing text cell among the codes.
const MISSING: u32 = u32::MAX;

/// The cells read, column by column, of the rows kept.
struct Raw {
    lines: Vec<u64>,
    /// Per feature: the numbers (`NaN` = missing), empty for a text column.
    numbers: Vec<Vec<f32>>,
    /// Per feature: each cell's index into `vocab` (`MISSING`), empty for a numeric column.
    codes: Vec<Vec<u32>>,
    /// Per feature: the distinct texts in order of appearance.
    vocab: Vec<Vec<String>>,
    /// The target cell of each row kept, with its line.
    targets: Vec<(u64, String)>,
    /// Lines of the rows left out for a missing cell.
    dropped: Vec<u64>,
}

fn read_rows(
    records: &mut Records,
    source: &str,
    columns: &[String],
    plan: &Plan,
) -> anyhow::Result<Raw> {
    let ncols = columns.len();
    let d = plan.feats.len();
    let mut raw = Raw {
        lines: Vec::new(),
        numbers: vec![Vec::new(); d],
        codes: vec![Vec::new(); d],
        vocab: vec![Vec::new(); d],
        targets: Vec::new(),
        dropped: Vec::new(),
    };
    let mut index: Vec<HashMap<String, u32>> = vec![HashMap::new(); d];
    let label = |j: usize| column_label(columns, j);
    while let Some((line, record)) = records.next_record()? {
        check_width(source, line, ncols, record.len())?;
        let target_missing = plan.target.filter(|&t| is_missing(&record[t]));
        let missing_at =
            target_missing.or_else(|| plan.feats.iter().copied().find(|&j| is_missing(&record[j])));
        if let Some(j) = missing_at {
            let what = columns::describe_missing(&record[j]);
            match &plan.missing {
                OnMissing::Drop => {
                    raw.dropped.push(line);
                    continue;
                }
                OnMissing::Fill if target_missing.is_some() => crate::input_bail!(
                    "{source} line {line}, {}: {what} in the target; --missing mean fills \
                     features only (--missing drop-rows leaves such rows out)",
                    label(j)
                ),
                OnMissing::Fill => {}
                OnMissing::Error(_) if target_missing.is_some() => crate::input_bail!(
                    "{source} line {line}, {}: {what}; --missing drop-rows leaves such rows out",
                    label(j)
                ),
                OnMissing::Error(hint) => {
                    crate::input_bail!("{source} line {line}, {}: {what}; {hint}", label(j))
                }
            }
        }
        for (k, &j) in plan.feats.iter().enumerate() {
            let cell: &str = &record[j];
            if plan.text[k] {
                let code = if is_missing(cell) {
                    MISSING
                } else if let Some(&c) = index[k].get(cell) {
                    c
                } else {
                    let c = raw.vocab[k].len() as u32;
                    raw.vocab[k].push(cell.to_owned());
                    index[k].insert(cell.to_owned(), c);
                    c
                };
                raw.codes[k].push(code);
            } else if is_missing(cell) {
                raw.numbers[k].push(f32::NAN);
            } else {
                let v = parse_number(cell).map_err(|why| {
                    crate::input_err!(
                        "{source} line {line}, {}: {why}{}",
                        label(j),
                        plan.number_hint
                    )
                })?;
                raw.numbers[k].push(v as f32);
            }
        }
        if let Some(t) = plan.target {
            raw.targets.push((line, record[t].to_string()));
        }
        raw.lines.push(line);
    }
    Ok(raw)
}

/// For each feature column, whether it is text: some cell that is not missing is not a number.
fn column_kinds(
    mut records: Records,
    columns: &[String],
    feats: &[usize],
    source: &str,
) -> anyhow::Result<Vec<bool>> {
    let mut text = vec![false; feats.len()];
    while let Some((line, record)) = records.next_record()? {
        check_width(source, line, columns.len(), record.len())?;
        for (k, &j) in feats.iter().enumerate() {
            let cell = &record[j];
            if !text[k] && !is_missing(cell) && cell.parse::<f64>().is_err() {
                text[k] = true;
            }
        }
    }
    Ok(text)
}

/// The file positions of the encoding's columns, found by name; missing ones are one error.
fn find_columns(enc: &Encoding, columns: &[String], source: &str) -> anyhow::Result<Vec<usize>> {
    let mut found = Vec::with_capacity(enc.columns.len());
    let mut missing = Vec::new();
    for c in &enc.columns {
        let hits: Vec<usize> = (0..columns.len())
            .filter(|&j| columns[j] == c.name)
            .collect();
        match hits.as_slice() {
            [j] => found.push(*j),
            [] => missing.push(c.name.as_str()),
            _ => crate::input_bail!(
                "{source}: column \"{}\" appears more than once in the header",
                c.name
            ),
        }
    }
    if let Some(first) = missing.first() {
        let shown: Vec<String> = missing
            .iter()
            .take(10)
            .map(|m| format!("\"{m}\""))
            .collect();
        crate::input_bail!(
            "{source}: missing {} {}{} (the model takes {} by name); for \"{first}\": {}",
            crate::words::plural(missing.len(), "column"),
            shown.join(", "),
            if missing.len() > 10 {
                format!(" and {} more", missing.len() - 10)
            } else {
                String::new()
            },
            crate::words::count(enc.columns.len(), "input column"),
            columns::near_names(first, columns)
        );
    }
    Ok(found)
}

/// The rest of [`super::parse_csv`] once the header and the target are known: choose, read,
/// fit (or take `opts.fixed`) and encode the feature columns.
pub(super) fn load(
    records: Records,
    columns: &[String],
    target_col: usize,
    opts: &CsvOptions,
    source: &str,
    name: &str,
) -> anyhow::Result<Dataset> {
    let mut records = records;
    let plan = match opts.fixed {
        Some(enc) => {
            let feats = find_columns(enc, columns, source)?;
            let text = enc
                .columns
                .iter()
                .map(|c| matches!(c.kind, ColumnKind::Text { .. }))
                .collect();
            Plan {
                feats,
                text,
                target: Some(target_col),
                missing: on_missing(enc.missing, "the model was trained with --missing"),
                number_hint: " (the model reads this column as numbers)",
            }
        }
        None => {
            let feats = columns::select(opts.features, opts.drop, columns, target_col, source)?;
            let text = column_kinds(records.clone(), columns, &feats, source)?;
            Plan {
                feats,
                text,
                target: Some(target_col),
                missing: on_missing(opts.missing, "--missing"),
                number_hint: "",
            }
        }
    };
    let raw = read_rows(&mut records, source, columns, &plan)?;
    let n = raw.lines.len();
    if n == 0 {
        if raw.dropped.is_empty() {
            crate::input_bail!("{source}: no data rows after the header");
        }
        crate::input_bail!(
            "--missing drop-rows: every one of the {} data rows of {source} has a missing cell",
            raw.dropped.len()
        );
    }
    if !raw.dropped.is_empty() {
        eprintln!(
            "lrtool: --missing drop-rows: left out {} of {} of {source} for a missing cell ({})",
            raw.dropped.len(),
            crate::words::count(raw.dropped.len() + n, "row"),
            lines_text(&raw.dropped)
        );
    }
    let y = build_target(
        &raw.targets,
        opts.task,
        source,
        &column_label(columns, target_col),
    )?;
    let encoding = match opts.fixed {
        Some(enc) => enc.clone(),
        None => {
            let mut in_train = vec![opts.split.is_none(); n];
            if let Some(s) = opts.split {
                let (train, _) =
                    crate::data::split_indices(n, s.val_fraction, s.shuffle, s.seed, name)?;
                for i in train {
                    in_train[i] = true;
                }
            }
            let max = opts.max_categories.unwrap_or(DEFAULT_MAX_CATEGORIES);
            let enc = fit(
                &raw,
                &plan,
                columns,
                target_col,
                &in_train,
                opts.missing,
                max,
            )?;
            warn_identifiers(&raw, &plan, columns);
            enc
        }
    };
    let (x, unseen) = encode(&raw, &encoding);
    if opts.fixed.is_none() && !unseen.is_empty() {
        eprintln!(
            "lrtool: note: {} of the validation rows of {source} hold categories absent from the \
             training rows; they are encoded as all zeros",
            describe_counts(&encoding.unseen_counts(&unseen))
        );
    }
    Ok(Dataset {
        name: name.to_owned(),
        x,
        y,
        feature_names: encoding.feature_names(&plan.feats),
        encoding: Some(Box::new(Encoded { encoding, unseen })),
    })
}

fn on_missing(mode: MissingMode, context: &str) -> OnMissing {
    match mode {
        MissingMode::DropRows => OnMissing::Drop,
        MissingMode::Mean => OnMissing::Fill,
        MissingMode::Error => OnMissing::Error(if context == "--missing" {
            "--missing drop-rows leaves such rows out, --missing mean fills them".to_owned()
        } else {
            format!("{context} error, which fills nothing")
        }),
    }
}

/// `5, 9, 12` (the first ten, then how many more).
fn lines_text(lines: &[u64]) -> String {
    let mut text = lines
        .iter()
        .take(10)
        .map(|l| format!("line {l}"))
        .collect::<Vec<_>>()
        .join(", ");
    if lines.len() > 10 {
        text.push_str(&format!(" and {} more", lines.len() - 10));
    }
    text
}

/// Fits the encoding on the rows marked `in_train`: means of the numbers, sorted categories of
/// the texts (at most `max` per column).
fn fit(
    raw: &Raw,
    plan: &Plan,
    columns: &[String],
    target: usize,
    in_train: &[bool],
    missing: MissingMode,
    max: usize,
) -> anyhow::Result<Encoding> {
    let mut out = Vec::with_capacity(plan.feats.len());
    for (k, &j) in plan.feats.iter().enumerate() {
        let name = columns[j].clone();
        let kind = if plan.text[k] {
            let mut seen = vec![false; raw.vocab[k].len()];
            for (&c, _) in raw.codes[k].iter().zip(in_train).filter(|(_, t)| **t) {
                if c != MISSING {
                    seen[c as usize] = true;
                }
            }
            let mut categories: Vec<String> = raw.vocab[k]
                .iter()
                .zip(&seen)
                .filter(|(_, s)| **s)
                .map(|(v, _)| v.clone())
                .collect();
            categories.sort_unstable();
            if categories.len() > max {
                crate::input_bail!(
                    "--max-categories {max}: text column {} has {} distinct values in the \
                     training rows; raise --max-categories or leave the column out with --drop {}",
                    column_label(columns, j).trim_start_matches("column "),
                    categories.len(),
                    drop_item(columns, j)
                );
            }
            ColumnKind::Text { categories }
        } else {
            let (mut sum, mut count) = (0.0f64, 0usize);
            for (&v, _) in raw.numbers[k].iter().zip(in_train).filter(|(_, t)| **t) {
                if !v.is_nan() {
                    sum += v as f64;
                    count += 1;
                }
            }
            if count == 0 && missing == MissingMode::Mean {
                crate::input_bail!(
                    "--missing mean: {} has no value in the training rows to take the mean of; \
                     leave it out with --drop {}",
                    column_label(columns, j),
                    drop_item(columns, j)
                );
            }
            ColumnKind::Number {
                mean: if count == 0 { 0.0 } else { sum / count as f64 },
            }
        };
        out.push(InputColumn { name, kind });
    }
    Ok(Encoding {
        columns: out,
        missing,
        target: columns[target].clone(),
    })
}

/// How `--drop` can name column `j`: its name, or its 1-based index when the name is empty,
/// holds a comma or would be read as an index.
fn drop_item(columns: &[String], j: usize) -> String {
    let name = &columns[j];
    let plain = !name.is_empty()
        && !name.contains(',')
        && name.trim() == name
        && columns.iter().filter(|c| *c == name).count() == 1;
    if plain {
        let safe = name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "_.-/=:+@".contains(c));
        if safe {
            name.clone()
        } else {
            format!("'{}'", name.replace('\'', "'\\''"))
        }
    } else {
        (j + 1).to_string()
    }
}

/// A warning on stderr for each feature column that holds a distinct integer (or a distinct
/// text) in every row, as identifiers do.
fn warn_identifiers(raw: &Raw, plan: &Plan, columns: &[String]) {
    let n = raw.lines.len();
    if n < ID_MIN_ROWS {
        return;
    }
    for (k, &j) in plan.feats.iter().enumerate() {
        let what = if plan.text[k] {
            let all = raw.codes[k].iter().all(|&c| c != MISSING);
            (all && raw.vocab[k].len() == n).then_some("a distinct text")
        } else {
            let v = &raw.numbers[k];
            let integers = v.iter().all(|x| x.fract() == 0.0);
            let distinct = integers && {
                let mut keys: Vec<i64> = v.iter().map(|&x| x as i64).collect();
                keys.sort_unstable();
                keys.dedup();
                keys.len() == n
            };
            distinct.then_some("a distinct integer")
        };
        if let Some(what) = what {
            eprintln!(
                "lrtool: warning: {} looks like an identifier ({what} in every row) and is used \
                 as a feature; leave it out with --drop {}",
                column_label(columns, j),
                drop_item(columns, j)
            );
        }
    }
}

/// The rows of `raw` as network inputs under `enc`, with the cells of unknown categories.
fn encode(raw: &Raw, enc: &Encoding) -> (Array2<f32>, Vec<(usize, usize)>) {
    let n = raw.lines.len();
    let mut x = Array2::<f32>::zeros((n, enc.width()));
    let mut unseen = Vec::new();
    let mut offset = 0;
    for (k, c) in enc.columns.iter().enumerate() {
        match &c.kind {
            ColumnKind::Number { mean } => {
                for (i, &v) in raw.numbers[k].iter().enumerate() {
                    x[[i, offset]] = if v.is_nan() { *mean as f32 } else { v };
                }
            }
            ColumnKind::Text { categories } => {
                let place: Vec<Option<usize>> = raw.vocab[k]
                    .iter()
                    .map(|v| categories.binary_search(v).ok())
                    .collect();
                for (i, &code) in raw.codes[k].iter().enumerate() {
                    if code == MISSING {
                        continue;
                    }
                    match place[code as usize] {
                        Some(p) => x[[i, offset + p]] = 1.0,
                        None => unseen.push((i, k)),
                    }
                }
            }
        }
        offset += c.width();
    }
    unseen.sort_unstable();
    (x, unseen)
}

/// The rows of CSV data (optionally gzipped) as a saved model's inputs under `enc`: its columns
/// by name (others, such as the target, ignored), missing cells filled when the model was
/// trained with `--missing mean` (else an error naming the line and column). Returns the inputs
/// (not yet standardised) and the cells of categories the model does not know.
pub fn read_encoded(
    bytes: &[u8],
    source: &str,
    enc: &Encoding,
) -> anyhow::Result<(Array2<f32>, UnseenCells)> {
    let bytes = super::maybe_gunzip(bytes, source)?;
    let text = super::decode(&bytes, source)?;
    let mut records = Records::new(text, source);
    let Some((_, header)) = records.next_record()? else {
        crate::input_bail!("{source}: empty file (a header row of column names is required)")
    };
    let columns: Vec<String> = header.into_iter().map(|c| c.into_owned()).collect();
    let feats = find_columns(enc, &columns, source)?;
    let plan = Plan {
        feats,
        text: enc
            .columns
            .iter()
            .map(|c| matches!(c.kind, ColumnKind::Text { .. }))
            .collect(),
        target: None,
        missing: match enc.missing {
            MissingMode::Mean => OnMissing::Fill,
            mode => OnMissing::Error(format!(
                "the model was trained with --missing {}, so predict cannot fill it (train with \
                 --missing mean to fill cells with the training means)",
                mode.name()
            )),
        },
        number_hint: " (the model reads this column as numbers)",
    };
    let raw = read_rows(&mut records, source, &columns, &plan)?;
    if raw.lines.is_empty() {
        crate::input_bail!("{source}: no data rows after the header");
    }
    Ok(encode(&raw, enc))
}
