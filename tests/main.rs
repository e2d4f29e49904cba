//! The single integration-test binary: gradient checks through the public API and the real
//! `lrtool` binary run end to end.

mod accuracy;
mod bad_input;
mod cli;
mod gradcheck;
mod util;
