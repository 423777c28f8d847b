//! The curvature of one network at one θ (seed 003, sec. 4): exact
//! Hessian-vector products, the exact Hessian H_f, the per-sample gradients
//! behind the second moment M_t (eq. (9)), and the residual H_p of
//! Proposition 1 (eq. (12)) computed on its own.
//!
//! A product H v is forward-mode differentiation (a dual number's tangent
//! along v) pushed through the analytic backward pass, Pearlmutter's R-op:
//! every forward value a gets a tangent ȧ = ∂a/∂θ · v, every backward delta
//! δ a tangent δ̇, and the gradient's tangent is H v exactly, with no step
//! size. The ReLU is piecewise linear: σ″ = 0, so its slope (σ′(0) = ½ at an
//! exact kink, App. B.5.1) is a constant of the tangent pass. Finite
//! differences would not do: across a kink their "curvature" grows like 1/h.
//!
//! The layout is unit-major, point-minor (`a[unit * n + j]`), so each step is
//! an axpy or a dot over the n points.

use super::data::Dataset;
use super::mlp::Mlp;

/// Which function of the logits the backward pass differentiates.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Head {
    /// The loss f = (1/n)Σ ℓ_i, ℓ_i = −ln p_i (eq. (11)): its Hessian is H_f.
    Loss,
    /// The likelihoods weighted by their inverses, (1/n)Σ p_i(θ)/p_i(θ_t):
    /// its Hessian at θ_t is H_p = (1/n)Σ ∇²p_i / p_i (Proposition 1), and
    /// its gradient there −∇f.
    Likelihood,
}

/// One network at one θ on a fixed multiset of points: the forward values
/// and backward deltas that every Hessian-vector product reuses.
pub struct Curvature<'a> {
    mlp: &'a Mlp,
    theta: &'a [f64],
    head: Head,
    /// Points n.
    n: usize,
    labels: Vec<u32>,
    /// Weight of each point's term: 1/n (loss) or 1/(n p_i) (likelihood).
    weight: Vec<f64>,
    /// Layer l's input activations (the inputs for l = 0), unit-major.
    inputs: Vec<Vec<f64>>,
    /// σ′(z) of each hidden layer, unit-major.
    slopes: Vec<Vec<f64>>,
    /// δ_l = ∂(head_i)/∂z_l of each layer, unit-major, unweighted.
    deltas: Vec<Vec<f64>>,
    /// The same, each point's times its weight: what the gradient and every
    /// product sum over the points.
    weighted_deltas: Vec<Vec<f64>>,
    /// Softmax probabilities, class-major.
    soft: Vec<f64>,
    /// The mean loss f over the points.
    loss: f64,
}

/// Σ_j a_j b_j with four partial sums (a fixed order, so the result does
/// not depend on the build; the compiler vectorises the lanes).
#[inline]
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 4];
    let (ca, cb) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = ca.remainder().iter().zip(cb.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in ca.zip(cb) {
        for k in 0..4 {
            acc[k] += x[k] * y[k];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// y += c x.
#[inline]
fn axpy(y: &mut [f64], c: f64, x: &[f64]) {
    y.iter_mut().zip(x).for_each(|(y, x)| *y += c * x);
}

impl<'a> Curvature<'a> {
    /// The forward and backward values of `mlp` at `theta` on the points
    /// `indices` of `data` (a repeated index counts each time).
    pub fn new(mlp: &'a Mlp, theta: &'a [f64], data: &Dataset, indices: &[usize], head: Head) -> Self {
        assert_eq!(theta.len(), mlp.params(), "θ has p entries");
        assert!(!indices.is_empty(), "curvature over no samples");
        let n = indices.len();
        let d = data.dim();
        let layers = mlp.layers();
        let mut input = vec![0.0; d * n];
        for (j, &i) in indices.iter().enumerate() {
            for (f, &x) in data.point(i).iter().enumerate() {
                input[f * n + j] = x;
            }
        }
        let labels: Vec<u32> = indices.iter().map(|&i| data.labels()[i]).collect();
        let mut inputs = vec![input];
        let mut slopes = Vec::new();
        let mut logits = Vec::new();
        for (l, layer) in layers.iter().enumerate() {
            let z = affine(theta, layer, &inputs[l], None, n);
            if l + 1 == layers.len() {
                logits = z;
            } else {
                let s: Vec<f64> = z.iter().map(|&z| relu_slope(z)).collect();
                inputs.push(z.iter().zip(&s).map(|(z, s)| z * s).collect());
                slopes.push(s);
            }
        }
        let k = mlp.classes();
        let mut soft = vec![0.0; k * n];
        let mut top = vec![0.0; k * n];
        let mut weight = vec![1.0 / n as f64; n];
        let mut loss = 0.0;
        for j in 0..n {
            let z = |c: usize| logits[c * n + j];
            let arg = (1..k).fold(0, |a, c| if z(c) > z(a) { c } else { a });
            // e_c = exp(z_c − max) with the argmax's e = 1 exact; `rest` sums
            // the others, so Σ e = 1 + rest and ln Σ e = ln_1p(rest) keep
            // their precision at any margin.
            let rest: f64 = (0..k).filter(|&c| c != arg).map(|c| (z(c) - z(arg)).exp()).sum();
            for c in 0..k {
                soft[c * n + j] = if c == arg { 1.0 } else { (z(c) - z(arg)).exp() } / (1.0 + rest);
            }
            let y = labels[j] as usize;
            let ell = rest.ln_1p() + (z(arg) - z(y));
            loss += ell / n as f64;
            let p = (-ell).exp();
            let unlikely = complement(&soft, n, j, y);
            for c in 0..k {
                // [c = y] − s_c, with 1 − s_y as Σ_{c≠y} s_c: 1 − s_y rounds
                // to 0 once the margin passes ~37 while the other s_c do not,
                // which would leave the gradient without its label's term.
                let lack = if c == y { unlikely } else { -soft[c * n + j] };
                top[c * n + j] = match head {
                    Head::Loss => -lack,
                    Head::Likelihood => p * lack,
                };
            }
            if head == Head::Likelihood {
                weight[j] /= p;
            }
        }
        let mut deltas = vec![top];
        for l in (1..layers.len()).rev() {
            let below = backward(theta, &layers[l], &deltas[0], &slopes[l - 1], n);
            deltas.insert(0, below);
        }
        let weighted_deltas =
            deltas.iter().map(|d| d.iter().enumerate().map(|(u, d)| d * weight[u % n]).collect()).collect();
        Curvature { mlp, theta, head, n, labels, weight, inputs, slopes, deltas, weighted_deltas, soft, loss }
    }

    /// The mean loss f at θ over the points.
    pub fn loss(&self) -> f64 {
        self.loss
    }

    /// The gradient of the head: ∇f (loss) or −∇f (likelihood, at θ_t).
    pub fn gradient(&self) -> Vec<f64> {
        let mut g = vec![0.0; self.mlp.params()];
        for (l, layer) in self.mlp.layers().iter().enumerate() {
            let n = self.n;
            for o in 0..layer.outputs {
                let dz = &self.weighted_deltas[l][o * n..][..n];
                for i in 0..layer.inputs {
                    g[layer.weights + o * layer.inputs + i] = dot(dz, &self.inputs[l][i * n..][..n]);
                }
                g[layer.biases + o] = dz.iter().sum();
            }
        }
        g
    }

    /// The per-sample gradients ∇ℓ_i as the columns of a p × n matrix
    /// (row-major: row q holds ∂ℓ_i/∂θ_q for i = 1..n), so that
    /// M = (1/n) G Gᵀ (eq. (9)). Loss head only.
    pub fn sample_gradients(&self) -> Vec<f64> {
        assert_eq!(self.head, Head::Loss, "per-sample gradients of the loss");
        let n = self.n;
        let mut g = vec![0.0; self.mlp.params() * n];
        for (l, layer) in self.mlp.layers().iter().enumerate() {
            for o in 0..layer.outputs {
                let dz = &self.deltas[l][o * n..][..n];
                for i in 0..layer.inputs {
                    let a = &self.inputs[l][i * n..][..n];
                    let row = &mut g[(layer.weights + o * layer.inputs + i) * n..][..n];
                    row.iter_mut().zip(dz.iter().zip(a)).for_each(|(g, (d, a))| *g = d * a);
                }
                g[(layer.biases + o) * n..][..n].copy_from_slice(dz);
            }
        }
        g
    }

    /// `out` = (∇² head) v: H_f v for the loss, H_p v for the likelihood.
    pub fn hvp(&self, v: &[f64], out: &mut [f64]) {
        let (mlp, n, layers) = (self.mlp, self.n, self.mlp.layers());
        assert_eq!((v.len(), out.len()), (mlp.params(), mlp.params()), "v and Hv have p entries");
        // Forward tangents ż_l = Ẇ a + W ȧ + ḃ, ȧ = σ′ ⊙ ż.
        let mut tangents: Vec<Vec<f64>> = vec![vec![0.0; mlp.inputs() * n]];
        let mut top = Vec::new();
        for (l, layer) in layers.iter().enumerate() {
            let mut z = affine(v, layer, &self.inputs[l], None, n);
            if l > 0 {
                let w = affine(self.theta, layer, &tangents[l], Some(0.0), n);
                z.iter_mut().zip(&w).for_each(|(z, w)| *z += w);
            }
            if l + 1 == layers.len() {
                top = z;
            } else {
                tangents.push(z.iter().zip(&self.slopes[l]).map(|(z, s)| z * s).collect());
            }
        }
        // The head's tangent δ̇_L from ż_L.
        let k = mlp.classes();
        let mut dtop = vec![0.0; k * n];
        for j in 0..n {
            let s = |c: usize| self.soft[c * n + j];
            let dz = |c: usize| top[c * n + j];
            let y = self.labels[j] as usize;
            // ṡ_c = s_c (ż_c − s·ż), the softmax's Jacobian along ż, with
            // s·ż = ż_a + Σ_{c≠a} s_c (ż_c − ż_a) about the argmax a, so that
            // ż_a − s·ż keeps its precision where s_a rounds to 1.
            let a = (1..k).fold(0, |a, c| if s(c) > s(a) { c } else { a });
            let spread: f64 = (0..k).filter(|&c| c != a).map(|c| s(c) * (dz(c) - dz(a))).sum();
            let ds = |c: usize| s(c) * ((dz(c) - dz(a)) - spread);
            let unlikely = complement(&self.soft, n, j, y);
            for c in 0..k {
                dtop[c * n + j] = match self.head {
                    Head::Loss => ds(c),
                    Head::Likelihood => {
                        // δ = p(e_y − s) with p = s_y: δ̇ = ṗ(e_y − s) − p ṡ.
                        let lack = if c == y { unlikely } else { -s(c) };
                        ds(y) * lack - s(y) * ds(c)
                    }
                };
            }
        }
        // Backward tangents δ̇_{l−1} = σ′ ⊙ (Wᵀ δ̇_l + Ẇᵀ δ_l), and the
        // gradient's tangent Σ_i w_i (δ̇ aᵀ + δ ȧᵀ).
        let mut dd = dtop;
        for (l, layer) in layers.iter().enumerate().rev() {
            let (a, da, delta) = (&self.inputs[l], &tangents[l], &self.deltas[l]);
            let wd: Vec<f64> = dd.iter().enumerate().map(|(u, d)| d * self.weight[u % n]).collect();
            for o in 0..layer.outputs {
                let (dz, z) = (&wd[o * n..][..n], &self.weighted_deltas[l][o * n..][..n]);
                for i in 0..layer.inputs {
                    let mut h = dot(dz, &a[i * n..][..n]);
                    if l > 0 {
                        h += dot(z, &da[i * n..][..n]);
                    }
                    out[layer.weights + o * layer.inputs + i] = h;
                }
                out[layer.biases + o] = dz.iter().sum();
            }
            if l > 0 {
                let mut below = backward(self.theta, layer, &dd, &self.slopes[l - 1], n);
                let from_v = backward(v, layer, delta, &self.slopes[l - 1], n);
                below.iter_mut().zip(&from_v).for_each(|(b, f)| *b += f);
                dd = below;
            }
        }
    }

    /// The exact Hessian of the head, p × p row-major, column q = H e_q,
    /// symmetrised ((H + Hᵀ)/2; the products agree to rounding).
    pub fn hessian(&self) -> Vec<f64> {
        let p = self.mlp.params();
        let mut h = vec![0.0; p * p];
        self.columns(|q, col| h[q * p..][..p].copy_from_slice(col));
        for a in 0..p {
            for b in 0..a {
                let s = 0.5 * (h[a * p + b] + h[b * p + a]);
                h[a * p + b] = s;
                h[b * p + a] = s;
            }
        }
        h
    }

    /// The Hessian's diagonal H[j, j] (p products, without storing the
    /// matrix): the curvature behind seed 003's posterior (Assumption 2).
    pub fn diagonal(&self) -> Vec<f64> {
        let mut d = vec![0.0; self.mlp.params()];
        self.columns(|q, col| d[q] = col[q]);
        d
    }

    /// Each column H e_q in turn, q = 0 … p − 1.
    fn columns(&self, mut each: impl FnMut(usize, &[f64])) {
        let p = self.mlp.params();
        let mut e = vec![0.0; p];
        let mut col = vec![0.0; p];
        for q in 0..p {
            e[q] = 1.0;
            self.hvp(&e, &mut col);
            e[q] = 0.0;
            each(q, &col);
        }
    }
}

/// 1 − s_y of point j as Σ_{c≠y} s_c (class-major `soft`): free of the
/// cancellation of 1 − s_y near s_y = 1.
fn complement(soft: &[f64], n: usize, j: usize, y: usize) -> f64 {
    soft.chunks_exact(n).enumerate().filter(|&(c, _)| c != y).map(|(_, s)| s[j]).sum()
}

/// σ′(z) with σ′(0) = ½.
fn relu_slope(z: f64) -> f64 {
    match z {
        z if z > 0.0 => 1.0,
        z if z < 0.0 => 0.0,
        _ => 0.5,
    }
}

/// z = W a + b for one layer whose parameters are read from `params` (θ or
/// a direction v); `bias` overrides b (Some(0) to leave it out).
fn affine(params: &[f64], layer: &super::mlp::Layer, a: &[f64], bias: Option<f64>, n: usize) -> Vec<f64> {
    let mut z = vec![0.0; layer.outputs * n];
    for o in 0..layer.outputs {
        let row = &mut z[o * n..][..n];
        row.fill(bias.unwrap_or(params[layer.biases + o]));
        for i in 0..layer.inputs {
            axpy(row, params[layer.weights + o * layer.inputs + i], &a[i * n..][..n]);
        }
    }
    z
}

/// σ′ ⊙ (Wᵀ δ) for the layer below, W read from `params` (θ or v).
fn backward(params: &[f64], layer: &super::mlp::Layer, delta: &[f64], slopes: &[f64], n: usize) -> Vec<f64> {
    let mut below = vec![0.0; layer.inputs * n];
    for o in 0..layer.outputs {
        let d = &delta[o * n..][..n];
        for i in 0..layer.inputs {
            axpy(&mut below[i * n..][..n], params[layer.weights + o * layer.inputs + i], d);
        }
    }
    below.iter_mut().zip(slopes).for_each(|(b, s)| *b *= s);
    below
}

#[cfg(test)]
mod tests {
    use super::super::data::Dataset;
    use super::super::gauss_k::GaussK;
    use super::super::mlp::{Init, Mlp};
    use super::*;
    use crate::eigen;
    use num_dual::HyperDual64;

    /// A small data set: n points of d features from the Features stream,
    /// labels cycling through k classes.
    fn small(d: usize, k: usize, n: usize) -> Dataset {
        let x = (0..n * d).map(|e| crate::rng::normal(5, 0, crate::rng::Stream::Features, e as u64)).collect();
        Dataset::new(d, k, x, (0..n).map(|j| (j % k) as u32).collect()).unwrap()
    }

    /// Gauss-10 with label noise `noise`, the paper's network, and run
    /// `run`'s He-initialised θ₀.
    fn paper_net(noise: f64, run: u64) -> (super::super::data::Data, Mlp, Vec<f64>) {
        let data = GaussK { test_points: 0, ..GaussK::paper(10, noise) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        let theta = mlp.init(Init::He, 9, run);
        (data, mlp, theta)
    }

    fn frobenius(m: &[f64]) -> f64 {
        m.iter().map(|x| x * x).sum::<f64>().sqrt()
    }

    #[test]
    fn hessian_equals_automatic_differentiation() {
        // 3 → 4 → 3 → 3 (p = 43) with one hidden unit held at an exact kink
        // for every input (zero weights and bias), so σ′(0) = ½ and σ″ = 0
        // are exercised; the reference is num-dual's hyper-dual numbers
        // through `Mlp::loss_ad` (H_ab from eps1 on θ_a, eps2 on θ_b).
        let mlp = Mlp::new(3, &[4, 3], 3).unwrap();
        let data = small(3, 3, 7);
        let p = mlp.params();
        let first = mlp.layers()[0];
        let mut theta = mlp.init(Init::Normal, 3, 0);
        theta[first.weights + 6..first.weights + 9].fill(0.0);
        theta[first.biases + 2] = 0.0;
        let indices = [0, 1, 2, 3, 4, 5, 6, 2];
        let h = Curvature::new(&mlp, &theta, &data, &indices, Head::Loss).hessian();
        let mut worst = 0.0f64;
        for a in 0..p {
            for b in 0..p {
                let t: Vec<HyperDual64> = (0..p)
                    .map(|q| {
                        let (e1, e2) = (f64::from(u8::from(q == a)), f64::from(u8::from(q == b)));
                        HyperDual64::new(theta[q], e1, e2, 0.0)
                    })
                    .collect();
                let ad = mlp.loss_ad(&t, &data, &indices).eps1eps2;
                worst = worst.max((h[a * p + b] - ad).abs());
            }
        }
        assert!(worst < 1e-12 * frobenius(&h).max(1.0), "{worst}");
        // The kink unit's own weights carry curvature only through σ′(0) = ½.
        assert!(frobenius(&h) > 1e-2);
    }

    #[test]
    fn proposition_1_holds_to_rounding() {
        // H_f = M − H_p (eq. (12)) with H_p = (1/n)Σ∇²p_i/p_i from its own
        // backward pass (the likelihood head), at θ₀ and part-trained θ, on
        // the paper's Gauss-10 network (p = 1150).
        let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.15) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        let p = mlp.params();
        let all: Vec<usize> = (0..100).collect();
        let mut theta = mlp.init(Init::He, 11, 0);
        for stage in 0..2 {
            let hf = Curvature::new(&mlp, &theta, &data.train, &all, Head::Loss);
            let hp = Curvature::new(&mlp, &theta, &data.train, &all, Head::Likelihood);
            let (f, pr) = (hf.hessian(), hp.hessian());
            let g = hf.sample_gradients();
            let mut residual = vec![0.0; p * p];
            for a in 0..p {
                for b in 0..p {
                    let m: f64 = g[a * 100..][..100].iter().zip(&g[b * 100..][..100]).map(|(x, y)| x * y).sum();
                    residual[a * p + b] = f[a * p + b] - (m / 100.0 - pr[a * p + b]);
                }
            }
            let scale = frobenius(&f).max(frobenius(&pr));
            assert!(frobenius(&residual) < 1e-9 * scale, "stage {stage}: {} of {scale}", frobenius(&residual));
            // The likelihood head's gradient at θ_t is −∇f.
            let (gf, gp) = (hf.gradient(), hp.gradient());
            let norm = frobenius(&gf);
            let gap: Vec<f64> = gf.iter().zip(&gp).map(|(a, b)| a + b).collect();
            assert!(frobenius(&gap) < 1e-12 * norm.max(1.0), "{}", frobenius(&gap));
            // Twenty full-batch steps for the second stage.
            for _ in 0..20 {
                let mut grad = vec![0.0; p];
                mlp.loss_grad(&theta.clone(), &data.train, &all, &mut grad);
                theta.iter_mut().zip(&grad).for_each(|(t, g)| *t -= 0.1 * g);
            }
        }
    }

    #[test]
    fn curvature_keeps_its_precision_at_extreme_margins() {
        // Two classes, one feature x = 1, no hidden layer; θ = (w₀, w₁, b₀, b₁)
        // = (40, 0, 0, 0) and label 0: margin 40, s₁ = e/(1 + e) with e = e⁻⁴⁰,
        // and s₀ = 1/(1 + e) rounds to 1. ∂f/∂z = (−s₁, s₁), so ∇f = s₁(−1, 1, −1, 1);
        // ∇²f in z is s₀s₁[[1, −1], [−1, 1]], so H e_{w₀} = s₀s₁(1, −1, 1, −1).
        // Computed as s_y − 1 and s·ż, both would round to 0 in the label's
        // entry while the other class's survives.
        let data = Dataset::new(1, 2, vec![1.0], vec![0]).unwrap();
        let mlp = Mlp::new(1, &[], 2).unwrap();
        let theta = [40.0, 0.0, 0.0, 0.0];
        let e = (-40f64).exp();
        let (s0, s1) = (1.0 / (1.0 + e), e / (1.0 + e));
        let sign = [1.0, -1.0, 1.0, -1.0];
        let close = |a: f64, b: f64| (a / b - 1.0).abs() < 1e-13;
        let loss = Curvature::new(&mlp, &theta, &data, &[0], Head::Loss);
        assert!(close(loss.loss(), e.ln_1p()), "{}", loss.loss());
        let g = loss.gradient();
        let mut hv = [0.0; 4];
        loss.hvp(&[1.0, 0.0, 0.0, 0.0], &mut hv);
        for q in 0..4 {
            assert!(close(g[q], -s1 * sign[q]), "∇f {g:?}");
            assert!(close(hv[q], s0 * s1 * sign[q]), "H_f v {hv:?}");
        }
        // H_p = M − H_f (Proposition 1) with M = ∇f∇fᵀ for one point:
        // H_p e_{w₀} = (s₁² − s₀s₁)(1, −1, 1, −1), and the likelihood's
        // gradient is −∇f.
        let likelihood = Curvature::new(&mlp, &theta, &data, &[0], Head::Likelihood);
        likelihood.hvp(&[1.0, 0.0, 0.0, 0.0], &mut hv);
        let gp = likelihood.gradient();
        for q in 0..4 {
            assert!(close(gp[q], s1 * sign[q]), "−∇f {gp:?}");
            assert!(close(hv[q], (s1 * s1 - s0 * s1) * sign[q]), "H_p v {hv:?}");
        }
    }

    #[test]
    fn gradient_and_loss_match_the_training_kernel() {
        let data = GaussK { test_points: 0, ..GaussK::paper(2, 0.2) }.generate().unwrap();
        let mlp = Mlp::paper(2).unwrap();
        let theta = mlp.init(Init::Normal, 2, 4);
        let indices = [4, 8, 15, 16, 23, 42, 42];
        let c = Curvature::new(&mlp, &theta, &data.train, &indices, Head::Loss);
        let mut grad = vec![0.0; mlp.params()];
        let loss = mlp.loss_grad(&theta, &data.train, &indices, &mut grad);
        assert!((c.loss() - loss).abs() < 1e-12 * loss.max(1.0), "{} {loss}", c.loss());
        let gap: Vec<f64> = c.gradient().iter().zip(&grad).map(|(a, b)| a - b).collect();
        assert!(frobenius(&gap) < 1e-11 * frobenius(&grad).max(1.0), "{}", frobenius(&gap));
        // The per-sample gradients average to the gradient.
        let g = c.sample_gradients();
        let n = indices.len();
        for q in (0..mlp.params()).step_by(37) {
            let mean = g[q * n..][..n].iter().sum::<f64>() / n as f64;
            assert!((mean - grad[q]).abs() < 1e-12 * frobenius(&grad).max(1.0));
        }
    }

    #[test]
    fn products_are_symmetric_and_lanczos_finds_the_dense_top() {
        let (data, mlp, theta) = paper_net(0.0, 1);
        let p = mlp.params();
        let all: Vec<usize> = (0..100).collect();
        let c = Curvature::new(&mlp, &theta, &data.train, &all, Head::Loss);
        let normal = |key: u64| -> Vec<f64> {
            (0..p).map(|i| crate::rng::normal(77, key, crate::rng::Stream::Init, i as u64)).collect()
        };
        let (u, v) = (normal(0), normal(1));
        let (mut hu, mut hv) = (vec![0.0; p], vec![0.0; p]);
        c.hvp(&u, &mut hu);
        c.hvp(&v, &mut hv);
        let (a, b) = (crate::linalg::dot(&u, &hv), crate::linalg::dot(&v, &hu));
        assert!((a - b).abs() < 1e-11 * a.abs().max(1.0), "uᵀHv {a} vᵀHu {b}");
        let dense = eigen::pairs(&c.hessian(), p).unwrap();
        let top = eigen::lanczos(p, 15, 1e-10, (1, 0), |v, out| c.hvp(v, out)).unwrap();
        for k in 0..15 {
            let (l, d) = (top.eigen.values[k], dense.values[k]);
            assert!((l - d).abs() < 1e-8 * dense.values[0], "λ_{k}: {l} vs {d}");
        }
        let cosines = eigen::principal_cosines(&top.eigen.vectors[..10], &dense.vectors[..10]).unwrap();
        assert!(cosines[9] > 1.0 - 1e-8, "{cosines:?}");
        assert!(top.products < 200, "{} products", top.products);
    }

    #[test]
    fn second_moment_spectrum_through_the_gram_matrix() {
        let (data, mlp, theta) = paper_net(0.15, 2);
        let p = mlp.params();
        let all: Vec<usize> = (0..100).collect();
        let g = Curvature::new(&mlp, &theta, &data.train, &all, Head::Loss).sample_gradients();
        let m: Vec<f64> = (0..p * p)
            .map(|ab| {
                g[ab / p * 100..][..100].iter().zip(&g[ab % p * 100..][..100]).map(|(x, y)| x * y).sum::<f64>() / 100.0
            })
            .collect();
        let dense = eigen::values(&m, p).unwrap();
        let gram = eigen::gram(&g, p, 100, 100.0).unwrap();
        assert!(gram.values.len() > 20 && gram.values.len() <= 100);
        for (k, l) in gram.values.iter().enumerate() {
            assert!((l - dense[k]).abs() < 1e-10 * dense[0], "λ_{k}: {l} vs {}", dense[k]);
        }
        // M u = λ u for the lifted eigenvectors.
        let u = &gram.vectors[3];
        let mu: Vec<f64> = (0..p).map(|a| crate::linalg::dot(&m[a * p..][..p], u)).collect();
        let err: f64 = mu.iter().zip(u).map(|(x, y)| (x - gram.values[3] * y).powi(2)).sum::<f64>().sqrt();
        assert!(err < 1e-10 * gram.values[0], "{err}");
    }
}
