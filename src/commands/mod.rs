//! One file per subcommand: build the schedule and observers, call `fit`, report.

pub mod common;
pub mod datasets;
pub mod train;
