//! What goes to the terminal: stdout carries results, stderr progress and information.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::args::Global;

/// Output settings of one run.
#[derive(Debug, Clone, Copy)]
pub struct Ui {
    pub json: bool,
    quiet: bool,
    /// Whether stderr is a terminal: bars and spinners are drawn only then.
    tty: bool,
}

impl Ui {
    pub fn new(global: &Global) -> Self {
        Self {
            json: global.json,
            quiet: global.quiet,
            tty: std::io::stderr().is_terminal(),
        }
    }

    /// An informational line on stderr (not with `--quiet`).
    pub fn info(&self, line: impl AsRef<str>) {
        if !self.quiet {
            eprintln!("{}", line.as_ref());
        }
    }

    fn drawn(&self) -> bool {
        self.tty && !self.quiet
    }

    /// A byte progress bar of `len` bytes on stderr; hidden when not drawn.
    pub fn bytes_bar(&self, len: Option<u64>, action: &str) -> ProgressBar {
        if !self.drawn() {
            return ProgressBar::hidden();
        }
        let bar = match len {
            Some(len) => ProgressBar::with_draw_target(Some(len), ProgressDrawTarget::stderr()),
            None => ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr()),
        };
        let template = if len.is_some() {
            "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec} eta {eta}"
        } else {
            "{msg} {spinner} {bytes} {bytes_per_sec}"
        };
        if let Ok(style) = ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_message(action.to_owned());
        bar
    }

    /// A spinner with a message on stderr; hidden when not drawn.
    pub fn spinner(&self, message: String) -> ProgressBar {
        if !self.drawn() {
            return ProgressBar::hidden();
        }
        let spinner = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
        if let Ok(style) = ProgressStyle::with_template("{spinner} {msg} ({elapsed})") {
            spinner.set_style(style);
        }
        spinner.set_message(message);
        spinner.enable_steady_tick(Duration::from_millis(120));
        spinner
    }
}

/// Human-readable byte counts for information lines.
pub fn bytes(n: u64) -> String {
    indicatif::HumanBytes(n).to_string()
}
