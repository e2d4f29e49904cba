//! Choosing a CSV file's feature columns (`--features`, `--drop`) and what a missing cell means
//! (`--missing`).
//!
//! A column list is comma-separated; each item is a column name, a 1-based column index
//! (counting every column of the file, the target included, as `cut -f` does) or an index range
//! `A-B` (both ends included). An item that is exactly a column's name always means that column,
//! so a column called `2` or `2-5` is reached by its name.

use serde::{Deserialize, Serialize};

/// `--max-categories` when not given: the most distinct values a text column may hold in the
/// training rows before it is refused.
pub const DEFAULT_MAX_CATEGORIES: usize = 100;

/// A column whose every row holds a distinct value is only called an identifier from this many
/// rows on (with fewer, any column can be distinct by chance).
pub const ID_MIN_ROWS: usize = 10;

/// What a missing cell (see [`is_missing`]) does.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum MissingMode {
    /// A missing cell is an error naming the file, the line and the column.
    #[default]
    Error,
    /// Rows with a missing cell (in a feature or the target) are left out.
    DropRows,
    /// A missing number becomes the training rows' mean of its column; a missing text cell has
    /// no category (all zeros). A missing target is still an error.
    Mean,
}

impl MissingMode {
    pub fn name(self) -> &'static str {
        match self {
            MissingMode::Error => "error",
            MissingMode::DropRows => "drop-rows",
            MissingMode::Mean => "mean",
        }
    }
}

/// The cell texts that mean "no value": the empty cell, `?`, and `NA`, `N/A`, `NaN`, `null` in
/// any letter case.
pub fn is_missing(cell: &str) -> bool {
    cell.is_empty()
        || cell == "?"
        || ["na", "n/a", "nan", "null"]
            .iter()
            .any(|m| cell.eq_ignore_ascii_case(m))
}

/// How an error message shows a missing cell: `empty cell` or `missing cell ("NA")`.
pub fn describe_missing(cell: &str) -> String {
    if cell.is_empty() {
        "empty cell".to_owned()
    } else {
        format!("missing cell (\"{cell}\")")
    }
}

/// A `--features` or `--drop` list as given: the flag and its comma-separated items.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ColumnList {
    #[serde(skip)]
    pub flag: &'static str,
    pub items: Vec<String>,
}

impl ColumnList {
    /// Splits `text` at commas and trims each item; an empty item is an error naming `flag`.
    pub fn parse(flag: &'static str, text: &str) -> anyhow::Result<ColumnList> {
        let items: Vec<String> = text.split(',').map(|s| s.trim().to_owned()).collect();
        if items.iter().any(String::is_empty) {
            crate::input_bail!(
                "{flag} \"{text}\": an empty item; give column names, 1-based indices or \
                 ranges like 2-5, separated by commas"
            );
        }
        Ok(ColumnList { flag, items })
    }

    /// The list as written on the command line.
    pub fn text(&self) -> String {
        self.items.join(",")
    }

    /// The 0-based positions of the listed columns in `columns` (file order, each once).
    pub fn resolve(&self, columns: &[String], source: &str) -> anyhow::Result<Vec<usize>> {
        let flag = self.flag;
        let n = columns.len();
        let mut out = Vec::new();
        for item in &self.items {
            let named: Vec<usize> = (0..n).filter(|&j| columns[j] == *item).collect();
            match named.as_slice() {
                [j] => {
                    out.push(*j);
                    continue;
                }
                [_, _, ..] => crate::input_bail!(
                    "{flag} {item}: {source} has {} columns named \"{item}\"; give the one \
                     meant by its 1-based index",
                    named.len()
                ),
                [] => {}
            }
            let index = |s: &str| -> Option<usize> {
                if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
                    return None;
                }
                s.parse::<usize>().ok()
            };
            let range = match item.split_once('-') {
                Some((a, b)) => index(a.trim()).zip(index(b.trim())),
                None => index(item).map(|i| (i, i)),
            };
            let Some((a, b)) = range else {
                crate::input_bail!(
                    "{flag} {item}: {source} has no column \"{item}\"; {}",
                    near_names(item, columns)
                );
            };
            if a == 0 || b == 0 || a > n || b > n {
                crate::input_bail!(
                    "{flag} {item}: column indices count from 1 and {source} has {}",
                    crate::words::count(n, "column")
                );
            }
            if a > b {
                crate::input_bail!(
                    "{flag} {item}: a range goes from the lower index to the higher"
                );
            }
            out.extend(a - 1..b);
        }
        out.sort_unstable();
        out.dedup();
        Ok(out)
    }
}

/// The feature columns `--features` and `--drop` leave: `features` (default every column), less
/// `drop`, never the target; in file order.
pub fn select(
    features: Option<&ColumnList>,
    drop: Option<&ColumnList>,
    columns: &[String],
    target: usize,
    source: &str,
) -> anyhow::Result<Vec<usize>> {
    let target_name = shown(columns, target);
    let mut chosen: Vec<usize> = match features {
        Some(list) => {
            let cols = list.resolve(columns, source)?;
            if cols.contains(&target) {
                crate::input_bail!(
                    "{} {}: includes the target column {target_name}; a column cannot be both \
                     (choose the target with --target)",
                    list.flag,
                    list.text()
                );
            }
            cols
        }
        None => (0..columns.len()).filter(|&j| j != target).collect(),
    };
    if let Some(list) = drop {
        let cols = list.resolve(columns, source)?;
        if cols.contains(&target) {
            crate::input_bail!(
                "{} {}: includes the target column {target_name}; the target is never a \
                 feature (choose another target with --target)",
                list.flag,
                list.text()
            );
        }
        chosen.retain(|j| !cols.contains(j));
    }
    if chosen.is_empty() {
        let flags = match (features, drop) {
            (Some(f), Some(d)) => format!("{} {} with {} {}", f.flag, f.text(), d.flag, d.text()),
            (Some(l), None) | (None, Some(l)) => format!("{} {}", l.flag, l.text()),
            (None, None) => "the header".to_owned(),
        };
        crate::input_bail!("{flags}: leaves no feature column in {source} besides the target");
    }
    Ok(chosen)
}

/// `"name"`, or `3 (unnamed)`.
fn shown(columns: &[String], j: usize) -> String {
    match columns[j].as_str() {
        "" => format!("{} (unnamed)", j + 1),
        name => format!("\"{name}\""),
    }
}

/// "did you mean …" for a name that is not a column: the columns close to it by spelling (or
/// letter case), else the columns there are (the first 20).
pub fn near_names(name: &str, columns: &[String]) -> String {
    let lower = name.to_lowercase();
    let mut near: Vec<(usize, &String)> = columns
        .iter()
        .filter(|c| !c.is_empty())
        .filter_map(|c| {
            let cl = c.to_lowercase();
            let d = edit_distance(&lower, &cl);
            let close = d <= (lower.chars().count() / 3).max(2)
                || (lower.len() >= 3 && (cl.contains(&lower) || lower.contains(&cl)));
            close.then_some((d, c))
        })
        .collect();
    near.sort();
    let quoted = |cs: &mut dyn Iterator<Item = &String>| {
        cs.map(|c| format!("\"{c}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if !near.is_empty() {
        return format!(
            "near names: {}",
            quoted(&mut near.iter().take(5).map(|(_, c)| *c))
        );
    }
    let more = columns.len().saturating_sub(20);
    format!(
        "the columns are {}{}",
        quoted(&mut columns.iter().take(20)),
        if more > 0 {
            format!(" and {more} more")
        } else {
            String::new()
        }
    )
}

/// Levenshtein distance over characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let sub = prev[j] + usize::from(ca != cb);
            cur[j + 1] = sub.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cols(names: &[&str]) -> Vec<String> {
        names.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn names_indices_and_ranges() {
        let c = cols(&["id", "age", "city", "rooms", "2", "price"]);
        let l = ColumnList::parse("--features", "age, 4-5,1").unwrap();
        assert_eq!(l.resolve(&c, "f").unwrap(), [0, 1, 3, 4]);
        // a column named "2" is reached by its name first
        let l = ColumnList::parse("--drop", "2").unwrap();
        assert_eq!(l.resolve(&c, "f").unwrap(), [4]);
        let l = ColumnList::parse("--drop", "3").unwrap();
        assert_eq!(l.resolve(&c, "f").unwrap(), [2]);
        assert!(ColumnList::parse("--drop", "a,,b").is_err());
        let err = ColumnList::parse("--drop", "7").unwrap().resolve(&c, "f");
        assert!(format!("{:#}", err.unwrap_err()).contains("6 columns"));
        let err = ColumnList::parse("--drop", "5-3").unwrap().resolve(&c, "f");
        assert!(err.is_err());
    }

    #[test]
    fn unknown_names_list_near_ones() {
        let c = cols(&["id", "age", "city", "rooms", "price"]);
        let err = ColumnList::parse("--features", "ctiy")
            .unwrap()
            .resolve(&c, "f.csv")
            .unwrap_err();
        let msg = format!("{err:#}");
        assert!(
            msg.starts_with("--features ctiy: f.csv has no column"),
            "{msg}"
        );
        assert!(msg.contains("near names: \"city\""), "{msg}");
        let msg = near_names("zzzzzz", &c);
        assert!(msg.contains("the columns are \"id\", \"age\""), "{msg}");
    }

    #[test]
    fn select_never_takes_the_target() {
        let c = cols(&["id", "age", "price"]);
        let drop = ColumnList::parse("--drop", "id").unwrap();
        assert_eq!(select(None, Some(&drop), &c, 2, "f").unwrap(), [1]);
        let feats = ColumnList::parse("--features", "1-3").unwrap();
        assert!(select(Some(&feats), None, &c, 2, "f").is_err());
        let all = ColumnList::parse("--drop", "1-2").unwrap();
        assert!(select(None, Some(&all), &c, 2, "f").is_err());
    }

    #[test]
    fn missing_markers() {
        for m in ["", "?", "NA", "na", "N/A", "NaN", "null", "NULL"] {
            assert!(is_missing(m), "{m}");
        }
        for m in ["0", "Paris", "None", "-"] {
            assert!(!is_missing(m), "{m}");
        }
    }
}
