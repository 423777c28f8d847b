//! The curvature of the runs at chosen steps (seed 003, sec. 4; Figs. 1, 2,
//! 12–15): each run replayed to θ_t, its full-batch Hessian H_f's top q
//! pairs by Lanczos on exact Hessian-vector products, the second moment
//! M_t = (1/n)Σ∇ℓ_i∇ℓ_iᵀ's through its n × n Gram matrix, and the cosines of
//! the principal angles between the two top-q subspaces (eq. (13)), each a
//! distribution over runs. With `full_spectra`, the whole sorted spectra of
//! H_f, M_t and H_p (Proposition 1's residual, computed on its own) too,
//! averaged per sorted index (Figs. 1, 12, 13), and how far H_f − M + H_p is
//! from 0. Every run also gets the Davis–Kahan comparison of App. B.2.2
//! (eqs. (55)-(59), [`crate::davis_kahan`]): P = H_f, Q = M, Δ = H_p.

use super::distribution::Distribution;
use super::spec::{CurvaturePlan as Plan, Resolved};
use crate::davis_kahan::{self, Comparison, Perturbation};
use crate::eigen::{self, Eigen};
use crate::error::{Error, Result};
use crate::linalg::dot;
use crate::network::curvature::{Curvature, Head};
use crate::network::train::Study;
use crate::progress::Progress;
use rayon::prelude::*;
use serde::Serialize;
use std::ops::Range;

/// Relative residual at which Lanczos stops (each top-q Ritz pair's
/// ‖H u − λ u‖ ≤ 1e-8·|λ₁|).
const LANCZOS_TOL: f64 = 1e-8;

/// Relative residual of the Lanczos solves for ‖H_p‖₂ (its extreme
/// eigenvalues; the value's error is of the order of its square).
const NORM_TOL: f64 = 1e-6;

/// The curvature report: one entry per step of the plan.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct CurvatureReport {
    pub runs: u64,
    pub top: usize,
    pub full_spectra: bool,
    pub snapshots: Vec<Snapshot>,
}

/// The runs' curvature at one step; index i of each list is the i-th
/// largest (i = 0 first).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Snapshot {
    pub step: u64,
    /// Runs whose loss at θ_t is not finite: counted, left out.
    pub diverged: usize,
    /// cos γ_i between the top-q subspaces of H_f and M (largest first).
    pub cosines: Vec<Distribution>,
    /// λ_i(H_f), the top q.
    pub hessian_top: Vec<Distribution>,
    /// λ_i(M), the top q (0 beyond M's rank).
    pub moment_top: Vec<Distribution>,
    /// Tr M = (1/n)Σ‖∇ℓ_i‖².
    pub moment_trace: Distribution,
    /// Hessian-vector products per Lanczos solve, mean over runs.
    pub lanczos_products: f64,
    /// `layer_loading[h][i]`: `‖v_i[h]‖²/p_h`, the share of H_f's i-th top
    /// eigenvector in layer h's p_h parameters (weights and biases) per
    /// parameter (Fig. 7; 1/p for a uniform spread).
    pub layer_loading: Vec<Vec<Distribution>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub spectra: Option<Spectra>,
    pub davis_kahan: DavisKahan,
}

/// The Davis–Kahan comparison of H_f's top eigenvectors v_r with M's ṽ_r
/// (seed 003 App. B.2.2: P = H_f, Q = M, Δ = H_p, eq. (54)), over runs;
/// index r − 1 (or s − 1) holds r (or s).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DavisKahan {
    /// cos θ_r = |v_rᵀṽ_r|, r = 1 … q (runs whose M has fewer than r
    /// nonzero eigenvalues left out).
    pub cosines: Vec<Distribution>,
    /// (56): ‖H_p‖₂/δ_r, δ_r of (55) over all p eigenvalues of M.
    pub vector_bound: Vec<Distribution>,
    /// The share of runs whose (56) is ≥ 1 (says nothing).
    pub vector_bound_above_one: Vec<f64>,
    /// ‖H_p‖₂ (Lanczos on ±H_p).
    pub residual_norm: Distribution,
    /// ‖sin Θ‖_F between the top-s subspaces, s = 1 … min(3, q − 1).
    pub subspace_sine: Vec<Distribution>,
    /// (59): 2 min(√s‖H_p‖₂, ‖H_p‖_F)/(λ_s − λ_{s+1}).
    pub subspace_bound: Vec<Distribution>,
    /// The share of runs whose (59) is ≥ 1.
    pub subspace_bound_above_one: Vec<f64>,
    /// Whether (59) had ‖H_p‖_F (with dense spectra); otherwise it is
    /// 2√s‖H_p‖₂/(λ_s − λ_{s+1}).
    pub frobenius: bool,
}

/// Whole spectra, per sorted index (largest first), over runs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spectra {
    pub hessian: Vec<Distribution>,
    pub moment: Vec<Distribution>,
    /// H_p = (1/n)Σ∇²p_i/p_i.
    pub residual: Vec<Distribution>,
    /// Tr H_f.
    pub hessian_trace: Distribution,
    /// `blocks[h]`: the spectrum of G_h, H_f's diagonal block of layer h
    /// (Fig. 6, Fig. 5's notation).
    pub blocks: Vec<Vec<Distribution>>,
    /// `trailing[h − 1]`: the spectrum of H_h, the Hessian of the
    /// sub-network from layer h on (H_f's trailing block), h = 1 … L − 1.
    pub trailing: Vec<Vec<Distribution>>,
    /// The largest ‖H_f − (M − H_p)‖_F / max(‖H_f‖_F, ‖H_p‖_F) over the runs
    /// (Proposition 1: 0 up to rounding).
    pub proposition_1: f64,
}

/// One run at one step.
struct Measured {
    cosines: Vec<f64>,
    hessian_top: Vec<f64>,
    moment_top: Vec<f64>,
    moment_trace: f64,
    products: usize,
    loading: Vec<Vec<f64>>,
    /// ‖H_p‖₂.
    residual_norm: f64,
    davis_kahan: Comparison,
    /// With `full_spectra` only.
    dense: Option<Dense>,
}

/// One run's dense matrices at one step.
struct Dense {
    /// The spectra of H_f, M (padded with zeros to p) and H_p.
    spectra: [Vec<f64>; 3],
    hessian_trace: f64,
    /// ‖H_p‖_F.
    residual_frobenius: f64,
    /// ‖H_f − (M − H_p)‖_F / max(‖H_f‖_F, ‖H_p‖_F).
    proposition_1: f64,
    blocks: Vec<Vec<f64>>,
    trailing: Vec<Vec<f64>>,
}

/// The curvature of `plan.runs` runs at each step of `plan.at`, on the
/// caller's rayon pool, advancing `progress` by one per (run, step).
pub fn measure(study: &Study, resolved: &Resolved, plan: &Plan, progress: &Progress) -> Result<CurvatureReport> {
    let mut snapshots = Vec::new();
    for &t in &plan.at {
        let measured: Vec<Option<Measured>> = (0..plan.runs)
            .into_par_iter()
            .map(|run| {
                let m = one(study, resolved, plan, run, t)
                    .map_err(|e| Error::Failed(format!("run {run} at step {t}: {e}")));
                progress.advance(1);
                m
            })
            .collect::<Result<_>>()?;
        snapshots.push(summarise(t, plan, &measured));
    }
    Ok(CurvatureReport { runs: plan.runs, top: plan.top, full_spectra: plan.full_spectra, snapshots })
}

/// Run `run`'s curvature at step `t`; `None` where its loss is not finite.
fn one(study: &Study, resolved: &Resolved, plan: &Plan, run: u64, t: u64) -> Result<Option<Measured>> {
    let (mlp, train) = (&resolved.mlp, &resolved.data.train);
    let (p, n) = (mlp.params(), train.len());
    let theta = study.replay(run, t);
    let all: Vec<usize> = (0..n).collect();
    let hf = Curvature::new(mlp, &theta, train, &all, Head::Loss);
    if !hf.loss().is_finite() || theta.iter().any(|x| !x.is_finite()) {
        return Ok(None);
    }
    let hp = Curvature::new(mlp, &theta, train, &all, Head::Likelihood);
    let top = eigen::lanczos(p, plan.top, LANCZOS_TOL, (resolved.options.seed, run), |v, out| hf.hvp(v, out))?;
    let g = hf.sample_gradients();
    let moment = eigen::gram(&g, p, n, n as f64)?;
    let take = plan.top.min(moment.values.len());
    // Where H_f is 0 to double precision (Gauss-2 runs at losses near
    // 10⁻¹⁰⁰) its eigenvectors are undefined: such a run has no angles.
    let none = Eigen { values: Vec::new(), vectors: Vec::new() };
    let defined = if top.eigen.values.iter().all(|&l| l == 0.0) { &none } else { &top.eigen };
    let cosines = eigen::principal_cosines(&defined.vectors, &moment.vectors[..take])?;
    let padded = |e: &Eigen, len: usize| (0..len).map(|i| e.values.get(i).copied().unwrap_or(0.0)).collect();
    let moment_trace = moment.values.iter().sum();
    let layers = mlp.layers();
    let ranges: Vec<Range<usize>> = layers.iter().map(|l| l.weights..l.biases + l.outputs).collect();
    let loading = ranges
        .iter()
        .map(|r| {
            top.eigen.vectors.iter().map(|v| v[r.clone()].iter().map(|x| x * x).sum::<f64>() / r.len() as f64).collect()
        })
        .collect();
    let dense = match plan.full_spectra {
        true => Some(dense(resolved, &hf, &hp, &g, &ranges, padded(&moment, p))?),
        false => None,
    };
    let residual_norm = eigen::spectral_norm(p, NORM_TOL, (resolved.options.seed, run), |v, out| hp.hvp(v, out))?;
    let delta = Perturbation { spectral: residual_norm, frobenius: dense.as_ref().map(|d| d.residual_frobenius) };
    let davis_kahan = davis_kahan::compare(defined, &moment, p, delta)?;
    Ok(Some(Measured {
        cosines,
        hessian_top: top.eigen.values.clone(),
        moment_top: padded(&moment, plan.top),
        moment_trace,
        products: top.products,
        loading,
        residual_norm,
        davis_kahan,
        dense,
    }))
}

/// The dense H_f and H_p of a run (`hf` its loss head, `hp` its likelihood
/// head, `g` its per-sample gradients, `ranges` the layers' parameters, `moment` M's
/// spectrum padded to p): their spectra, Tr H_f, ‖H_p‖_F, Proposition 1's
/// residual, and the spectra of H_f's layer blocks G_h and trailing blocks H_h.
fn dense(
    resolved: &Resolved,
    hf: &Curvature,
    hp: &Curvature,
    g: &[f64],
    ranges: &[Range<usize>],
    moment: Vec<f64>,
) -> Result<Dense> {
    let (mlp, train) = (&resolved.mlp, &resolved.data.train);
    let (p, n) = (mlp.params(), train.len());
    let h = hf.hessian();
    let blocks = ranges.iter().map(|r| eigen::values(&submatrix(&h, p, r.clone()), r.len())).collect::<Result<_>>()?;
    let trailing =
        ranges[1..].iter().map(|r| eigen::values(&submatrix(&h, p, r.start..p), p - r.start)).collect::<Result<_>>()?;
    let hp = hp.hessian();
    let mut gap = 0.0;
    for a in 0..p {
        let (ga, row) = (&g[a * n..][..n], a * p);
        for b in 0..=a {
            let r = h[row + b] - (dot(ga, &g[b * n..][..n]) / n as f64 - hp[row + b]);
            gap += if a == b { r * r } else { 2.0 * r * r };
        }
    }
    let norm = |m: &[f64]| m.iter().map(|x| x * x).sum::<f64>().sqrt();
    Ok(Dense {
        hessian_trace: (0..p).map(|q| h[q * p + q]).sum(),
        residual_frobenius: norm(&hp),
        proposition_1: gap.sqrt() / norm(&h).max(norm(&hp)).max(f64::MIN_POSITIVE),
        spectra: [eigen::values(&h, p)?, moment, eigen::values(&hp, p)?],
        blocks,
        trailing,
    })
}

/// A measured run's dense matrices (the plan asked for them).
fn dense_of(m: &Measured) -> &Dense {
    m.dense.as_ref().expect("dense spectra")
}

/// The principal submatrix of the p × p row-major `h` on `range`.
fn submatrix(h: &[f64], p: usize, range: Range<usize>) -> Vec<f64> {
    range.clone().flat_map(|a| h[a * p..][range.clone()].iter().copied()).collect()
}

/// `pick(m)[k][i]` over the runs, per k and i.
fn nested(ok: &[&Measured], qs: &[f64], pick: impl Fn(&Measured) -> &Vec<Vec<f64>>) -> Vec<Vec<Distribution>> {
    let Some(first) = ok.first() else { return Vec::new() };
    (0..pick(first).len()).map(|k| by_index(ok, pick(first)[k].len(), qs, |m| &pick(m)[k])).collect()
}

/// Each index's distribution over the measured runs.
fn by_index(measured: &[&Measured], len: usize, qs: &[f64], pick: impl Fn(&Measured) -> &[f64]) -> Vec<Distribution> {
    (0..len)
        .map(|i| {
            let values: Vec<f64> = measured.iter().map(|m| pick(m).get(i).copied().unwrap_or(f64::NAN)).collect();
            Distribution::of(&values, qs)
        })
        .collect()
}

fn summarise(step: u64, plan: &Plan, measured: &[Option<Measured>]) -> Snapshot {
    let ok: Vec<&Measured> = measured.iter().flatten().collect();
    let qs = super::spec::DEFAULT_QUANTILES;
    let q = plan.top;
    let subspaces = davis_kahan::SUBSPACES.min(q.saturating_sub(1));
    let over_runs = |f: fn(&Measured) -> f64| Distribution::of(&ok.iter().map(|m| f(m)).collect::<Vec<_>>(), &qs);
    let spectra = plan.full_spectra.then(|| {
        let p = ok.first().map_or(0, |m| dense_of(m).spectra[0].len());
        let index = |k: usize| by_index(&ok, p, &[], |m| &dense_of(m).spectra[k]);
        Spectra {
            hessian: index(0),
            moment: index(1),
            residual: index(2),
            hessian_trace: over_runs(|m| dense_of(m).hessian_trace),
            blocks: nested(&ok, &[], |m| &dense_of(m).blocks),
            trailing: nested(&ok, &[], |m| &dense_of(m).trailing),
            proposition_1: ok.iter().map(|m| dense_of(m).proposition_1).fold(0.0, f64::max),
        }
    });
    Snapshot {
        step,
        diverged: measured.len() - ok.len(),
        cosines: by_index(&ok, q, &qs, |m| &m.cosines),
        hessian_top: by_index(&ok, q, &qs, |m| &m.hessian_top),
        moment_top: by_index(&ok, q, &qs, |m| &m.moment_top),
        moment_trace: over_runs(|m| m.moment_trace),
        layer_loading: nested(&ok, &qs, |m| &m.loading),
        lanczos_products: ok.iter().map(|m| m.products as f64).sum::<f64>() / ok.len().max(1) as f64,
        spectra,
        davis_kahan: DavisKahan {
            cosines: by_index(&ok, q, &qs, |m| &m.davis_kahan.cosines),
            vector_bound: by_index(&ok, q, &qs, |m| &m.davis_kahan.vector_bounds),
            vector_bound_above_one: above_one(&ok, q, |m| &m.davis_kahan.vector_bounds),
            residual_norm: over_runs(|m| m.residual_norm),
            subspace_sine: by_index(&ok, subspaces, &qs, |m| &m.davis_kahan.subspace_sines),
            subspace_bound: by_index(&ok, subspaces, &qs, |m| &m.davis_kahan.subspace_bounds),
            subspace_bound_above_one: above_one(&ok, subspaces, |m| &m.davis_kahan.subspace_bounds),
            frobenius: plan.full_spectra,
        },
    }
}

/// Per index, the share of the runs with a value there whose value is ≥ 1
/// (NaN without such runs).
fn above_one(measured: &[&Measured], len: usize, pick: impl Fn(&Measured) -> &[f64]) -> Vec<f64> {
    (0..len)
        .map(|i| {
            let values: Vec<f64> = measured.iter().filter_map(|m| pick(m).get(i).copied()).collect();
            values.iter().filter(|&&b| b >= 1.0).count() as f64 / values.len() as f64
        })
        .collect()
}
