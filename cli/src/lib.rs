//! `sonata`: a command-line client of the gatekeeper's public API (`/api/v3`).
//!
//! Upload with a progress bar and status following, list, get, download, delete, status,
//! services and functions. Results go to stdout, progress and errors to stderr, and the exit
//! code tells a script what happened (see [`error::Exit`] and docs/cli.md).

pub mod args;
pub mod client;
pub mod download;
pub mod error;
pub mod process;
pub mod records;
pub mod ui;

use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::client::Gatekeeper;
use crate::error::{CliError, Exit};
use crate::records::Collection;
use crate::ui::Ui;

/// Parses the command line, runs the command and prints any error as one line on stderr.
pub async fn main_entry() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return usage(&e),
    };
    match run(&cli).await {
        Ok(()) => Exit::Ok.into(),
        Err(e) => {
            eprintln!("{}", e.line());
            e.exit().into()
        }
    }
}

/// `--help` and `--version` print and exit 0; anything else is one `error [usage]` line, exit 2.
fn usage(e: &clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    if matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion) {
        print!("{e}");
        return Exit::Ok.into();
    }
    let rendered = e.render().to_string();
    let message = rendered
        .lines()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("bad arguments")
        .trim_start_matches("error:")
        .trim();
    let help = if matches!(
        e.kind(),
        ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand
    ) {
        "a subcommand is required"
    } else {
        message
    };
    eprintln!(
        "{}",
        CliError::Usage(format!("{help}; see 'sonata --help'")).line()
    );
    Exit::Usage.into()
}

/// Runs one parsed command.
pub async fn run(cli: &Cli) -> Result<(), CliError> {
    let gk = Gatekeeper::new(&cli.global)?;
    let ui = Ui::new(&cli.global);
    match &cli.command {
        Command::Upload(args) => process::upload(&gk, args, ui).await,
        Command::Status(args) => process::status(&gk, args, ui).await,
        Command::List(page) => records::list(&gk, Collection::Packages, page, ui).await,
        Command::Services(page) => records::list(&gk, Collection::Services, page, ui).await,
        Command::Functions(page) => records::list(&gk, Collection::Functions, page, ui).await,
        Command::Get { uuid } => records::get(&gk, *uuid, ui).await,
        Command::Download(args) => download::download(&gk, args, ui).await,
        Command::Delete { uuid } => records::delete(&gk, *uuid, ui).await,
    }
}
