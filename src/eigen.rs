//! Symmetric eigenproblems for seed 003's curvature matrices (sec. 4): dense
//! spectra by faer's self-adjoint eigensolver, the top of a spectrum by
//! Lanczos on matrix-vector products, spectra of low-rank PSD matrices
//! through their Gram matrices, and principal angles between subspaces
//! (eq. (13)).

use crate::error::{Error, Result};
use crate::linalg::dot;
use crate::rng::{self, Stream};
use faer::{Mat, Side};

/// Eigenpairs, the largest eigenvalue first; `vectors[k]` (unit norm)
/// belongs to `values[k]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Eigen {
    /// Eigenvalues, non-increasing.
    pub values: Vec<f64>,
    /// Their eigenvectors.
    pub vectors: Vec<Vec<f64>>,
}

fn failed(what: &str) -> Error {
    Error::Failed(format!("the symmetric eigensolver did not converge on {what}"))
}

/// `m` as a faer matrix divided by its largest |entry| s, and s (1 for a
/// zero matrix): the solver then sees entries of order 1, never subnormal
/// ones (the curvature of a run at a loss of 10⁻¹⁰⁰ has them, and faer's
/// QR iteration does not converge on them).
fn matrix(m: &[f64], n: usize) -> (Mat<f64>, f64) {
    assert_eq!(m.len(), n * n, "an n × n matrix");
    faer::set_global_parallelism(faer::Par::Seq);
    let s = m.iter().fold(0.0f64, |a, x| a.max(x.abs()));
    let s = if s > 0.0 && s.is_finite() { s } else { 1.0 };
    (Mat::from_fn(n, n, |i, j| m[i * n + j] / s), s)
}

/// All eigenvalues of the symmetric n × n row-major `m` (its lower half is
/// read), largest first.
pub fn values(m: &[f64], n: usize) -> Result<Vec<f64>> {
    let (a, s) = matrix(m, n);
    let v = a.self_adjoint_eigenvalues(Side::Lower).map_err(|_| failed("a spectrum"))?;
    Ok(v.into_iter().rev().map(|l| l * s).collect())
}

/// All eigenpairs of the symmetric n × n row-major `m`, largest first.
pub fn pairs(m: &[f64], n: usize) -> Result<Eigen> {
    let (a, scale) = matrix(m, n);
    let e = a.self_adjoint_eigen(Side::Lower).map_err(|_| failed("eigenvectors"))?;
    let (s, u) = (e.S(), e.U());
    let order = (0..n).rev();
    Ok(Eigen {
        values: order.clone().map(|k| s[k] * scale).collect(),
        vectors: order.map(|k| (0..n).map(|i| u[(i, k)]).collect()).collect(),
    })
}

/// The nonzero spectrum of A Aᵀ / s for the p × c row-major `a` (c columns,
/// c ≤ p), through the c × c Gram matrix Aᵀ A / s: the same nonzero
/// eigenvalues, eigenvectors u = A w / √(s λ). Pairs with λ ≤ 0 (to
/// rounding) are dropped, so fewer than c can come back.
pub fn gram(a: &[f64], p: usize, c: usize, s: f64) -> Result<Eigen> {
    assert_eq!(a.len(), p * c, "a p × c matrix");
    // A / r with r its largest |entry|, so that the products neither
    // underflow nor overflow; the eigenvalues are r² times the scaled ones.
    let r = a.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if r == 0.0 || !r.is_finite() {
        return Ok(Eigen { values: Vec::new(), vectors: Vec::new() });
    }
    let mut k = vec![0.0; c * c];
    for q in 0..p {
        let row = &a[q * c..][..c];
        for i in 0..c {
            for j in 0..=i {
                k[i * c + j] += (row[i] / r) * (row[j] / r) / s;
            }
        }
    }
    let small = pairs(&k, c)?;
    let floor = small.values.first().map_or(0.0, |&l| l.abs()) * 1e-12 * c as f64;
    let mut out = Eigen { values: Vec::new(), vectors: Vec::new() };
    for (l, w) in small.values.iter().zip(&small.vectors) {
        if *l <= floor {
            break;
        }
        // u = (A/r) w / √(s λ'), and λ = r² λ' (r may be subnormal: A/r
        // first, never 1/r).
        let scale = 1.0 / (s * l).sqrt();
        out.values.push(l * r * r);
        out.vectors
            .push((0..p).map(|q| a[q * c..][..c].iter().zip(w).map(|(x, y)| x / r * y).sum::<f64>() * scale).collect());
    }
    Ok(out)
}

/// How far [`lanczos`] went and how well its pairs are resolved.
#[derive(Clone, Debug, PartialEq)]
pub struct Lanczos {
    /// The top pairs.
    pub eigen: Eigen,
    /// Products with the operator spent.
    pub products: usize,
    /// The largest residual ‖A u − λ u‖ of the returned pairs.
    pub residual: f64,
}

/// The `q` largest (algebraic) eigenpairs of the symmetric p × p operator
/// `apply` (`apply(v, out)` writes A v), by Lanczos with full
/// reorthogonalisation from the normal start vector of (seed, key,
/// `Stream::Lanczos`).
/// It stops when each of the top q Ritz pairs has residual ≤ `tol`·|λ_max|
/// (the residual of a Ritz pair is β_k |s_k|, no extra product), or at p steps,
/// where the Krylov space is everything and the pairs are exact.
pub fn lanczos(
    p: usize,
    q: usize,
    tol: f64,
    (seed, key): (u64, u64),
    mut apply: impl FnMut(&[f64], &mut [f64]),
) -> Result<Lanczos> {
    assert!(q >= 1 && q <= p, "1 ≤ q ≤ p");
    let mut basis: Vec<Vec<f64>> = Vec::new();
    let (mut alpha, mut beta) = (Vec::new(), Vec::new());
    let mut v: Vec<f64> = (0..p).map(|i| rng::normal(seed, key, Stream::Lanczos, i as u64)).collect();
    let norm = dot(&v, &v).sqrt();
    v.iter_mut().for_each(|x| *x /= norm);
    let mut w = vec![0.0; p];
    let check_from = (2 * q + 10).min(p);
    // The operator times 2^k, k fixed by the first product so that its
    // entries are about 1: at a Hessian's scale of 1e-200 the squared norms
    // below would underflow to 0 and end the iteration after one step.
    let mut scale = None;
    loop {
        apply(&v, &mut w);
        let s = *scale.get_or_insert_with(|| unit_scale(&w));
        w.iter_mut().for_each(|x| *x *= s);
        let a = dot(&v, &w);
        basis.push(v.clone());
        alpha.push(a);
        // Full reorthogonalisation, twice (Kahan–Parlett "twice is enough").
        for _ in 0..2 {
            for b in &basis {
                let c = dot(b, &w);
                w.iter_mut().zip(b).for_each(|(w, b)| *w -= c * b);
            }
        }
        let b = dot(&w, &w).sqrt();
        let k = basis.len();
        let exhausted = k == p || b <= 1e-300;
        if k >= check_from || exhausted {
            let (ritz, s) = tridiagonal(&alpha, &beta)?;
            let top = ritz.values[0].abs().max(f64::MIN_POSITIVE);
            let take = q.min(k);
            let residual = (0..take).map(|i| b * s[i]).fold(0.0, f64::max);
            if exhausted || (take == q && residual <= tol * top) {
                let vectors = ritz.vectors[..take]
                    .iter()
                    .map(|y| {
                        let mut u = vec![0.0; p];
                        for (c, bv) in y.iter().zip(&basis) {
                            u.iter_mut().zip(bv).for_each(|(u, b)| *u += c * b);
                        }
                        u
                    })
                    .collect();
                let factor = scale.unwrap_or(1.0);
                let eigen = Eigen { values: ritz.values[..take].iter().map(|l| l / factor).collect(), vectors };
                let residual = if exhausted { 0.0 } else { residual / factor };
                return Ok(Lanczos { eigen, products: k, residual });
            }
        }
        beta.push(b);
        v = w.iter().map(|x| x / b).collect();
    }
}

/// 2^k with k such that the largest |entry| of `w` times 2^k lies in
/// [1, 2) (|k| ≤ 1000, so 2^k is finite); 1 for a zero or non-finite `w`.
fn unit_scale(w: &[f64]) -> f64 {
    let r = w.iter().fold(0.0f64, |m, x| m.max(x.abs()));
    if r == 0.0 || !r.is_finite() {
        return 1.0;
    }
    2f64.powi((-r.log2().floor()).clamp(-1000.0, 1000.0) as i32)
}

/// ‖A‖₂ = max(|λ_max|, |λ_min|) of the symmetric p × p operator `apply`:
/// [`lanczos`]'s top pair (q = 1, tolerance `tol`) of A and of −A, both from
/// the start vector of (seed, key).
pub fn spectral_norm(
    p: usize,
    tol: f64,
    (seed, key): (u64, u64),
    mut apply: impl FnMut(&[f64], &mut [f64]),
) -> Result<f64> {
    let top = lanczos(p, 1, tol, (seed, key), &mut apply)?;
    let bottom = lanczos(p, 1, tol, (seed, key), |v, out| {
        apply(v, out);
        out.iter_mut().for_each(|x| *x = -*x);
    })?;
    Ok(top.eigen.values[0].abs().max(bottom.eigen.values[0].abs()))
}

/// The eigenpairs of the symmetric tridiagonal matrix with diagonal `alpha`
/// and off-diagonal `beta` (one shorter), with |last component| of each
/// eigenvector (the Ritz residual's factor).
fn tridiagonal(alpha: &[f64], beta: &[f64]) -> Result<(Eigen, Vec<f64>)> {
    let k = alpha.len();
    let mut t = vec![0.0; k * k];
    for i in 0..k {
        t[i * k + i] = alpha[i];
        if i + 1 < k {
            t[(i + 1) * k + i] = beta[i];
            t[i * k + i + 1] = beta[i];
        }
    }
    let e = pairs(&t, k)?;
    let last = e.vectors.iter().map(|y| y[k - 1].abs()).collect();
    Ok((e, last))
}

/// The cosines of the principal angles between span(`a`) and span(`b`)
/// (orthonormal vectors each), largest first: the singular values of AᵀB
/// (Björck–Golub; seed 003 eq. (13)), clamped to [0, 1].
pub fn principal_cosines(a: &[Vec<f64>], b: &[Vec<f64>]) -> Result<Vec<f64>> {
    if a.is_empty() || b.is_empty() {
        return Ok(Vec::new());
    }
    let c = Mat::from_fn(a.len(), b.len(), |i, j| dot(&a[i], &b[j]));
    let s = c.singular_values().map_err(|_| failed("principal angles"))?;
    Ok(s.into_iter().map(|x| x.min(1.0)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn principal_angles_of_known_planes() {
        // span(e1, e2) against span(cos a e1 + sin a e3, cos b e2 + sin b e4):
        // principal angles a and b exactly.
        let (a, b) = (0.3f64, 1.1f64);
        let x = vec![vec![1.0, 0.0, 0.0, 0.0], vec![0.0, 1.0, 0.0, 0.0]];
        let y = vec![vec![a.cos(), 0.0, a.sin(), 0.0], vec![0.0, b.cos(), 0.0, b.sin()]];
        let c = principal_cosines(&x, &y).unwrap();
        assert!((c[0] - a.cos()).abs() < 1e-15 && (c[1] - b.cos()).abs() < 1e-15, "{c:?}");
        // A different basis of the same plane: cosines 1.
        let r = [vec![0.6, 0.8, 0.0, 0.0], vec![-0.8, 0.6, 0.0, 0.0]];
        assert!(principal_cosines(&x, &r).unwrap().iter().all(|c| (c - 1.0).abs() < 1e-15));
    }

    #[test]
    fn tiny_matrices_are_scaled_not_lost() {
        // A run at a loss of 10⁻¹⁰⁰ has gradients near 10⁻¹⁶⁰: their Gram
        // entries (10⁻³²⁰) are subnormal, and unscaled they stall the solver.
        let a: Vec<f64> = (0..12).map(|i| (i as f64 - 5.5) * 1e-160).collect();
        let e = gram(&a, 4, 3, 1.0).unwrap();
        let big = gram(&a.iter().map(|x| x * 1e160).collect::<Vec<_>>(), 4, 3, 1.0).unwrap();
        assert_eq!(e.values.len(), big.values.len());
        for (l, b) in e.values.iter().zip(&big.values) {
            assert!((l / 1e-320 / b - 1.0).abs() < 1e-3, "{l} vs {b}e-320 (subnormal: 3 digits)");
        }
        let d = [3e-320, 0.0, 0.0, 1e-320];
        let v = values(&d, 2).unwrap();
        assert!((v[0] - 3e-320).abs() < 1e-323 && (v[1] - 1e-320).abs() < 1e-323, "{v:?}");
        assert!(gram(&[0.0; 6], 3, 2, 1.0).unwrap().values.is_empty());
        assert!(principal_cosines(&[vec![1.0, 0.0]], &[]).unwrap().is_empty());
    }

    #[test]
    fn lanczos_on_a_diagonal_operator() {
        // diag(1..=200): the top five are 200..196; at p steps it is exact.
        let p = 200;
        let apply = |v: &[f64], out: &mut [f64]| {
            for i in 0..p {
                out[i] = (i + 1) as f64 * v[i];
            }
        };
        let l = lanczos(p, 5, 1e-9, (3, 0), apply).unwrap();
        for k in 0..5 {
            assert!((l.eigen.values[k] - (p - k) as f64).abs() < 1e-6, "{:?}", l.eigen.values);
            assert!((l.eigen.vectors[k][p - 1 - k].abs() - 1.0).abs() < 1e-6);
        }
        let exact = lanczos(6, 6, 0.0, (3, 0), |v, out| {
            out.iter_mut().zip(v).enumerate().for_each(|(i, (o, x))| *o = i as f64 * x)
        })
        .unwrap();
        assert_eq!(exact.products, 6);
        assert!(exact.eigen.values.iter().zip([5.0, 4.0, 3.0, 2.0, 1.0, 0.0]).all(|(a, b)| (a - b).abs() < 1e-12));
    }

    #[test]
    fn lanczos_and_the_norm_do_not_depend_on_the_operator_scale() {
        // diag(1..=200)·c for c down to 1e-300, the scale of a Hessian at
        // margins near 700: unscaled, ‖w‖² underflows at c ≈ 1e-160 and the
        // iteration stops after one product with one wrong pair.
        let p = 200;
        let reference = lanczos(p, 5, 1e-9, (3, 0), |v, out| {
            out.iter_mut().zip(v).enumerate().for_each(|(i, (o, x))| *o = (i + 1) as f64 * x)
        })
        .unwrap();
        for c in [1e-100, 1e-200, 1e-300, 1e200] {
            let l = lanczos(p, 5, 1e-9, (3, 0), |v, out| {
                out.iter_mut().zip(v).enumerate().for_each(|(i, (o, x))| *o = (i + 1) as f64 * c * x)
            })
            .unwrap();
            assert_eq!(l.products, reference.products, "c = {c}");
            for k in 0..5 {
                assert!((l.eigen.values[k] / (c * (p - k) as f64) - 1.0).abs() < 1e-9, "c = {c}: {:?}", l.eigen.values);
                assert!((l.eigen.vectors[k][p - 1 - k].abs() - 1.0).abs() < 1e-6);
            }
            let norm = spectral_norm(p, 1e-9, (3, 0), |v, out| {
                out.iter_mut().zip(v).enumerate().for_each(|(i, (o, x))| *o = (i as f64 - 150.0) * c * x)
            })
            .unwrap();
            assert!((norm / (150.0 * c) - 1.0).abs() < 1e-9, "c = {c}: {norm}");
        }
    }
}
