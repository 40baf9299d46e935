//! One line per figure, printed as it is measured and collected for the summary table.

use std::fmt::Write as _;

#[derive(Debug, Clone)]
pub struct Figure {
    pub scenario: &'static str,
    pub backend: &'static str,
    pub name: String,
    pub value: String,
    pub target: &'static str,
}

#[derive(Debug, Default)]
pub struct Report {
    figures: Vec<Figure>,
}

impl Report {
    pub fn add(
        &mut self,
        scenario: &'static str,
        backend: &'static str,
        name: impl Into<String>,
        value: impl Into<String>,
        target: &'static str,
    ) {
        let figure = Figure {
            scenario,
            backend,
            name: name.into(),
            value: value.into(),
            target,
        };
        println!(
            "{:<3} {:<9} {:<44} {:>16}   target {}",
            figure.scenario, figure.backend, figure.name, figure.value, figure.target
        );
        self.figures.push(figure);
    }

    /// A markdown table of every figure, for docs/benchmarks.md.
    pub fn markdown(&self) -> String {
        let mut out = String::from(
            "| scenario | backend | figure | measured | target |\n|---|---|---|---|---|\n",
        );
        for f in &self.figures {
            let _ = writeln!(
                out,
                "| {} | {} | {} | {} | {} |",
                f.scenario, f.backend, f.name, f.value, f.target
            );
        }
        out
    }
}
