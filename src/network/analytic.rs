//! One network's loss, gradient and accuracy: the training kernel
//! (`kernel`) at one lane, so the numbers the tests pin to
//! automatic differentiation ([`Mlp::gradient_ad`]) are the very ones
//! training computes (a lane's bits do not depend on the lane count). Like
//! training, it runs compiled for FMA where the processor has it (the same
//! bits, faster).

use super::data::Dataset;
use super::kernel::{self, Inputs, Labels, Totals, Work};
use super::mlp::{Evaluation, Mlp};

impl Mlp {
    /// Mean loss over the points `indices` of `data` (a repeated index counts
    /// each time), with its gradient written to `grad` (length p): the
    /// analytic backward pass (seed 003, eq. (70) with σ′(0) = ½).
    pub fn loss_grad(&self, theta: &[f64], data: &Dataset, indices: &[usize], grad: &mut [f64]) -> f64 {
        assert_eq!((theta.len(), grad.len()), (self.params(), self.params()), "θ and its gradient have p entries");
        assert!(!indices.is_empty(), "a gradient over no samples");
        let theta: Vec<[f64; 1]> = theta.iter().map(|&t| [t]).collect();
        let rows: Vec<f64> = indices.iter().flat_map(|&j| data.point(j)).copied().collect();
        let x: Vec<[f64; 1]> = kernel::tiled(&rows, data.dim()).into_iter().map(|v| [v]).collect();
        let y: Vec<[u32; 1]> = indices.iter().map(|&j| [data.labels()[j]]).collect();
        let mut g = vec![[0.0]; self.params()];
        let one =
            One { mlp: self, theta: &theta, inputs: Inputs::Lanes(&x), labels: Labels::Lanes(&y), count: y.len() };
        let t = one.dispatch(Some(&mut g));
        grad.iter_mut().zip(&g).for_each(|(a, [b])| *a = *b);
        t.loss[0]
    }

    /// Mean loss and accuracy on all of `data`.
    pub fn evaluate(&self, theta: &[f64], data: &Dataset) -> Evaluation {
        assert_eq!(theta.len(), self.params(), "θ has p entries");
        let theta: Vec<[f64; 1]> = theta.iter().map(|&t| [t]).collect();
        let x = kernel::tiled(data.features(), data.dim());
        let labels = Labels::Shared(data.labels());
        let t = One { mlp: self, theta: &theta, inputs: Inputs::Shared(&x), labels, count: data.len() }.dispatch(None);
        Evaluation { loss: t.loss[0], accuracy: t.accuracy[0] }
    }
}

/// One network on a set of samples: the gradient (with a buffer for it) or
/// only the loss and accuracy.
struct One<'a> {
    mlp: &'a Mlp,
    theta: &'a [[f64; 1]],
    inputs: Inputs<'a, 1>,
    labels: Labels<'a, 1>,
    count: usize,
}

impl One<'_> {
    #[inline(always)]
    fn run(&self, grad: Option<&mut [[f64; 1]]>) -> Totals<1> {
        let mut work = Work::new(self.mlp);
        let (mlp, theta, inputs, labels, count) = (self.mlp, self.theta, self.inputs, self.labels, self.count);
        match grad {
            Some(g) => kernel::gradient::<1, [f64; 1]>(mlp, theta, inputs, labels, count, &mut work, g),
            None => kernel::evaluate::<1, [f64; 1], 1>(mlp, theta, inputs, [labels], count, &mut work)[0],
        }
    }

    /// [`Self::run`], compiled for FMA where the processor has it.
    fn dispatch(&self, grad: Option<&mut [[f64; 1]]>) -> Totals<1> {
        #[cfg(target_arch = "x86_64")]
        if std::is_x86_feature_detected!("fma") {
            // SAFETY: the processor has FMA, checked just above.
            return unsafe { self.run_fma(grad) };
        }
        self.run(grad)
    }

    #[cfg(target_arch = "x86_64")]
    #[target_feature(enable = "fma")]
    unsafe fn run_fma(&self, grad: Option<&mut [[f64; 1]]>) -> Totals<1> {
        self.run(grad)
    }
}

#[cfg(test)]
mod tests {
    use super::super::gauss_k::GaussK;
    use super::super::mlp::Init;
    use super::*;

    /// The largest |a − b| over two vectors.
    fn max_diff(a: &[f64], b: &[f64]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
    }

    #[test]
    fn parameter_counts_are_the_papers() {
        assert_eq!(Mlp::paper(2).unwrap().params(), 902);
        assert_eq!(Mlp::paper(10).unwrap().params(), 1150);
        let m = Mlp::new(784, &[128, 128, 128], 10).unwrap();
        assert_eq!(m.params(), 134_794); // Table 3, MNIST, 3 layers.
        assert_eq!(m.hidden(), [128, 128, 128]);
        let err = |r: crate::error::Result<Mlp>| r.unwrap_err().to_string();
        assert_eq!(err(Mlp::new(50, &[10, 0], 10)), "hidden layer 2 has width 0");
        assert_eq!(err(Mlp::new(50, &[10], 1)), "a network needs at least 2 classes, not 1");
    }

    #[test]
    fn gradients_equal_automatic_differentiation() {
        for (k, init, scale) in [(10, Init::Normal, 1.0), (2, Init::He, 1.0), (10, Init::He, 0.05)] {
            let data = GaussK { test_points: 0, ..GaussK::paper(k, 0.15) }.generate().unwrap();
            let mlp = Mlp::paper(k).unwrap();
            for run in 0..3 {
                let theta: Vec<f64> = mlp.init(init, 7, run).iter().map(|t| t * scale).collect();
                for indices in [vec![3], vec![5, 17, 17, 99, 42], (0..100).collect::<Vec<_>>()] {
                    let mut grad = vec![0.0; mlp.params()];
                    let loss = mlp.loss_grad(&theta, &data.train, &indices, &mut grad);
                    let ad = mlp.gradient_ad(&theta, &data.train, &indices);
                    let norm = grad.iter().map(|g| g * g).sum::<f64>().sqrt();
                    assert!(max_diff(&grad, &ad) < 1e-10, "k {k} run {run}: {} (|g| {norm})", max_diff(&grad, &ad));
                    assert!(norm > 1e-3, "a gradient worth comparing: {norm}");
                    let reference = mlp.loss_ad::<f64>(&theta, &data.train, &indices);
                    assert!((loss - reference).abs() < 1e-10 * reference.max(1.0), "{loss} {reference}");
                }
            }
        }
    }

    #[test]
    fn relu_slope_at_an_exact_kink_is_one_half() {
        // Hidden unit 3 of layer 1 gets zero weights and bias: z = 0 exactly
        // for every input, so its σ′(0) = ½ carries the whole gradient below.
        let data = GaussK { test_points: 0, ..GaussK::paper(10, 0.0) }.generate().unwrap();
        let mlp = Mlp::paper(10).unwrap();
        let first = mlp.layers()[0];
        let mut theta = mlp.init(Init::He, 1, 0);
        theta[first.weights + 3 * 50..first.weights + 4 * 50].fill(0.0);
        theta[first.biases + 3] = 0.0;
        let indices = [1, 2, 30, 77];
        let mut grad = vec![0.0; mlp.params()];
        mlp.loss_grad(&theta, &data.train, &indices, &mut grad);
        assert!(max_diff(&grad, &mlp.gradient_ad(&theta, &data.train, &indices)) < 1e-10);
        // The central difference across the kink averages the one-sided
        // slopes 1 and 0: ½ of the live unit's, as σ′(0) = ½ says.
        let q = first.biases + 3;
        let at = |b: f64| {
            let mut t = theta.clone();
            t[q] = b;
            mlp.loss_ad::<f64>(&t, &data.train, &indices)
        };
        let h = 1e-6;
        let central = (at(h) - at(-h)) / (2.0 * h);
        let right = (at(h) - at(0.0)) / h;
        assert!(right.abs() > 1e-3, "the unit matters: {right}");
        assert!((grad[q] - central).abs() < 1e-6, "{} vs {central}", grad[q]);
        assert!((grad[q] - right / 2.0).abs() < 1e-6, "{} vs {}", grad[q], right / 2.0);
    }

    #[test]
    fn loss_is_stable_for_huge_and_confident_logits() {
        // Two classes, one feature, no hidden layer: logits (x w₀ + b₀, x w₁ + b₁).
        let data = Dataset::new(1, 2, vec![1.0, 1.0], vec![0, 1]).unwrap();
        let mlp = Mlp::new(1, &[], 2).unwrap();
        // Margin 1000 either way: losses 0 and 1000, no overflow.
        let e = mlp.evaluate(&[1000.0, 0.0, 0.0, 0.0], &data);
        assert_eq!((e.loss, e.accuracy), (500.0, 0.5));
        // A margin of 40: the loss is e^-40 ≈ 4.2e-18 to full relative
        // precision, which ln(1 + e^-40) would round to 0.
        let mut grad = [0.0; 4];
        let loss = mlp.loss_grad(&[40.0, 0.0, 0.0, 0.0], &data, &[0], &mut grad);
        assert!((loss / (-40f64).exp() - 1.0).abs() < 1e-14, "{loss}");
        assert!((grad[0] / -(-40f64).exp() - 1.0).abs() < 1e-14, "{grad:?}");
        // Ties: the first largest logit is the prediction.
        assert_eq!(mlp.evaluate(&[0.0; 4], &data).accuracy, 0.5);
    }
}
