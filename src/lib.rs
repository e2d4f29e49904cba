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
pub mod limits;
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
pub mod words;

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
    limits::set_max_input_mb(cli.limits.max_input_mb);
    limits::memory::set_max_memory_mb(cli.limits.max_memory_mb);
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
            error::eprint_line(&limits::readable_line(&format!("lrtool: {err:#}")));
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
            error::eprint_line(&limits::readable_line(&format!("lrtool: {err:#}")));
            return Err(2);
        }
    };
    match Cli::try_parse_from(join_negative_values(args)) {
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
                error::eprint_line(&limits::readable_line(&format!("lrtool: {line}")));
                Err(2)
            }
        },
    }
}

/// `--min -1e-3` as `--min=-1e-3`: clap reads a word starting with `-` after a flag as the
/// flag's value only when the word looks like a number to it, and an exponent with a sign
/// (`-1e-3`) or `-inf` does not. A word that Rust reads as a number is joined to the long flag
/// before it when that flag takes a value, so that the flag's own check judges it.
fn join_negative_values(args: Vec<OsString>) -> Vec<OsString> {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let words: Vec<Option<&str>> = args.iter().map(|a| a.to_str()).collect();
    let sub = words
        .iter()
        .skip(1)
        .flatten()
        .find_map(|w| cmd.find_subcommand(w));
    let takes_value = |long: &str| {
        sub.into_iter()
            .flat_map(|s| s.get_arguments())
            .chain(cmd.get_arguments())
            .any(|a| a.get_long() == Some(long) && a.get_action().takes_values())
    };
    let mut out = Vec::with_capacity(args.len());
    let mut i = 0;
    while i < args.len() {
        if let (Some(Some(flag)), Some(Some(value))) = (words.get(i), words.get(i + 1))
            && let Some(long) = flag.strip_prefix("--")
            && !long.is_empty()
            && !long.contains('=')
            && value.starts_with('-')
            && value.parse::<f64>().is_ok()
            && takes_value(long)
        {
            out.push(OsString::from(format!("{flag}={value}")));
            i += 2;
            continue;
        }
        out.push(args[i].clone());
        i += 1;
    }
    out
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
