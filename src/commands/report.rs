//! `lrtool report DIR`: (re)write a run folder's report.html from its summary.json and plots.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::commands::common::print_stdout;
use crate::report::html;

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    if !dir.is_dir() {
        crate::input_bail!(
            "{}: not a folder (give a run folder of lrtool)",
            dir.display()
        );
    }
    let page = html::render(dir)?;
    match args.output.as_deref() {
        Some(p) if p == Path::new("-") => print_stdout(&page)?,
        Some(p) => crate::output::write_atomic(p, page.as_bytes())?,
        None => {
            let target = dir.join(html::FILE);
            crate::output::write_atomic(&target, page.as_bytes())?;
            // a later run into the folder may replace the page like the rest of the run
            crate::output::record_in_manifest(dir, html::FILE)?;
            eprintln!("lrtool report: wrote {}", target.display());
        }
    }
    Ok(())
}
