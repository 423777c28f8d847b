//! `simsgd`: the command line of [`simsgd::cli`] (subcommands `run`, `merge`,
//! `bench`, `stats`, `predict`, `figure` and `landscapes`), and the one place that
//! turns errors into a one-line message and exit code 2 (and, through
//! [`simsgd::interrupt`], interrupts into `simsgd: interrupted` and 130).

use clap::error::ErrorKind;
use clap::{CommandFactory, Parser};
use simsgd::cli::{execute, join_number_values, Cli};
use simsgd::error::one_line;
use std::process::ExitCode;

fn main() -> ExitCode {
    // Like other Unix filters, stop quietly when the reader of stdout goes
    // away (`simsgd predict … | head`) instead of panicking on a broken pipe.
    #[cfg(unix)]
    // SAFETY: restoring the default disposition of one signal before any
    // thread exists.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
    // Mesa's Vulkan drivers complain on stderr when this is unset (containers,
    // CI); no thread exists yet, so setting it here is sound.
    if std::env::var_os("XDG_RUNTIME_DIR").is_none() {
        std::env::set_var("XDG_RUNTIME_DIR", std::env::temp_dir());
    }
    // Before any other thread starts, so that every thread leaves the
    // signals to the one that cleans up.
    simsgd::interrupt::install();
    let argv = join_number_values(std::env::args_os());
    let cli = match Cli::try_parse_from(&argv) {
        Ok(cli) => cli,
        Err(e) if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) => {
            let _ = e.print();
            return ExitCode::SUCCESS;
        }
        Err(e) if e.kind() == ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand => {
            let names: Vec<String> = Cli::command().get_subcommands().map(|c| c.get_name().to_string()).collect();
            eprintln!("simsgd: error: a subcommand is required ({}); see simsgd --help", names.join(", "));
            return ExitCode::from(2);
        }
        Err(e) => {
            // clap echoes the arguments raw: parse copies with their control
            // characters escaped, so that its message stays one line.
            let escaped = join_number_values(std::env::args_os().map(|a| one_line(&a.to_string_lossy()).into()));
            let e = Cli::try_parse_from(&escaped).err().unwrap_or(e);
            // clap's message up to its usage block, on one line.
            let text = e.render().to_string();
            let message: Vec<&str> = text.lines().map(str::trim).take_while(|l| !l.is_empty()).collect();
            let message = message.join(" ");
            eprintln!("simsgd: error: {}", one_line(message.trim_start_matches("error: ")));
            return ExitCode::from(2);
        }
    };
    match execute(cli, &argv) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("simsgd: error: {}", one_line(&e.to_string()));
            if let Some(pointer) = e.pointer() {
                eprintln!("{pointer}");
            }
            ExitCode::from(2)
        }
    }
}
