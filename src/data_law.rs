//! The law of a training point x (issue 19). The paper's landscapes draw
//! x ~ N(0, 1); a formula landscape may instead draw x uniform on an interval,
//! Rademacher (±1) or Student-t with ν degrees of freedom. One definition gives
//! the CPU's samples ([`DataLaw::sample`]), the GPU's (the same numbers,
//! [`DataLaw::wgsl`]) and the Gauss rules of the exact expectations
//! ([`DataLaw::rule_exact_for`]).
//!
//! # Samples
//! Element `e` of a trial's [`Stream::Data`] (the layout of `crate::rng`):
//! * normal: the normal element `e`, as for the built-ins;
//! * uniform(a, b): word `e` gives u = (⌊w/2⁹⌋ + ½)·2⁻²³ and x = a + (b − a)u
//!   (23 bits: an f32 holds u exactly, so both backends draw the same u);
//! * rademacher: x = +1 where word `e`'s top bit is set, else −1;
//! * student-t(ν): Bailey's polar method (Math. Comp. 62 (1994) 779–781). Pair
//!   k of Philox counter (e mod 2³², trial, Data, 1 + k + ⌊e/2³²⌋·64) gives attempts from words
//!   (0, 1) then (2, 3): A = 2⌊w₀/2⁸⌋ + 1 − 2²⁴, B likewise, accepted when
//!   A² + B² ≤ 2⁴⁸ (an integer test, so both backends accept the same
//!   attempt); then with U = A/2²⁴ and W = (A² + B²)/2⁴⁸,
//!   x = U √(ν (W^(−2/ν) − 1) / W), with W^(−2/ν) − 1 = expm1(−(2/ν) ln W)
//!   and ln W = log1p(−(1 − W)), 1 − W exact in integers (on the device, short
//!   series where the arguments are small: f32 keeps its relative precision
//!   for any ν). Each attempt is accepted with probability
//!   π/4; after [`ATTEMPT_PAIRS`] pairs (a chance below 10⁻⁸⁰) x = 0.
//!
//! # Vector samples
//! A formula writing x1..xk (k ≤ 4) draws k independent coordinates per
//! point, each with the law: coordinate c of point i is element 4i + c
//! ([`element`]; one Philox block a point, so the device reads a point with
//! one `data4`). Their expectations use the product of the law's Gauss rule
//! with itself ([`DataLaw::cubature_for`], `Cubature`), exact for a
//! polynomial of that total degree.
//!
//! # Rules
//! Gauss rules from the three-term recurrence p_{k+1} = x p_k − β_k p_{k−1}
//! of each law's monic orthogonal polynomials (`Rule::symmetric`):
//! * normal: β_k = k (Gauss–Hermite, built by Newton as for the built-ins);
//! * uniform on [−1, 1]: β_k = k²/(4k² − 1) (Legendre), moved to [a, b];
//! * rademacher: β_1 = 1; the two-point rule {−1, +1} is the law itself, so
//!   it is exact for every function of x;
//! * student-t(ν): β_k = ν k (ν − k + 1) / ((ν − 2k)(ν − 2k + 2)) for 2k < ν.
//!   Derived here, not quoted: from the moments E x^{2j} = ν^j ∏_{i<j}
//!   (2i + 1)/(ν − 2i − 2), Stieltjes' procedure in exact rationals gives
//!   β_1 = ν/(ν − 2), β_2 = 2ν(ν − 1)/((ν − 2)(ν − 4)), … the closed form
//!   for k ≤ 5 at ν = 11, 23/2 and 40; the test `student_t_rules_reproduce_moments`
//!   checks every moment the rules integrate. As ν → ∞, β_k → k (the normal).
//!   Only the moments of order below ν exist, so a rule exact for degree d
//!   exists only for d < ν.

use crate::error::{usage, Result};
use crate::landscape::limits::MAX_SAMPLE;
use crate::quadrature::{nodes_exact_for, Cubature, Rule, MAX_NODES, MAX_POINTS};
use crate::rng::{self, Stream};
use std::sync::Mutex;

/// Nodes of the simulators' rule for a loss not polynomial in x: at most
/// `MAX_NODES`, one gradient per node in their arrays and registers.
pub const SIMULATOR_NODES: usize = MAX_NODES;

/// Nodes (per coordinate) the theory's rule for a loss not polynomial in x
/// starts from (`crate::theory::statistics::theory_rule` adds nodes until
/// the statistics settle).
pub const THEORY_NODES: usize = 32;

/// Most nodes per coordinate the theory's adaptive rule takes.
pub const MAX_THEORY_NODES: usize = 128;

/// Philox blocks (two attempts each) a Student-t sample may use.
pub const ATTEMPT_PAIRS: u32 = 64;

/// The law of a training point x.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DataLaw {
    /// x ~ N(0, 1).
    Normal,
    /// x uniform on [lo, hi].
    Uniform { lo: f64, hi: f64 },
    /// x = ±1, each with probability ½.
    Rademacher,
    /// x ~ Student-t with `nu` > 0 degrees of freedom.
    StudentT { nu: f64 },
}

impl DataLaw {
    /// A law as written on the command line or in a landscape file:
    /// `normal`, `uniform` (on [−1, 1]), `uniform(a, b)`, `rademacher`,
    /// `student-t(ν)` (or `t(ν)`).
    pub fn parse(text: &str) -> Result<Self> {
        let t: String = text.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_ascii_lowercase();
        let bad = || {
            usage(format!(
                "law '{}': expected normal, uniform, uniform(a,b), rademacher or student-t(nu)",
                crate::error::one_line(text)
            ))
        };
        let (name, args) = match t.split_once('(') {
            Some((name, rest)) => {
                let inner = rest.strip_suffix(')').ok_or_else(bad)?;
                let args: Vec<f64> = inner
                    .split(',')
                    .map(|a| a.parse::<f64>())
                    .collect::<std::result::Result<_, _>>()
                    .map_err(|_| bad())?;
                (name, args)
            }
            None => (t.as_str(), Vec::new()),
        };
        let law = match (name, args.as_slice()) {
            ("normal", []) => DataLaw::Normal,
            ("uniform", []) => DataLaw::Uniform { lo: -1.0, hi: 1.0 },
            ("uniform", &[lo, hi]) => DataLaw::Uniform { lo, hi },
            ("rademacher", []) => DataLaw::Rademacher,
            ("student-t" | "t", &[nu]) => DataLaw::StudentT { nu },
            _ => return Err(bad()),
        };
        match law {
            DataLaw::Uniform { lo, hi } if !(lo.is_finite() && hi.is_finite() && lo < hi) => {
                Err(usage(format!("law '{}': uniform(a,b) needs finite a < b", crate::error::one_line(text))))
            }
            DataLaw::StudentT { nu } if !(nu.is_finite() && nu > 0.0) => {
                Err(usage(format!("law '{}': student-t(nu) needs a finite nu > 0", crate::error::one_line(text))))
            }
            _ => Ok(law),
        }
    }

    /// The text [`DataLaw::parse`] reads back.
    pub fn spec(&self) -> String {
        match self {
            DataLaw::Normal => "normal".into(),
            DataLaw::Uniform { lo, hi } => format!("uniform({lo},{hi})"),
            DataLaw::Rademacher => "rademacher".into(),
            DataLaw::StudentT { nu } => format!("student-t({nu})"),
        }
    }

    /// How reports write it: `N(0, 1)`, `U(a, b)`, `Rademacher`, `t(ν)`.
    pub fn describe(&self) -> String {
        match self {
            DataLaw::Normal => "N(0, 1)".into(),
            DataLaw::Uniform { lo, hi } => format!("U({lo}, {hi})"),
            DataLaw::Rademacher => "Rademacher (±1)".into(),
            DataLaw::StudentT { nu } => format!("Student-t({nu})"),
        }
    }

    /// Whether E|x|^k is finite.
    pub fn has_moment(&self, k: usize) -> bool {
        match self {
            DataLaw::StudentT { nu } => (k as f64) < *nu,
            _ => true,
        }
    }

    /// The smallest Gauss rule exact for polynomials of degree `degree` in x,
    /// computed once per process; `None` where the law has no moment of that
    /// order (Student-t with ν ≤ degree).
    pub fn rule_exact_for(&self, degree: usize) -> Option<&'static Rule> {
        if !self.has_moment(degree) {
            return None;
        }
        self.gauss(nodes_exact_for(degree))
    }

    /// The n-node Gauss rule, computed once per process (for Rademacher the
    /// law itself, two nodes, whatever n); `None` for Student-t with
    /// ν ≤ 2(n − 1), whose recurrence stops before β_{n−1}.
    pub fn gauss(&self, n: usize) -> Option<&'static Rule> {
        match *self {
            DataLaw::Normal if n <= 32 => Some(Rule::hermite_exact_for(2 * n - 1)),
            DataLaw::Normal => {
                Some(cached(*self, n, || Rule::symmetric(&(1..n).map(|k| k as f64).collect::<Vec<f64>>())))
            }
            DataLaw::Rademacher => Some(cached(*self, 2, || Rule::symmetric(&[1.0]))),
            DataLaw::Uniform { lo, hi } => Some(cached(*self, n, || {
                let betas: Vec<f64> = (1..n).map(|k| (k * k) as f64 / (4 * k * k - 1) as f64).collect();
                Rule::symmetric(&betas).affine(0.5 * (lo + hi), 0.5 * (hi - lo))
            })),
            DataLaw::StudentT { nu } if nu > 2.0 * (n as f64 - 1.0) => Some(cached(*self, n, || {
                let betas: Vec<f64> = (1..n)
                    .map(|k| {
                        let k = k as f64;
                        nu * k * (nu - k + 1.0) / ((nu - 2.0 * k) * (nu - 2.0 * k + 2.0))
                    })
                    .collect();
                Rule::symmetric(&betas)
            })),
            DataLaw::StudentT { .. } => None,
        }
    }

    /// Whether a loss of `degree` in x (`None`: not a polynomial) has exact
    /// expectations under this law: a polynomial's by the Gauss rule of its
    /// degree, and any function's under Rademacher, whose rule is the law.
    pub fn exact(&self, degree: Option<usize>) -> bool {
        degree.is_some() || *self == DataLaw::Rademacher
    }

    /// The n-node Gauss rule for `what`; an error naming it where the law
    /// has none (Student-t with too few moments).
    pub fn gauss_for(&self, n: usize, what: &str) -> Result<&'static Rule> {
        self.gauss(n).ok_or_else(|| usage(format!("{what} needs a loss polynomial in x under x ~ {}", self.describe())))
    }

    /// The rule for expectations of products of `factors` per-sample
    /// quantities (l_x and its derivatives) of a loss of `degree` in x, over
    /// a sample of `dim` independent coordinates (x1..x_dim, each with this
    /// law): the tensor product (`Cubature`) of the law's Gauss rule. Exact
    /// where [`DataLaw::exact`] (an error naming `what` where Student-t lacks
    /// the moments); otherwise [`SIMULATOR_NODES`] nodes per coordinate for
    /// the simulators' products of up to two, [`THEORY_NODES`] for the
    /// statistics' and diagrams' products, the most that keep at most
    /// [`MAX_POINTS`] points, not exact
    /// (`crate::landscape::Landscape::quadrature_error` states the error). A
    /// polynomial's exact product rule beyond [`MAX_POINTS`] points is refused
    /// with the reason.
    pub fn cubature_for(
        &self,
        degree: Option<usize>,
        factors: usize,
        dim: usize,
        what: &str,
    ) -> Result<&'static Cubature> {
        let base = match degree {
            Some(d) => {
                self.require_moments(factors * d, what)?;
                self.rule_exact_for(factors * d).expect("the moments exist")
            }
            None => {
                let nodes = if factors <= 2 { SIMULATOR_NODES } else { THEORY_NODES };
                self.gauss_for(per_coordinate(nodes, dim), what)?
            }
        };
        let points = base.nodes.len().checked_pow(dim as u32).unwrap_or(usize::MAX);
        if points > MAX_POINTS {
            return Err(usage(format!(
                "{what} needs a rule of {}^{dim} = {points} points for a sample of {dim} coordinates (at most \
                 {MAX_POINTS}); take fewer coordinates or a loss of lower degree in x",
                base.nodes.len()
            )));
        }
        Ok(Cubature::tensor(base, dim))
    }

    /// Checks that the law has the moments of order `degree` that `what`
    /// needs, with one line saying why not.
    pub fn require_moments(&self, degree: usize, what: &str) -> Result<()> {
        if self.has_moment(degree) {
            return Ok(());
        }
        Err(usage(format!(
            "{what} needs E x^k for k up to {degree}, and x ~ {} has moments only of order below ν; take ν > {degree}",
            self.describe()
        )))
    }

    /// Training point `e` of trial `trial` (see the module docs).
    pub fn sample(&self, seed: u64, trial: u64, e: u64) -> f64 {
        match *self {
            DataLaw::Normal => rng::normal(seed, trial, Stream::Data, e),
            DataLaw::Uniform { lo, hi } => lo + (hi - lo) * unit23(rng::word(seed, trial, Stream::Data, e)),
            DataLaw::Rademacher => sign(rng::word(seed, trial, Stream::Data, e)),
            DataLaw::StudentT { nu } => student_t(seed, trial, e, nu),
        }
    }

    /// Training point `i` of trial `trial` for a sample of `dim` coordinates
    /// ([`element`]), its coordinates first.
    pub fn point(&self, seed: u64, trial: u64, i: usize, dim: usize) -> [f64; MAX_SAMPLE] {
        std::array::from_fn(|c| if c < dim { self.sample(seed, trial, element(i, c, dim)) } else { 0.0 })
    }

    /// Fills `out[(i * dim + c) * LANES + l]` with coordinate c of training
    /// point `i` of trial `trial0 + l` (structure of arrays, as
    /// `rng::fill_normals`), for samples of `dim` coordinates ([`element`]).
    pub fn fill<const LANES: usize>(&self, seed: u64, trial0: u64, dim: usize, out: &mut [f64]) {
        if *self == DataLaw::Normal && dim == 1 {
            return rng::fill_normals::<LANES>(seed, trial0, Stream::Data, 0, out);
        }
        for (r, row) in out.chunks_exact_mut(LANES).enumerate() {
            let e = element(r / dim, r % dim, dim);
            for (l, x) in row.iter_mut().enumerate() {
                *x = self.sample(seed, trial0 + l as u64, e);
            }
        }
    }

    /// The WGSL of the GPU's samples: `data4(trial, b)`, the four training
    /// points of block `b` of `trial` (as [`DataLaw::sample`], in f32).
    pub fn wgsl(&self) -> String {
        let head = "// The law of a training point (src/data_law.rs): points 4b .. 4b + 3 of `trial`.\n";
        let words = "rng_block(cfgs[pt].seed, trial, STREAM_DATA, b)";
        let body = match *self {
            DataLaw::Normal => format!("    return normals4({words});"),
            DataLaw::Uniform { lo, hi } => format!(
                "    let u = (vec4<f32>({words} >> vec4<u32>(9u)) + 0.5) * 1.1920929e-7;\n    return {} + {} * u;",
                literal(lo),
                literal(hi - lo)
            ),
            DataLaw::Rademacher => {
                format!("    return select(vec4<f32>(-1.0), vec4<f32>(1.0), {words} >= vec4<u32>(0x80000000u));")
            }
            DataLaw::StudentT { nu } => {
                return format!(
                    "{head}{}\nfn data4(trial: u32, b: u32) -> vec4<f32> {{\n    let e = 4u * b;\n    return \
                     vec4<f32>(student_t(trial, e), student_t(trial, e + 1u), student_t(trial, e + 2u), \
                     student_t(trial, e + 3u));\n}}\n",
                    STUDENT_T_WGSL.replace("NU", &literal(nu)).replace("ATTEMPT_PAIRS", &format!("{ATTEMPT_PAIRS}u"))
                );
            }
        };
        format!("{head}fn data4(trial: u32, b: u32) -> vec4<f32> {{\n{body}\n}}\n")
    }
}

/// The element of a trial's data stream that gives coordinate `c` of
/// training point `i` of a sample of `dim` coordinates: element i for a
/// scalar sample; element 4i + c for a vector (coordinate c of Philox block
/// i, so that the device draws a point with one `data4`).
pub fn element(i: usize, c: usize, dim: usize) -> u64 {
    if dim == 1 {
        i as u64
    } else {
        4 * i as u64 + c as u64
    }
}

/// Nodes per coordinate of a product rule of at most [`MAX_POINTS`] points
/// and at most `nodes` per coordinate.
pub fn per_coordinate(nodes: usize, dim: usize) -> usize {
    (1..=nodes).rev().find(|n| n.checked_pow(dim as u32).is_some_and(|p| p <= MAX_POINTS)).unwrap_or(1)
}

/// Bailey's polar method on the device (the module docs): `NU` and
/// `ATTEMPT_PAIRS` are replaced by their values.
const STUDENT_T_WGSL: &str = "fn centred24(w: u32) -> i32 {
    return i32((w >> 8u) * 2u + 1u) - 16777216;
}

fn student_t(trial: u32, e: u32) -> f32 {
    for (var k = 0u; k < ATTEMPT_PAIRS; k++) {
        let w = philox(vec4<u32>(e, trial, STREAM_DATA, 1u + k), cfgs[pt].seed);
        for (var h = 0u; h < 2u; h++) {
            let a = centred24(w[2u * h]);
            let c = centred24(w[2u * h + 1u]);
            let ua = u32(abs(a));
            let uc = u32(abs(c));
            // A^2 + C^2 as 64 bits (hi, lo), against 2^48.
            let lo = ua * ua + uc * uc;
            let carry = select(0u, 1u, lo < ua * ua);
            let hi = mulhi(ua, ua) + mulhi(uc, uc) + carry;
            if (hi < 65536u || (hi == 65536u && lo == 0u)) {
                let u = f32(a) * 5.9604645e-8;
                let s = (f32(hi) * 4294967296.0 + f32(lo)) * 3.5527137e-15;
                // 1 - W = (2^48 - A^2 - C^2) / 2^48, exact in integers.
                let dh = 65536u - hi - select(0u, 1u, lo != 0u);
                let d = (f32(dh) * 4294967296.0 + f32(0u - lo)) * 3.5527137e-15;
                let ln_w = select(log(s), -d * (1.0 + d * (0.5 + d * (0.33333334 + d * 0.25))), d < 0.01);
                let y = -2.0 / NU * ln_w;
                let m = select(exp(y) - 1.0, y * (1.0 + y * (0.5 + y * (0.16666667 + y * 0.041666668))), y < 0.01);
                return u * sqrt(NU * m / s);
            }
        }
    }
    return 0.0;
}";

/// An f64 as a WGSL f32 literal (finite, within f32's range).
fn literal(v: f64) -> String {
    format!("f32({:?})", v as f32)
}

/// u = (⌊w/2⁹⌋ + ½)·2⁻²³ in (0, 1).
fn unit23(w: u32) -> f64 {
    ((w >> 9) as f64 + 0.5) * (1.0 / 8_388_608.0)
}

/// ±1 from a word's top bit.
fn sign(w: u32) -> f64 {
    if w >> 31 == 1 {
        1.0
    } else {
        -1.0
    }
}

/// 2⌊w/2⁸⌋ + 1 − 2²⁴: odd, |A| < 2²⁴.
fn centred24(w: u32) -> i64 {
    2 * (w >> 8) as i64 + 1 - (1 << 24)
}

/// Student-t point `e` of `trial` by Bailey's polar method (the module docs).
fn student_t(seed: u64, trial: u64, e: u64, nu: f64) -> f64 {
    let key = rng::key(seed);
    for k in 0..ATTEMPT_PAIRS {
        let pair = 1 + k + (e >> 32) as u32 * ATTEMPT_PAIRS;
        let w = rng::philox4x32_10([e as u32, trial as u32, Stream::Data as u32, pair], key);
        for (wa, wc) in [(w[0], w[1]), (w[2], w[3])] {
            let (a, c) = (centred24(wa), centred24(wc));
            let s = a * a + c * c;
            if s <= 1 << 48 {
                let u = a as f64 / (1u64 << 24) as f64;
                let ln_w = (-(((1i64 << 48) - s) as f64) / (1u64 << 48) as f64).ln_1p();
                let s = s as f64 / (1u64 << 48) as f64;
                return u * (nu * (-2.0 / nu * ln_w).exp_m1() / s).sqrt();
            }
        }
    }
    0.0
}

/// The rule of `law` with `n` nodes, built once per process.
fn cached(law: DataLaw, n: usize, make: impl FnOnce() -> Rule) -> &'static Rule {
    static RULES: Mutex<Vec<(DataLaw, usize, &'static Rule)>> = Mutex::new(Vec::new());
    let mut rules = RULES.lock().unwrap_or_else(|e| e.into_inner());
    if let Some(&(_, _, rule)) = rules.iter().find(|(l, m, _)| *l == law && *m == n) {
        return rule;
    }
    let rule: &'static Rule = Box::leak(Box::new(make()));
    rules.push((law, n, rule));
    rule
}

#[cfg(test)]
mod tests {
    use super::*;

    /// E x^k of each law, in closed form: uniform on [a, b]
    /// (b^{k+1} − a^{k+1})/((k + 1)(b − a)); Rademacher 1 for even k; Student-t
    /// ν^j ∏_{i<j} (2i + 1)/(ν − 2i − 2) for k = 2j < ν; 0 for odd k where
    /// symmetric.
    fn moment(law: DataLaw, k: u32) -> f64 {
        match law {
            DataLaw::Normal => unreachable!("quadrature.rs tests the normal"),
            DataLaw::Uniform { lo, hi } => {
                (hi.powi(k as i32 + 1) - lo.powi(k as i32 + 1)) / ((k + 1) as f64 * (hi - lo))
            }
            DataLaw::Rademacher => f64::from(u8::from(k.is_multiple_of(2))),
            DataLaw::StudentT { nu } => {
                if k % 2 == 1 {
                    0.0
                } else {
                    (0..k / 2).map(|i| nu * (2 * i + 1) as f64 / (nu - 2.0 * i as f64 - 2.0)).product()
                }
            }
        }
    }

    fn check_rule(law: DataLaw, degree: usize) {
        let rule = law.rule_exact_for(degree).unwrap();
        assert!((rule.weights.iter().sum::<f64>() - 1.0).abs() < 1e-13, "{law:?}");
        for k in 0..=degree as u32 {
            let got = rule.expect(|x| x.powi(k as i32));
            let want = moment(law, k);
            let scale = rule.expect(|x| x.abs().powi(k as i32)).max(1.0);
            assert!((got - want).abs() <= 1e-12 * scale, "{law:?}, degree {degree}, k = {k}: {got} vs {want}");
        }
    }

    #[test]
    fn uniform_and_rademacher_rules_reproduce_moments() {
        for degree in [0, 1, 4, 11, 24, 60] {
            check_rule(DataLaw::Uniform { lo: -1.0, hi: 1.0 }, degree);
            check_rule(DataLaw::Uniform { lo: 0.5, hi: 3.0 }, degree);
            check_rule(DataLaw::Rademacher, degree);
        }
    }

    #[test]
    fn student_t_rules_reproduce_moments() {
        for nu in [2.5, 5.0, 7.3, 13.0, 40.0, 61.0] {
            for degree in (0..60).filter(|&d| (d as f64) < nu) {
                check_rule(DataLaw::StudentT { nu }, degree);
            }
            let beyond = nu.ceil() as usize;
            assert!(DataLaw::StudentT { nu }.rule_exact_for(beyond).is_none(), "ν = {nu}");
        }
    }

    #[test]
    fn laws_parse_and_refuse() {
        assert_eq!(DataLaw::parse("normal").unwrap(), DataLaw::Normal);
        assert_eq!(DataLaw::parse("Uniform").unwrap(), DataLaw::Uniform { lo: -1.0, hi: 1.0 });
        assert_eq!(DataLaw::parse("uniform(0, 2.5)").unwrap(), DataLaw::Uniform { lo: 0.0, hi: 2.5 });
        assert_eq!(DataLaw::parse("rademacher").unwrap(), DataLaw::Rademacher);
        assert_eq!(DataLaw::parse("student-t(5)").unwrap(), DataLaw::StudentT { nu: 5.0 });
        assert_eq!(DataLaw::parse("t(2.5)").unwrap(), DataLaw::StudentT { nu: 2.5 });
        for law in [
            DataLaw::Normal,
            DataLaw::Uniform { lo: -0.5, hi: 1e-3 },
            DataLaw::Rademacher,
            DataLaw::StudentT { nu: 3.25 },
        ] {
            assert_eq!(DataLaw::parse(&law.spec()).unwrap(), law);
        }
        for bad in ["cauchy", "uniform(1)", "uniform(2, 1)", "t(0)", "t(-1)", "t(nan)", "t(inf)", "normal(0, 1)", "t(5"]
        {
            assert!(DataLaw::parse(bad).is_err(), "{bad}");
        }
    }

    /// Monte Carlo moments of the samples against the closed forms (5 SE):
    /// E x² and E x⁴, and the fraction below a quantile for the heavy tail.
    #[test]
    fn samples_have_their_laws_moments() {
        let n = 200_000u64;
        for law in [DataLaw::Uniform { lo: -0.5, hi: 2.0 }, DataLaw::Rademacher, DataLaw::StudentT { nu: 9.0 }] {
            for k in [1u32, 2, 4] {
                let xs: Vec<f64> = (0..n).map(|e| law.sample(3, e % 101, e / 101).powi(k as i32)).collect();
                let mean = xs.iter().sum::<f64>() / n as f64;
                let var = moment(law, 2 * k) - moment(law, k).powi(2);
                let se = (var / n as f64).sqrt();
                let want = moment(law, k);
                assert!((mean - want).abs() < 5.0 * se.max(1e-12), "{law:?} E x^{k}: {mean} vs {want} (se {se})");
            }
        }
    }

    /// Student-t(3) has no fourth moment, so check its distribution function
    /// instead: P(x ≤ q) at quantiles q of statrs' StudentsT, within 5 SE of
    /// a binomial proportion.
    #[test]
    fn student_t_samples_follow_the_distribution_function() {
        use statrs::distribution::{ContinuousCDF, StudentsT};
        let n = 200_000u64;
        for nu in [0.7, 3.0] {
            let t = StudentsT::new(0.0, 1.0, nu).unwrap();
            let xs: Vec<f64> = (0..n).map(|e| DataLaw::StudentT { nu }.sample(11, e % 97, e / 97)).collect();
            for p in [0.01, 0.1, 0.3, 0.5, 0.8, 0.99] {
                let q = t.inverse_cdf(p);
                let below = xs.iter().filter(|&&x| x <= q).count() as f64 / n as f64;
                let se = (p * (1.0 - p) / n as f64).sqrt();
                assert!((below - p).abs() < 5.0 * se, "ν = {nu}, p = {p}: {below}");
            }
        }
    }

    #[test]
    fn the_normal_law_is_the_built_ins_stream() {
        let mut out = vec![0.0; 5 * 8];
        DataLaw::Normal.fill::<8>(4, 16, 1, &mut out);
        assert_eq!(out[3 * 8 + 2], rng::normal(4, 18, Stream::Data, 3));
        let mut t = vec![0.0; 5 * 8];
        DataLaw::StudentT { nu: 4.0 }.fill::<8>(4, 16, 1, &mut t);
        assert_eq!(t[3 * 8 + 2], DataLaw::StudentT { nu: 4.0 }.sample(4, 18, 3));
    }
}
