//! Gauss-k: k isotropic Gaussian blobs (seed 003, App. A.1 and Table 2).
//!
//! scikit-learn's `make_blobs` conventions, which the paper cites as its
//! setting: class centres uniform in [−10, 10]^d, unit isotropic covariance,
//! n points split as equally as possible over the k classes (the first
//! n mod k classes get one more). The random numbers are not numpy's: every
//! value comes from the data seed through [`crate::rng`] ([`Stream::Centres`]
//! and [`Stream::Features`]), so one seed gives one data set on any machine.
//! Points are stored class by class (training draws them by index, so their
//! order does not matter).

use super::data::{Data, Dataset, Part, Preparation};
use crate::error::{usage, Result};
use crate::rng::{self, Stream};

/// A Gauss-k data set's specification: the training set, the held-out test
/// set drawn from the same mixture, label noise and scaling.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GaussK {
    /// Training points n (the paper: 100).
    pub n: usize,
    /// Features d (the paper: 50).
    pub d: usize,
    /// Classes k (the paper: 2 and 10).
    pub classes: usize,
    /// Label-noise rate r in [0, 1] (the paper: 0 and 20% for k = 2, 0 and 15% for k = 10).
    pub label_noise: f64,
    /// Test points drawn from the same mixture (0: no test set).
    pub test_points: usize,
    /// Standardise the features on the training set (see [`Preparation::standardize`]).
    pub standardize: bool,
    /// The data seed (`--data-seed`): centres, points and label noise.
    pub seed: u64,
}

/// Bound of the centre box [−CENTRE_BOX, CENTRE_BOX]^d (make_blobs' `center_box`).
pub const CENTRE_BOX: f64 = 10.0;

/// Test points by default: enough that the test loss's own sampling error is
/// small beside the spread over runs.
pub const DEFAULT_TEST_POINTS: usize = 10_000;

impl GaussK {
    /// The paper's Gauss-k with `classes` classes and label-noise rate
    /// `label_noise`: n = 100, d = 50, a test set of [`DEFAULT_TEST_POINTS`],
    /// standardised features, data seed 0.
    pub fn paper(classes: usize, label_noise: f64) -> Self {
        GaussK { n: 100, d: 50, classes, label_noise, test_points: DEFAULT_TEST_POINTS, standardize: true, seed: 0 }
    }

    /// A usage error unless k ≥ 2, n ≥ k (every class has a point), d ≥ 1
    /// and r ∈ [0, 1].
    pub fn validate(&self) -> Result<()> {
        if self.classes < 2 {
            return Err(usage(format!("--classes must be at least 2, not {}", self.classes)));
        }
        if self.n < self.classes {
            return Err(usage(format!("{} points cannot fill {} classes", self.n, self.classes)));
        }
        if self.d == 0 {
            return Err(usage("Gauss-k needs at least one feature"));
        }
        super::data::check_rate(self.label_noise)
    }

    /// The class centres, `centres[c * d + i]`, uniform in [−10, 10] at
    /// 32-bit resolution.
    pub fn centres(&self) -> Vec<f64> {
        (0..(self.classes * self.d) as u64)
            .map(|e| {
                let u = (rng::word(self.seed, 0, Stream::Centres, e) as f64 + 0.5) / 4_294_967_296.0;
                CENTRE_BOX * (2.0 * u - 1.0)
            })
            .collect()
    }

    /// `points` points of the mixture, class by class, drawn for `part`.
    fn blobs(&self, centres: &[f64], points: usize, part: Part) -> Result<Dataset> {
        let (k, d) = (self.classes, self.d);
        let labels: Vec<u32> = (0..k).flat_map(|c| std::iter::repeat_n(c as u32, class_size(points, k, c))).collect();
        let mut features = vec![0.0; points * d];
        for (e, x) in features.iter_mut().enumerate() {
            let c = labels[e / d] as usize;
            *x = centres[c * d + e % d] + rng::normal(self.seed, part as u64, Stream::Features, e as u64);
        }
        Dataset::new(d, k, features, labels)
    }

    /// The training and test sets, noised and scaled ([`Data::prepare`]).
    pub fn generate(&self) -> Result<Data> {
        self.validate()?;
        let centres = self.centres();
        let train = self.blobs(&centres, self.n, Part::Train)?;
        let test = match self.test_points {
            0 => None,
            t => Some(self.blobs(&centres, t, Part::Test)?),
        };
        let prep = Preparation { label_noise: self.label_noise, standardize: self.standardize, seed: self.seed };
        Data::prepare(train, test, prep)
    }
}

/// Points of class `c` when `n` points are split over `k` classes as
/// make_blobs does: n / k each, one more for the first n mod k.
pub fn class_size(n: usize, k: usize, c: usize) -> usize {
    n / k + usize::from(c < n % k)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stats(values: impl Iterator<Item = f64>) -> (f64, f64) {
        let v: Vec<f64> = values.collect();
        let mean = v.iter().sum::<f64>() / v.len() as f64;
        (mean, v.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / v.len() as f64)
    }

    #[test]
    fn classes_are_equal_and_noise_exact() {
        for (k, r, per_class, relabelled) in [(2, 0.2, 50, 20), (10, 0.15, 10, 15), (10, 0.0, 10, 0)] {
            let data = GaussK { test_points: 1000, ..GaussK::paper(k, r) }.generate().unwrap();
            let counts = Dataset::new(50, k, data.train.features().to_vec(), data.clean_labels.clone()).unwrap();
            assert_eq!(counts.class_counts(), vec![per_class; k]);
            assert_eq!(data.noise.relabelled, relabelled);
            let changed = data.clean_labels.iter().zip(data.train.labels()).filter(|(a, b)| a != b).count();
            assert_eq!(data.noise.changed, changed);
            let test = data.test.unwrap();
            assert_eq!(test.clean.class_counts(), vec![1000 / k; k]);
            assert_eq!(test.noise.relabelled, (r * 1000.0).round() as usize);
        }
        assert_eq!((0..3).map(|c| class_size(10, 3, c)).collect::<Vec<_>>(), [4, 3, 3]);
    }

    #[test]
    fn standardised_training_features_have_mean_0_and_variance_1() {
        let data = GaussK::paper(10, 0.15).generate().unwrap();
        let (train, test) = (&data.train, &data.test.unwrap().clean);
        for i in 0..50 {
            let (mean, var) = stats((0..100).map(|j| train.point(j)[i]));
            assert!(mean.abs() < 1e-14 && (var - 1.0).abs() < 1e-13, "feature {i}: {mean} {var}");
            // The test set, scaled by the training statistics, is near them
            // (10 per class in training against 1000 in the test set).
            let (mean, var) = stats((0..test.len()).map(|j| test.point(j)[i]));
            assert!(mean.abs() < 0.3 && (var - 1.0).abs() < 0.3, "test feature {i}: {mean} {var}");
        }
    }

    #[test]
    fn raw_points_scatter_unit_normals_around_centres_in_the_box() {
        let spec = GaussK { standardize: false, test_points: 0, ..GaussK::paper(10, 0.0) };
        let (data, centres) = (spec.generate().unwrap(), spec.centres());
        assert!(centres.iter().all(|c| c.abs() < CENTRE_BOX));
        // Uniform on [−10, 10]: mean 0, variance 100/3; 500 values.
        let (mean, var) = stats(centres.iter().copied());
        assert!(mean.abs() < 4.0 * (100.0 / 3.0 / 500.0f64).sqrt() && (var / (100.0 / 3.0) - 1.0).abs() < 0.15);
        let offsets = (0..100 * 50)
            .map(|e| data.train.features()[e] - centres[data.train.labels()[e / 50] as usize * 50 + e % 50]);
        let (mean, var) = stats(offsets);
        // 5000 unit normals: SE of the mean 0.014, of the variance 0.02.
        assert!(mean.abs() < 0.06 && (var - 1.0).abs() < 0.08, "{mean} {var}");
        // The literal setting's scale: |x| ≈ sqrt(50 (1 + 100/3)) ≈ 41.
        let norm = (0..100).map(|j| data.train.point(j).iter().map(|x| x * x).sum::<f64>().sqrt()).sum::<f64>() / 100.0;
        assert!((norm - 41.4).abs() < 4.0, "{norm}");
        // Another seed, another data set; the same seed, the same.
        assert_ne!(GaussK { seed: 1, ..spec }.centres(), centres);
        assert_eq!(spec.generate().unwrap(), data);
    }

    #[test]
    fn bad_specifications_are_usage_errors() {
        let err = |g: GaussK| g.generate().unwrap_err().to_string();
        assert_eq!(err(GaussK::paper(1, 0.0)), "--classes must be at least 2, not 1");
        assert_eq!(err(GaussK { n: 5, ..GaussK::paper(10, 0.0) }), "5 points cannot fill 10 classes");
        assert_eq!(err(GaussK::paper(2, -0.1)), "the label-noise rate must be in [0, 1], not -0.1");
    }
}
