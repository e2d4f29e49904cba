//! The `--config` expander and everything that validates its values, for `train`, `find-lr` and
//! `schedule`. The first byte picks the subcommand, the steps per epoch and the mode: raw text
//! (the rest is the JSON file, which exercises the JSON errors) or structured (the rest is read
//! as a list of known flag names with typed values, which exercises the flags' validation).
//! Never a panic; a schedule that validation accepts gives a finite LR within its own bounds at
//! every step looked at.
#![no_main]

use std::ffi::OsString;
use std::sync::OnceLock;

use clap::{CommandFactory, Parser};
use libfuzzer_sys::fuzz_target;
use lrtool::cli::{Cli, Command, ScheduleArgs};
use lrtool::commands::find_lr::SweepConfig;
use lrtool::config::{DataConfig, ModelConfig, OptimConfig, RunConfig, expand_config_text};
use serde_json::{Map, Value};

const SUBCOMMANDS: [&str; 3] = ["train", "find-lr", "schedule"];

/// Strings that flags take: every enum value, and numbers and lists written as text.
const WORDS: &[&str] = &[
    "constant",
    "step",
    "multistep",
    "exponential",
    "cosine",
    "sgdr",
    "triangular",
    "triangular2",
    "exp-range",
    "one-cycle",
    "snapshot",
    "sgd",
    "adam",
    "adamw",
    "relu",
    "leaky-relu",
    "tanh",
    "sigmoid",
    "gelu",
    "torch",
    "he",
    "xavier",
    "classify",
    "regress",
    "exp",
    "linear",
    "cos",
    "pytorch",
    "keras",
    "csv",
    "json",
    "digits",
    "iris",
    "",
    "0",
    "1",
    "-1",
    "0.5",
    "1e-9",
    "1e308",
    "nan",
    "inf",
    "-inf",
    "1,2,3",
    "3,2",
    "0,4",
    "128,64",
    "2,",
    "1e400",
    "18446744073709551616",
];

/// Numbers on the edges of the flags' ranges.
const NUMBERS: &[f64] = &[
    0.0,
    1.0,
    0.5,
    0.999,
    1e-9,
    1e-300,
    5e-324,
    1e308,
    f64::MAX,
    2.0,
    3.0,
    10.0,
    25.0,
    1e4,
    1e6,
    1e7,
    1e9,
    4294967296.0,
    9007199254740993.0,
    1.8446744073709552e19,
];

/// The long flags of each subcommand that a config file may set.
fn flags(sub: &str) -> &'static [String] {
    static FLAGS: OnceLock<Vec<Vec<String>>> = OnceLock::new();
    let all = FLAGS.get_or_init(|| {
        let cmd = Cli::command();
        SUBCOMMANDS
            .iter()
            .map(|s| {
                cmd.find_subcommand(s)
                    .map(|c| {
                        c.get_arguments()
                            .filter_map(|a| a.get_long())
                            .filter(|l| *l != "config" && *l != "help")
                            .map(str::to_string)
                            .collect()
                    })
                    .unwrap_or_default()
            })
            .collect()
    });
    &all[SUBCOMMANDS.iter().position(|s| *s == sub).unwrap_or(0)]
}

/// Reads bytes off the front of the input; zeros once it runs out.
struct Bytes<'a>(&'a [u8]);

impl Bytes<'_> {
    fn u8(&mut self) -> u8 {
        match self.0.split_first() {
            Some((&b, rest)) => {
                self.0 = rest;
                b
            }
            None => 0,
        }
    }
    fn pick<'t, T>(&mut self, items: &'t [T]) -> &'t T {
        &items[usize::from(self.u8()) % items.len()]
    }
}

/// A JSON object of known flag names with typed values, read from the bytes.
fn structured(sub: &str, bytes: &[u8]) -> String {
    let mut b = Bytes(bytes);
    let names = flags(sub);
    let mut map = Map::new();
    while !b.0.is_empty() {
        let key = b.pick(names).clone();
        let value = match b.u8() % 7 {
            0 => Value::from(i64::from(b.u8() as i8) * i64::from(b.u8())),
            1 => {
                let sign = if b.u8() & 1 == 1 { -1.0 } else { 1.0 };
                Value::from(sign * *b.pick(NUMBERS))
            }
            2 => Value::from(f64::from(b.u8()) / f64::from(b.u8().max(1))),
            3 => Value::from(*b.pick(WORDS)),
            4 => Value::from(b.u8() & 1 == 1),
            5 => Value::Array(
                (0..b.u8() % 4)
                    .map(|_| Value::from(i64::from(b.u8()) - 2))
                    .collect(),
            ),
            _ => Value::Null,
        };
        map.insert(key, value);
    }
    Value::Object(map).to_string()
}

fn check_schedule(args: &ScheduleArgs, lr: f64, spe: u64, total: u64) {
    let Ok(schedule) = args.spec().build(lr, spe as usize, total) else {
        return;
    };
    let (lo, hi) = schedule.lr_bounds();
    let slack = 1e-9 * hi.abs();
    let last = total.saturating_sub(1);
    for step in [0, 1, spe, last / 3, last / 2, last.saturating_sub(1), last] {
        let v = schedule.lr(step);
        assert!(v.is_finite(), "{schedule:?}: lr({step}) = {v}");
        assert!(
            v >= lo - slack && v <= hi + slack,
            "{schedule:?}: lr({step}) = {v} outside [{lo}, {hi}]"
        );
        if let Some(m) = schedule.momentum(step) {
            assert!(m.is_finite(), "{schedule:?}: momentum({step}) = {m}");
        }
        let _ = schedule.is_cycle_end(step);
    }
}

fuzz_target!(|input: &[u8]| {
    let Some((&choice, rest)) = input.split_first() else {
        return;
    };
    let sub = SUBCOMMANDS[usize::from(choice % 3)];
    let spe = u64::from(choice / 3 % 40) + 1;
    let text = if choice & 0x80 == 0 {
        let Ok(text) = std::str::from_utf8(rest) else {
            return;
        };
        text.to_string()
    } else {
        structured(sub, rest)
    };
    // `--config` itself stays out of argv: `schedule` has no such flag
    let argv: Vec<OsString> = ["lrtool", sub].iter().map(OsString::from).collect();
    let Ok((args, _origin)) = expand_config_text(&text, "fuzz.json", argv) else {
        return;
    };
    let Ok(cli) = Cli::try_parse_from(args) else {
        return;
    };
    match cli.command {
        Command::Train(a) => {
            let (Ok(_), Ok(_), Ok(_), Ok(run)) = (
                DataConfig::from_args(&a.data),
                ModelConfig::from_args(&a.model),
                OptimConfig::from_args(&a.optim),
                RunConfig::from_args(&a.run),
            ) else {
                return;
            };
            check_schedule(&a.schedule, run.lr, spe, spe * run.epochs as u64);
        }
        Command::FindLr(a) => {
            let _ = DataConfig::from_args(&a.data);
            let _ = ModelConfig::from_args(&a.model);
            let _ = OptimConfig::from_args(&a.optim);
            let _ = SweepConfig::from_args(&a.sweep);
        }
        Command::Schedule(a) => {
            if let Some(steps) = a.steps
                && (1..=1_000_000_000).contains(&steps)
                && (1..=1_000_000_000).contains(&a.steps_per_epoch)
            {
                check_schedule(&a.schedule, a.lr, a.steps_per_epoch, steps);
            }
        }
        _ => {}
    }
});
