//! Exact polynomials in a few variables (here η and sample moments), for the
//! closed forms the tests derive.

use std::collections::BTreeMap;
use std::ops::{Add, Mul, Sub};

/// Σ c · Π v_i^{e_i} over exponent vectors e (up to 3 variables).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Poly(pub BTreeMap<[u32; 3], f64>);

impl Poly {
    pub fn constant(c: f64) -> Self {
        Poly::monomial(c, [0, 0, 0])
    }

    pub fn monomial(c: f64, e: [u32; 3]) -> Self {
        let mut m = BTreeMap::new();
        if c != 0.0 {
            m.insert(e, c);
        }
        Poly(m)
    }

    /// Variable i (0: η).
    pub fn var(i: usize) -> Self {
        let mut e = [0; 3];
        e[i] = 1;
        Poly::monomial(1.0, e)
    }

    pub fn scale(&self, k: f64) -> Self {
        Poly(self.0.iter().map(|(e, c)| (*e, c * k)).collect())
    }

    pub fn eval(&self, v: [f64; 3]) -> f64 {
        self.0.iter().map(|(e, c)| c * (0..3).map(|i| v[i].powi(e[i] as i32)).product::<f64>()).sum()
    }

    /// Replaces each monomial's variables 1 and 2 by `moment(e1, e2)`, keeping η.
    pub fn expect_over(&self, moment: impl Fn(u32, u32) -> f64) -> Poly {
        let mut out = Poly::default();
        for (e, c) in &self.0 {
            out = &out + &Poly::monomial(c * moment(e[1], e[2]), [e[0], 0, 0]);
        }
        out
    }

    /// Coefficients of η^0..η^order (for a polynomial in η alone).
    pub fn taylor(&self, order: usize) -> Vec<f64> {
        let mut c = self.coefficients();
        c.resize(c.len().max(order + 1), 0.0);
        c.truncate(order + 1);
        c
    }

    /// Coefficients of η^0, η^1, ... (for a polynomial in η alone).
    pub fn coefficients(&self) -> Vec<f64> {
        let deg = self.0.keys().map(|e| e[0]).max().unwrap_or(0) as usize;
        let mut c = vec![0.0; deg + 1];
        for (e, v) in &self.0 {
            assert_eq!((e[1], e[2]), (0, 0), "not a polynomial in η alone");
            c[e[0] as usize] += v;
        }
        c
    }
}

impl Add for &Poly {
    type Output = Poly;
    fn add(self, o: &Poly) -> Poly {
        let mut m = self.0.clone();
        for (e, c) in &o.0 {
            *m.entry(*e).or_insert(0.0) += c;
        }
        Poly(m)
    }
}

impl Sub for &Poly {
    type Output = Poly;
    fn sub(self, o: &Poly) -> Poly {
        self + &o.scale(-1.0)
    }
}

impl Mul for &Poly {
    type Output = Poly;
    fn mul(self, o: &Poly) -> Poly {
        let mut m = BTreeMap::new();
        for (ea, ca) in &self.0 {
            for (eb, cb) in &o.0 {
                let e = [ea[0] + eb[0], ea[1] + eb[1], ea[2] + eb[2]];
                *m.entry(e).or_insert(0.0) += ca * cb;
            }
        }
        Poly(m)
    }
}

/// E x^k for x ~ N(0, 1).
pub fn normal_moment(k: u32) -> f64 {
    if k % 2 == 1 {
        0.0
    } else {
        (1..k).step_by(2).map(f64::from).product()
    }
}
