//! The SGD loop of L runs at once (lanes `run0 … run0 + L − 1`): each lane
//! draws its own θ₀ and batches from its run's streams and never reads
//! another lane, so a run's numbers do not depend on the runs beside it, the
//! lane count or the thread count. Buffers are allocated once per block;
//! nothing is allocated per step.

use super::data::{Data, Dataset};
use super::kernel::{self, tiled_index, Inputs, Labels, Lane, Totals, Work, TILE};
use super::mlp::Mlp;
use super::options::{Metric, Options, TestMetric};
use super::sampler::Sampler;
use super::simd::Reg;
use crate::rng::{self, Stream};

/// What a block runs: the network, the data (with its sets' features
/// tiled for the kernels, [`kernel::tiled`]), the options and the steps at
/// which it records (sorted; empty to only train).
pub struct Job<'a> {
    pub mlp: &'a Mlp,
    pub data: &'a Data,
    pub train_x: &'a [f64],
    pub test_x: &'a [f64],
    pub options: &'a Options,
    pub records: &'a [u64],
    pub tests: &'a [u64],
}

/// One block's results.
pub struct BlockOut<const L: usize> {
    /// `values[m * records + k]`: metric m ([`Metric::ALL`] order) at record k.
    pub values: Vec<Lane<L>>,
    /// `tests[m * tests + k]`: test metric m at test step k.
    pub tests: Vec<Lane<L>>,
    /// Per lane, the first recorded step whose f(θ_t), ‖g_t‖ or f(θ_{t+1})
    /// (or a test step's test loss) is not finite; its values from that
    /// record on are NaN.
    pub diverged_at: [Option<u64>; L],
    /// θ at the last step run.
    pub theta: Vec<Lane<L>>,
}

/// Per-run buffers of the loop.
struct State<const L: usize> {
    theta: Vec<Lane<L>>,
    next: Vec<Lane<L>>,
    grad: Vec<Lane<L>>,
    prev: Vec<Lane<L>>,
    /// The batch's points gathered per lane, `[s * d + i]`, and labels.
    x: Vec<Lane<L>>,
    y: Vec<[u32; L]>,
    /// Each lane's batch sampler.
    samplers: Vec<Sampler>,
    work: Work<L>,
}

/// Runs lanes `run0 + l` from θ₀ to θ_until, recording at `job.records` and
/// `job.tests` up to `until`.
#[inline(always)]
pub fn run<const L: usize, R: Reg<L>>(job: &Job, run0: u64, until: u64) -> BlockOut<L> {
    let Job { mlp, data, train_x, options: o, records, tests, .. } = *job;
    let (p, n, d, m) = (mlp.params(), data.train.len(), data.train.dim(), o.batch);
    let mut flat = vec![0.0; p * L];
    rng::fill_normals::<L>(o.seed, run0, Stream::Init, 0, &mut flat);
    let theta = (0..p).map(|q| std::array::from_fn(|l| mlp.init_param(o.init, q, flat[q * L + l]))).collect();
    let mut st = State {
        theta,
        next: vec![[0.0; L]; p],
        grad: vec![[0.0; L]; p],
        prev: vec![[0.0; L]; p],
        x: vec![[0.0; L]; m.div_ceil(TILE) * TILE * d],
        y: vec![[0; L]; m],
        samplers: vec![Sampler::new(o, n); L],
        work: Work::new(mlp),
    };
    let (nr, nt) = (records.len(), tests.len());
    let mut out = BlockOut {
        values: vec![[f64::NAN; L]; Metric::ALL.len() * nr],
        tests: vec![[f64::NAN; L]; TestMetric::ALL.len() * nt],
        diverged_at: [None; L],
        theta: Vec::new(),
    };
    let train = &data.train;
    // f(θ_t) when the previous record computed it as its f(θ_{t+1}).
    let mut known: Option<(u64, Totals<L>)> = None;
    let (mut k, mut kt) = (0, 0);
    for t in 0..=until {
        let record = records.get(k) == Some(&t);
        if tests.get(kt) == Some(&t) {
            test::<L, R>(job, &mut st, &mut out, t, kt);
            kt += 1;
        }
        if t == until && !record {
            break;
        }
        // (No closures on this path: they would not inherit the AVX2 build's features.)
        let before = match (record, known.take()) {
            (false, _) => None,
            (true, Some((s, f))) if s == t => Some(f),
            (true, _) => Some(eval::<L, R>(mlp, train, train_x, &st.theta, &mut st.work)),
        };
        draw::<L>(train, run0, t, &mut st);
        kernel::gradient::<L, R>(
            mlp,
            &st.theta,
            Inputs::Lanes(&st.x),
            Labels::Lanes(&st.y),
            m,
            &mut st.work,
            &mut st.grad,
        );
        let step = R::splat(-o.eta);
        for ((nx, th), g) in st.next.iter_mut().zip(&st.theta).zip(&st.grad) {
            step.mul_add(R::load(g), R::load(th)).store(nx);
        }
        if let Some(before) = before {
            let after = eval::<L, R>(mlp, train, train_x, &st.next, &mut st.work);
            let (norm, cos) = norm_and_cos(&st.grad, &st.prev, t > 0);
            for l in 0..L {
                let finite = before.loss[l].is_finite() && norm[l].is_finite() && after.loss[l].is_finite();
                if out.diverged_at[l].is_none() && !finite {
                    out.diverged_at[l] = Some(t);
                }
                let values = [before.loss[l], before.accuracy[l], norm[l], cos[l], after.loss[l] - before.loss[l]];
                for (mi, v) in values.into_iter().enumerate() {
                    out.values[mi * nr + k][l] = v;
                }
            }
            known = Some((t + 1, after));
            k += 1;
        }
        if t < until {
            std::mem::swap(&mut st.theta, &mut st.next);
            std::mem::swap(&mut st.grad, &mut st.prev);
        }
    }
    // A diverged run's records from its divergence on are NaN.
    for (l, at) in out.diverged_at.iter().enumerate() {
        let Some(at) = *at else { continue };
        for (steps, values) in [(records, &mut out.values), (tests, &mut out.tests)] {
            for (k, _) in steps.iter().enumerate().filter(|(_, &t)| t >= at) {
                for row in values.iter_mut().skip(k).step_by(steps.len()) {
                    row[l] = f64::NAN;
                }
            }
        }
    }
    out.theta = st.theta;
    out
}

/// The loss and accuracy of each lane's θ on the training set.
#[inline(always)]
fn eval<const L: usize, R: Reg<L>>(
    mlp: &Mlp,
    train: &Dataset,
    x: &[f64],
    theta: &[Lane<L>],
    work: &mut Work<L>,
) -> Totals<L> {
    let [t] =
        kernel::evaluate::<L, R, 1>(mlp, theta, Inputs::Shared(x), [Labels::Shared(train.labels())], train.len(), work);
    t
}

/// ‖g‖ and cos(g, g_prev) per lane (cos NaN without a previous gradient).
#[inline(always)]
fn norm_and_cos<const L: usize>(g: &[Lane<L>], prev: &[Lane<L>], has_prev: bool) -> (Lane<L>, Lane<L>) {
    let (mut gg, mut gp, mut pp) = ([0.0; L], [0.0; L], [0.0; L]);
    for (a, b) in g.iter().zip(prev) {
        for l in 0..L {
            gg[l] = a[l].mul_add(a[l], gg[l]);
            gp[l] = a[l].mul_add(b[l], gp[l]);
            pp[l] = b[l].mul_add(b[l], pp[l]);
        }
    }
    let cos = std::array::from_fn(|l| if has_prev { gp[l] / (gg[l] * pp[l]).sqrt() } else { f64::NAN });
    (gg.map(f64::sqrt), cos)
}

/// Draws step t's batch for every lane and gathers its points and labels.
#[inline(always)]
fn draw<const L: usize>(train: &Dataset, run0: u64, t: u64, st: &mut State<L>) {
    let d = train.dim();
    for (l, sampler) in st.samplers.iter_mut().enumerate() {
        let (x, y) = (&mut st.x, &mut st.y);
        sampler.draw(run0 + l as u64, t, |s, j| {
            for (i, v) in train.point(j).iter().enumerate() {
                x[tiled_index(s, i, d)][l] = *v;
            }
            y[s][l] = train.labels()[j];
        });
    }
}

/// The test set's loss and accuracy (true and noisy labels) at θ_t, stored
/// as test record `kt`; a non-finite loss marks the lane diverged at t.
#[inline(always)]
fn test<const L: usize, R: Reg<L>>(job: &Job, st: &mut State<L>, out: &mut BlockOut<L>, t: u64, kt: usize) {
    let Some(set) = &job.data.test else { return };
    let labels = [Labels::Shared(set.clean.labels()), Labels::Shared(set.noisy.labels())];
    let inputs = Inputs::Shared(job.test_x);
    let [clean, noisy] = kernel::evaluate::<L, R, 2>(job.mlp, &st.theta, inputs, labels, set.clean.len(), &mut st.work);
    let nt = job.tests.len();
    for l in 0..L {
        if out.diverged_at[l].is_none() && !clean.loss[l].is_finite() {
            out.diverged_at[l] = Some(t);
        }
        let values = [clean.loss[l], clean.accuracy[l], noisy.loss[l], noisy.accuracy[l]];
        for (mi, v) in values.into_iter().enumerate() {
            out.tests[mi * nt + kt][l] = v;
        }
    }
}
