//! Observers of the training loop: CSV logs and the progress bar.

pub mod csv_log;
pub mod progress;

pub use csv_log::{CsvLog, EpochColumns};
pub use progress::Progress;
