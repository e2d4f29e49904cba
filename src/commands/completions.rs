//! `lrtool completions SHELL` and `lrtool man`: generated from the clap definitions with
//! clap_complete and clap_mangen, so they never drift from the flags.

use std::io::Write;

use clap::CommandFactory;

use crate::cli::{Cli, CompletionsArgs, ManArgs, Shell};
use crate::commands::common::print_stdout;

pub fn completions(args: CompletionsArgs) -> anyhow::Result<()> {
    let mut cmd = Cli::command();
    let mut buf = Vec::new();
    let shell = match args.shell {
        Shell::Bash => clap_complete::Shell::Bash,
        Shell::Zsh => clap_complete::Shell::Zsh,
        Shell::Fish => clap_complete::Shell::Fish,
    };
    clap_complete::generate(shell, &mut cmd, "lrtool", &mut buf);
    print_stdout(&String::from_utf8_lossy(&buf))
}

pub fn man(args: ManArgs) -> anyhow::Result<()> {
    let cmd = Cli::command();
    match &args.dir {
        None => {
            let mut buf = Vec::new();
            clap_mangen::Man::new(cmd).render(&mut buf)?;
            print_stdout(&String::from_utf8_lossy(&buf))
        }
        Some(dir) => {
            std::fs::create_dir_all(dir).map_err(|e| {
                crate::input_err!("--dir {}: cannot create the folder: {e}", dir.display())
            })?;
            let mut written = Vec::new();
            let page = |c: clap::Command, name: String| -> anyhow::Result<String> {
                let mut buf = Vec::new();
                clap_mangen::Man::new(c).title(&name).render(&mut buf)?;
                let file = format!("{name}.1");
                crate::output::write_atomic(&dir.join(&file), &buf)?;
                Ok(file)
            };
            written.push(page(cmd.clone(), "lrtool".into())?);
            for sub in cmd.get_subcommands().filter(|s| !s.is_hide_set()) {
                let name = format!("lrtool-{}", sub.get_name());
                written.push(page(
                    sub.clone()
                        .display_name(name.clone())
                        .bin_name(format!("lrtool {}", sub.get_name())),
                    name,
                )?);
            }
            let mut err = std::io::stderr().lock();
            let _ = writeln!(
                err,
                "lrtool man: wrote {} pages into {}",
                written.len(),
                dir.display()
            );
            Ok(())
        }
    }
}
