use std::process::ExitCode;

use clap::Parser;
use packager::cli::{run_offline, Cli, Command};

fn main() -> ExitCode {
    let cli = Cli::parse();
    match cli.command {
        Command::Serve => packager::serve_from_env(),
        command => run_offline(command),
    }
}
