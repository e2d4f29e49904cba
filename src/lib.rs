//! lrtool: train small MLPs and run learning-rate experiments from the command line.
//!
//! The crate is a library with a thin binary: `main.rs` hands the arguments to [`main_with_args`],
//! which parses them, runs a command and turns the outcome into an exit code (0 success, 1 the
//! run failed, 2 bad usage, configuration or input data, 130 stopped by Ctrl-C or SIGTERM).

pub mod cli;
pub mod commands;
pub mod config;
pub mod data;
pub mod ensemble;
pub mod error;
pub mod interrupt;
pub mod landscape;
pub mod linalg;
pub mod lr_finder;
pub mod nn;
pub mod observers;
pub mod optim;
pub mod output;
pub mod report;
pub mod schedule;
pub mod train;
pub mod weights;

use std::ffi::OsString;

use clap::Parser;
use clap::error::{ContextKind, ContextValue, ErrorKind};

use cli::{Cli, Command};

/// The command line as given (program name first), for summaries and suggested next commands.
static ARGV: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// The command line this process was started with (empty when run through [`run`] directly).
pub fn argv() -> &'static [String] {
    ARGV.get().map(Vec::as_slice).unwrap_or(&[])
}

/// Run a parsed command line.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Train(args) => {
            commands::train::run(&config::RunSpec::from_train_args(&args, "train")?)
        }
        Command::FindLr(args) => commands::find_lr::run(args),
        Command::Suggest(args) => commands::suggest::run(args),
        Command::Schedule(args) => commands::schedule::run(args),
        Command::SnapshotEnsemble(args) => {
            commands::snapshot_ensemble::run(&config::SnapshotSpec::from_args(&args)?)
        }
        Command::Evaluate(args) => commands::evaluate::run(args),
        Command::Predict(args) => commands::predict::run(args),
        Command::Landscape(args) => commands::landscape::run(args),
        Command::Compare(args) => commands::compare::run(args),
        Command::Datasets(args) => commands::datasets::run(args),
        Command::Bench(args) => commands::bench::run(args),
        Command::Report(args) => commands::report::run(args),
        Command::Completions(args) => commands::completions::completions(args),
        Command::Man(args) => commands::completions::man(args),
    }
}

/// Parse `args` (program name first), run, print any error as one line on stderr, and return the
/// process exit code.
pub fn main_with_args(args: Vec<OsString>) -> i32 {
    let _ = ARGV.set(
        args.iter()
            .map(|a| a.to_string_lossy().into_owned())
            .collect(),
    );
    let cli = match parse(args) {
        Ok(cli) => cli,
        Err(code) => return code,
    };
    match run(cli) {
        Ok(()) => 0,
        Err(err) => {
            eprintln!("lrtool: {err:#}");
            if error::is_interrupted(&err) {
                interrupt::EXIT_CODE
            } else if error::is_input_error(&err) {
                2
            } else {
                1
            }
        }
    }
}

/// Expand `--config`, then let clap parse. Help and version are printed as clap prints them;
/// every usage error becomes one line naming the flag (and the config file when it came from one).
fn parse(args: Vec<OsString>) -> Result<Cli, i32> {
    let (args, origin) = match config::expand_config(args) {
        Ok(x) => x,
        Err(err) => {
            eprintln!("lrtool: {err:#}");
            return Err(2);
        }
    };
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(e) => match e.kind() {
            ErrorKind::DisplayHelp
            | ErrorKind::DisplayVersion
            | ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
                let _ = e.print();
                Err(e.exit_code())
            }
            _ => {
                let mut line = one_line(&e.to_string());
                if let (Some(origin), Some(ContextValue::String(arg))) =
                    (origin, e.get(ContextKind::InvalidArg))
                {
                    let flag = arg
                        .split_whitespace()
                        .next()
                        .unwrap_or("")
                        .trim_start_matches('-');
                    if origin.keys.iter().any(|k| k == flag) {
                        line = format!("{}: key \"{flag}\": {line}", origin.file);
                    }
                }
                eprintln!("lrtool: {line}");
                Err(2)
            }
        },
    }
}

/// clap's multi-line error as one line: the message and its tips, without usage and help hints.
fn one_line(text: &str) -> String {
    text.lines()
        .map(str::trim)
        .filter(|l| {
            !l.is_empty() && !l.starts_with("Usage:") && !l.starts_with("For more information")
        })
        .map(|l| l.trim_start_matches("error: ").to_string())
        .collect::<Vec<_>>()
        .join("; ")
}
