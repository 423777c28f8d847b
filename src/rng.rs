//! Counter-based random numbers: Philox4x32-10 and the stream layout that every
//! backend reproduces.
//!
//! # Stream layout
//! The key is the run's 64-bit seed, `(seed as u32, (seed >> 32) as u32)`. One
//! Philox call with counter `(block, trial, stream, 0)` yields four u32 words.
//! Element `e` of a (trial, stream) sequence comes from block `e / 4`, word or
//! normal `e % 4`:
//!
//! * normals: words `(r0, r1)` give the Box–Muller pair `(z0, z1)`, `(r2, r3)`
//!   give `(z2, z3)`, with `u = (r0 + 1/2) 2^-32` in (0, 1), `phi = r1 2^-32`,
//!   `z0 = sqrt(-2 ln u) cos(2 pi phi)` and `z1 = sqrt(-2 ln u) sin(2 pi phi)`;
//! * raw words (the shuffle stream): word `e % 4` itself.
//!
//! | stream | what element `e` is |
//! | --- | --- |
//! | [`Stream::Data`] | training point `e` of the trial: normal `e` for x ~ N(0, 1); other laws (`crate::data_law`) from word `e` or, for Student-t, their own counters `(e, trial, stream, 1 + k)` |
//! | [`Stream::Noise`] | normal: SDE noise, `e = (step * K + substep) * M + j` for quadrature node `j < M` |
//! | [`Stream::Shuffle`] | word: `e = epoch * N + j`, the draw of Fisher–Yates position `j` |
//! | [`Stream::Centres`] | word: coordinate `e = c * d + i` of class centre `c` (`crate::network`, data seed, trial slot 0) |
//! | [`Stream::Features`] | normal: feature `e = j * d + i` of point `j` (data seed, trial slot: 0 training set, 1 test set) |
//! | [`Stream::Relabel`] | word: label noise of a set (data seed, trial slot as above): `e < N` the draw of partial Fisher–Yates position `e` choosing the corrupted points, `e = N + j` the new label of the `j`-th chosen |
//! | [`Stream::Init`] | normal: coordinate `e` of a network run's θ₀ (run seed, trial slot: the run) |
//! | [`Stream::Batch`] | word: `e = t * m + s`, sample `s` of step `t`'s mini-batch drawn with replacement (run seed, the run) |
//! | [`Stream::FreshBatch`] | word: `e = (slot * B + b) * m + s`, sample `s` of fresh batch `b` of frozen snapshot `slot` (run seed, the run; `crate::study::loss_change`) |
//! | [`Stream::Lanczos`] | normal: coordinate `e` of a Lanczos start vector (`crate::eigen::lanczos`; its seed, trial slot: the caller's key, e.g. the run) |
//! | [`Stream::Posterior`] | normal: `e = k * p + j`, coordinate `j` of draw `k` from a run's PAC-Bayes posterior (run seed, the run; `crate::network::pac_bayes`) |
//!
//! So training point `n` of trial `i` depends only on `(seed, i, n)`: every
//! optimizer run with one seed sees the same training sets (common random
//! numbers), whatever the thread count or backend. The network study
//! (`crate::network`, seed 003) keys its one data set by the data seed and
//! each run's θ₀, batches and (with shuffled epochs) [`Stream::Shuffle`]
//! orders by `(seed, run)`: a run is the same whatever the thread count or
//! the runs beside it.

use crate::fastmath;

/// Elements of one (trial, stream) sequence: blocks are counted in 32 bits,
/// four elements each. Beyond it a sequence would repeat, so no run may draw
/// more (`Experiment::validate`).
pub const STREAM_LENGTH: u64 = 1 << 34;

/// The independent sequences of one trial; the value is the counter's third word.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u32)]
pub enum Stream {
    /// Training points.
    Data = 0,
    /// Gaussian increments of the SDE.
    Noise = 1,
    /// Words that drive the per-epoch Fisher–Yates shuffles.
    Shuffle = 2,
    /// Uniform words placing a Gauss-k data set's class centres.
    Centres = 3,
    /// Normals of a Gauss-k data set's points around their centres.
    Features = 4,
    /// Words choosing which labels the label noise replaces, and by what.
    Relabel = 5,
    /// Normals of a network run's initial weights.
    Init = 6,
    /// Words drawing a network run's mini-batches with replacement.
    Batch = 7,
    /// Words drawing fresh batches at a frozen network run (`crate::study::loss_change`).
    FreshBatch = 8,
    /// Normals of a Lanczos start vector (`crate::eigen::lanczos`).
    Lanczos = 9,
    /// Normals of a Gibbs classifier's draws from a run's PAC-Bayes posterior.
    Posterior = 10,
}

/// Philox4x32's round multipliers (also the device's: `crate::backend::gpu`
/// generates its WGSL constants from these).
pub const M0: u64 = 0xD251_1F53;
pub const M1: u64 = 0xCD9E_8D57;
/// Philox4x32's key increments (Weyl sequence), shared with the device likewise.
pub const W0: u32 = 0x9E37_79B9;
pub const W1: u32 = 0xBB67_AE85;

/// Philox4x32 with 10 rounds (Salmon et al., SC'11; Random123's `philox4x32`).
#[inline(always)]
pub fn philox4x32_10(counter: [u32; 4], key: [u32; 2]) -> [u32; 4] {
    let [mut c0, mut c1, mut c2, mut c3] = counter;
    let [mut k0, mut k1] = key;
    for round in 0..10 {
        if round > 0 {
            k0 = k0.wrapping_add(W0);
            k1 = k1.wrapping_add(W1);
        }
        let p0 = M0 * c0 as u64;
        let p1 = M1 * c2 as u64;
        let (hi0, lo0) = ((p0 >> 32) as u32, p0 as u32);
        let (hi1, lo1) = ((p1 >> 32) as u32, p1 as u32);
        (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
    }
    [c0, c1, c2, c3]
}

/// The Philox key of a seed.
#[inline(always)]
pub fn key(seed: u64) -> [u32; 2] {
    [seed as u32, (seed >> 32) as u32]
}

/// The four words of block `block` of `(trial, stream)`.
#[inline(always)]
pub fn block(seed: u64, trial: u64, stream: Stream, block: u32) -> [u32; 4] {
    debug_assert!(trial <= u32::MAX as u64, "trial indices are 32-bit");
    philox4x32_10([block, trial as u32, stream as u32, 0], key(seed))
}

/// The Box–Muller pair of two words (see the module docs).
#[inline(always)]
pub fn box_muller(r_radius: u32, r_angle: u32) -> (f64, f64) {
    const TWO_M32: f64 = 1.0 / 4_294_967_296.0;
    let u = (r_radius as f64 + 0.5) * TWO_M32;
    let phi = r_angle as f64 * TWO_M32;
    let radius = (-2.0 * fastmath::ln(u)).sqrt();
    let (s, c) = fastmath::sincos(std::f64::consts::TAU * phi);
    (radius * c, radius * s)
}

/// The four normals of one block of words.
#[inline(always)]
pub fn normals4(w: [u32; 4]) -> [f64; 4] {
    let (z0, z1) = box_muller(w[0], w[1]);
    let (z2, z3) = box_muller(w[2], w[3]);
    [z0, z1, z2, z3]
}

/// Normal element `e` of `(trial, stream)`.
pub fn normal(seed: u64, trial: u64, stream: Stream, e: u64) -> f64 {
    normals4(block(seed, trial, stream, (e / 4) as u32))[(e % 4) as usize]
}

/// Raw word element `e` of `(trial, stream)`.
pub fn word(seed: u64, trial: u64, stream: Stream, e: u64) -> u32 {
    block(seed, trial, stream, (e / 4) as u32)[(e % 4) as usize]
}

/// Fills `out[i * LANES + l]` with normal element `e0 + i` of `stream` for trial
/// `trial0 + l`, `l < LANES` (structure of arrays, vectorised over lanes).
#[inline(always)]
pub fn fill_normals<const LANES: usize>(seed: u64, trial0: u64, stream: Stream, e0: u64, out: &mut [f64]) {
    debug_assert_eq!(out.len() % LANES, 0);
    let end = e0 + (out.len() / LANES) as u64;
    let k = key(seed);
    for blk in e0 / 4..end.div_ceil(4) {
        let mut z = [[0.0; LANES]; 4];
        for l in 0..LANES {
            let w = philox4x32_10([blk as u32, (trial0 + l as u64) as u32, stream as u32, 0], k);
            let n = normals4(w);
            for j in 0..4 {
                z[j][l] = n[j];
            }
        }
        for (j, zj) in z.iter().enumerate() {
            let e = blk * 4 + j as u64;
            if (e0..end).contains(&e) {
                let row = (e - e0) as usize;
                out[row * LANES..(row + 1) * LANES].copy_from_slice(zj);
            }
        }
    }
}

/// Uniform integer in `0..n` from a word, by multiply-shift (Lemire); the bias
/// is below n / 2^32, far under any Monte Carlo resolution here.
#[inline(always)]
pub fn below(word: u32, n: u32) -> u32 {
    ((word as u64 * n as u64) >> 32) as u32
}

/// The order in which epoch `epoch` visits a trial's `order.len()` training
/// points: Fisher–Yates from the identity, position `j` (from the top down)
/// swapped with `below(word(epoch * N + j), j + 1)`.
pub fn shuffle(seed: u64, trial: u64, epoch: u64, order: &mut [u32]) {
    let n = order.len() as u64;
    for (i, o) in order.iter_mut().enumerate() {
        *o = i as u32;
    }
    for j in (1..order.len()).rev() {
        let w = word(seed, trial, Stream::Shuffle, epoch * n + j as u64);
        order.swap(j, below(w, j as u32 + 1) as usize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Known-answer vectors of Random123 (kat_vectors, philox4x32 10 rounds).
    #[test]
    fn philox_known_answers() {
        assert_eq!(philox4x32_10([0; 4], [0; 2]), [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]);
        assert_eq!(philox4x32_10([u32::MAX; 4], [u32::MAX; 2]), [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]);
        assert_eq!(
            philox4x32_10([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0]),
            [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1]
        );
    }

    #[test]
    fn fill_matches_elementwise() {
        for (e0, count) in [(12, 10), (3, 6), (5, 1), (0, 0)] {
            let mut out = vec![0.0; count * 8];
            fill_normals::<8>(7, 100, Stream::Noise, e0, &mut out);
            for e in 0..count {
                for l in 0..8 {
                    assert_eq!(out[e * 8 + l], normal(7, 100 + l as u64, Stream::Noise, e0 + e as u64));
                }
            }
        }
    }

    #[test]
    fn normals_have_standard_moments() {
        let n = 400_000u64;
        let (mut m1, mut m2, mut m3, mut m4) = (0.0, 0.0, 0.0, 0.0);
        for e in 0..n {
            let z = normal(1, e % 997, Stream::Data, e / 997);
            m1 += z;
            m2 += z * z;
            m3 += z * z * z;
            m4 += z * z * z * z;
        }
        let nf = n as f64;
        // Standard errors: sqrt(Var / n) with Var z^k = m_2k - m_k^2 = 1, 2, 15, 96.
        for (got, want, var) in [(m1, 0.0, 1.0), (m2, 1.0, 2.0), (m3, 0.0, 15.0), (m4, 3.0, 96.0)] {
            let se = (var / nf).sqrt();
            assert!((got / nf - want).abs() < 5.0 * se, "moment {} vs {want}", got / nf);
        }
    }

    #[test]
    fn shuffle_is_a_uniform_permutation() {
        // Every one of the 3! orders of 3 points is equally likely; chi-square check.
        let mut counts = std::collections::HashMap::new();
        let mut order = [0u32; 3];
        let trials = 60_000;
        for t in 0..trials {
            shuffle(3, t, 0, &mut order);
            *counts.entry(order).or_insert(0u32) += 1;
        }
        assert_eq!(counts.len(), 6);
        let expect = trials as f64 / 6.0;
        let chi2: f64 = counts.values().map(|&c| (c as f64 - expect).powi(2) / expect).sum();
        // 5 degrees of freedom: P(chi2 > 20.5) = 0.001.
        assert!(chi2 < 20.5, "chi2 = {chi2}");
    }
}
