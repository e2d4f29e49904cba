//! The `lrtool` binary: hand the arguments to the library and exit with its code.

fn main() {
    std::process::exit(lrtool::main_with_args(std::env::args_os().collect()));
}
