//! The network study of seed 003 (Li et al., "Hessian based analysis of SGD
//! for Deep Nets", sec. 5): one network trained many times on one data set,
//! every run recorded, reported as distributions over runs.
//!
//! * [`spec`]: the paper's settings as presets, the user's overrides, and
//!   their validation ([`StudySpec::resolve`]);
//! * [`records`]: every run's values at every recorded step;
//! * [`distribution`]: mean, SE, CI and exact quantiles over runs, and the
//!   runs near a loss quantile (Fig. 8);
//! * [`loss_change`]: Δ from runs frozen at loss quantiles (Figs. 9, 10, 24);
//! * [`curvature`]: H_f, M and H_p of the runs at chosen steps, their top
//!   subspaces' principal angles and their spectra (sec. 4, Figs. 1, 2);
//! * [`adaptive`]: Theorem 3's adaptive steps trained beside constant η
//!   (sec. 5.4);
//! * [`pac_bayes`]: the Hessian-based PAC-Bayes bound of the runs at T and
//!   their errors (sec. 6, Figs. 11, 25);
//! * [`report`]: table, JSON and tidy CSV.
//!
//! The training itself is [`crate::network`]'s.

pub mod adaptive;
pub mod curvature;
pub mod distribution;
pub mod loss_change;
pub mod pac_bayes;
pub mod records;
pub mod report;
pub mod spec;

pub use report::StudyReport;
pub use spec::{preset, Resolved, StudySpec, PRESETS};
