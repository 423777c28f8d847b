//! The largest values of a stream, kept in a fixed-size array: the top of a
//! multiset, so the same whatever the order of pushes and merges (the tail
//! fit's data, `tail`).

/// How many of the largest (and of the smallest) values a [`Sample`](super::Sample) keeps:
/// the tail fit uses the `EXTREMES − 1` largest above the `EXTREMES`-th.
pub const EXTREMES: usize = 32;

/// The `EXTREMES` largest values pushed, in decreasing order: the same array
/// whatever the order of pushes and merges (it is the top of a multiset).
/// Serialised as the list of values kept (a shard's state, `crate::shard`).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
#[serde(into = "Vec<f64>", try_from = "Vec<f64>")]
pub struct Extremes {
    values: [f64; EXTREMES],
    len: usize,
}

impl Default for Extremes {
    fn default() -> Self {
        Extremes { values: [0.0; EXTREMES], len: 0 }
    }
}

impl From<Extremes> for Vec<f64> {
    fn from(e: Extremes) -> Self {
        e.values().to_vec()
    }
}

impl TryFrom<Vec<f64>> for Extremes {
    type Error = String;

    /// At most [`EXTREMES`] values in decreasing order.
    fn try_from(kept: Vec<f64>) -> Result<Self, String> {
        if kept.len() > EXTREMES || kept.windows(2).any(|w| w[0].partial_cmp(&w[1]).is_none_or(|o| o.is_lt())) {
            return Err(format!("not the {EXTREMES} largest values of a sample, largest first"));
        }
        let mut e = Extremes { len: kept.len(), ..Default::default() };
        e.values[..kept.len()].copy_from_slice(&kept);
        Ok(e)
    }
}

impl Extremes {
    /// The values kept, largest first.
    pub fn values(&self) -> &[f64] {
        &self.values[..self.len]
    }

    #[inline]
    pub fn push(&mut self, x: f64) {
        if self.len == EXTREMES {
            // The common case once full: x is not among the largest.
            if x <= self.values[EXTREMES - 1] {
                return;
            }
        } else {
            self.len += 1;
        }
        // Insert x before the first smaller value (after equal ones),
        // dropping the smallest when full.
        let mut i = self.len - 1;
        while i > 0 && self.values[i - 1] < x {
            self.values[i] = self.values[i - 1];
            i -= 1;
        }
        self.values[i] = x;
    }

    /// The largest of both.
    pub fn merge(&mut self, other: &Extremes) {
        let (a, b) = (self.values(), other.values());
        let mut out = [0.0; EXTREMES];
        let (mut i, mut j, mut len) = (0, 0, 0);
        while len < EXTREMES && (i < a.len() || j < b.len()) {
            let take_a = j == b.len() || (i < a.len() && a[i] >= b[j]);
            out[len] = if take_a { a[i] } else { b[j] };
            if take_a {
                i += 1;
            } else {
                j += 1;
            }
            len += 1;
        }
        *self = Extremes { values: out, len };
    }
}
