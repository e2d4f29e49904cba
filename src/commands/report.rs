//! `lrtool report DIR`: (re)write a run folder's report.html from its summary.json and plots.

use std::path::Path;

use crate::cli::ReportArgs;
use crate::commands::common::print_stdout;
use crate::output;
use crate::report::html;

pub fn run(args: ReportArgs) -> anyhow::Result<()> {
    let dir = &args.dir;
    if !dir.is_dir() {
        crate::input_bail!(
            "{}: not a folder (give a run folder of lrtool)",
            dir.display()
        );
    }
    match args.output.as_deref() {
        Some(p) if p == Path::new("-") => print_stdout(&html::render(dir)?)?,
        Some(p) => {
            not_over_a_run_file(dir, p)?;
            crate::output::write_file_for_flag("--output", p, html::render(dir)?.as_bytes())?
        }
        None => {
            // the run folder is written: one lrtool process at a time, and its report.html only
            let _lock = output::Lock::take(dir, &dir.display().to_string())?;
            if let Some(m) = output::read_manifest(dir)?
                && output::kind_of(dir, html::FILE) != Ok(output::Kind::Absent)
                && !m.files.iter().any(|f| f == html::FILE)
            {
                crate::input_bail!(
                    "{}: {} is in the way and lrtool did not write it; move it, or give --output FILE",
                    dir.display(),
                    html::FILE
                );
            }
            let page = html::render(dir)?;
            let target = dir.join(html::FILE);
            crate::output::write_atomic(&target, page.as_bytes())?;
            // a later run into the folder may replace the page like the rest of the run
            crate::output::record_in_manifest(dir, html::FILE)?;
            crate::error::eprint_line(&format!("lrtool report: wrote {}", target.display()));
        }
    }
    Ok(())
}

/// `--output` must not be (by any spelling or hard link) a file of the run folder other than
/// its report.html: the manifest, the lock, a file the manifest lists or any file at the top of
/// the folder (what the page is made from).
fn not_over_a_run_file(dir: &Path, target: &Path) -> anyhow::Result<()> {
    if !target.exists() {
        return Ok(());
    }
    let mut names: Vec<String> = vec![output::MANIFEST.into(), output::LOCK.into()];
    if let Ok(Some(m)) = output::read_manifest(dir) {
        names.extend(m.files);
    }
    if let Ok(entries) = std::fs::read_dir(dir) {
        names.extend(
            entries
                .take(output::MAX_ENTRIES)
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned()),
        );
    }
    for name in names.iter().filter(|n| n.as_str() != html::FILE) {
        if output::same_path(target, &dir.join(name)) {
            crate::input_bail!(
                "--output {}: is {name} of the run folder {}; write the page elsewhere (without --output it goes to {}/{})",
                target.display(),
                dir.display(),
                dir.display(),
                html::FILE
            );
        }
    }
    Ok(())
}
