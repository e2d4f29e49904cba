//! One file per subcommand: build the schedule and observers, call `fit`, report.

pub mod common;
pub mod datasets;
pub mod find_lr;
pub mod schedule;
pub mod train;
