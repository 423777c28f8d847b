//! Why a reported interval is not to be taken at face value: a heavy tail or
//! the precision floor, as sentences (in JSON, a list of them).

use super::extremes::EXTREMES;
use super::rules::FLOOR_ULPS;
use super::tail::heavy_tail_threshold;
use serde::ser::SerializeSeq;
use serde::Serialize;

/// Why a [`Summary`](super::Summary)'s interval is not to be taken at face value. In JSON,
/// a list of sentences.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Warnings {
    /// A heavy tail of this observable or of another of the same trials.
    pub heavy_tail: Option<HeavyTail>,
    /// The half-width the CI was widened to: the precision floor.
    pub floor: Option<f64>,
}

/// A tail heavier than a finite variance allows (ξ̂ above
/// [`heavy_tail_threshold`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct HeavyTail {
    pub xi: f64,
    pub upper: bool,
    /// The observable of the same trials whose tail it is; `None`: this one's.
    pub source: Option<&'static str>,
}

impl Warnings {
    pub fn is_empty(&self) -> bool {
        self.heavy_tail.is_none() && self.floor.is_none()
    }

    /// One sentence per warning.
    pub fn sentences(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(h) = self.heavy_tail {
            let side = if h.upper { "largest" } else { "smallest" };
            out.push(match h.source {
                None => format!(
                    "heavy tail: the {} {side} values fit a Pareto tail of shape ξ = {:.2} (index α = {:.2}); \
                     ξ > {:.2} rejects a finite variance, so the CI cannot be trusted",
                    EXTREMES - 1,
                    h.xi,
                    1.0 / h.xi,
                    heavy_tail_threshold()
                ),
                Some(source) => format!(
                    "heavy tail in {source} (the same trials; ξ = {:.2}, α = {:.2}): rare extreme trials may \
                     carry this mean too, so the CI cannot be trusted",
                    h.xi,
                    1.0 / h.xi
                ),
            });
        }
        if let Some(f) = self.floor {
            out.push(format!(
                "CI at the backend's precision floor: widened to ±{f:.2e} ({FLOOR_ULPS}·u·RMS of the values plus the \
                 mean's rounding)"
            ));
        }
        out
    }
}

impl Serialize for Warnings {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let sentences = self.sentences();
        let mut seq = serializer.serialize_seq(Some(sentences.len()))?;
        for s in &sentences {
            seq.serialize_element(s)?;
        }
        seq.end()
    }
}
