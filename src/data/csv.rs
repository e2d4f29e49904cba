//! CSV loader: a user's (optionally gzipped) CSV file with a header row becomes a `Dataset`.
//!
//! Rules: a header row is required; the target is the column named by `--target` (default the
//! last column) and the other columns (or those `--features`/`--drop` choose) are features,
//! numeric or one-hot encoded text ([`encode`]). Cells are trimmed, CRLF is
//! accepted, and every problem with the data is an [`InputError`](crate::error::InputError)
//! naming the file, the line (1-based, header = line 1) and the column.

use std::borrow::Cow;
use std::collections::HashMap;
use std::path::Path;

use ndarray::Array2;

use super::gz::maybe_gunzip;
use super::{Dataset, Target, Task};

pub mod columns;
pub mod encode;

pub use columns::{ColumnList, DEFAULT_MAX_CATEGORIES, MissingMode};
pub use encode::{Encoded, Encoding};

/// A target with more distinct values than this is never guessed to be a class label.
const MAX_GUESSED_CLASSES: usize = 100;

/// How to read a CSV file: which column is the target and what kind of task it is, which
/// columns are features and how they are encoded.
#[derive(Debug, Clone, Copy, Default)]
pub struct CsvOptions<'a> {
    /// Name of the target column; `None` = the last column.
    pub target: Option<&'a str>,
    /// Classification or regression; `None` = guess from the target column (see [`parse_csv`]).
    pub task: Option<Task>,
    /// `--features`: the feature columns; `None` = every column but the target.
    pub features: Option<&'a ColumnList>,
    /// `--drop`: columns left out of the features.
    pub drop: Option<&'a ColumnList>,
    /// `--missing`: what a missing cell does.
    pub missing: MissingMode,
    /// `--max-categories`; `None` = [`DEFAULT_MAX_CATEGORIES`].
    pub max_categories: Option<usize>,
    /// The training split, whose rows alone fit the encoding (`None`: every row).
    pub split: Option<SplitPlan>,
    /// Encode with this saved mapping instead of fitting one (`evaluate`); its missing-cell
    /// mode applies and `features`, `drop`, `missing` and `max_categories` are not used.
    pub fixed: Option<&'a Encoding>,
}

/// How the rows will be split (see [`crate::data::split`]): the encoding learns from the
/// training rows only.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SplitPlan {
    pub val_fraction: f64,
    pub shuffle: bool,
    pub seed: u64,
}

/// Reads and parses the CSV file at `path` (optionally gzipped) into a dataset named after the
/// file. A missing or unreadable file is an `InputError` naming the path.
pub fn load_csv_file(path: &Path, opts: &CsvOptions) -> anyhow::Result<Dataset> {
    let source = path.display().to_string();
    let bytes = crate::limits::read(
        path,
        &format!("--dataset {source}"),
        crate::limits::Kind::CsvData,
    )?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| source.clone());
    parse_csv(&bytes, &source, &name, opts)
}

/// Parses CSV data (optionally gzipped, detected by the gzip magic) into a dataset called `name`;
/// `source` is what error messages call the data (usually the path).
///
/// The first row is the header and names the columns. The target column is `opts.target` (default
/// the last column); the feature columns are the others, or those `opts.features` and
/// `opts.drop` choose. A feature column of finite numbers goes in as it is; a column with any
/// other text is one-hot encoded (see [`encode`]); missing cells (see [`columns::is_missing`])
/// follow `opts.missing`. The mapping is kept in [`Dataset::encoding`].
///
/// When `opts.task` is `None` the task is guessed: a target whose values are all integers, with at
/// most 100 distinct values and fewer distinct values than half the rows, or a target holding
/// non-numeric text, is a class label; anything else is a regression target. Class labels are
/// the distinct values sorted (numerically when the column is numeric, else lexically as text)
/// and numbered `0..K`; each class is named by its text in the file.
pub fn parse_csv(
    bytes: &[u8],
    source: &str,
    name: &str,
    opts: &CsvOptions,
) -> anyhow::Result<Dataset> {
    let bytes = maybe_gunzip(bytes, source)?;
    if bytes.starts_with(&[0, 0, 8]) {
        crate::input_bail!(
            "{source}: this looks like an IDX file, not CSV text; load IDX data with \
             --dataset IMAGES --labels LABELS"
        );
    }

    let text = decode(&bytes, source)?;
    let mut records = Records::new(text, source);

    let Some((_, header)) = records.next_record()? else {
        crate::input_bail!("{source}: empty file (a header row of column names is required)")
    };
    let ncols = header.len();
    let columns: Vec<String> = header.into_iter().map(Cow::into_owned).collect();

    let target_col = match opts.target {
        None => ncols.saturating_sub(1),
        Some(t) => {
            let mut hits = columns.iter().enumerate().filter(|(_, c)| c.as_str() == t);
            match (hits.next(), hits.next()) {
                (Some((j, _)), None) => j,
                (Some(_), Some(_)) => crate::input_bail!(
                    "{source}: target column \"{t}\" appears more than once in the header"
                ),
                (None, _) => crate::input_bail!(
                    "{source}: no column named \"{}\" for the target; the columns are {}",
                    crate::limits::cut(t, crate::limits::ECHO_CHARS),
                    crate::limits::list(columns.iter().map(|c| format!("\"{c}\"")))
                ),
            }
        }
    };
    if ncols < 2 {
        crate::input_bail!(
            "{source}: the header has {ncols} column; at least one feature column besides the \
             target is needed"
        );
    }
    encode::load(records, &columns, target_col, opts, source, name)
}

/// Reads the columns named `names` (in that order) of CSV data (optionally gzipped) with a header
/// row, as the rows of a `[rows, names.len()]` matrix; other columns (a target, ids) are ignored.
/// Missing columns are one error listing them all; every cell read must be a finite number.
/// `source` is what error messages call the data (usually `--input PATH`).
pub fn read_columns(bytes: &[u8], source: &str, names: &[String]) -> anyhow::Result<Array2<f32>> {
    let bytes = maybe_gunzip(bytes, source)?;
    let text = decode(&bytes, source)?;
    let mut records = Records::new(text, source);
    let Some((_, header)) = records.next_record()? else {
        crate::input_bail!("{source}: empty file (a header row of column names is required)")
    };
    let columns: Vec<String> = header.into_iter().map(Cow::into_owned).collect();
    let mut wanted = Vec::with_capacity(names.len());
    let mut missing = Vec::new();
    for name in names {
        let mut hits = columns.iter().enumerate().filter(|(_, c)| *c == name);
        match (hits.next(), hits.next()) {
            (Some((j, _)), None) => wanted.push(j),
            (Some(_), Some(_)) => {
                crate::input_bail!(
                    "{source}: column \"{name}\" appears more than once in the header"
                )
            }
            (None, _) => missing.push(format!("\"{name}\"")),
        }
    }
    if !missing.is_empty() {
        let shown = missing.len().min(10);
        crate::input_bail!(
            "{source}: missing {} {}{} (the model needs {} by name)",
            crate::words::plural(missing.len(), "column"),
            missing[..shown].join(", "),
            if missing.len() > shown {
                format!(" and {} more", missing.len() - shown)
            } else {
                String::new()
            },
            crate::words::count(names.len(), "feature column")
        );
    }
    let ncols = columns.len();
    let mut values: Vec<f32> = Vec::new();
    let mut rows = 0;
    while let Some((line, record)) = records.next_record()? {
        check_width(source, line, ncols, record.len())?;
        for &j in &wanted {
            let value = parse_number(&record[j]).map_err(|why| {
                crate::input_err!("{source} line {line}, {}: {why}", column_label(&columns, j))
            })?;
            values.push(value as f32);
        }
        rows += 1;
    }
    if rows == 0 {
        crate::input_bail!("{source}: no data rows after the header");
    }
    Ok(Array2::from_shape_vec((rows, names.len()), values)?)
}

/// A CSV table read by column name: the header row and every data row with its exact 1-based
/// line number. For lrtool's own logs (`steps.csv`, `epochs.csv`, `snapshots.csv`) and for CSV
/// files of (lr, loss) pairs; the same reader as datasets (quoted fields, a UTF-8 byte-order mark,
/// CRLF, gzip), so that no caller splits lines on `,` itself. Every error is an input error
/// naming the source, and the column and line where there is one.
#[derive(Debug, Clone)]
pub struct CsvTable {
    source: String,
    columns: Vec<String>,
    /// Every cell's text, row after row, one after the other (about the file's size: a table is
    /// not kept as a `String` per cell, which would take several times the file).
    text: String,
    /// Where each cell ends in `text`; row `i`, column `j` is cell `i · columns + j`.
    ends: Vec<usize>,
    /// The 1-based line number of each row.
    lines: Vec<u64>,
}

impl CsvTable {
    /// Parses CSV data (optionally gzipped) with a header row; `source` names it in errors
    /// (usually the path). A row with another number of fields than the header is an error.
    pub fn parse(bytes: &[u8], source: &str) -> anyhow::Result<CsvTable> {
        let bytes = maybe_gunzip(bytes, source)?;
        let text = decode(&bytes, source)?;
        let mut records = Records::new(text, source);
        let Some((_, header)) = records.next_record()? else {
            crate::input_bail!("{source}: empty file (a header row of column names is required)")
        };
        let columns: Vec<String> = header.into_iter().map(Cow::into_owned).collect();
        let (mut cells, mut ends, mut lines) = (String::new(), Vec::new(), Vec::new());
        while let Some((line, record)) = records.next_record()? {
            check_width(source, line, columns.len(), record.len())?;
            for cell in record {
                cells.push_str(&cell);
                ends.push(cells.len());
            }
            lines.push(line);
        }
        Ok(CsvTable {
            source: source.to_owned(),
            columns,
            text: cells,
            ends,
            lines,
        })
    }

    /// Reads and parses the file at `path`; errors name the path.
    pub fn read(path: &Path) -> anyhow::Result<CsvTable> {
        let source = path.display().to_string();
        let bytes = crate::limits::read(path, &source, crate::limits::Kind::Log)?;
        CsvTable::parse(&bytes, &source)
    }

    /// What errors call the data.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The header's column names, in file order.
    pub fn columns(&self) -> &[String] {
        &self.columns
    }

    /// Number of data rows.
    pub fn len(&self) -> usize {
        self.lines.len()
    }

    pub fn is_empty(&self) -> bool {
        self.lines.is_empty()
    }

    /// The 1-based line number of each data row.
    pub fn lines(&self) -> Vec<u64> {
        self.lines.clone()
    }

    pub fn has_column(&self, name: &str) -> bool {
        self.columns.iter().any(|c| c == name)
    }

    /// Position of the column `name`: missing or repeated is an error naming both.
    fn index(&self, name: &str) -> anyhow::Result<usize> {
        let source = &self.source;
        let mut hits = self.columns.iter().enumerate().filter(|(_, c)| *c == name);
        match (hits.next(), hits.next()) {
            (Some((j, _)), None) => Ok(j),
            (Some(_), Some(_)) => crate::input_bail!(
                "{source}: column \"{name}\" appears more than once in the header"
            ),
            (None, _) => crate::input_bail!(
                "{source}: no column \"{}\" (columns: {})",
                crate::limits::cut(name, crate::limits::ECHO_CHARS),
                crate::limits::list(self.columns.iter().cloned())
            ),
        }
    }

    /// The text of row `i`, column `j`.
    fn cell(&self, i: usize, j: usize) -> &str {
        let k = i * self.columns.len() + j;
        let start = if k == 0 { 0 } else { self.ends[k - 1] };
        &self.text[start..self.ends[k]]
    }

    /// The cells of column `name` as text.
    pub fn strings(&self, name: &str) -> anyhow::Result<Vec<String>> {
        let j = self.index(name)?;
        Ok((0..self.len())
            .map(|i| self.cell(i, j).to_owned())
            .collect())
    }

    /// The cells of column `name` parsed with `parse` (which says what is wrong with a cell).
    pub fn parsed<T>(
        &self,
        name: &str,
        parse: impl Fn(&str) -> Result<T, String>,
    ) -> anyhow::Result<Vec<T>> {
        let j = self.index(name)?;
        let source = &self.source;
        self.lines
            .iter()
            .enumerate()
            .map(|(i, line)| {
                parse(self.cell(i, j)).map_err(|why| {
                    crate::input_err!("{source} line {line}, column \"{name}\": {why}")
                })
            })
            .collect()
    }

    /// Column `name` as numbers (`NaN` and `inf` included, as lrtool's logs write them); an
    /// empty cell is an error.
    pub fn f64s(&self, name: &str) -> anyhow::Result<Vec<f64>> {
        self.parsed(name, |c| match c {
            "" => Err("empty cell".to_owned()),
            c => c.parse().map_err(|_| format!("\"{c}\" is not a number")),
        })
    }

    /// Column `name` as numbers where an empty cell is `None`.
    pub fn optional_f64s(&self, name: &str) -> anyhow::Result<Vec<Option<f64>>> {
        self.parsed(name, |c| match c {
            "" => Ok(None),
            c => c
                .parse()
                .map(Some)
                .map_err(|_| format!("\"{c}\" is not a number")),
        })
    }

    /// Column `name` as whole numbers of at least 0.
    pub fn u64s(&self, name: &str) -> anyhow::Result<Vec<u64>> {
        self.parsed(name, |c| {
            c.parse()
                .map_err(|_| format!("\"{c}\" is not a whole number"))
        })
    }
}

/// How error messages name column `j`: `column "name"`, or `column 3 (unnamed)`.
/// A row must have as many fields as the header.
fn check_width(source: &str, line: u64, want: usize, got: usize) -> anyhow::Result<()> {
    if got != want {
        crate::input_bail!(
            "{source} line {line}: expected {want} fields like the header, found {got}"
        );
    }
    Ok(())
}

fn column_label(columns: &[String], j: usize) -> String {
    match columns.get(j).map(String::as_str) {
        Some("") | None => format!("column {} (unnamed)", j + 1),
        Some(name) => format!("column \"{name}\""),
    }
}

/// The data as UTF-8 text without a byte-order mark; invalid UTF-8 is an error naming the line.
fn decode<'a>(bytes: &'a [u8], source: &str) -> anyhow::Result<&'a str> {
    let text = std::str::from_utf8(bytes).map_err(|e| {
        let valid = &bytes[..e.valid_up_to()];
        let line = 1 + valid.iter().filter(|&&b| b == b'\n').count();
        crate::input_err!("{source} line {line}: not valid UTF-8 text")
    })?;
    Ok(text.strip_prefix('\u{feff}').unwrap_or(text))
}

/// A minimal CSV record reader that knows each record's exact 1-based line number (the `csv`
/// crate's positions drift after blank lines and CRLF line ends).
///
/// Fields are separated by `,` and records by `\n`, `\r\n` or `\r`. Fields may be quoted with
/// `"` (a doubled `""` inside is one quote, and line breaks inside count as lines); every field
/// is trimmed of surrounding whitespace. Lines holding only whitespace are skipped.
#[derive(Clone)]
struct Records<'a> {
    text: &'a str,
    source: &'a str,
    /// Byte offset of the next unread character.
    pos: usize,
    /// 1-based line number at `pos`.
    line: u64,
}

impl<'a> Records<'a> {
    fn new(text: &'a str, source: &'a str) -> Self {
        Records {
            text,
            source,
            pos: 0,
            line: 1,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.text.as_bytes().get(self.pos).copied()
    }

    /// Consumes a line end (`\n`, `\r\n` or `\r`) at `pos`, if there is one.
    fn eat_line_end(&mut self) -> bool {
        match self.peek() {
            Some(b'\n') => self.pos += 1,
            Some(b'\r') => {
                self.pos += 1;
                if self.peek() == Some(b'\n') {
                    self.pos += 1;
                }
            }
            _ => return false,
        }
        self.line += 1;
        true
    }

    fn skip_blanks(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t')) {
            self.pos += 1;
        }
    }

    /// The next record's line number and trimmed cells, or `None` at the end of the text.
    fn next_record(&mut self) -> anyhow::Result<Option<(u64, Vec<Cow<'a, str>>)>> {
        // Skip blank and whitespace-only lines.
        loop {
            let rest = &self.text[self.pos..];
            let end = rest.find(['\n', '\r']).unwrap_or(rest.len());
            if !rest[..end].trim().is_empty() {
                break;
            }
            self.pos += end;
            if !self.eat_line_end() {
                return Ok(None);
            }
        }
        let line = self.line;
        let mut cells = Vec::new();
        loop {
            self.skip_blanks();
            if self.peek() == Some(b'"') {
                cells.push(self.quoted(line)?);
            } else {
                let rest = &self.text[self.pos..];
                let end = rest.find([',', '\n', '\r']).unwrap_or(rest.len());
                cells.push(Cow::Borrowed(rest[..end].trim()));
                self.pos += end;
            }
            if self.peek() == Some(b',') {
                self.pos += 1;
            } else {
                // A line end or the end of the text.
                self.eat_line_end();
                return Ok(Some((line, cells)));
            }
        }
    }

    /// Reads a quoted field starting at its opening quote, up to the next `,` or line end.
    fn quoted(&mut self, line: u64) -> anyhow::Result<Cow<'a, str>> {
        let source = self.source;
        self.pos += 1;
        // Set once a doubled quote is seen; until then the field borrows from the text.
        let mut unescaped: Option<String> = None;
        let mut segment = self.pos;
        loop {
            let rest = &self.text[self.pos..];
            let Some(q) = rest.find('"') else {
                crate::input_bail!("{source} line {line}: a quoted field is never closed");
            };
            self.line += count_line_breaks(&rest[..q]);
            self.pos += q + 1;
            if self.peek() == Some(b'"') {
                // `""` stands for one quote: keep the segment up to and including the first.
                unescaped
                    .get_or_insert_with(String::new)
                    .push_str(&self.text[segment..self.pos]);
                self.pos += 1;
                segment = self.pos;
                continue;
            }
            let last = &self.text[segment..self.pos - 1];
            let value = match unescaped {
                Some(mut s) => {
                    s.push_str(last);
                    Cow::Owned(s.trim().to_owned())
                }
                None => Cow::Borrowed(last.trim()),
            };
            self.skip_blanks();
            if !matches!(self.peek(), None | Some(b',' | b'\n' | b'\r')) {
                let line = self.line;
                crate::input_bail!("{source} line {line}: unexpected text after a closing quote");
            }
            return Ok(value);
        }
    }
}

/// How many line breaks (`\n`, `\r\n` or a lone `\r`) a piece of text holds.
fn count_line_breaks(text: &str) -> u64 {
    let b = text.as_bytes();
    (0..b.len())
        .filter(|&i| b[i] == b'\n' || (b[i] == b'\r' && b.get(i + 1) != Some(&b'\n')))
        .count() as u64
}

/// Parses one numeric cell (finite, and finite as an f32), or says what is wrong with it.
fn parse_number(text: &str) -> Result<f64, String> {
    if text.is_empty() {
        return Err("empty cell".to_owned());
    }
    let Ok(wide) = text.parse::<f64>() else {
        return Err(format!("\"{text}\" is not a number"));
    };
    if !wide.is_finite() {
        return Err(format!("\"{text}\" is not a finite number"));
    }
    if !(wide as f32).is_finite() {
        return Err(format!("\"{text}\" is too large for a 32-bit float"));
    }
    Ok(wide)
}

/// Builds the target from the target column's cells, guessing the task when `task` is `None`.
fn build_target(
    cells: &[(u64, String)],
    task: Option<Task>,
    source: &str,
    column: &str,
) -> anyhow::Result<Target> {
    // A numeric column (every cell must then be finite), or the first non-numeric cell.
    let numeric: Result<Vec<f64>, &(u64, String)> =
        match cells.iter().find(|(_, t)| t.parse::<f64>().is_err()) {
            Some(cell) => Err(cell),
            None => cells
                .iter()
                .map(|(line, text)| {
                    parse_number(text)
                        .map_err(|why| crate::input_err!("{source} line {line}, {column}: {why}"))
                })
                .collect::<anyhow::Result<_>>()
                .map(Ok)?,
        };

    let task = match task {
        Some(t) => t,
        None => match &numeric {
            Err(_) => Task::Classify,
            Ok(values) => {
                let all_integers = values.iter().all(|v| v.fract() == 0.0);
                let distinct = count_distinct(values);
                if all_integers && distinct <= MAX_GUESSED_CLASSES && 2 * distinct < values.len() {
                    Task::Classify
                } else {
                    Task::Regress
                }
            }
        },
    };

    match (task, numeric) {
        (Task::Regress, Ok(values)) => {
            Ok(Target::Values(values.iter().map(|&v| v as f32).collect()))
        }
        (Task::Regress, Err((line, text))) => {
            crate::input_bail!(
                "{source} line {line}, {column}: \"{text}\" is not a number (a regression \
                 target must be numeric)"
            )
        }
        (Task::Classify, Ok(values)) => {
            // Distinct values in numeric order, each named by its first text in the file.
            let mut order: Vec<usize> = (0..values.len()).collect();
            order.sort_by(|&a, &b| values[a].total_cmp(&values[b]).then(a.cmp(&b)));
            let mut index: HashMap<u64, u32> = HashMap::new();
            let mut names: Vec<String> = Vec::new();
            for &i in &order {
                index.entry(key(values[i])).or_insert_with(|| {
                    names.push(cells[i].1.clone());
                    (names.len() - 1) as u32
                });
            }
            let labels = values.iter().map(|&v| index[&key(v)]).collect();
            classes(labels, names, source, column)
        }
        (Task::Classify, Err(_)) => {
            let mut names: Vec<String> = cells.iter().map(|(_, t)| t.clone()).collect();
            names.sort_unstable();
            names.dedup();
            let index: HashMap<&str, u32> = names
                .iter()
                .enumerate()
                .map(|(k, n)| (n.as_str(), k as u32))
                .collect();
            let labels = cells.iter().map(|(_, t)| index[t.as_str()]).collect();
            classes(labels, names, source, column)
        }
    }
}

/// A hashable key for a finite f64 (`-0.0` and `0.0` are the same class).
fn key(v: f64) -> u64 {
    if v == 0.0 { 0 } else { v.to_bits() }
}

fn count_distinct(values: &[f64]) -> usize {
    let mut keys: Vec<u64> = values.iter().map(|&v| key(v)).collect();
    keys.sort_unstable();
    keys.dedup();
    keys.len()
}

/// A classification target, refusing a single class.
fn classes(
    labels: Vec<u32>,
    names: Vec<String>,
    source: &str,
    column: &str,
) -> anyhow::Result<Target> {
    if names.len() < 2 {
        let only = names.first().map(String::as_str).unwrap_or("");
        crate::input_bail!(
            "{source}: only one class (\"{only}\") in {column}; classification needs at least two"
        );
    }
    Ok(Target::Classes { labels, names })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::is_input_error;
    use flate2::{Compression, write::GzEncoder};
    use std::io::Write;

    fn parse(text: &str, target: Option<&str>, task: Option<Task>) -> anyhow::Result<Dataset> {
        parse_csv(
            text.as_bytes(),
            "data.csv",
            "data",
            &CsvOptions {
                target,
                task,
                ..CsvOptions::default()
            },
        )
    }

    /// The error message, after checking that it is an `InputError`.
    fn input_error(text: &str, target: Option<&str>, task: Option<Task>) -> String {
        let err = parse(text, target, task).expect_err("expected an error");
        assert!(is_input_error(&err), "not an InputError: {err:#}");
        let msg = format!("{err:#}");
        assert!(!msg.contains('\n'), "message is not one line: {msg}");
        msg
    }

    fn class_target(ds: &Dataset) -> (&[u32], &[String]) {
        match &ds.y {
            Target::Classes { labels, names } => (labels, names),
            Target::Values(_) => panic!("expected classes"),
        }
    }

    const IRIS_LIKE: &str = "sepal_length,sepal_width,species\n\
        5.1,3.5,setosa\n\
        7.0,3.2,versicolor\n\
        6.3,3.3,virginica\n\
        4.9,3.0,setosa\n";

    #[test]
    fn string_labels_become_sorted_classes() {
        let ds = parse(IRIS_LIKE, None, None).unwrap();
        assert_eq!(ds.name, "data");
        assert_eq!(ds.x.shape(), &[4, 2]);
        assert_eq!(ds.x[[1, 0]], 7.0);
        assert_eq!(ds.x[[3, 1]], 3.0);
        assert_eq!(ds.feature_names, ["sepal_length", "sepal_width"]);
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["setosa", "versicolor", "virginica"]);
        assert_eq!(labels, [0, 1, 2, 0]);
        assert_eq!(ds.task(), Task::Classify);
    }

    #[test]
    fn integer_labels_are_sorted_numerically_and_keep_their_text() {
        let mut text = String::from("a,b,label\n");
        for i in 0..12 {
            // 10 sorts before 2 as text; numerically it comes last.
            let label = [2, 10, 3][i % 3];
            text.push_str(&format!("{i},{},{label}\n", i * 2));
        }
        let ds = parse(&text, None, None).unwrap();
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["2", "3", "10"]);
        assert_eq!(&labels[..3], [0, 2, 1]);
        assert_eq!(ds.x.shape(), &[12, 2]);
    }

    #[test]
    fn labels_1_2_3_become_0_1_2() {
        let ds = parse("x,y\n0,1\n1,2\n2,3\n3,1\n4,2\n5,3\n6,1\n", None, None).unwrap();
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["1", "2", "3"]);
        assert_eq!(labels, [0, 1, 2, 0, 1, 2, 0]);
    }

    #[test]
    fn integer_valued_floats_are_class_labels() {
        let ds = parse("x,y\n1,1.0\n2,0.0\n3,1.0\n4,0.0\n5,1.0\n", None, None).unwrap();
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["0.0", "1.0"]);
        assert_eq!(labels, [1, 0, 1, 0, 1]);
    }

    #[test]
    fn target_column_can_be_named_and_sits_anywhere() {
        let ds = parse("label,f1,f2\ncat,1,2\ndog,3,4\n", Some("label"), None).unwrap();
        assert_eq!(ds.feature_names, ["f1", "f2"]);
        assert_eq!(ds.x.row(1).to_vec(), [3.0, 4.0]);
        assert_eq!(class_target(&ds).1, ["cat", "dog"]);
    }

    #[test]
    fn float_target_is_regression() {
        let ds = parse("x,y\n1,0.5\n2,1.5\n3,2.25\n4,1\n", None, None).unwrap();
        assert_eq!(ds.y, Target::Values(vec![0.5, 1.5, 2.25, 1.0]));
    }

    #[test]
    fn many_distinct_integers_are_regression() {
        // 6 distinct values in 10 rows: not fewer than half the rows.
        let ds = parse(
            "x,y\n1,1\n2,2\n3,3\n4,4\n5,5\n6,6\n7,1\n8,2\n9,3\n10,4\n",
            None,
            None,
        )
        .unwrap();
        assert_eq!(ds.task(), Task::Regress);
        let mut text = String::from("x,y\n");
        for i in 0..1000 {
            text.push_str(&format!("{i},{}\n", i % 101));
        }
        assert_eq!(parse(&text, None, None).unwrap().task(), Task::Regress);
        let mut text = String::from("x,y\n");
        for i in 0..1000 {
            text.push_str(&format!("{i},{}\n", i % 100));
        }
        assert_eq!(parse(&text, None, None).unwrap().task(), Task::Classify);
    }

    #[test]
    fn task_can_be_forced() {
        let text = "x,y\n1,0\n2,1\n3,0\n4,1\n5,0\n";
        assert_eq!(parse(text, None, None).unwrap().task(), Task::Classify);
        let ds = parse(text, None, Some(Task::Regress)).unwrap();
        assert_eq!(ds.y, Target::Values(vec![0.0, 1.0, 0.0, 1.0, 0.0]));
        let ds = parse("x,y\n1,0.5\n2,-1.5\n3,0.5\n", None, Some(Task::Classify)).unwrap();
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["-1.5", "0.5"]);
        assert_eq!(labels, [1, 0, 1]);
    }

    #[test]
    fn gzipped_csv_is_read() {
        let mut enc = GzEncoder::new(Vec::new(), Compression::default());
        enc.write_all(IRIS_LIKE.as_bytes()).unwrap();
        let gz = enc.finish().unwrap();
        let ds = parse_csv(&gz, "data.csv.gz", "data.csv.gz", &CsvOptions::default()).unwrap();
        assert_eq!(ds.x.shape(), &[4, 2]);
        assert_eq!(class_target(&ds).1.len(), 3);
    }

    #[test]
    fn crlf_whitespace_bom_and_blank_lines_are_accepted() {
        let text = "\u{feff} a , b ,c\r\n 1 ,2, x \r\n\r\n3, 4 ,y\r\n";
        let ds = parse(text, None, None).unwrap();
        assert_eq!(ds.feature_names, ["a", "b"]);
        assert_eq!(ds.x.row(1).to_vec(), [3.0, 4.0]);
        assert_eq!(class_target(&ds).1, ["x", "y"]);
    }

    #[test]
    fn line_numbers_count_blank_lines() {
        let msg = input_error("a,b,c\n1,2,x\n\n1,,y\n", None, None);
        assert!(
            msg.starts_with("data.csv line 4, column \"b\": empty cell"),
            "{msg}"
        );
    }

    #[test]
    fn crlf_line_numbers_are_exact() {
        let msg = input_error("a,b\r\n1,0\r\n\r\n\r\n3,1\r\n5,x,1\r\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 6: expected 2 fields like the header, found 3"
        );
        let msg = input_error("a,b\r1,0\r  \r3,z\r", None, Some(Task::Regress));
        assert!(msg.starts_with("data.csv line 4, column \"b\""), "{msg}");
    }

    #[test]
    fn quoted_fields() {
        let text =
            "\"first, name\",\"say \"\"hi\"\"\",\"y\"\n\"1\", 2 ,\" a \"\n3,4,\"b\nc\"\n5,6,a\n";
        let ds = parse(text, None, None).unwrap();
        assert_eq!(ds.feature_names, ["first, name", "say \"hi\""]);
        assert_eq!(ds.x.row(0).to_vec(), [1.0, 2.0]);
        let (labels, names) = class_target(&ds);
        assert_eq!(names, ["a", "b\nc"]);
        assert_eq!(labels, [0, 1, 0]);
        // A line break inside quotes counts as a line.
        let msg = input_error("a,y\n1,\"x\ny\"\n,z\n", None, None);
        assert!(
            msg.starts_with("data.csv line 4, column \"a\": empty cell"),
            "{msg}"
        );
    }

    #[test]
    fn bad_quoting_is_an_error() {
        let msg = input_error("a,y\n1,2\n1,\"open\n2,3\n", None, None);
        assert_eq!(msg, "data.csv line 3: a quoted field is never closed");
        let msg = input_error("a,y\n1,\"x\"z\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 2: unexpected text after a closing quote"
        );
    }

    #[test]
    fn empty_file_is_an_error() {
        let msg = input_error("", None, None);
        assert!(msg.starts_with("data.csv: empty file"), "{msg}");
        let msg = input_error("\n\n", None, None);
        assert!(msg.starts_with("data.csv: empty file"), "{msg}");
    }

    #[test]
    fn header_only_is_an_error() {
        let msg = input_error("a,b,c\n", None, None);
        assert_eq!(msg, "data.csv: no data rows after the header");
    }

    #[test]
    fn single_column_is_an_error() {
        let msg = input_error("y\n1\n2\n", None, None);
        assert!(msg.contains("at least one feature column"), "{msg}");
    }

    #[test]
    fn ragged_rows_name_the_line_and_counts() {
        let msg = input_error("a,b,c,d,e\n1,2,3,4,5\n1,2,3,4\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 3: expected 5 fields like the header, found 4"
        );
        let msg = input_error("a,b\n1,2\n3,4\n5,6,7\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 4: expected 2 fields like the header, found 3"
        );
    }

    #[test]
    fn empty_cells_name_line_and_column() {
        let msg = input_error("a,b,y\n1,2,0\n1, ,1\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 3, column \"b\": empty cell; --missing drop-rows leaves such rows \
             out, --missing mean fills them"
        );
        let msg = input_error("a,b,y\n1,2,0\n1,2,\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 3, column \"y\": empty cell; --missing drop-rows leaves such rows out"
        );
    }

    #[test]
    fn a_text_feature_is_one_hot_with_sorted_categories() {
        let ds = parse(
            "petal_length,petal_width,y\n1,2,a\n3,4,b\n5,abc,a\n",
            None,
            None,
        )
        .unwrap();
        assert_eq!(
            ds.feature_names,
            [
                "petal_length",
                "petal_width=2",
                "petal_width=4",
                "petal_width=abc"
            ]
        );
        assert_eq!(ds.x.row(2).to_vec(), [5.0, 0.0, 0.0, 1.0]);
    }

    #[test]
    fn non_finite_features_are_errors() {
        for bad in ["inf", "-Infinity", "1e39"] {
            let msg = input_error(&format!("a,b,y\n1,2,0\n3,{bad},1\n"), None, None);
            assert!(
                msg.starts_with(&format!("data.csv line 3, column \"b\": \"{bad}\" is ")),
                "{msg}"
            );
        }
    }

    #[test]
    fn non_finite_numeric_target_is_an_error() {
        let msg = input_error("a,y\n1,0.5\n2,inf\n3,1.5\n", None, None);
        assert_eq!(
            msg,
            "data.csv line 3, column \"y\": \"inf\" is not a finite number"
        );
        let msg = input_error("a,y\n1,0.5\n2,nan\n3,1.5\n", None, None);
        assert!(msg.starts_with("data.csv line 3, column \"y\": missing cell (\"nan\")"));
        let msg = input_error("a,y\n1,0\n2,1\n3,inf\n", None, Some(Task::Classify));
        assert!(msg.starts_with("data.csv line 4, column \"y\""), "{msg}");
    }

    #[test]
    fn unknown_target_lists_the_columns() {
        let msg = input_error("a,b,c\n1,2,3\n", Some("label"), None);
        assert_eq!(
            msg,
            "data.csv: no column named \"label\" for the target; the columns are \"a\", \"b\", \"c\""
        );
    }

    #[test]
    fn ambiguous_target_is_an_error() {
        let msg = input_error("a,y,y\n1,2,3\n", Some("y"), None);
        assert!(msg.contains("appears more than once"), "{msg}");
    }

    #[test]
    fn forced_regression_with_text_target_names_line_and_column() {
        let msg = input_error("a,y\n1,2.5\n2,high\n", None, Some(Task::Regress));
        assert!(
            msg.starts_with("data.csv line 3, column \"y\": \"high\" is not a number"),
            "{msg}"
        );
    }

    #[test]
    fn single_class_is_an_error() {
        let msg = input_error("a,y\n1,cat\n2,cat\n3,cat\n", None, None);
        assert_eq!(
            msg,
            "data.csv: only one class (\"cat\") in column \"y\"; classification needs at least two"
        );
        let msg = input_error("a,y\n1,7\n2,7\n3,7\n", None, Some(Task::Classify));
        assert!(msg.contains("only one class (\"7\")"), "{msg}");
    }

    #[test]
    fn unnamed_columns_get_a_label_and_a_name() {
        let msg = input_error("a,,y\n1,2,0\n1,,1\n", None, None);
        assert!(
            msg.starts_with("data.csv line 3, column 2 (unnamed): empty cell"),
            "{msg}"
        );
        let ds = parse("a,,y\n1,2,0\n1,3,1\n", None, Some(Task::Classify)).unwrap();
        assert_eq!(ds.feature_names, ["a", "column_2"]);
    }

    #[test]
    fn invalid_utf8_is_an_input_error() {
        let err = parse_csv(
            b"a,y\n1,\xff\xfe\n",
            "data.csv",
            "d",
            &CsvOptions::default(),
        )
        .unwrap_err();
        assert!(is_input_error(&err));
        assert!(err.to_string().starts_with("data.csv line 2"), "{err}");
    }

    #[test]
    fn idx_bytes_are_refused_with_a_hint() {
        let err = parse_csv(
            &[0, 0, 8, 3, 0, 0, 0, 1],
            "imgs",
            "imgs",
            &CsvOptions::default(),
        )
        .unwrap_err();
        assert!(is_input_error(&err));
        assert!(err.to_string().contains("--labels"), "{err}");
    }

    #[test]
    fn missing_file_is_an_input_error_naming_the_path() {
        let path = Path::new("/nonexistent/dir/data.csv");
        let err = load_csv_file(path, &CsvOptions::default()).unwrap_err();
        assert!(is_input_error(&err));
        assert!(
            err.to_string()
                .starts_with("--dataset /nonexistent/dir/data.csv: cannot read"),
            "{err}"
        );
    }

    #[test]
    fn file_is_named_after_its_file_name() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("flowers.csv");
        std::fs::write(&path, IRIS_LIKE).unwrap();
        let ds = load_csv_file(&path, &CsvOptions::default()).unwrap();
        assert_eq!(ds.name, "flowers.csv");
        assert_eq!(ds.n_classes(), 3);
    }

    #[test]
    fn read_columns_by_name_ignoring_others() {
        let names = vec!["b".to_string(), "a".to_string()];
        let text = "a,label,b\n1,x,2\n3,y,4\n";
        let x = read_columns(text.as_bytes(), "--input in.csv", &names).unwrap();
        assert_eq!(x, ndarray::array![[2.0f32, 1.0], [4.0, 3.0]]);
        let err = read_columns(b"a,c\n1,2\n", "--input in.csv", &names).unwrap_err();
        assert!(is_input_error(&err));
        assert!(
            err.to_string()
                .starts_with("--input in.csv: missing column \"b\""),
            "{err}"
        );
        let err = read_columns(b"a,b\n1,z\n", "--input in.csv", &names).unwrap_err();
        assert_eq!(
            err.to_string(),
            "--input in.csv line 2, column \"b\": \"z\" is not a number"
        );
    }

    #[test]
    fn table_reads_columns_by_name_with_quotes_bom_and_any_order() {
        let text = "\u{feff}loss,\"lr\",note,step\r\n0.5,1e-3,\"a, quoted \"\"cell\"\"\",0\r\n\r\nNaN,2e-3,,1\n";
        let t = CsvTable::parse(text.as_bytes(), "steps.csv").unwrap();
        assert_eq!(t.columns(), ["loss", "lr", "note", "step"]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.lines(), [2, 4]);
        assert_eq!(t.f64s("lr").unwrap(), [1e-3, 2e-3]);
        assert_eq!(t.u64s("step").unwrap(), [0, 1]);
        assert!(t.f64s("loss").unwrap()[1].is_nan());
        assert_eq!(t.strings("note").unwrap(), ["a, quoted \"cell\"", ""]);
        assert_eq!(
            t.optional_f64s("note").unwrap_err().to_string(),
            "steps.csv line 2, column \"note\": \"a, quoted \"cell\"\" is not a number"
        );
        let gz = {
            let mut e = GzEncoder::new(Vec::new(), Compression::default());
            e.write_all(text.as_bytes()).unwrap();
            e.finish().unwrap()
        };
        assert_eq!(
            CsvTable::parse(&gz, "s.csv.gz")
                .unwrap()
                .f64s("lr")
                .unwrap(),
            [1e-3, 2e-3]
        );
    }

    #[test]
    fn table_errors_name_file_column_and_line() {
        let t = CsvTable::parse(b"a,b\n1,\n2,x\n", "run/epochs.csv").unwrap();
        let err = t.f64s("val_loss").unwrap_err();
        assert!(is_input_error(&err));
        assert_eq!(
            err.to_string(),
            "run/epochs.csv: no column \"val_loss\" (columns: a, b)"
        );
        assert_eq!(
            t.optional_f64s("b").unwrap_err().to_string(),
            "run/epochs.csv line 3, column \"b\": \"x\" is not a number"
        );
        assert_eq!(
            t.f64s("b").unwrap_err().to_string(),
            "run/epochs.csv line 2, column \"b\": empty cell"
        );
        let err = CsvTable::parse(b"a,b\n1\n", "x.csv")
            .unwrap_err()
            .to_string();
        assert_eq!(
            err,
            "x.csv line 2: expected 2 fields like the header, found 1"
        );
        let t = CsvTable::parse(b"a,a\n1,2\n", "x.csv").unwrap();
        assert!(
            t.strings("a")
                .unwrap_err()
                .to_string()
                .contains("more than once")
        );
        assert!(
            CsvTable::parse(b"", "x.csv")
                .unwrap_err()
                .to_string()
                .contains("empty file")
        );
    }
}
