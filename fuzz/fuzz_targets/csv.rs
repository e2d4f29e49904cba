//! The CSV loader on arbitrary bytes: the first byte picks the options (target column, task),
//! the rest is the file. Any input must give a dataset or an error, never a panic; a dataset
//! must also split and standardise.
#![no_main]

use libfuzzer_sys::fuzz_target;
use lrtool::data::Task;
use lrtool::data::csv::{CsvOptions, parse_csv};

fuzz_target!(|input: &[u8]| {
    let Some((&choice, bytes)) = input.split_first() else {
        return;
    };
    let target = match choice & 3 {
        0 => None,
        1 => Some("y"),
        2 => Some("a"),
        _ => Some(""),
    };
    let task = match (choice >> 2) & 3 {
        1 => Some(Task::Classify),
        2 => Some(Task::Regress),
        _ => None,
    };
    let opts = CsvOptions {
        target,
        task,
        ..CsvOptions::default()
    };
    if let Ok(ds) = parse_csv(bytes, "fuzz.csv", "fuzz", &opts) {
        assert_eq!(ds.x.nrows(), ds.n_samples());
        assert!(ds.x.iter().all(|v| v.is_finite()), "features are finite");
        let val = f64::from(choice >> 4) / 16.0;
        let _ = lrtool::data::split(&ds, val, choice & 0x40 != 0, u64::from(choice));
    }
});
