//! The limits every command takes: how much it may read and how much memory a run may need
//! (docs/reliability.md, "Limits").

use clap::Args;

#[derive(Debug, Clone, Args)]
pub struct LimitArgs {
    /// Largest data file, log or weights file lrtool reads, in MiB, counted after gzip
    /// decompression (configuration files and run records have fixed limits of 16 and 64 MiB)
    /// [default: 2048].
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub max_input_mb: Option<u64>,
    /// Memory a run may need, in MiB: a run estimated to need more (parameters, optimizer state,
    /// buffers, data, ensembles, kept history) is refused before anything is made [default: the
    /// memory available, MemAvailable of /proc/meminfo or a cgroup's memory.max; 4096 when
    /// neither can be read].
    #[arg(long, global = true, value_name = "MIB", value_parser = clap::value_parser!(u64).range(1..=1 << 40))]
    pub max_memory_mb: Option<u64>,
}
