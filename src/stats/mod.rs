//! Streaming statistics and confidence intervals.
//!
//! Means and variances are accumulated with Welford's update and merged across
//! blocks with Chan et al.'s pairwise formula, so no precision is lost to
//! catastrophic cancellation however many trials are summed ([`Moments`]:
//! learning curves and drift estimators, with a Student-t interval).
//!
//! The final values of a run go into a [`Sample`]: the same moments, plus the
//! third and fourth central moments (Pébay's merge formulas), a compensated
//! sum, and the [`EXTREMES`] largest and smallest values, all in memory
//! independent of the number of trials and merged exactly or in a fixed order
//! (the driver folds chunks in trial order), so the result does not depend on
//! the chunking. From these, [`Sample::summary_with`] gives:
//!
//! * the interval ([`Interval`]): Hall's skewness-corrected interval
//!   ([`skew_interval`], the default: it removes the n^(-1/2) coverage error a
//!   skewed law gives Student's t) or Student's t;
//! * a heavy-tail warning ([`HeavyTail`]) when a generalized Pareto fit to the
//!   largest or smallest values rejects a finite variance;
//! * the precision floor ([`Rules::floor`]): a CI narrower than what the
//!   backend's arithmetic resolves is widened to it, with a warning.
//!
//! docs/ARCHITECTURE.md ("Statistics") states the rules and their measured
//! coverage, detection and false-alarm rates (results/COVERAGE.md).
//!
//! The pieces: `moments` (Welford, Chan), `proportion` (Wilson's interval for the
//! divergence rate), `sample` (Pébay's higher
//! moments, the compensated sum), `extremes`, `interval` (Student's t,
//! Hall's skew-corrected interval), `tail` (the generalized Pareto fit and
//! the heavy-tail threshold), `rules` (the precision floor), `warnings`
//! and `summary` (what is reported, and how a sample comes to it).

mod extremes;
mod interval;
mod moments;
mod proportion;
mod quantile;
mod rules;
mod sample;
mod summary;
mod tail;
#[cfg(test)]
mod testing;
mod warnings;

pub use extremes::{Extremes, EXTREMES};
pub use interval::{skew_interval, Interval};
pub use moments::Moments;
pub use proportion::Proportion;
pub use quantile::{of_sorted, quantiles, Quantile};
pub use rules::{Rules, F64_UNIT_ROUNDOFF, FLOOR_ULPS};
pub use sample::Sample;
pub use summary::{heaviest_tail, share_heavy_tails, Summary};
pub use tail::{gpd_shape, heavy_tail_threshold, TailFit, TAIL_MIN_N};
pub use warnings::{HeavyTail, Warnings};
