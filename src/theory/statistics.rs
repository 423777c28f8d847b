//! Landscape statistics at a point θ, the inputs of the perturbative theory
//! (seed 001 §2 and App. A; seed 000 §1).
//!
//! With g = ∇l_x, h = ∇²l_x and j = ∇³l_x at θ, x from the landscape's law:
//!
//! | name | definition |
//! | --- | --- |
//! | l | E l_x |
//! | G | E g (the gradient of l) |
//! | H | E h (the Hessian of l) |
//! | J | E j (the third derivative of l) |
//! | C | E (g − G)(g − G)ᵀ, the gradient covariance |
//! | S | E (g − G)⊗(g − G)⊗(g − G), the third cumulant of the gradient |
//! | HG_mixed | E h g, seed 000's ⟨(ab)(b)⟩ |
//! | gHg_mixed | Q₃ = E gᵀ h g |
//!
//! and seed 000's named coefficients of the η-expansion:
//! INT = G·G, UNC = tr C, PAS = 2 G·E[h g], TEM = 2 G·(E[h g] − H G),
//! PER = tr(H C).
//!
//! [`exact_at`] computes them by Gauss–Hermite quadrature over dual-number
//! derivatives: exact to rounding for the built-in landscapes (polynomial in x).
//! [`estimate_at`] computes them from n samples with unbiased estimators (App.
//! C.6: every product of expectations is estimated by a sum over *distinct*
//! samples, never by a product of sample means), each with a jackknife
//! standard error.

use crate::data_law::{per_coordinate, MAX_THEORY_NODES, THEORY_NODES};
use crate::error::{usage, Result};
use crate::landscape::derivatives::{gradient, hessian, third};
use crate::landscape::{Landscape, Visitor};
use crate::quadrature::Cubature;
use crate::rng::STREAM_LENGTH;
use serde::Serialize;

/// The statistics at θ (vectors and matrices as nested `Vec`s, any dimension).
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct Statistics {
    pub theta: Vec<f64>,
    pub l: f64,
    pub g: Vec<f64>,
    pub h: Vec<Vec<f64>>,
    pub j: Vec<Vec<Vec<f64>>>,
    pub c: Vec<Vec<f64>>,
    pub s: Vec<Vec<Vec<f64>>>,
    /// E[∇²l_x ∇l_x].
    pub hg_mixed: Vec<f64>,
    /// Q₃ = E[∇l_xᵀ ∇²l_x ∇l_x].
    pub ghg_mixed: f64,
    pub named: Named,
}

/// Seed 000's named coefficients.
#[derive(Clone, Copy, Debug, Serialize, PartialEq)]
#[allow(non_snake_case)]
pub struct Named {
    pub INT: f64,
    pub UNC: f64,
    pub PAS: f64,
    pub TEM: f64,
    pub PER: f64,
}

impl Named {
    /// The coefficients from the expectations they combine, each exact or an
    /// unbiased estimate: INT = G·G, UNC = tr C, G·E\[hg\], GᵀHG and PER.
    pub fn new(int: f64, unc: f64, g_ehg: f64, ghg: f64, per: f64) -> Self {
        Named { INT: int, UNC: unc, PAS: 2.0 * g_ehg, TEM: tem(g_ehg, ghg), PER: per }
    }
}

/// TEM = 2 G·(E\[hg\] − HG) = G·∇tr C, from G·E\[hg\] and GᵀHG.
pub fn tem(g_ehg: f64, ghg: f64) -> f64 {
    2.0 * (g_ehg - ghg)
}

/// PER = tr(HC) = tr(H E\[ggᵀ\]) − GᵀHG, from tr(H E\[ggᵀ\]) = E\[gᵀHg\] and GᵀHG.
pub fn per(h_egg: f64, ghg: f64) -> f64 {
    h_egg - ghg
}

/// A statistic's entries, row-major, each with its index digits.
trait Entries {
    fn entries(&self, index: &str, out: &mut Vec<(String, f64)>);
}

impl Entries for f64 {
    fn entries(&self, index: &str, out: &mut Vec<(String, f64)>) {
        out.push((index.to_string(), *self));
    }
}

impl<T: Entries> Entries for Vec<T> {
    fn entries(&self, index: &str, out: &mut Vec<(String, f64)>) {
        for (i, x) in self.iter().enumerate() {
            x.entries(&format!("{index}{i}"), out);
        }
    }
}

impl Statistics {
    /// The statistics by name, in the order `stats` lists them: the one list
    /// of them, which names, values, estimates and standard errors all follow.
    fn fields(&self) -> [(&'static str, &dyn Entries); 13] {
        let n = &self.named;
        [
            ("l", &self.l),
            ("G", &self.g),
            ("H", &self.h),
            ("J", &self.j),
            ("C", &self.c),
            ("S", &self.s),
            ("HG_mixed", &self.hg_mixed),
            ("gHg_mixed", &self.ghg_mixed),
            ("INT", &n.INT),
            ("UNC", &n.UNC),
            ("PAS", &n.PAS),
            ("TEM", &n.TEM),
            ("PER", &n.PER),
        ]
    }
}

/// One sample's derivatives.
struct Sample<const D: usize> {
    l: f64,
    g: [f64; D],
    h: [[f64; D]; D],
    j: [[[f64; D]; D]; D],
}

fn sample<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], x: &[f64]) -> Sample<D> {
    Sample {
        l: l.loss(theta, x),
        g: gradient(l, theta, x),
        h: hessian(l, theta, x),
        j: std::array::from_fn(|a| std::array::from_fn(|b| std::array::from_fn(|c| third(l, theta, x, [a, b, c])))),
    }
}

fn dot<const D: usize>(a: &[f64; D], b: &[f64; D]) -> f64 {
    (0..D).map(|i| a[i] * b[i]).sum()
}

fn mat_vec<const D: usize>(m: &[[f64; D]; D], v: &[f64; D]) -> [f64; D] {
    std::array::from_fn(|i| dot(&m[i], v))
}

/// A D×D array as nested `Vec`s.
fn rows<const D: usize>(m: &[[f64; D]; D]) -> Vec<Vec<f64>> {
    m.iter().map(|r| r.to_vec()).collect()
}

/// The D×D×D tensor of entries f(a, b, c) as nested `Vec`s.
fn cube<const D: usize>(f: impl Fn(usize, usize, usize) -> f64) -> Vec<Vec<Vec<f64>>> {
    (0..D).map(|a| (0..D).map(|b| (0..D).map(|c| f(a, b, c)).collect()).collect()).collect()
}

/// Weighted sums of per-sample quantities: every statistic is a function of
/// these, so an estimate over a subset of samples is a difference of sums
/// (which the jackknife uses).
#[derive(Clone, Copy)]
struct Sums<const D: usize> {
    n: f64,
    l: f64,
    g: [f64; D],
    h: [[f64; D]; D],
    j: [[[f64; D]; D]; D],
    gg: [[f64; D]; D],
    ggg: [[[f64; D]; D]; D],
    hg: [f64; D],
    ghg: f64,
}

impl<const D: usize> Sums<D> {
    fn zero() -> Self {
        Sums {
            n: 0.0,
            l: 0.0,
            g: [0.0; D],
            h: [[0.0; D]; D],
            j: [[[0.0; D]; D]; D],
            gg: [[0.0; D]; D],
            ggg: [[[0.0; D]; D]; D],
            hg: [0.0; D],
            ghg: 0.0,
        }
    }

    /// Adds `w` times one sample (w = −1 removes it).
    fn add(&mut self, w: f64, s: &Sample<D>) {
        let hg = mat_vec(&s.h, &s.g);
        self.n += w;
        self.l += w * s.l;
        self.ghg += w * dot(&s.g, &hg);
        for a in 0..D {
            self.g[a] += w * s.g[a];
            self.hg[a] += w * hg[a];
            for b in 0..D {
                self.h[a][b] += w * s.h[a][b];
                self.gg[a][b] += w * s.g[a] * s.g[b];
                for c in 0..D {
                    self.j[a][b][c] += w * s.j[a][b][c];
                    self.ggg[a][b][c] += w * s.g[a] * s.g[b] * s.g[c];
                }
            }
        }
    }

    fn minus(&self, o: &Sums<D>) -> Sums<D> {
        let mut d = *self;
        d.n -= o.n;
        d.l -= o.l;
        d.ghg -= o.ghg;
        for a in 0..D {
            d.g[a] -= o.g[a];
            d.hg[a] -= o.hg[a];
            for b in 0..D {
                d.h[a][b] -= o.h[a][b];
                d.gg[a][b] -= o.gg[a][b];
                for c in 0..D {
                    d.j[a][b][c] -= o.j[a][b][c];
                    d.ggg[a][b][c] -= o.ggg[a][b][c];
                }
            }
        }
        d
    }

    /// The unbiased estimates at θ (needs n >= 3). For n samples with sums Σ:
    /// * C_ab = (n Σg_a g_b − Σg_a Σg_b) / (n(n−1)) (Bessel);
    /// * S_abc = (n² Σg_a g_b g_c − n Σ_cyc Σg_a g_b Σg_c + 2 Σg_a Σg_b Σg_c) / (n(n−1)(n−2))
    ///   (the third k-statistic);
    /// * G·G over distinct pairs: (|Σg|² − Σ|g|²) / (n(n−1));
    /// * G·E[hg] over distinct pairs: (Σg·Σhg − Σ gᵀhg) / (n(n−1));
    /// * GᵀHG over distinct triples i, j, k of g_iᵀ h_j g_k:
    ///   (ΣgᵀΣhΣg − 2 Σg·Σhg − tr(Σh Σggᵀ) + 2 Σgᵀhg) / (n(n−1)(n−2));
    /// * tr(H E[ggᵀ]) over distinct pairs: (tr(Σh Σggᵀ) − Σgᵀhg) / (n(n−1)).
    fn estimates(&self, theta: &[f64]) -> Statistics {
        let n = self.n;
        let (p2, p3) = (n * (n - 1.0), n * (n - 1.0) * (n - 2.0));
        let g = &self.g;
        let mean = |x: f64| x / n;
        let c: [[f64; D]; D] = std::array::from_fn(|a| std::array::from_fn(|b| (n * self.gg[a][b] - g[a] * g[b]) / p2));
        let s = cube::<D>(|a, b, cc| {
            let cyc = self.gg[a][b] * g[cc] + self.gg[a][cc] * g[b] + self.gg[b][cc] * g[a];
            (n * n * self.ggg[a][b][cc] - n * cyc + 2.0 * g[a] * g[b] * g[cc]) / p3
        });
        let gg_trace: f64 = (0..D).map(|a| self.gg[a][a]).sum();
        let tr_h_gg: f64 =
            (0..D).flat_map(|a| (0..D).map(move |b| (a, b))).map(|(a, b)| self.h[a][b] * self.gg[b][a]).sum();
        let g_sum_hg = dot(g, &self.hg);
        let int = (dot(g, g) - gg_trace) / p2;
        let g_hg = (g_sum_hg - self.ghg) / p2;
        let ghg3 = (dot(g, &mat_vec(&self.h, g)) - 2.0 * g_sum_hg - tr_h_gg + 2.0 * self.ghg) / p3;
        let h_egg = (tr_h_gg - self.ghg) / p2;
        let unc: f64 = (0..D).map(|a| c[a][a]).sum();
        Statistics {
            theta: theta.to_vec(),
            l: mean(self.l),
            g: g.iter().map(|&x| mean(x)).collect(),
            h: self.h.iter().map(|r| r.iter().map(|&x| mean(x)).collect()).collect(),
            j: cube::<D>(|a, b, cc| mean(self.j[a][b][cc])),
            c: rows(&c),
            s,
            hg_mixed: self.hg.iter().map(|&x| mean(x)).collect(),
            ghg_mixed: mean(self.ghg),
            named: Named::new(int, unc, g_hg, ghg3, per(h_egg, ghg3)),
        }
    }
}

/// The statistics at θ, exact: quadrature over a rule exact for products of
/// up to three per-sample derivatives (for a loss not polynomial in x, one
/// of `THEORY_NODES`); an error where the data law has no
/// moments of that order (Student-t with small ν).
pub fn exact_at<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D]) -> Result<Statistics> {
    let what = "the landscape statistics (S: products of three per-sample gradients)";
    let rule = match l.law().exact(l.degree()) {
        true => l.cubature(3, what)?,
        false => theory_rule(l, theta, 3, what)?.rule,
    };
    Ok(on_rule(l, theta, rule))
}

/// Where the statistics' rule is not exact (a loss not polynomial in x under
/// a continuous law): the theory's adaptive rule at θ ([`theory_rule`]) as
/// (nodes per coordinate, the three quarters as many it was compared with,
/// the largest difference of a statistic between the two relative to
/// 1 + |value|), which bounds the error wherever it falls with the nodes.
/// `None` where exact.
pub fn quadrature_error<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D]) -> Option<(usize, usize, f64)> {
    if l.law().exact(l.degree()) {
        return None;
    }
    let adapted = theory_rule(l, theta, 3, "the landscape statistics").ok()?;
    Some((adapted.nodes, 3 * adapted.nodes / 4, adapted.change))
}

/// Relative change of every statistic below which the theory's rule for a
/// loss not polynomial in x stops adding nodes.
pub const ADAPTIVE_TOLERANCE: f64 = 1e-11;

/// The theory's rule at θ ([`theory_rule`]): its nodes per coordinate and
/// the largest relative change of a statistic from three quarters as many.
#[derive(Clone, Copy, Debug)]
pub struct Adapted {
    pub rule: &'static Cubature,
    pub nodes: usize,
    pub change: f64,
}

/// The rule the theory (statistics, diagram law) integrates products of
/// `factors` per-sample quantities with at θ: the exact one where l_x is a
/// polynomial in x (or the law is Rademacher);
/// otherwise adaptive: from `THEORY_NODES` nodes per coordinate, half as
/// many again while some statistic (l, G, H, J, C, S and the mixed moments:
/// products of up to three per-sample derivatives) changes by more than
/// [`ADAPTIVE_TOLERANCE`] relative to 1 + |value| from a rule of three
/// quarters the nodes, up to `MAX_THEORY_NODES` (and `MAX_POINTS` points).
pub fn theory_rule<L: Landscape<D>, const D: usize>(
    l: &L,
    theta: [f64; D],
    factors: usize,
    what: &str,
) -> Result<Adapted> {
    let law = l.law();
    if law.exact(l.degree()) {
        let rule = l.cubature(factors, what)?;
        return Ok(Adapted { rule, nodes: rule.base.nodes.len(), change: 0.0 });
    }
    let k = l.sample_dim();
    let rule = |n: usize| -> Result<&'static Cubature> { Ok(Cubature::tensor(law.gauss_for(n, what)?, k)) };
    let mut n = per_coordinate(THEORY_NODES, k);
    loop {
        let fine = rule(n)?;
        let (a, b) = (flatten(&on_rule(l, theta, fine)), flatten(&on_rule(l, theta, rule(3 * n / 4)?)));
        let change = a.iter().zip(&b).map(|((_, a), (_, b))| (a - b).abs() / (1.0 + a.abs())).fold(0.0, f64::max);
        let next = 3 * n / 2;
        if change <= ADAPTIVE_TOLERANCE || next > MAX_THEORY_NODES || per_coordinate(next, k) < next {
            return Ok(Adapted { rule: fine, nodes: n, change });
        }
        n = next;
    }
}

/// [`theory_rule`] for any landscape, at `theta` (validated by the caller),
/// for products of `factors`.
pub struct TheoryRule<'a>(pub &'a [f64], pub usize);

impl Visitor for TheoryRule<'_> {
    type Output = Result<Adapted>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Self::Output {
        theory_rule(l, self.0.try_into().expect("θ of the landscape's dimension"), self.1, "the theory")
    }
}

/// The statistics at θ by `rule`.
fn on_rule<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], rule: &Cubature) -> Statistics {
    let samples: Vec<(f64, Sample<D>)> = rule.iter().map(|(x, w)| (w, sample(l, theta, x))).collect();
    let e = |f: &dyn Fn(&Sample<D>) -> f64| -> f64 { samples.iter().map(|(w, s)| w * f(s)).sum() };
    let g: [f64; D] = std::array::from_fn(|a| e(&|s| s.g[a]));
    let h: [[f64; D]; D] = std::array::from_fn(|a| std::array::from_fn(|b| e(&|s| s.h[a][b])));
    let c: [[f64; D]; D] = std::array::from_fn(|a| std::array::from_fn(|b| e(&|s| (s.g[a] - g[a]) * (s.g[b] - g[b]))));
    let hg: [f64; D] = std::array::from_fn(|a| e(&|s| mat_vec(&s.h, &s.g)[a]));
    let hgg = dot(&g, &mat_vec(&h, &g));
    let tr_hc: f64 = (0..D).flat_map(|a| (0..D).map(move |b| (a, b))).map(|(a, b)| h[a][b] * c[b][a]).sum();
    let unc: f64 = (0..D).map(|a| c[a][a]).sum();
    let g_hg = dot(&g, &hg);
    Statistics {
        theta: theta.to_vec(),
        l: e(&|s| s.l),
        g: g.to_vec(),
        h: rows(&h),
        j: cube::<D>(|a, b, cc| e(&|s| s.j[a][b][cc])),
        c: rows(&c),
        s: cube::<D>(|a, b, cc| e(&|s| (s.g[a] - g[a]) * (s.g[b] - g[b]) * (s.g[cc] - g[cc]))),
        hg_mixed: hg.to_vec(),
        ghg_mixed: e(&|s| dot(&s.g, &mat_vec(&s.h, &s.g))),
        named: Named::new(dot(&g, &g), unc, g_hg, hgg, tr_hc),
    }
}

/// An estimate and its standard error, per flattened statistic.
#[derive(Clone, Debug, Serialize)]
pub struct Estimate {
    pub name: String,
    pub value: f64,
    pub stderr: f64,
}

/// Groups of the delete-a-group jackknife.
const JACKKNIFE_GROUPS: usize = 20;

/// Fewest samples for estimates with standard errors: each leave-one-group-out
/// sample keeps at least 3 points.
pub const MIN_SAMPLES: usize = JACKKNIFE_GROUPS + 3;

/// Most samples: they are one random stream of [`STREAM_LENGTH`] elements.
pub const MAX_SAMPLES: u64 = STREAM_LENGTH;

/// Checks a sample count for [`estimate_at`] (`stats --estimate --samples`):
/// [`MIN_SAMPLES`] to [`MAX_SAMPLES`]. Memory is no limit: the samples are
/// summed as they are drawn.
pub fn check_samples(samples: usize) -> Result<()> {
    if samples < MIN_SAMPLES {
        return Err(usage(format!("--samples must be at least {MIN_SAMPLES}")));
    }
    if samples as u64 > MAX_SAMPLES {
        return Err(usage(format!(
            "--samples {samples} is out of range: the samples are one random stream, of 2^34 = {MAX_SAMPLES} elements"
        )));
    }
    Ok(())
}

/// Unbiased estimates at θ from `n` samples x_i = training point i of trial 0
/// under the landscape's law (`crate::data_law`), with delete-a-group jackknife standard errors.
/// Each sample is added to the sums as it is drawn: memory does not grow
/// with `n` (see [`check_samples`] for its range).
pub fn estimate_at<L: Landscape<D>, const D: usize>(l: &L, theta: [f64; D], n: usize, seed: u64) -> Vec<Estimate> {
    let (law, k) = (l.law(), l.sample_dim());
    let samples = (0..n).map(|i| sample(l, theta, &law.point(seed, 0, i, k)[..k]));
    estimates_from(&theta, n, samples)
}

/// The estimates from the `n` samples of `samples`.
fn estimates_from<const D: usize>(theta: &[f64], n: usize, samples: impl Iterator<Item = Sample<D>>) -> Vec<Estimate> {
    let mut total = Sums::zero();
    let groups = JACKKNIFE_GROUPS.min(n);
    let mut group_sums = vec![Sums::zero(); groups];
    for (i, s) in samples.enumerate() {
        total.add(1.0, &s);
        // Sample i of n is in group ⌊i·groups/n⌋ (in 128 bits: no overflow).
        group_sums[(i as u128 * groups as u128 / n as u128) as usize].add(1.0, &s);
    }
    let full = flatten(&total.estimates(theta));
    // Delete-a-group jackknife: SE² = (k−1)/k Σ (θ_(g) − θ̄)², valid when each
    // leave-one-group-out sample keeps at least 3 points.
    let leave_out: Vec<Vec<f64>> = if n >= groups + 3 && groups >= 2 {
        group_sums
            .iter()
            .map(|gs| flatten(&total.minus(gs).estimates(theta)).into_iter().map(|(_, v)| v).collect())
            .collect()
    } else {
        Vec::new()
    };
    full.into_iter()
        .enumerate()
        .map(|(k, (name, value))| {
            let stderr = if leave_out.is_empty() {
                f64::NAN
            } else {
                let kf = leave_out.len() as f64;
                let m = leave_out.iter().map(|v| v[k]).sum::<f64>() / kf;
                ((kf - 1.0) / kf * leave_out.iter().map(|v| (v[k] - m).powi(2)).sum::<f64>()).sqrt()
            };
            Estimate { name, value, stderr }
        })
        .collect()
}

/// The statistics flattened with names (`l`, `G[0]`, `H[01]`, …, `PER`), in
/// the order of `Statistics::fields`: exact values, to set beside estimates.
pub fn flatten(s: &Statistics) -> Vec<(String, f64)> {
    let mut out = Vec::new();
    for (name, field) in s.fields() {
        let mut entries = Vec::new();
        field.entries("", &mut entries);
        out.extend(
            entries.into_iter().map(|(i, v)| (if i.is_empty() { name.to_string() } else { format!("{name}[{i}]") }, v)),
        );
    }
    out
}

/// [`quadrature_error`] for any landscape, at `theta` (validated by the caller).
pub struct QuadratureError<'a>(pub &'a [f64]);

impl Visitor for QuadratureError<'_> {
    type Output = Option<(usize, usize, f64)>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Self::Output {
        quadrature_error(l, self.0.try_into().expect("θ of the landscape's dimension"))
    }
}

/// `exact_at` for any landscape, at `theta` (validated by the caller).
pub struct Exact<'a>(pub &'a [f64]);

impl Visitor for Exact<'_> {
    type Output = Result<Statistics>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Result<Statistics> {
        exact_at(l, self.0.try_into().expect("θ of the landscape's dimension"))
    }
}

/// `estimate_at` for any landscape.
pub struct Estimated<'a> {
    pub theta: &'a [f64],
    pub samples: usize,
    pub seed: u64,
}

impl Visitor for Estimated<'_> {
    type Output = Vec<Estimate>;
    fn visit<L: Landscape<D>, const D: usize>(self, l: &L) -> Vec<Estimate> {
        estimate_at(l, self.theta.try_into().expect("θ of the landscape's dimension"), self.samples, self.seed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::landscape::shifting_valleys::ShiftingValleys;
    use crate::landscape::valley_of_death::ValleyOfDeath;
    use crate::rng::{self, Stream};
    use crate::stats::Moments;

    #[test]
    fn named_coefficients_of_shifting_valleys_by_hand() {
        // At (A, B): G = (1, 2B), H = [[0, 0], [0, 2]] (l = A + B²), C from
        // tests/landscapes.rs; h_x = [[−2 + 2x², −2x], [−2x, 2]].
        let s = exact_at(&ShiftingValleys, [1.0, 1.0]).unwrap();
        assert!((s.named.INT - 5.0).abs() < 1e-12);
        // C = [[4B² + 8A², 4AB], [4AB, 4A²]] = [[12, 4], [4, 4]]: UNC = 16, PER = tr(HC) = 8.
        assert!((s.named.UNC - 16.0).abs() < 1e-12 && (s.named.PER - 8.0).abs() < 1e-12);
        // At (1, 1): g = (−1 − 2x + 2x², 2 − 2x), h = [[2x² − 2, −2x], [−2x, 2]].
        // (hg)_A = (2x² − 2)(2x² − 2x − 1) − 2x(2 − 2x)
        //        = 4x⁴ − 4x³ − 6x² + 4x + 2 − 4x + 4x², E = 12 − 6 + 2 + 4 = 12;
        // (hg)_B = −2x(2x² − 2x − 1) + 4 − 4x, E = 4 + 4 = 8.
        assert!((s.hg_mixed[0] - 12.0).abs() < 1e-12 && (s.hg_mixed[1] - 8.0).abs() < 1e-12, "{:?}", s.hg_mixed);
        // PAS = 2 G·E[hg] = 2(12 + 16) = 56; GᵀHG = 8, so TEM = 56 − 16 = 40.
        assert!((s.named.PAS - 56.0).abs() < 1e-12 && (s.named.TEM - 40.0).abs() < 1e-12);
    }

    /// Exact values and estimates are listed under the same names, in the
    /// same order, one entry per tensor component.
    #[test]
    fn flattened_names() {
        let theta = [0.3, -0.4];
        let exact: Vec<String> =
            flatten(&exact_at(&ValleyOfDeath, theta).unwrap()).into_iter().map(|(n, _)| n).collect();
        let estimated: Vec<String> = estimate_at(&ValleyOfDeath, theta, 50, 3).into_iter().map(|e| e.name).collect();
        assert_eq!(exact, estimated);
        assert_eq!(exact.len(), 1 + 2 + 4 + 8 + 4 + 8 + 2 + 1 + 5);
        assert_eq!(exact[..8], ["l", "G[0]", "G[1]", "H[00]", "H[01]", "H[10]", "H[11]", "J[000]"]);
        assert_eq!(exact[exact.len() - 7..], ["HG_mixed[1]", "gHg_mixed", "INT", "UNC", "PAS", "TEM", "PER"]);
    }

    /// `stats --estimate --samples 10^11` (or 2^64 − 1) ran out of memory
    /// storing the samples; they are now summed as drawn, and counts beyond a
    /// random stream are refused.
    #[test]
    fn sample_counts_are_checked() {
        assert!(check_samples(MIN_SAMPLES).is_ok() && check_samples(1 << 34).is_ok());
        assert_eq!(check_samples(22).unwrap_err().to_string(), "--samples must be at least 23");
        let e = check_samples(100_000_000_000).unwrap_err().to_string();
        assert_eq!(
            e,
            "--samples 100000000000 is out of range: the samples are one random stream, of 2^34 = 17179869184 elements"
        );
        assert!(check_samples(usize::MAX).is_err());
    }

    /// Streaming the samples gives the numbers storing them gave: every
    /// sample in its jackknife group, in order.
    #[test]
    fn streamed_estimates_match_stored_samples() {
        let (l, theta, n, seed) = (ValleyOfDeath, [0.3, -0.4], 101, 9);
        let stored: Vec<Sample<2>> =
            (0..n).map(|i| sample(&l, theta, &[rng::normal(seed, 0, Stream::Data, i as u64)])).collect();
        let mut total = Sums::zero();
        let mut groups = vec![Sums::zero(); JACKKNIFE_GROUPS];
        for (i, s) in stored.iter().enumerate() {
            total.add(1.0, s);
            groups[i * JACKKNIFE_GROUPS / n].add(1.0, s);
        }
        let streamed = estimate_at(&l, theta, n, seed);
        let full = flatten(&total.estimates(&theta));
        assert!(streamed.iter().zip(&full).all(|(e, (_, v))| e.value == *v));
        let left_out = flatten(&total.minus(&groups[7]).estimates(&theta));
        assert!(left_out.iter().zip(&full).any(|(a, b)| a.1 != b.1));
        assert!(streamed.iter().all(|e| e.stderr.is_finite()));
    }

    /// At tiny sample sizes the plug-in |ḡ|² is biased by tr C / n and the
    /// C.6 estimator is not (n = 2, 3, 4); likewise TEM and PER, products of
    /// three expectations, from n = 3.
    #[test]
    fn estimators_are_unbiased_where_plug_in_is_not() {
        let l = ValleyOfDeath;
        let theta = [0.3, -0.4];
        let exact = exact_at(&l, theta).unwrap();
        for n in [2usize, 3, 4] {
            let (mut int, mut plug, mut tem, mut per, mut c00) =
                (Moments::default(), Moments::default(), Moments::default(), Moments::default(), Moments::default());
            for rep in 0..100_000u64 {
                let samples: Vec<Sample<2>> =
                    (0..n).map(|i| sample(&l, theta, &[rng::normal(21, rep, Stream::Data, i as u64)])).collect();
                let mut sums = Sums::zero();
                samples.iter().for_each(|s| sums.add(1.0, s));
                let e = sums.estimates(&theta);
                int.push(e.named.INT);
                tem.push(e.named.TEM);
                per.push(e.named.PER);
                c00.push(e.c[0][0]);
                let gbar = [sums.g[0] / n as f64, sums.g[1] / n as f64];
                plug.push(dot(&gbar, &gbar));
            }
            let z = |m: &Moments, x: f64| (m.mean - x) / m.stderr();
            let checks = [
                ("INT", &int, exact.named.INT),
                ("C00", &c00, exact.c[0][0]),
                ("TEM", &tem, exact.named.TEM),
                ("PER", &per, exact.named.PER),
            ];
            for (what, m, x) in &checks[..if n >= 3 { 4 } else { 2 }] {
                let (m, x) = (*m, *x);
                assert!(z(m, x).abs() < 5.0, "n = {n}: {what} {} ± {} vs {x}", m.mean, m.stderr());
            }
            let bias = exact.named.UNC / n as f64;
            assert!(z(&plug, exact.named.INT).abs() > 10.0, "plug-in should be biased");
            assert!(z(&plug, exact.named.INT + bias).abs() < 5.0, "plug-in bias is tr C / n");
        }
    }
}
