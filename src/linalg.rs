//! Small dense linear algebra on row-major `f64` slices: what the theory
//! needs of it (an eigen-decomposition of the mean Hessian H, products,
//! powers and exponentials of the small matrices behind re-summed time sums).

/// Σ_i a_i b_i.
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// M v for a d×d matrix M.
pub fn mat_vec(m: &[f64], v: &[f64], d: usize) -> Vec<f64> {
    (0..d).map(|a| (0..d).map(|b| m[a * d + b] * v[b]).sum()).collect()
}

/// The solution of M s = b for D ≤ 3 by Cramer's rule (closed form, and
/// exact for M = I), or `None` when M is singular or s is not finite.
pub fn solve<const D: usize>(m: [[f64; D]; D], b: [f64; D]) -> Option<[f64; D]> {
    let det = determinant(&m);
    let s: [f64; D] = std::array::from_fn(|i| {
        let mut mi = m;
        for (row, &bj) in mi.iter_mut().zip(&b) {
            row[i] = bj;
        }
        determinant(&mi) / det
    });
    (det != 0.0 && s.iter().all(|x| x.is_finite())).then_some(s)
}

/// det M for D ≤ 3, by cofactors along the first row.
fn determinant<const D: usize>(m: &[[f64; D]; D]) -> f64 {
    match D {
        0 => 1.0,
        1 => m[0][0],
        2 => m[0][0] * m[1][1] - m[0][1] * m[1][0],
        3 => {
            m[0][0] * (m[1][1] * m[2][2] - m[1][2] * m[2][1]) - m[0][1] * (m[1][0] * m[2][2] - m[1][2] * m[2][0])
                + m[0][2] * (m[1][0] * m[2][1] - m[1][1] * m[2][0])
        }
        _ => unimplemented!("determinants of side {D} > 3: the landscapes have at most 3 weights"),
    }
}

/// The n×n identity.
pub fn identity(n: usize) -> Vec<f64> {
    (0..n * n).map(|ij| f64::from(u8::from(ij / n == ij % n))).collect()
}

/// A B for square matrices of side n.
pub fn mat_mul(a: &[f64], b: &[f64], n: usize) -> Vec<f64> {
    (0..n * n).map(|ij| (0..n).map(|k| a[ij / n * n + k] * b[k * n + ij % n]).sum()).collect()
}

/// M^p for a square matrix of side n, by binary powering.
pub fn power(m: &[f64], mut p: usize, n: usize) -> Vec<f64> {
    let mut base = m.to_vec();
    let mut result = identity(n);
    while p > 0 {
        if p & 1 == 1 {
            result = mat_mul(&result, &base, n);
        }
        base = mat_mul(&base, &base, n);
        p >>= 1;
    }
    result
}

/// e^A for a square matrix of side n, by scaling and squaring: A/2^s of
/// norm at most ¼, its Taylor series to 20 terms, squared s times.
pub fn exp(a: &[f64], n: usize) -> Vec<f64> {
    let norm = a.iter().fold(0.0f64, |m, x| m.max(x.abs())) * n as f64;
    let squarings = if norm > 0.25 { (norm / 0.25).log2().ceil() as i32 } else { 0 };
    let scaled: Vec<f64> = a.iter().map(|x| x / 2f64.powi(squarings)).collect();
    let (mut sum, mut term) = (identity(n), identity(n));
    for k in 1..=20 {
        term = mat_mul(&term, &scaled, n).iter().map(|x| x / k as f64).collect();
        sum.iter_mut().zip(&term).for_each(|(s, x)| *s += x);
    }
    for _ in 0..squarings {
        sum = mat_mul(&sum, &sum, n);
    }
    sum
}

/// Eigenvalues and orthonormal eigenvectors (columns of a row-major D×D
/// matrix) of a symmetric matrix, by cyclic Jacobi rotations.
pub fn symmetric_eigen(m: &[f64], d: usize) -> (Vec<f64>, Vec<f64>) {
    let mut a = m.to_vec();
    let mut v = identity(d);
    let scale = a.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    for _ in 0..64 {
        let off: f64 = (0..d).flat_map(|p| (p + 1..d).map(move |q| (p, q))).map(|(p, q)| a[p * d + q].powi(2)).sum();
        if off <= (1e-32 * scale * scale).max(f64::MIN_POSITIVE) {
            break;
        }
        for p in 0..d {
            for q in p + 1..d {
                if a[p * d + q] == 0.0 {
                    continue;
                }
                let theta = (a[q * d + q] - a[p * d + p]) / (2.0 * a[p * d + q]);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                // A ← JᵀAJ, V ← VJ with the rotation J in the (p, q) plane.
                for k in 0..d {
                    let (akp, akq) = (a[k * d + p], a[k * d + q]);
                    a[k * d + p] = c * akp - s * akq;
                    a[k * d + q] = s * akp + c * akq;
                }
                for k in 0..d {
                    let (apk, aqk) = (a[p * d + k], a[q * d + k]);
                    a[p * d + k] = c * apk - s * aqk;
                    a[q * d + k] = s * apk + c * aqk;
                }
                for k in 0..d {
                    let (vkp, vkq) = (v[k * d + p], v[k * d + q]);
                    v[k * d + p] = c * vkp - s * vkq;
                    v[k * d + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    ((0..d).map(|i| a[i * d + i]).collect(), v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cramer_solves_small_systems() {
        // [[2, 1, 0], [1, 3, 1], [0, 1, 4]] s = (3, 5, 5): s = (1, 1, 1).
        let s = solve([[2.0, 1.0, 0.0], [1.0, 3.0, 1.0], [0.0, 1.0, 4.0]], [3.0, 5.0, 5.0]).unwrap();
        assert!(s.iter().all(|x| (x - 1.0).abs() < 1e-15), "{s:?}");
        assert_eq!(solve([[4.0, 2.0], [1.0, 3.0]], [2.0, -2.0]), Some([1.0, -1.0]));
        assert_eq!(solve([[0.5]], [3.0]), Some([6.0]));
        // The identity gives b bit for bit (invhess at λ = 0 is SGD).
        let b = [0.1, -7.3e-9, 1e300];
        assert_eq!(solve([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], b), Some(b));
        // Singular or not finite: no solution.
        assert_eq!(solve([[1.0, 2.0], [2.0, 4.0]], [1.0, 1.0]), None);
        assert_eq!(solve([[0.0]], [1.0]), None);
        assert_eq!(solve([[f64::NAN]], [1.0]), None);
        assert_eq!(solve([[1e-300]], [1e300]), None);
    }

    #[test]
    fn jacobi_diagonalises() {
        let m = [2.0, 1.0, 0.5, 1.0, 3.0, -0.2, 0.5, -0.2, 1.0];
        let (lambda, q) = symmetric_eigen(&m, 3);
        for i in 0..3 {
            for j in 0..3 {
                let back: f64 = (0..3).map(|k| q[i * 3 + k] * lambda[k] * q[j * 3 + k]).sum();
                assert!((back - m[i * 3 + j]).abs() < 1e-13, "{i}{j}: {back}");
                let ortho: f64 = (0..3).map(|k| q[k * 3 + i] * q[k * 3 + j]).sum();
                assert!((ortho - f64::from(u8::from(i == j))).abs() < 1e-13);
            }
        }
    }

    /// Powers and exponentials of a rotation generator and a Jordan block.
    #[test]
    fn powers_and_exponentials() {
        // [[1, 1], [0, 1]]^p = [[1, p], [0, 1]].
        assert_eq!(power(&[1.0, 1.0, 0.0, 1.0], 37, 2), [1.0, 37.0, 0.0, 1.0]);
        assert_eq!(power(&[2.0, 0.0, 0.0, 3.0], 0, 2), identity(2));
        // e^(t[[0, −1], [1, 0]]) is the rotation by t.
        let t = 5.3;
        let r = exp(&[0.0, -t, t, 0.0], 2);
        let want = [t.cos(), -t.sin(), t.sin(), t.cos()];
        assert!(r.iter().zip(want).all(|(a, b)| (a - b).abs() < 1e-13), "{r:?}");
        assert_eq!(mat_vec(&[1.0, 2.0, 3.0, 4.0], &[1.0, -1.0], 2), [-1.0, -1.0]);
        assert_eq!(dot(&[1.0, 2.0], &[3.0, 4.0]), 11.0);
    }
}
