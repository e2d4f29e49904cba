//! `report.html`: one self-contained page for a run folder of `train`, `find-lr`,
//! `snapshot-ensemble`, `compare` or `landscape`, built only from the folder's `summary.json` and SVG plots
//! (inlined), so it opens offline and needs no JavaScript. It holds no time or path of its own
//! making: the same folder gives the same bytes (wall times stay in `timing.json`).

mod compare;
mod facts;
mod find_lr;
mod landscape;
mod snapshot;
mod svg;
mod train;

use std::fmt::Write as _;
use std::path::Path;

use crate::output::OutDir;
use crate::report::records::RunSummary;

/// The report's file name inside a run folder.
pub const FILE: &str = "report.html";

/// Render the report of the run folder `dir` and write it there as `report.html` (recorded in the
/// folder's manifest like every other file of the run).
pub fn write(out: &mut OutDir) -> anyhow::Result<()> {
    let html = render(out.path())?;
    out.write_atomic(FILE, html.as_bytes())?;
    Ok(())
}

/// The HTML page for the run folder `dir`. The summary is read through its command family's
/// type ([`RunSummary`]): one that does not fit is an error naming the file and the field.
pub fn render(dir: &Path) -> anyhow::Result<String> {
    let typed = RunSummary::read(dir)?;
    let mut page = Page::default();
    match &typed {
        RunSummary::Train(t) => train::page(&mut page, dir, t),
        RunSummary::FindLr(t) => find_lr::page(&mut page, dir, t),
        RunSummary::Snapshot(t) => snapshot::page(&mut page, dir, t),
        RunSummary::Compare(t) => compare::page(&mut page, dir, t),
        RunSummary::Landscape(t) => landscape::page(&mut page, dir, t),
    }
    Ok(page.finish(typed.command(), typed.lrtool_version()))
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
        self.table_with("<table>", header, rows, |_, cell| looks_numeric(cell));
    }

    /// A table of results: the first column names the row, every other cell is a number
    /// ("0.9612 ± 0.0031", "(reference)", "3/3", "–"), right-aligned and never wrapped.
    fn results_table(&mut self, header: &[&str], rows: &[Vec<String>]) {
        self.table_with("<table class=\"results\">", header, rows, |column, _| {
            column > 0
        });
    }

    fn table_with(
        &mut self,
        open: &str,
        header: &[&str],
        rows: &[Vec<String>],
        numeric: impl Fn(usize, &str) -> bool,
    ) {
        let mut t = format!("<div class=\"wide\">\n{open}\n<thead><tr>");
        for h in header {
            let _ = write!(t, "<th>{}</th>", esc(h));
        }
        t.push_str("</tr></thead>\n<tbody>\n");
        for row in rows {
            t.push_str("<tr>");
            for (column, cell) in row.iter().enumerate() {
                let class = if numeric(column, cell) {
                    " class=\"num\""
                } else {
                    ""
                };
                let _ = write!(t, "<td{class}>{}</td>", esc(cell));
            }
            t.push_str("</tr>\n");
        }
        t.push_str("</tbody>\n</table>\n</div>\n");
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
        let path = dir.join(name);
        let read = crate::limits::read_raw(&path, name, crate::limits::Kind::Record);
        let text = read.ok().and_then(|b| String::from_utf8(b).ok());
        // a plot that someone else changed is not inlined: the page stays free of scripts
        if let Some(why) = text.as_deref().and_then(svg::refusal)
            && text
                .as_deref()
                .is_some_and(|s| s.trim_start().starts_with("<svg"))
        {
            let _ = writeln!(
                self.body,
                "<p class=\"missing\">{} is not shown: it holds markup lrtool's plots never have ({}).</p>",
                esc(name),
                esc(&why)
            );
            return;
        }
        match text {
            Some(svg) if svg.trim_start().starts_with("<svg") => {
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

    fn finish(self, command: &str, version: &str) -> String {
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

const CSS: &str = "body { font-family: system-ui, -apple-system, 'Segoe UI', sans-serif; margin: 0 auto; max-width: 1200px; padding: 1em 1.5em; color: #1d1d1f; background: #fff; line-height: 1.45; }
h1 { margin-bottom: 0.1em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 1.6em; }
.subtitle { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d0d0; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
thead th { background: #f2f2f2; }
table.facts th { background: #f7f7f7; font-weight: 600; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
div.wide { overflow-x: auto; }
table.results { font-size: 0.8em; }
pre.cmd { background: #f6f8fa; border: 1px solid #e1e4e8; padding: 0.7em; white-space: pre-wrap; overflow-wrap: anywhere; font-size: 0.88em; }
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
    fn refuses_a_folder_without_summary() {
        let tmp = tempfile::tempdir().unwrap();
        let err = render(tmp.path()).unwrap_err();
        assert!(crate::error::is_input_error(&err), "{err}");
    }

    #[test]
    fn a_summary_missing_a_field_is_an_error_naming_it() {
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join("summary.json"), r#"{"command": "train"}"#).unwrap();
        let err = render(tmp.path()).unwrap_err().to_string();
        assert!(err.contains("summary.json: missing field `"), "{err}");
    }
}
