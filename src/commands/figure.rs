//! `simsgd figure`: regenerate one figure of the papers, or all of them (or
//! a job array's share of them).

use crate::backend::{Backends, Choice};
use crate::error::{usage, Result};
use crate::experiment::Spec;
use crate::figure::{self, Figure, Lab};
use crate::shard::Shard;
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
    /// Make only every N-th figure of `--all`, from the I-th (`--shard I/N`):
    /// N jobs of an array make all the figures between them.
    pub shard: Option<Shard>,
    /// The user's landscape, for the figures that draw one (`eta-sweep`).
    pub subject: Option<Spec>,
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
    let figures = select(r)?;
    figure::check_outputs(&figures, &r.out)?;
    if let Some(spec) = &r.subject {
        if r.name.as_deref() != Some("eta-sweep") {
            return Err(usage(format!(
                "--loss, --landscape-file, --param, --init and --steps set up eta-sweep, not {}",
                r.name.as_deref().map_or("--all".to_string(), |n| format!("the figure {n}"))
            )));
        }
        spec.resolve()?;
    }
    let lab = Lab {
        quick: r.quick,
        backends: Backends::open(r.backend, 0, r.quiet)?,
        quiet: r.quiet,
        subject: r.subject.clone(),
    };
    figure::make_all(&figures, &lab, &r.out)
}

/// The figures `r` asks for: one by name, all, or a shard's share of all.
fn select(r: &Request) -> Result<Vec<&'static Figure>> {
    match (&r.name, r.shard) {
        (Some(_), Some(_)) => Err(usage("--shard splits the figures of --all among jobs; one figure is one job")),
        (Some(name), None) => Ok(vec![figure::find(name)?]),
        (None, None) => Ok(figure::FIGURES.iter().collect()),
        (None, Some(shard)) => {
            let count = figure::FIGURES.len() as u64;
            if shard.count > count {
                return Err(usage(format!("--shard {shard}: there are {count} figures; use at most {count} shards")));
            }
            Ok(figure::FIGURES.iter().skip(shard.index as usize).step_by(shard.count as usize).collect())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// N shards of `--all` make every figure once.
    #[test]
    fn shards_share_out_every_figure_once() {
        let request = |shard| Request {
            name: None,
            quick: true,
            backend: Choice::Cpu,
            out: PathBuf::new(),
            quiet: true,
            shard,
            subject: None,
        };
        let all: Vec<&str> = select(&request(None)).unwrap().iter().map(|f| f.name).collect();
        for count in [1, 2, 5, all.len() as u64] {
            let mut made: Vec<&str> = Vec::new();
            for index in 0..count {
                let share = select(&request(Some(Shard { index, count }))).unwrap();
                assert!(!share.is_empty(), "shard {index}/{count}");
                made.extend(share.iter().map(|f| f.name));
            }
            made.sort_unstable();
            let mut want = all.clone();
            want.sort_unstable();
            assert_eq!(made, want, "{count} shards");
        }
        let too_many = Shard { index: 0, count: all.len() as u64 + 1 };
        let refused = select(&request(Some(too_many))).err().map(|e| e.to_string());
        assert!(refused.is_some_and(|e| e.contains("use at most")));
    }
}
