//! Output flags: the run folder, verbosity, report and `--config`.

use std::path::PathBuf;

use clap::Args;

/// Where results go and how much is said.
#[derive(Debug, Clone, Args)]
#[command(next_help_heading = "Output")]
pub struct OutputArgs {
    /// Output folder; an earlier lrtool run in it is replaced [default: a new folder, the first
    /// free one of runs/<command>, runs/<command>-2, runs/<command>-3, …, named on stderr].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into a folder that holds files lrtool did not write: they are left alone, and a
    /// file in the way of an output is still refused [default: off].
    #[arg(long)]
    pub force: bool,
    /// Print the summary as JSON on stdout (and nothing else there).
    #[arg(long)]
    pub json: bool,
    /// No progress bar and no report on stdout; errors still go to stderr.
    #[arg(long)]
    pub quiet: bool,
    /// Do not write report.html (the one-page HTML report of the run; `lrtool report DIR`
    /// writes it later).
    #[arg(long)]
    pub no_report: bool,
    /// Read flags from a JSON object whose keys are long flag names ({"batch-size": 64});
    /// flags given on the command line win.
    #[arg(long, value_name = "FILE.json")]
    pub config: Option<PathBuf>,
}
