//! Which training points a run's step uses ([`Sampling`]): the one place
//! batches are drawn, shared by training, replays and tests.

use super::options::{Options, Sampling};
use crate::rng::{self, Stream};

/// Draws one run's batches; holds the current epoch's order with shuffled
/// epochs (so draws of increasing steps are cheapest, but any order of
/// steps gives the same batches).
#[derive(Clone, Debug)]
pub struct Sampler {
    sampling: Sampling,
    seed: u64,
    n: usize,
    batch: usize,
    /// Shuffled epochs: the order of `epoch`, and which run it belongs to.
    order: Vec<u32>,
    epoch: Option<(u64, u64)>,
}

impl Sampler {
    /// A sampler of `options`' batches from `n` points.
    pub fn new(options: &Options, n: usize) -> Self {
        let order = if options.sampling == Sampling::Shuffled { vec![0; n] } else { Vec::new() };
        Sampler { sampling: options.sampling, seed: options.seed, n, batch: options.batch, order, epoch: None }
    }

    /// The indices of step `t`'s batch of run `run`, passed to `out` one by
    /// one (sample s = 0 … m − 1).
    #[inline(always)]
    pub fn draw(&mut self, run: u64, t: u64, mut out: impl FnMut(usize, usize)) {
        let (n, m) = (self.n as u64, self.batch as u64);
        let mut words = [0u32; 4];
        for s in 0..m {
            let q = t * m + s;
            let j = match self.sampling {
                Sampling::Replacement => {
                    if s == 0 || q.is_multiple_of(4) {
                        words = rng::block(self.seed, run, Stream::Batch, (q / 4) as u32);
                    }
                    rng::below(words[(q % 4) as usize], n as u32) as usize
                }
                Sampling::Shuffled => {
                    let epoch = q / n;
                    if self.epoch != Some((run, epoch)) {
                        rng::shuffle(self.seed, run, epoch, &mut self.order);
                        self.epoch = Some((run, epoch));
                    }
                    self.order[(q % n) as usize] as usize
                }
            };
            out(s as usize, j);
        }
    }

    /// Step `t`'s batch of run `run` as a vector.
    pub fn batch(&mut self, run: u64, t: u64) -> Vec<usize> {
        let mut b = vec![0; self.batch];
        self.draw(run, t, |s, j| b[s] = j);
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shuffled_epochs_visit_every_point_once() {
        let o = Options { batch: 7, sampling: Sampling::Shuffled, ..Options::paper(0.1, 100) };
        let mut sampler = Sampler::new(&o, 20);
        // 7-point batches over 20 points: steps 0..20 are exactly 7 epochs.
        let seq: Vec<usize> = (0..20).flat_map(|t| sampler.batch(3, t)).collect();
        for epoch in seq.chunks(20) {
            let mut e = epoch.to_vec();
            e.sort();
            assert_eq!(e, (0..20).collect::<Vec<_>>());
        }
        assert_ne!(seq[..20], seq[20..40]);
        // Any order of steps and runs gives the same batches.
        assert_eq!(sampler.batch(3, 4), seq[28..35]);
        assert_ne!(sampler.batch(4, 4), seq[28..35]);
    }

    #[test]
    fn replacement_draws_are_uniform() {
        // 20 seeds × 100 000 draws over 10 points: the per-seed chi-squares
        // (9 degrees of freedom each) sum to a chi-square of 180, sd 19;
        // P(sum > 250) = 0.0005.
        let chi2: f64 = (0..20)
            .map(|seed| {
                let mut sampler = Sampler::new(&Options { seed, ..Options::paper(0.1, 100) }, 10);
                let mut counts = [0u32; 10];
                for run in 0..400 {
                    for t in 0..50 {
                        sampler.draw(run, t, |_, j| counts[j] += 1);
                    }
                }
                counts.iter().map(|&c| (c as f64 - 1e4).powi(2) / 1e4).sum::<f64>()
            })
            .sum();
        assert!((120.0..250.0).contains(&chi2), "{chi2}");
    }
}
