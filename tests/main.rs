//! The single integration-test binary: gradient checks through the public API and the real
//! `lrtool` binary run end to end.

mod accuracy;
mod adversarial;
mod alloc;
mod bad_input;
mod bench;
mod cli;
mod compare;
mod csv_columns;
mod csv_records;
mod fge;
mod find_lr;
mod find_lr_run_in;
mod gradcheck;
mod landscape;
mod like_fastai;
mod limits;
mod limits_messages;
mod memory;
mod out_folder;
mod plateau;
mod properties;
mod records;
mod reliability;
mod report;
mod run_folders;
mod schedule;
mod snapshot;
mod swa;
mod util;
