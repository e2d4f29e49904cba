//! Observers of the training loop: CSV logs, the progress bar and the snapshot saver.

pub mod csv_log;
pub mod progress;
pub mod snapshot;

pub use csv_log::{CsvLog, EpochColumns};
pub use progress::Progress;
pub use snapshot::{EnsembleResult, SnapshotRecord, SnapshotSaver};
