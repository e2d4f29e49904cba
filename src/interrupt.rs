//! Ctrl-C (SIGINT), SIGTERM and SIGHUP during training: a process-wide flag that the training
//! loop reads after every step, so the step in progress finishes, the logs end on a whole row and
//! the command writes its summary (`"interrupted": true`) before exiting with code 130.
//!
//! The handler is installed by the training commands just before they create their output folder;
//! until then a signal ends the process at once, as usual, and nothing has been written. A second
//! signal while the first is being honoured ends the process at once with code 130 (every whole
//! file is written atomically, so none is left half-written).

use std::sync::Once;
use std::sync::atomic::{AtomicBool, Ordering};

/// Exit code of a run ended by a signal: 128 + SIGINT, as shells report it.
pub const EXIT_CODE: i32 = 130;

static REQUESTED: AtomicBool = AtomicBool::new(false);
static INSTALL: Once = Once::new();

/// Install the handler (once per process; later calls do nothing). If the handler cannot be
/// installed the run goes on with the default behaviour of the signals.
pub fn install() {
    INSTALL.call_once(|| {
        let _ = ctrlc::set_handler(|| {
            if REQUESTED.swap(true, Ordering::SeqCst) {
                crate::error::eprint_line("lrtool: interrupted again: stopping at once");
                std::process::exit(EXIT_CODE);
            }
        });
    });
}

/// True once a signal asked the run to stop.
pub fn requested() -> bool {
    REQUESTED.load(Ordering::Relaxed)
}
