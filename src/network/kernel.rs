//! The network's forward and backward pass for L networks at once.
//!
//! Lane `l` of every value belongs to network `l`: parameters are stored
//! `θ[q][l]` (the flat order of [`Mlp`], lanes innermost), so every
//! arithmetic operation is a vertical
//! operation on `[f64; L]` that LLVM vectorises, and lane `l`'s numbers never
//! depend on the other lanes: the same network gives the same bits at any
//! `L`, which is how L = 1 is the reference ([`Mlp::loss_grad`]) that tests
//! pin to automatic differentiation.
//!
//! Samples go through in tiles of [`TILE`] (the last may be shorter; its
//! size is a compile-time constant inside the kernels so that a tile's
//! accumulators live in registers). Features and activations are *tiled*:
//! unit-major within a tile, the tile's samples contiguous
//! ([`tiled_index`]), so the inner loops read whole `[Lane; S]` chunks. Products accumulate with fused multiply-adds
//! (`f64::mul_add`, exactly rounded on every processor: the same bits with or
//! without hardware FMA). The head is softmax cross-entropy computed stably
//! (log-sum-exp around the largest logit, `log1p` of the other terms), with
//! the ReLU's σ′(0) = ½ of the paper's App. B.5.1.

use super::mlp::{Layer, Mlp};
use super::simd::Reg;
use crate::fastmath;

/// One value of each of L networks.
pub type Lane<const L: usize> = [f64; L];

/// Most samples of one tile.
pub const TILE: usize = 8;

/// Calls `$f::<L, S>` with the tile size `S = $s` as a constant.
macro_rules! by_tile {
    ($s:expr, $f:ident::<$($g:tt),*>($($arg:expr),*)) => {
        match $s {
            1 => $f::<$($g,)* 1>($($arg),*),
            2 => $f::<$($g,)* 2>($($arg),*),
            3 => $f::<$($g,)* 3>($($arg),*),
            4 => $f::<$($g,)* 4>($($arg),*),
            5 => $f::<$($g,)* 5>($($arg),*),
            6 => $f::<$($g,)* 6>($($arg),*),
            7 => $f::<$($g,)* 7>($($arg),*),
            _ => $f::<$($g,)* 8>($($arg),*),
        }
    };
}

/// Where unit `i` of sample `j` sits in a tiled buffer of `width` units:
/// tile `j / TILE`, then unit `i`, then sample `j mod TILE`.
#[inline(always)]
pub fn tiled_index(j: usize, i: usize, width: usize) -> usize {
    ((j / TILE) * width + i) * TILE + j % TILE
}

/// A row-major set of points (`width` features each) tiled, padded with
/// zeros to whole tiles.
pub fn tiled(features: &[f64], width: usize) -> Vec<f64> {
    let n = features.len() / width;
    let mut out = vec![0.0; n.div_ceil(TILE) * TILE * width];
    for (j, row) in features.chunks_exact(width).enumerate() {
        for (i, x) in row.iter().enumerate() {
            out[tiled_index(j, i, width)] = *x;
        }
    }
    out
}

/// Where a set of samples' features come from (both tiled, [`tiled_index`]).
#[derive(Clone, Copy)]
pub enum Inputs<'a, const L: usize> {
    /// Per-network points (a mini-batch gathered per lane).
    Lanes(&'a [Lane<L>]),
    /// Points all networks share (a whole data set, [`tiled`]).
    Shared(&'a [f64]),
}

/// Where a set of samples' labels come from.
#[derive(Clone, Copy)]
pub enum Labels<'a, const L: usize> {
    /// Per-network labels: `y[j][l]`.
    Lanes(&'a [[u32; L]]),
    /// Labels all networks share: `y[j]`.
    Shared(&'a [u32]),
}

impl<const L: usize> Labels<'_, L> {
    #[inline(always)]
    fn at(&self, j: usize) -> [u32; L] {
        match self {
            Labels::Lanes(y) => y[j],
            Labels::Shared(y) => [y[j]; L],
        }
    }
}

/// Per-network sums over a set of samples.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Totals<const L: usize> {
    /// Mean cross-entropy loss.
    pub loss: Lane<L>,
    /// Fraction of samples whose largest logit (the first, on ties) is the label.
    pub accuracy: Lane<L>,
}

/// Buffers of one tile (tiled: `[unit * TILE + s]`), reused from call to call.
pub struct Work<const L: usize> {
    /// Per hidden layer: σ′(z) ∈ {0, ½, 1}.
    slope: Vec<Vec<Lane<L>>>,
    /// Per hidden layer: the activation z·σ′(z) (= ReLU(z), NaN kept NaN).
    act: Vec<Vec<Lane<L>>>,
    /// The logits.
    logits: Vec<Lane<L>>,
    /// Per layer: ∂loss/∂z of its outputs.
    delta: Vec<Vec<Lane<L>>>,
    /// Per layer above the first: Wᵀ (`[i * outputs + o]`), so that the
    /// backward pass reads it row by row as the forward pass reads W.
    transposed: Vec<Vec<Lane<L>>>,
}

impl<const L: usize> Work<L> {
    /// Buffers for `mlp`.
    pub fn new(mlp: &Mlp) -> Self {
        let tile = |w: usize| vec![[0.0; L]; TILE * w];
        let hidden = &mlp.layers()[..mlp.layers().len() - 1];
        Work {
            slope: hidden.iter().map(|h| tile(h.outputs)).collect(),
            act: hidden.iter().map(|h| tile(h.outputs)).collect(),
            logits: tile(mlp.classes()),
            delta: mlp.layers().iter().map(|h| tile(h.outputs)).collect(),
            transposed: mlp.layers()[1..].iter().map(|h| vec![[0.0; L]; h.inputs * h.outputs]).collect(),
        }
    }
}

/// Mean loss and accuracy over samples `0..count` of `inputs`, against each
/// of `N` label sets (the same logits: clean and noisy test labels in one
/// pass), the products in registers of type `R`.
#[inline(always)]
pub fn evaluate<const L: usize, R: Reg<L>, const N: usize>(
    mlp: &Mlp,
    theta: &[Lane<L>],
    inputs: Inputs<L>,
    labels: [Labels<L>; N],
    count: usize,
    work: &mut Work<L>,
) -> [Totals<L>; N] {
    let mut sums = [([0.0; L], [0.0; L]); N];
    for j0 in (0..count).step_by(TILE) {
        let s = (count - j0).min(TILE);
        by_tile!(s, forward::<L, R>(mlp, theta, inputs, j0, work));
        let tile = by_tile!(s, head::<L, R, N>(mlp.classes(), &work.logits, labels.each_ref(), j0, None));
        for (sum, (loss, correct)) in sums.iter_mut().zip(tile) {
            add(&mut sum.0, loss);
            add(&mut sum.1, correct);
        }
    }
    sums.map(|(loss, correct)| Totals {
        loss: loss.map(|x| x / count as f64),
        accuracy: correct.map(|c| c / count as f64),
    })
}

/// Mean loss and accuracy over samples `0..count`, and the gradient of the
/// mean loss written to `grad` (`θ`'s layout), the products in registers of
/// type `R`.
#[inline(always)]
pub fn gradient<const L: usize, R: Reg<L>>(
    mlp: &Mlp,
    theta: &[Lane<L>],
    inputs: Inputs<L>,
    labels: Labels<L>,
    count: usize,
    work: &mut Work<L>,
    grad: &mut [Lane<L>],
) -> Totals<L> {
    let (mut loss, mut correct) = ([0.0; L], [0.0; L]);
    let scale = 1.0 / count as f64;
    for (layer, wt) in mlp.layers()[1..].iter().zip(&mut work.transposed) {
        let w = &theta[layer.weights..layer.biases];
        for (i, row) in wt.chunks_exact_mut(layer.outputs).enumerate() {
            for (o, v) in row.iter_mut().enumerate() {
                *v = w[o * layer.inputs + i];
            }
        }
    }
    for j0 in (0..count).step_by(TILE) {
        let s = (count - j0).min(TILE);
        by_tile!(s, forward::<L, R>(mlp, theta, inputs, j0, work));
        let delta = Some((scale, &mut work.delta.last_mut().unwrap()[..]));
        let [(l, c)] = by_tile!(s, head::<L, R, 1>(mlp.classes(), &work.logits, [&labels], j0, delta));
        add(&mut loss, l);
        add(&mut correct, c);
        by_tile!(s, backward::<L, R>(mlp, inputs, j0, work, grad, j0 == 0));
    }
    Totals { loss: loss.map(|x| x * scale), accuracy: correct.map(|c| c * scale) }
}

#[inline(always)]
fn add<const L: usize>(acc: &mut Lane<L>, x: Lane<L>) {
    for l in 0..L {
        acc[l] += x[l];
    }
}

/// A tile's inputs to a layer: `unit(i)` is unit i of the tile's S samples.
trait Source<const L: usize, R: Reg<L>, const S: usize> {
    fn unit(&self, i: usize) -> [R; S];
}

/// One tile of a tiled per-lane buffer.
struct LaneTile<'a, const L: usize>(&'a [Lane<L>]);

impl<const L: usize, R: Reg<L>, const S: usize> Source<L, R, S> for LaneTile<'_, L> {
    #[inline(always)]
    fn unit(&self, i: usize) -> [R; S] {
        let x: &[Lane<L>; S] = self.0[i * TILE..][..S].first_chunk().unwrap();
        std::array::from_fn(|s| R::load(&x[s]))
    }
}

/// One tile of a tiled shared buffer, broadcast to every lane.
struct SharedTile<'a>(&'a [f64]);

impl<const L: usize, R: Reg<L>, const S: usize> Source<L, R, S> for SharedTile<'_> {
    #[inline(always)]
    fn unit(&self, i: usize) -> [R; S] {
        let x: &[f64; S] = self.0[i * TILE..][..S].first_chunk().unwrap();
        std::array::from_fn(|s| R::splat(x[s]))
    }
}

/// z = W x + b for the S samples of a tile: `w`'s rows of `width` and `b`
/// (zeros where `None`) give z's units. With `slope`, the ReLU is applied
/// on the way out: z holds the activation and `slope` σ′ ([`Reg::relu`]).
#[inline(always)]
fn dense<const L: usize, R: Reg<L>, const S: usize>(
    w: &[Lane<L>],
    width: usize,
    b: Option<&[Lane<L>]>,
    x: &impl Source<L, R, S>,
    z: &mut [Lane<L>],
    mut slope: Option<&mut [Lane<L>]>,
) {
    let units = w.len() / width;
    let mut o = 0;
    if S <= R::PAIR_TILE {
        while o + 2 <= units {
            dense_units::<L, R, S, 2>(w, width, b, x, z, slope.as_deref_mut(), o);
            o += 2;
        }
    }
    while o < units {
        dense_units::<L, R, S, 1>(w, width, b, x, z, slope.as_deref_mut(), o);
        o += 1;
    }
}

/// Units `o0 … o0 + U − 1` of [`dense`].
#[inline(always)]
fn dense_units<const L: usize, R: Reg<L>, const S: usize, const U: usize>(
    w: &[Lane<L>],
    width: usize,
    b: Option<&[Lane<L>]>,
    x: &impl Source<L, R, S>,
    z: &mut [Lane<L>],
    mut slope: Option<&mut [Lane<L>]>,
    o0: usize,
) {
    let rows: [&[Lane<L>]; U] = std::array::from_fn(|u| &w[(o0 + u) * width..][..width]);
    let mut acc: [[R; S]; U] = std::array::from_fn(|u| [b.map_or(R::splat(0.0), |b| R::load(&b[o0 + u])); S]);
    for i in 0..width {
        let xs = x.unit(i);
        for u in 0..U {
            let wv = R::load(&rows[u][i]);
            for s in 0..S {
                acc[u][s] = xs[s].mul_add(wv, acc[u][s]);
            }
        }
    }
    for u in 0..U {
        let at = (o0 + u) * TILE;
        for s in 0..S {
            match slope.as_deref_mut() {
                Some(slope) => {
                    let (a, d) = acc[u][s].relu();
                    a.store(&mut z[at + s]);
                    d.store(&mut slope[at + s]);
                }
                None => acc[u][s].store(&mut z[at + s]),
            }
        }
    }
}

/// The tile of the S samples from `j0` (a multiple of [`TILE`]) in `inputs`.
#[inline(always)]
fn tile_of<'a, const L: usize>(inputs: Inputs<'a, L>, j0: usize, width: usize) -> Inputs<'a, L> {
    let range = j0 * width..(j0 + TILE) * width;
    match inputs {
        Inputs::Lanes(x) => Inputs::Lanes(&x[range]),
        Inputs::Shared(x) => Inputs::Shared(&x[range]),
    }
}

/// The forward pass of the tile of S samples from `j0`: hidden slopes and
/// activations, logits.
#[inline(always)]
fn forward<const L: usize, R: Reg<L>, const S: usize>(
    mlp: &Mlp,
    theta: &[Lane<L>],
    inputs: Inputs<L>,
    j0: usize,
    work: &mut Work<L>,
) {
    let layers = mlp.layers();
    let last = layers.len() - 1;
    for (h, layer) in layers.iter().enumerate() {
        let (below, above) = work.act.split_at_mut(h);
        let z = if h == last { &mut work.logits[..] } else { &mut above[0][..] };
        let w = &theta[layer.weights..layer.biases];
        let b = Some(&theta[layer.biases..layer.biases + layer.outputs]);
        let slope = if h < last { Some(&mut work.slope[h][..]) } else { None };
        match h {
            0 => match tile_of(inputs, j0, layer.inputs) {
                Inputs::Lanes(x) => dense::<L, R, S>(w, layer.inputs, b, &LaneTile(x), z, slope),
                Inputs::Shared(x) => dense::<L, R, S>(w, layer.inputs, b, &SharedTile(x), z, slope),
            },
            _ => dense::<L, R, S>(w, layer.inputs, b, &LaneTile(&below[h - 1]), z, slope),
        }
    }
}

/// Logit gaps below which a softmax term e^gap (< 1e-217) is taken as 0:
/// far below the loss's and the gradient's resolution (2^-53 relative to
/// the largest term, 1), and it keeps the backward pass out of subnormal
/// numbers, which cost the processor a microcode assist per operation.
const NEGLIGIBLE: f64 = -500.0;

/// ln(1 + x) for x ≥ 0, accurate where 1 + x rounds (the correction term
/// restores what the rounding of 1 + x lost).
#[inline(always)]
fn log1p(x: f64) -> f64 {
    let u = 1.0 + x;
    fastmath::ln(u) - ((u - 1.0) - x) / u
}

/// Softmax cross-entropy of the tile's logits (samples from `j0`) against
/// each of N label sets `ys` (the exponentials and the log-sum-exp computed
/// once for all): per set and lane the summed loss and the count of correct
/// argmaxes; with `delta = Some((scale, δ))`, δ = scale·(softmax − one-hot)
/// for the first set.
#[inline(always)]
fn head<const L: usize, R: Reg<L>, const N: usize, const S: usize>(
    k: usize,
    logits: &[Lane<L>],
    ys: [&Labels<L>; N],
    j0: usize,
    mut delta: Option<(f64, &mut [Lane<L>])>,
) -> [(Lane<L>, Lane<L>); N] {
    let mut sums = [([0.0; L], [0.0; L]); N];
    let logits = &logits[..k * TILE];
    for s in 0..S {
        // (Loops, not `map`: a closure would not inherit the vector builds' features.)
        let mut labels = [[0; L]; N];
        for (label, y) in labels.iter_mut().zip(&ys) {
            *label = y.at(j0 + s);
        }
        let (mut top, mut arg) = (logits[s], [0u32; L]);
        for (c, zc) in logits.chunks_exact(TILE).enumerate().skip(1) {
            for l in 0..L {
                if zc[s][l] > top[l] {
                    top[l] = zc[s][l];
                    arg[l] = c as u32;
                }
            }
        }
        // e_c = exp(z_c − max) ≤ 1; `rest` sums all but the argmax's e = 1,
        // `others` all but the first set's label's, `zy` is each set's
        // label's logit. With δ, e_c is kept there until it is scaled below.
        let (mut rest, mut others, mut zy) = ([0.0; L], [0.0; L], [[0.0; L]; N]);
        for (c, zc) in logits.chunks_exact(TILE).enumerate() {
            let gap: Lane<L> = std::array::from_fn(|l| zc[s][l] - top[l]);
            let mut e = [0.0; L];
            R::load(&gap).exp().store(&mut e);
            for l in 0..L {
                e[l] = if gap[l] < NEGLIGIBLE { 0.0 } else { e[l] };
                rest[l] += if arg[l] == c as u32 { 0.0 } else { e[l] };
                others[l] += if labels[0][l] == c as u32 { 0.0 } else { e[l] };
                for (zy, label) in zy.iter_mut().zip(&labels) {
                    zy[l] += if label[l] == c as u32 { zc[s][l] } else { 0.0 };
                }
            }
            if let Some((_, delta)) = delta.as_mut() {
                delta[c * TILE + s] = e;
            }
        }
        // −ln softmax_y = (max − z_y) + ln Σ e_c, with Σ e_c = 1 + rest.
        let mut lse = [0.0; L];
        for l in 0..L {
            lse[l] = log1p(rest[l]);
        }
        for ((loss, correct), (zy, label)) in sums.iter_mut().zip(zy.iter().zip(&labels)) {
            for l in 0..L {
                loss[l] += (top[l] - zy[l]) + lse[l];
                correct[l] += if arg[l] == label[l] { 1.0 } else { 0.0 };
            }
        }
        if let Some((scale, delta)) = delta.as_mut() {
            let norm: Lane<L> = std::array::from_fn(|l| *scale / (1.0 + rest[l]));
            for (c, dc) in delta[..k * TILE].chunks_exact_mut(TILE).enumerate() {
                for l in 0..L {
                    // softmax_c − [c = y]; for c = y it is −Σ_{c′≠y} e_c′ / Σ e,
                    // free of the cancellation of p_y − 1 near p_y = 1.
                    dc[s][l] = if labels[0][l] == c as u32 { -others[l] } else { dc[s][l] } * norm[l];
                }
            }
        }
    }
    sums
}

/// The backward pass of the tile of S samples from `j0` (after `forward`,
/// `head` with δ, and Wᵀ in `work`): adds the tile's gradient to `grad`, or
/// writes it when `first`.
#[inline(always)]
fn backward<const L: usize, R: Reg<L>, const S: usize>(
    mlp: &Mlp,
    inputs: Inputs<L>,
    j0: usize,
    work: &mut Work<L>,
    grad: &mut [Lane<L>],
    first: bool,
) {
    for (h, layer) in mlp.layers().iter().enumerate().rev() {
        let (n_in, n_out) = (layer.inputs, layer.outputs);
        let (lower, upper) = work.delta.split_at_mut(h);
        let delta = &upper[0][..n_out * TILE];
        match h {
            0 => match tile_of(inputs, j0, n_in) {
                Inputs::Lanes(x) => accumulate::<L, R, S>(layer, delta, &LaneTile(x), grad, first),
                Inputs::Shared(x) => accumulate::<L, R, S>(layer, delta, &SharedTile(x), grad, first),
            },
            _ => accumulate::<L, R, S>(layer, delta, &LaneTile(&work.act[h - 1]), grad, first),
        }
        if h > 0 {
            // δ of the layer below: (Wᵀ δ) ⊙ σ′(z).
            let (below, slope) = (&mut lower[h - 1], &work.slope[h - 1]);
            dense::<L, R, S>(&work.transposed[h - 1], n_out, None, &LaneTile(delta), below, None);
            for (bi, si) in below.chunks_exact_mut(TILE).zip(slope.chunks_exact(TILE)) {
                for s in 0..S {
                    R::load(&bi[s]).mul(R::load(&si[s])).store(&mut bi[s]);
                }
            }
        }
    }
}

/// Adds (or with `first` writes) one layer's gradient over the tile:
/// ∂W[o][i] = Σ_s δ[s][o] x(s, i), ∂b[o] = Σ_s δ[s][o].
#[inline(always)]
fn accumulate<const L: usize, R: Reg<L>, const S: usize>(
    layer: &Layer,
    delta: &[Lane<L>],
    x: &impl Source<L, R, S>,
    grad: &mut [Lane<L>],
    first: bool,
) {
    let mut o = 0;
    if S <= R::PAIR_TILE {
        while o + 2 <= layer.outputs {
            accumulate_units::<L, R, S, 2>(layer, delta, x, grad, first, o);
            o += 2;
        }
    }
    while o < layer.outputs {
        accumulate_units::<L, R, S, 1>(layer, delta, x, grad, first, o);
        o += 1;
    }
}

/// Units `o0 … o0 + U − 1` of [`accumulate`].
#[inline(always)]
fn accumulate_units<const L: usize, R: Reg<L>, const S: usize, const U: usize>(
    layer: &Layer,
    delta: &[Lane<L>],
    x: &impl Source<L, R, S>,
    grad: &mut [Lane<L>],
    first: bool,
    o0: usize,
) {
    let n_in = layer.inputs;
    let d: [[R; S]; U] = std::array::from_fn(|u| std::array::from_fn(|s| R::load(&delta[(o0 + u) * TILE + s])));
    let (gw, gb) = grad[layer.weights..layer.biases + layer.outputs].split_at_mut(layer.biases - layer.weights);
    let rows = &mut gw[o0 * n_in..(o0 + U) * n_in];
    for i in 0..n_in {
        let xs = x.unit(i);
        for u in 0..U {
            let g = &mut rows[u * n_in + i];
            let mut acc = if first { R::splat(0.0) } else { R::load(g) };
            for s in 0..S {
                acc = d[u][s].mul_add(xs[s], acc);
            }
            acc.store(g);
        }
    }
    for u in 0..U {
        let bo = &mut gb[o0 + u];
        let mut acc = if first { R::splat(0.0) } else { R::load(bo) };
        for s in 0..S {
            acc = acc.add(d[u][s]);
        }
        acc.store(bo);
    }
}
