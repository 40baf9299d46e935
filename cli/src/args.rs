//! Command-line arguments, and the newtypes that parse them.

use std::{path::PathBuf, str::FromStr, time::Duration};

use clap::{Args, Parser, Subcommand};

/// A command-line client of the SONATA on-boarding platform's gatekeeper (`/api/v3`).
///
/// Exit codes: 0 ok, 1 the gatekeeper said no (failed on-boarding, 404, 409, ...),
/// 2 usage error, 3 gatekeeper unreachable or too slow, 4 a local file could not be written.
#[derive(Debug, Parser)]
#[command(name = "sonata", version)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Args)]
pub struct Global {
    /// The gatekeeper's base URL (with or without the `/api/v3` suffix).
    #[arg(
        long,
        env = "SONATA_URL",
        default_value = "http://127.0.0.1:32002",
        global = true
    )]
    pub url: BaseUrl,
    /// A JWT sent as `Authorization: Bearer <token>` (needed for writes when auth is on).
    #[arg(long, env = "SONATA_TOKEN", hide_env_values = true, global = true)]
    pub token: Option<String>,
    /// Time limit of one request, or of silence on a streamed one (`15`, `15s`, `500ms`, `2m`).
    #[arg(long, env = "SONATA_TIMEOUT", default_value = "15s", global = true)]
    pub timeout: Span,
    /// Print machine-readable JSON on stdout instead of tables, YAML and summaries.
    #[arg(long, global = true)]
    pub json: bool,
    /// No progress bar, spinner or informational lines on stderr (errors are still printed).
    #[arg(long, short, global = true)]
    pub quiet: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Upload a package (.tgo), then follow its on-boarding to the end.
    Upload(Upload),
    /// The status of an on-boarding process.
    Status(Status),
    /// List the on-boarded packages.
    List(Page),
    /// One package's record (YAML, or JSON with --json).
    Get { uuid: Uuid },
    /// Download a package's original .tgo, byte-identical.
    Download(Download),
    /// Delete a package (and what no other package shares).
    Delete { uuid: Uuid },
    /// List the network service descriptors.
    Services(Page),
    /// List the VNF descriptors.
    Functions(Page),
}

#[derive(Debug, Args)]
pub struct Upload {
    /// The package file.
    pub file: PathBuf,
    /// A URL the gatekeeper POSTs the outcome event to.
    #[arg(long)]
    pub callback_url: Option<String>,
    /// Validate only: store nothing in the catalogue.
    #[arg(long)]
    pub skip_store: bool,
    /// Print the process id and return at once, without following the status.
    #[arg(long)]
    pub no_wait: bool,
    #[command(flatten)]
    pub follow: Follow,
}

#[derive(Debug, Args)]
pub struct Status {
    /// The `package_process_uuid` an upload answered with.
    pub process_id: Uuid,
    /// Follow the process until it ends.
    #[arg(long)]
    pub wait: bool,
    #[command(flatten)]
    pub follow: Follow,
}

/// How a running process is followed.
#[derive(Debug, Args, Clone, Copy)]
pub struct Follow {
    /// Pause between two status queries.
    #[arg(long, default_value = "500ms")]
    pub poll_interval: Span,
    /// Give up following after this long (the process itself goes on).
    #[arg(long, default_value = "15m")]
    pub wait_timeout: Span,
}

#[derive(Debug, Args)]
pub struct Page {
    /// Records per page (the gatekeeper's default when absent).
    #[arg(long)]
    pub page_size: Option<u32>,
    /// Page to show, from 0.
    #[arg(long)]
    pub page_number: Option<u32>,
}

#[derive(Debug, Args)]
pub struct Download {
    pub uuid: Uuid,
    /// Where to write it (`-` for stdout); default: the server's file name, in this folder.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
    /// Overwrite an existing file.
    #[arg(long)]
    pub force: bool,
}

/// A UUID, checked before anything is sent.
pub type Uuid = uuid::Uuid;

/// The gatekeeper's API base: `<scheme>://<host>[:port][/prefix]/api/v3`, no trailing slash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BaseUrl(String);

impl BaseUrl {
    pub fn api(&self) -> &str {
        &self.0
    }
}

impl FromStr for BaseUrl {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let url = reqwest::Url::parse(s.trim()).map_err(|e| format!("not a URL ({e})"))?;
        if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
            return Err("expected an http:// or https:// URL with a host".to_owned());
        }
        if url.query().is_some() || url.fragment().is_some() {
            return Err("expected a base URL without query or fragment".to_owned());
        }
        let base = url.as_str().trim_end_matches('/');
        Ok(Self(if base.ends_with("/api/v3") {
            base.to_owned()
        } else {
            format!("{base}/api/v3")
        }))
    }
}

/// A duration: a bare number of seconds, or a number with `ms`, `s`, `m` or `h`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span(pub Duration);

impl FromStr for Span {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let s = s.trim();
        let split = s
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(s.len());
        let (number, unit) = s.split_at(split);
        let value: f64 = number
            .parse()
            .map_err(|_| format!("{s:?} is not a duration (e.g. 15, 15s, 500ms, 2m)"))?;
        let seconds = match unit.trim() {
            "" | "s" => value,
            "ms" => value / 1000.0,
            "m" | "min" => value * 60.0,
            "h" => value * 3600.0,
            other => return Err(format!("unknown duration unit {other:?} (ms, s, m, h)")),
        };
        if !seconds.is_finite() || seconds <= 0.0 || seconds > 1e9 {
            return Err(format!("{s:?} is not a positive duration"));
        }
        Ok(Self(Duration::from_secs_f64(seconds)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_base_url_gets_the_api_prefix_once() {
        for (input, api) in [
            ("http://127.0.0.1:32002", "http://127.0.0.1:32002/api/v3"),
            ("http://127.0.0.1:32002/", "http://127.0.0.1:32002/api/v3"),
            ("http://h:1/api/v3/", "http://h:1/api/v3"),
            ("https://sp.example/gw", "https://sp.example/gw/api/v3"),
        ] {
            assert_eq!(input.parse::<BaseUrl>().unwrap().api(), api, "{input}");
        }
        for bad in ["127.0.0.1:32002", "ftp://h", "http://h/?a=1", "nonsense"] {
            assert!(bad.parse::<BaseUrl>().is_err(), "{bad}");
        }
    }

    #[test]
    fn durations_take_units_and_refuse_nonsense() {
        assert_eq!("15".parse::<Span>().unwrap().0, Duration::from_secs(15));
        assert_eq!(
            "500ms".parse::<Span>().unwrap().0,
            Duration::from_millis(500)
        );
        assert_eq!("2m".parse::<Span>().unwrap().0, Duration::from_secs(120));
        assert_eq!(
            "1.5s".parse::<Span>().unwrap().0,
            Duration::from_millis(1500)
        );
        for bad in ["", "0", "-1", "5x", "s", "1e999"] {
            assert!(bad.parse::<Span>().is_err(), "{bad}");
        }
    }

    #[test]
    fn the_command_line_parses() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
        let cli = Cli::try_parse_from(["sonata", "list", "--page-size", "5", "--json"]).unwrap();
        assert!(cli.global.json);
        assert!(matches!(
            cli.command,
            Command::List(Page {
                page_size: Some(5),
                ..
            })
        ));
    }
}
