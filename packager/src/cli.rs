//! The command line: `validate`, `unpack`, `pack` and `serve`.
//!
//! Exit codes: 0 success, 1 the package or project was rejected, 2 a usage error (clap).
//! Errors go to stderr as one line; `--json` output goes to stdout.

use std::{
    path::{Path, PathBuf},
    process::ExitCode,
};

use clap::{Args, Parser, Subcommand};
use package_format::{pack, unpack, write_project, PackageError, UnpackOptions, ValidationLevel};
use shared_models::ErrorBody;

#[derive(Debug, Parser)]
#[command(
    name = "packager",
    version,
    about = "Validate, unpack and pack 5GTANGO .tgo packages, or serve the packager API"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check a package; exit 0 when valid, 1 when not.
    Validate {
        file: PathBuf,
        #[command(flatten)]
        checks: CheckArgs,
        /// Print the package record (or `{error, code}`) as JSON on stdout.
        #[arg(long)]
        json: bool,
    },
    /// Check a package and write it back as an SDK project into `<OUTPUT>/<package name>/`.
    Unpack {
        file: PathBuf,
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        checks: CheckArgs,
    },
    /// Pack an SDK project folder (with project.yml) into `<OUTPUT>/<vendor>.<name>.<version>.tgo`.
    Pack {
        project: PathBuf,
        #[arg(long, short)]
        output: PathBuf,
        #[command(flatten)]
        checks: CheckArgs,
    },
    /// Run the packager service (configured by PACKAGER_* environment variables).
    Serve,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Descriptor validation level: skip, syntax, integrity or topology.
    #[arg(long, default_value = "topology")]
    level: ValidationLevel,
    /// Folder of official 5GTANGO JSON schemas for full descriptor validation.
    #[arg(long, env = "PACKAGER_SCHEMA_DIR")]
    schema_dir: Option<PathBuf>,
}

impl CheckArgs {
    fn options(&self) -> UnpackOptions {
        UnpackOptions {
            level: self.level,
            schema_dir: self.schema_dir.clone(),
            ..UnpackOptions::default()
        }
    }
}

/// Run a one-shot command (everything but `serve`).
pub fn run_offline(command: Command) -> ExitCode {
    let outcome = match command {
        Command::Validate { file, checks, json } => validate(&file, &checks, json),
        Command::Unpack {
            file,
            output,
            checks,
        } => unpack_to_project(&file, &output, &checks),
        Command::Pack {
            project,
            output,
            checks,
        } => pack(&project, &output, &checks.options())
            .map(|packed| println!("{}", packed.path.display())),
        Command::Serve => unreachable_serve(),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("error [{}]: {error}", error.code());
            ExitCode::from(1)
        }
    }
}

fn unreachable_serve() -> Result<(), PackageError> {
    Err(PackageError::ProjectInvalid(
        "serve is not an offline command".into(),
    ))
}

fn temp_dir() -> Result<tempfile::TempDir, PackageError> {
    tempfile::tempdir().map_err(|source| PackageError::Io {
        path: std::env::temp_dir(),
        source,
    })
}

fn validate(file: &Path, checks: &CheckArgs, json: bool) -> Result<(), PackageError> {
    let work = temp_dir()?;
    match unpack(file, work.path(), &checks.options()) {
        Ok(unpacked) => {
            for reference in &unpacked.topology.outside {
                eprintln!(
                    "warning: {} names VNF {} which is not in the package (it must be on-boarded already)",
                    reference.nsd, reference.vnf
                );
            }
            for warning in unpacked.warnings() {
                eprintln!("warning: {warning}");
            }
            if json {
                print_json(&unpacked.record);
            } else {
                println!(
                    "valid: {} ({} artifacts)",
                    unpacked.record.triple().unwrap_or_default(),
                    unpacked.record.package_content.len()
                );
            }
            Ok(())
        }
        Err(error) => {
            if json {
                print_json(&ErrorBody::new(error.code(), error.to_string()));
            }
            Err(error)
        }
    }
}

fn print_json<T: serde::Serialize>(value: &T) {
    match serde_json::to_string_pretty(value) {
        Ok(text) => println!("{text}"),
        Err(e) => eprintln!("error: could not render JSON: {e}"),
    }
}

fn unpack_to_project(file: &Path, output: &Path, checks: &CheckArgs) -> Result<(), PackageError> {
    let work = temp_dir()?;
    let options = checks.options();
    let unpacked = unpack(file, work.path(), &options)?;
    let stem = file
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "package".into());
    let project_dir = output.join(stem);
    write_project(&unpacked, &project_dir, &options.limits)?;
    println!("{}", project_dir.display());
    Ok(())
}
