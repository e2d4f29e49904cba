//! Observers of the training loop: CSV logs, the range test's recorder with its divergence stop,
//! the progress bar, the snapshot saver, early stopping and SWA's weight average.

pub mod csv_log;
pub mod divergence;
pub mod early_stop;
pub mod progress;
pub mod snapshot;
pub mod swa;

pub use csv_log::{CsvLog, EpochColumns};
pub use divergence::{Priming, Recorder};
pub use early_stop::{EarlyStopSettings, EarlyStopping};
pub use progress::Progress;
pub use snapshot::{EnsembleResult, SnapshotRecord, SnapshotSaver};
pub use swa::SwaAverage;
