//! Error kinds that decide the exit code: `InputError` (bad usage, config or data, exit 2) and
//! `Interrupted` (a signal stopped the run, exit 130).
//!
//! Everything else that fails is a failed run (exit 1). `main` walks the error chain and exits 130
//! when any link is `Interrupted`, else 2 when any link is an `InputError`.

use std::fmt;

/// Bad usage, configuration or input data: the run never started (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputError(pub String);

impl fmt::Display for InputError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for InputError {}

/// Build an `anyhow::Error` carrying an [`InputError`] from a format string.
#[macro_export]
macro_rules! input_err {
    ($($arg:tt)*) => {
        ::anyhow::Error::new($crate::error::InputError(format!($($arg)*)))
    };
}

/// Return early with an [`InputError`].
#[macro_export]
macro_rules! input_bail {
    ($($arg:tt)*) => {
        return Err($crate::input_err!($($arg)*))
    };
}

/// True when any link of the chain is an [`InputError`].
pub fn is_input_error(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<InputError>())
}

/// A signal (Ctrl-C, SIGTERM) stopped the run after a whole step; the message says what was kept
/// (exit code 130).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Interrupted(pub String);

impl fmt::Display for Interrupted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Interrupted {}

/// True when any link of the chain is [`Interrupted`].
pub fn is_interrupted(err: &anyhow::Error) -> bool {
    err.chain().any(|e| e.is::<Interrupted>())
}

/// Print `text` and a newline on stderr. A closed or broken stderr (`2>&-`, a reader that went
/// away) is ignored: unlike `eprintln!`, this never panics, so the exit code stays the one the
/// outcome calls for.
pub fn eprint_line(text: &str) {
    use std::io::Write;
    let _ = writeln!(std::io::stderr().lock(), "{text}");
}
