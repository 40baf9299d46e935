//! The one error type of the client and the exit code each error maps to.

use std::process::ExitCode;

/// The documented, stable exit codes (docs/cli.md).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// The command did what was asked.
    Ok = 0,
    /// The gatekeeper answered no: a failed on-boarding, a 4xx/5xx answer, an answer that
    /// breaks the API contract.
    Refused = 1,
    /// Bad arguments, or an input file that cannot be read.
    Usage = 2,
    /// The gatekeeper could not be reached, or did not answer in time.
    Unreachable = 3,
    /// A local file could not be written (download).
    Local = 4,
}

impl From<Exit> for ExitCode {
    fn from(value: Exit) -> Self {
        ExitCode::from(value as u8)
    }
}

/// Everything that can go wrong; printed as one line `error [<code>]: <message>`.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// The gatekeeper answered with an error status; `code`/`error` come from its JSON body.
    #[error("{error} (HTTP {status})")]
    Server {
        status: u16,
        code: String,
        error: String,
    },
    /// An on-boarding process ended `failed`.
    #[error("{error}")]
    Failed { code: String, error: String },
    /// A 2xx answer we cannot make sense of.
    #[error("{0}")]
    BadResponse(String),
    /// Still running when `--wait-timeout` passed.
    #[error("process {0} is still running after {1:?}; follow it with `sonata status {0} --wait`")]
    StillRunning(String, std::time::Duration),
    #[error("{0}")]
    Usage(String),
    #[error("cannot reach the gatekeeper at {url}: {reason}")]
    Unreachable { url: String, reason: String },
    #[error("the gatekeeper at {url} did not answer within {timeout:?}")]
    Timeout {
        url: String,
        timeout: std::time::Duration,
    },
    #[error("{0}")]
    Local(String),
}

impl CliError {
    /// The stable kebab-case code printed in brackets.
    pub fn code(&self) -> &str {
        match self {
            Self::Server { code, .. } | Self::Failed { code, .. } => code,
            Self::BadResponse(_) => "bad-response",
            Self::StillRunning(..) => "still-running",
            Self::Usage(_) => "usage",
            Self::Unreachable { .. } => "unreachable",
            Self::Timeout { .. } => "timeout",
            Self::Local(_) => "local-io",
        }
    }

    pub fn exit(&self) -> Exit {
        match self {
            Self::Server { .. } | Self::Failed { .. } => Exit::Refused,
            Self::BadResponse(_) | Self::StillRunning(..) => Exit::Refused,
            Self::Usage(_) => Exit::Usage,
            Self::Unreachable { .. } | Self::Timeout { .. } => Exit::Unreachable,
            Self::Local(_) => Exit::Local,
        }
    }

    /// The line printed on stderr.
    pub fn line(&self) -> String {
        let message = self.to_string().replace(['\n', '\r'], " ");
        format!("error [{}]: {}", self.code(), message.trim())
    }

    /// A transport error of a request to `url`.
    pub fn transport(url: &str, timeout: std::time::Duration, e: &reqwest::Error) -> Self {
        if e.is_timeout() {
            return Self::Timeout {
                url: url.to_owned(),
                timeout,
            };
        }
        Self::Unreachable {
            url: url.to_owned(),
            reason: root_cause(e),
        }
    }
}

/// The innermost message of an error chain ("Connection refused (os error 111)").
fn root_cause(e: &(dyn std::error::Error + 'static)) -> String {
    let mut current = e;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_server_error_prints_its_code_message_and_status_on_one_line() {
        let e = CliError::Server {
            status: 404,
            code: "package-not-found".into(),
            error: "No package with UUID 'x'\nwas found".into(),
        };
        assert_eq!(
            e.line(),
            "error [package-not-found]: No package with UUID 'x' was found (HTTP 404)"
        );
        assert_eq!(e.exit(), Exit::Refused);
    }

    #[test]
    fn exit_codes_are_the_documented_numbers() {
        assert_eq!(Exit::Ok as u8, 0);
        assert_eq!(CliError::Usage("x".into()).exit() as u8, 2);
        let unreachable = CliError::Unreachable {
            url: "u".into(),
            reason: "r".into(),
        };
        assert_eq!(unreachable.exit() as u8, 3);
        assert_eq!(CliError::Local("x".into()).exit() as u8, 4);
    }
}
