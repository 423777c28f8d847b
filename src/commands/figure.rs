//! `simsgd figure`: regenerate one figure of the papers, or all of them.

use crate::backend::{Backends, Choice};
use crate::error::Result;
use crate::figure::{self, Figure, Lab};
use std::fmt::Write;
use std::path::PathBuf;

/// Which figures, how and where.
#[derive(Clone, Debug)]
pub struct Request {
    /// One figure by name, or (`None`) every one.
    pub name: Option<String>,
    /// Fewer trials and points.
    pub quick: bool,
    /// Where the simulations run.
    pub backend: Choice,
    /// Output folder.
    pub out: PathBuf,
    /// No progress bars.
    pub quiet: bool,
}

/// The figures and what each shows, one a line.
pub fn list() -> String {
    let mut out = String::new();
    for f in figure::FIGURES {
        let _ = writeln!(out, "{:<26} {}", f.name, f.about);
    }
    out
}

/// Makes the figures asked for (`figure::make_all`: each one's status, and
/// an error if any failed).
pub fn make(r: &Request) -> Result<()> {
    let figures: Vec<&Figure> = match &r.name {
        Some(name) => vec![figure::find(name)?],
        None => figure::FIGURES.iter().collect(),
    };
    figure::check_outputs(&figures, &r.out)?;
    let lab = Lab { quick: r.quick, backends: Backends::open(r.backend, 0, r.quiet)?, quiet: r.quiet };
    figure::make_all(&figures, &lab, &r.out)
}
