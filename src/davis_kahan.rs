//! The Davis–Kahan sin θ bounds of seed 003, App. B.2.2 (eqs. (53)-(59)):
//! how far the top eigenvectors of a perturbed symmetric Q = P + Δ (eq. (53))
//! can turn from those of P. In the network (eq. (54)) P = H_f, Q = M and
//! Δ = H_p (Proposition 1: H_f = M − H_p). The paper calls Q's eigenvalues
//! H_p's; (55) needs Q's, and those are used here (docs/seed003-slips.md, S9).

use crate::eigen::{principal_cosines, Eigen};
use crate::error::Result;
use crate::linalg::dot;

/// The largest subspace dimension s of (59) compared (the paper's s = 1, 2, 3).
pub const SUBSPACES: usize = 3;

/// P's and Q's top eigenvectors compared, with the Davis–Kahan bounds.
/// Index r − 1 (or s − 1) holds r (or s); NaN where a side lacks the pairs.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// cos θ_r = |v_rᵀṽ_r|.
    pub cosines: Vec<f64>,
    /// (56): ‖Δ‖₂/δ_r with δ_r of (55).
    pub vector_bounds: Vec<f64>,
    /// ‖sin Θ(Ṽ, V)‖_F between span(v_1 … v_s) and span(ṽ_1 … ṽ_s).
    pub subspace_sines: Vec<f64>,
    /// (59): 2 min(√s‖Δ‖₂, ‖Δ‖_F)/(λ_s − λ_{s+1}).
    pub subspace_bounds: Vec<f64>,
}

/// The size of the perturbation Δ: ‖Δ‖₂, and ‖Δ‖_F where it is known
/// (without it, (59) takes its √d‖Δ‖₂ form, never smaller).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Perturbation {
    pub spectral: f64,
    pub frobenius: Option<f64>,
}

/// δ_r of (55): min over s ≠ r of |λ̃_s − λ_r|, `r` from 0, over all `p`
/// eigenvalues of Q, of which `perturbed` lists the largest (non-increasing)
/// and the rest are 0 (a second moment of rank below p).
pub fn separation(lambda_r: f64, r: usize, perturbed: &[f64], p: usize) -> f64 {
    let listed = perturbed.iter().enumerate().filter(|&(s, _)| s != r).map(|(_, l)| (l - lambda_r).abs());
    // Q's zero eigenvalues, at indices perturbed.len() .. p, less r's own.
    let zeros = p - perturbed.len().min(p) - usize::from(r >= perturbed.len() && r < p);
    let zero = if zeros > 0 { lambda_r.abs() } else { f64::INFINITY };
    listed.fold(zero, f64::min)
}

/// ‖sin Θ‖_F = √(Σ_i (1 − cos² γ_i)) from the principal cosines γ_i of two
/// equal-dimensional subspaces.
pub fn sine_frobenius(cosines: &[f64]) -> f64 {
    cosines.iter().map(|c| 1.0 - c * c).sum::<f64>().max(0.0).sqrt()
}

/// (59) with r = 1 (eq. (58)): 2 min(√s‖Δ‖₂, ‖Δ‖_F)/(λ_s − λ_{s+1}) for P's
/// non-increasing `values` (at least s + 1 of them); ∞ without a gap.
pub fn subspace_bound(values: &[f64], s: usize, delta: Perturbation) -> f64 {
    let size = (s as f64).sqrt() * delta.spectral;
    let size = delta.frobenius.map_or(size, |f| size.min(f));
    let gap = values[s - 1] - values[s];
    if gap > 0.0 {
        2.0 * size / gap
    } else {
        f64::INFINITY
    }
}

/// P's top pairs `truth` (q of them, descending) against Q's `perturbed`
/// (its largest ones, descending; Q's remaining eigenvalues are 0, `p` in
/// all), Δ = Q − P of size `delta`: (55)-(56) for r = 1 … q, and (59) for
/// s = 1 … min([`SUBSPACES`], q − 1).
pub fn compare(truth: &Eigen, perturbed: &Eigen, p: usize, delta: Perturbation) -> Result<Comparison> {
    let q = truth.values.len();
    let k = perturbed.vectors.len();
    let cosines =
        (0..q).map(|r| if r < k { dot(&truth.vectors[r], &perturbed.vectors[r]).abs() } else { f64::NAN }).collect();
    let vector_bounds = (0..q).map(|r| delta.spectral / separation(truth.values[r], r, &perturbed.values, p)).collect();
    let dims = 1..=SUBSPACES.min(q.saturating_sub(1));
    let subspace_sines = dims
        .clone()
        .map(|s| match s <= k {
            true => principal_cosines(&truth.vectors[..s], &perturbed.vectors[..s]).map(|c| sine_frobenius(&c)),
            false => Ok(f64::NAN),
        })
        .collect::<Result<_>>()?;
    let subspace_bounds = dims.map(|s| subspace_bound(&truth.values, s, delta)).collect();
    Ok(Comparison { cosines, vector_bounds, subspace_sines, subspace_bounds })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::eigen::pairs;
    use crate::rng::{normal, Stream};

    /// A symmetric p × p matrix U diag(`spectrum`) Uᵀ with U the eigenvectors
    /// of a random symmetric matrix (fixed seed `key`).
    fn with_spectrum(spectrum: &[f64], key: u64) -> Vec<f64> {
        let p = spectrum.len();
        let u = pairs(&random_symmetric(p, 1.0, key), p).unwrap().vectors;
        let mut m = vec![0.0; p * p];
        for (l, v) in spectrum.iter().zip(&u) {
            for i in 0..p {
                for j in 0..p {
                    m[i * p + j] += l * v[i] * v[j];
                }
            }
        }
        m
    }

    /// (A + Aᵀ)/2 with A's entries N(0, scale²), fixed seed `key`.
    fn random_symmetric(p: usize, scale: f64, key: u64) -> Vec<f64> {
        let a: Vec<f64> = (0..p * p).map(|e| scale * normal(7, key, Stream::Data, e as u64)).collect();
        (0..p * p).map(|e| (a[e] + a[(e % p) * p + e / p]) / 2.0).collect()
    }

    fn compare_dense(pm: &[f64], dm: &[f64], p: usize) -> (Comparison, f64) {
        let qm: Vec<f64> = pm.iter().zip(dm).map(|(a, b)| a + b).collect();
        let (truth, perturbed, d) = (pairs(pm, p).unwrap(), pairs(&qm, p).unwrap(), pairs(dm, p).unwrap());
        let spectral = d.values[0].abs().max(d.values[p - 1].abs());
        let frobenius = Some(dm.iter().map(|x| x * x).sum::<f64>().sqrt());
        let q = 6;
        let top = |e: &Eigen| Eigen { values: e.values[..q].to_vec(), vectors: e.vectors[..q].to_vec() };
        let c = compare(&top(&truth), &perturbed, p, Perturbation { spectral, frobenius }).unwrap();
        (c, spectral)
    }

    #[test]
    fn the_bounds_hold_and_can_be_tight() {
        let p = 30;
        // Well separated top: 30, 25, 20, …, then the rest in [0, 1].
        let spectrum: Vec<f64> =
            (0..p).map(|i| if i < 6 { 30.0 - 5.0 * i as f64 } else { (p - i) as f64 / p as f64 }).collect();
        let pm = with_spectrum(&spectrum, 1);
        for (key, scale) in [(2, 0.02), (3, 0.1), (4, 0.3)] {
            let dm = random_symmetric(p, scale, key);
            let (c, spectral) = compare_dense(&pm, &dm, p);
            assert_eq!((c.cosines.len(), c.subspace_sines.len()), (6, 3));
            for r in 0..6 {
                let sine = (1.0 - c.cosines[r].powi(2)).max(0.0).sqrt();
                assert!(sine <= c.vector_bounds[r], "(56) r = {}, ‖Δ‖ {spectral}: {c:?}", r + 1);
            }
            for s in 0..3 {
                assert!(c.subspace_sines[s] <= c.subspace_bounds[s], "(59) s = {}: {c:?}", s + 1);
            }
            // For s = 1 the principal cosine is |v₁ᵀṽ₁|.
            let one = (1.0 - c.cosines[0].powi(2)).max(0.0).sqrt();
            assert!((c.subspace_sines[0] - one).abs() < 1e-12, "{c:?}");
            // Not vacuous: the bounds say something, and there is a sine to bound.
            assert!(c.vector_bounds[0] < 1.0 && (scale > 0.1 || c.subspace_bounds[2] < 1.0), "{c:?}");
            assert!(c.cosines[0] < 1.0 && c.subspace_sines[2] > 0.0, "{c:?}");
            if scale == 0.3 {
                // Within a factor of 20 of the bound: the test can fail.
                assert!(c.vector_bounds[0] < 20.0 * (1.0 - c.cosines[0].powi(2)).sqrt(), "{c:?}");
            }
        }
    }

    #[test]
    fn separation_counts_the_zero_eigenvalues() {
        // Q of rank 2 in p = 4: λ̃ = 5, 3, 0, 0.
        assert_eq!(separation(4.0, 0, &[5.0, 3.0], 4), 1.0);
        assert_eq!(separation(0.5, 1, &[5.0, 3.0], 4), 0.5, "a zero of Q is the nearest");
        assert_eq!(separation(0.5, 1, &[5.0, 3.0], 2), 4.5, "full rank: no zeros");
        assert_eq!(separation(0.5, 2, &[5.0, 3.0], 3), 2.5, "r's own zero is left out");
        assert_eq!(separation(0.5, 2, &[5.0, 3.0], 4), 0.5, "the other zero counts");
        assert_eq!(sine_frobenius(&[1.0, 0.0]), 1.0);
        let d = Perturbation { spectral: 1.0, frobenius: None };
        assert_eq!(subspace_bound(&[3.0, 1.0, 1.0], 2, d), f64::INFINITY);
        assert_eq!(subspace_bound(&[3.0, 1.0], 1, Perturbation { frobenius: Some(0.5), ..d }), 0.5);
    }
}
