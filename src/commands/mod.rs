//! One file per subcommand: build the schedule and observers, call `fit`, report.

pub mod bench;
pub mod common;
pub mod compare;
pub mod completions;
pub mod datasets;
pub mod evaluate;
pub mod find_lr;
pub mod landscape;
pub mod predict;
pub mod report;
pub mod schedule;
pub mod snapshot_ensemble;
pub mod suggest;
pub mod train;
