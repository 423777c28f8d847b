//! A reported mean ([`Summary`]): how [`Moments`] (Student's t) and
//! [`Sample`]s (the rules' interval, the heavy-tail rule, the precision
//! floor) come to one, and the heavy tails shared among the observables of
//! the same trials.

use super::interval::{skew_interval, t_quantile_975, Interval};
use super::moments::Moments;
use super::rules::Rules;
use super::sample::Sample;
use super::tail::heavy_tail_threshold;
use super::warnings::{HeavyTail, Warnings};
use serde::Serialize;

/// A reported mean: sample size, mean, standard error, 95% CI, and the
/// warnings that say when the CI cannot be trusted as it stands.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Summary {
    pub n: u64,
    pub mean: f64,
    pub stderr: f64,
    pub ci95: [f64; 2],
    #[serde(skip_serializing_if = "Warnings::is_empty")]
    pub warnings: Warnings,
}

impl Summary {
    /// Whether the 95% interval contains `x`.
    pub fn covers(&self, x: f64) -> bool {
        self.ci95[0] <= x && x <= self.ci95[1]
    }

    /// (mean − x) / SE, with the SE of the interval as reported: the
    /// half-width on x's side over the t quantile, so |z| ≤ t_{0.975, n−1}
    /// exactly when the CI covers x (the plain SE for Student's interval; the
    /// skew-corrected or floor-widened half-width otherwise). NaN (null in
    /// JSON, n/a in tables), never infinite, where that width is 0 or the
    /// sample too small.
    pub fn z(&self, x: f64) -> f64 {
        let half = if x <= self.mean { self.mean - self.ci95[0] } else { self.ci95[1] - self.mean };
        let se = half / t_quantile_975(self.n);
        let z = (self.mean - x) / se;
        if z.is_finite() && se > 0.0 {
            z
        } else {
            f64::NAN
        }
    }

    /// The summary of `scale`·X + `shift` (the interval reordered when
    /// `scale` is negative).
    pub fn affine(&self, scale: f64, shift: f64) -> Summary {
        let [a, b] = self.ci95.map(|c| scale * c + shift);
        let mut warnings = self.warnings;
        warnings.floor = warnings.floor.map(|f| scale.abs() * f);
        Summary {
            n: self.n,
            mean: scale * self.mean + shift,
            stderr: scale.abs() * self.stderr,
            ci95: [a.min(b), a.max(b)],
            warnings,
        }
    }
}

impl Moments {
    /// Mean, standard error and Student's 95% confidence interval.
    pub fn summary(&self) -> Summary {
        let se = self.stderr();
        let half = t_quantile_975(self.n) * se;
        Summary {
            n: self.n,
            mean: self.mean_or_nan(),
            stderr: se,
            ci95: [self.mean - half, self.mean + half],
            warnings: Warnings::default(),
        }
    }

    fn mean_or_nan(&self) -> f64 {
        if self.n == 0 {
            f64::NAN
        } else {
            self.mean
        }
    }
}

impl Sample {
    /// The summary with the default [`Rules`] (skew-corrected interval, f64
    /// precision floor) and this sample's own heavy-tail warning.
    pub fn summary(&self) -> Summary {
        self.summary_with(&Rules::default())
    }

    /// Mean, SE, the 95% interval of `rules`, widened to the precision floor
    /// where it is narrower, with the warnings that apply to this sample
    /// alone (a heavy tail of another observable of the same trials is
    /// [`share_heavy_tails`]' business).
    pub fn summary_with(&self, rules: &Rules) -> Summary {
        let m = &self.moments;
        let mut s = m.summary();
        if rules.interval == Interval::Skew {
            if let Some(ci) = skew_interval(m.n, m.mean, m.m2, self.m3(), self.m4()) {
                s.ci95 = ci;
            }
        }
        s.warnings.heavy_tail = self.tail().filter(|t| t.xi > heavy_tail_threshold()).map(|t| HeavyTail {
            xi: t.xi,
            upper: t.upper,
            source: None,
        });
        if m.n >= 2 {
            let floor = rules.floor(self);
            let (lo, hi) = (s.mean - floor, s.mean + floor);
            if lo < s.ci95[0] || hi > s.ci95[1] {
                s.ci95 = [s.ci95[0].min(lo), s.ci95[1].max(hi)];
                s.warnings.floor = Some(floor);
            }
        }
        s
    }
}

/// The heaviest tail among `items`' own (not shared) heavy tails, with the
/// name of its observable.
pub fn heaviest_tail(items: &[(&'static str, &Summary)]) -> Option<(&'static str, HeavyTail)> {
    items.iter().filter_map(|(name, s)| s.warnings.heavy_tail.filter(|h| h.source.is_none()).map(|h| (*name, h))).fold(
        None,
        |best, (name, h)| match best {
            Some((_, b)) if b.xi >= h.xi => best,
            _ => Some((name, h)),
        },
    )
}

/// Gives every summary of `items` (named observables of the same trials)
/// without a heavy tail of its own the heaviest tail among the others, named:
/// a trial's final values are one draw, so rare extreme trials seen in one
/// observable (a train loss that includes the sample that threw θ far) may
/// carry the mean of another where this run happened not to show them.
pub fn share_heavy_tails(items: &mut [(&'static str, &mut Summary)]) {
    let view: Vec<(&'static str, &Summary)> = items.iter().map(|(name, s)| (*name, &**s)).collect();
    if let Some((name, h)) = heaviest_tail(&view) {
        for (_, s) in items.iter_mut().filter(|(_, s)| s.warnings.heavy_tail.is_none()) {
            s.warnings.heavy_tail = Some(HeavyTail { source: Some(name), ..h });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::testing::{exponential, of, sample};

    #[test]
    fn affine_maps_mean_stderr_and_interval() {
        let w = Warnings { heavy_tail: None, floor: Some(0.25) };
        let s = Summary { n: 9, mean: 2.0, stderr: 0.5, ci95: [1.0, 3.0], warnings: w };
        let floor = |f| Warnings { floor: Some(f), ..w };
        assert_eq!(
            s.affine(-2.0, 1.0),
            Summary { n: 9, mean: -3.0, stderr: 1.0, ci95: [-5.0, -1.0], warnings: floor(0.5) }
        );
        assert_eq!(s.affine(1.0, -2.0), Summary { n: 9, mean: 0.0, stderr: 0.5, ci95: [-1.0, 1.0], warnings: w });
    }

    #[test]
    fn tiny_samples_are_nan_not_panics() {
        assert!(Moments::default().summary().mean.is_nan());
        assert!(of(&[1.0]).summary().stderr.is_nan());
    }

    #[test]
    fn heavy_tails_are_shared_with_the_other_observables() {
        let light = sample(&exponential(1, 0, 2000)).summary();
        let heavy = |xi| Summary {
            warnings: Warnings { heavy_tail: Some(HeavyTail { xi, upper: true, source: None }), floor: None },
            ..light
        };
        let (mut a, mut b, mut c, mut d) = (light, heavy(1.5), heavy(2.5), light);
        share_heavy_tails(&mut [("a", &mut a), ("b", &mut b), ("c", &mut c), ("d", &mut d)]);
        assert_eq!(a.warnings.heavy_tail, Some(HeavyTail { xi: 2.5, upper: true, source: Some("c") }));
        assert_eq!(d.warnings.heavy_tail, a.warnings.heavy_tail);
        assert_eq!((b.warnings.heavy_tail.unwrap().source, c.warnings.heavy_tail.unwrap().source), (None, None));
        let json = serde_json::to_value(a).unwrap();
        let text = json["warnings"][0].as_str().unwrap();
        assert!(text.starts_with("heavy tail in c (the same trials"), "{text}");
        let (mut e, mut f) = (light, light);
        share_heavy_tails(&mut [("e", &mut e), ("f", &mut f)]);
        assert_eq!((e, f), (light, light));
        assert!(serde_json::to_value(light).unwrap().get("warnings").is_none(), "no warnings, no key");
    }
}
