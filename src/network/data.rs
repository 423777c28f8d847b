//! Data sets of the network study: labelled points, label noise and
//! per-feature standardisation (seed 003, App. A.1).
//!
//! A [`Dataset`] is n points × d features (f64, row-major) with labels in
//! `0..k`. [`Data`] is what a study trains on: the training set with the
//! labels SGD sees (noisy where label noise is asked for), its clean labels,
//! an optional held-out test set with clean and noisy labels, and the
//! standardisation that was fitted on the training set and applied to both.

use crate::error::{usage, Result};
use crate::rng::{self, Stream};

/// n labelled points in d dimensions: `features[j * d + i]` is feature `i`
/// of point `j`, `labels[j]` its class in `0..classes`.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    d: usize,
    classes: usize,
    features: Vec<f64>,
    labels: Vec<u32>,
}

impl Dataset {
    /// A data set from row-major features and labels; a usage error unless
    /// there is at least one point and one feature, the features are finite
    /// and as many as `labels.len() * d`, `classes ≥ 2` and every label is
    /// below `classes`.
    pub fn new(d: usize, classes: usize, features: Vec<f64>, labels: Vec<u32>) -> Result<Self> {
        if classes < 2 {
            return Err(usage(format!("a data set needs at least 2 classes, not {classes}")));
        }
        if d == 0 || labels.is_empty() {
            return Err(usage("a data set needs at least one point and one feature"));
        }
        if features.len() != labels.len() * d {
            return Err(usage(format!(
                "{} features do not make {} points of {d} features",
                features.len(),
                labels.len()
            )));
        }
        if let Some(j) = features.iter().position(|x| !x.is_finite()) {
            return Err(usage(format!("feature {} of point {} is not finite", j % d, j / d)));
        }
        if let Some(j) = labels.iter().position(|&y| y as usize >= classes) {
            return Err(usage(format!("label {} of point {j} is not a class in 0..{classes}", labels[j])));
        }
        Ok(Dataset { d, classes, features, labels })
    }

    /// The number of points n.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Never true: a data set has at least one point (clippy's pair of [`Self::len`]).
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// The number of features d.
    pub fn dim(&self) -> usize {
        self.d
    }

    /// The number of classes k.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// All features, row-major (`[j * d + i]`).
    pub fn features(&self) -> &[f64] {
        &self.features
    }

    /// The features of point `j`.
    pub fn point(&self, j: usize) -> &[f64] {
        &self.features[j * self.d..(j + 1) * self.d]
    }

    /// All labels.
    pub fn labels(&self) -> &[u32] {
        &self.labels
    }

    /// How many points each class has.
    pub fn class_counts(&self) -> Vec<usize> {
        let mut counts = vec![0; self.classes];
        for &y in &self.labels {
            counts[y as usize] += 1;
        }
        counts
    }

    /// The same points with other labels (same length, each below `classes`).
    fn with_labels(&self, labels: Vec<u32>) -> Dataset {
        debug_assert!(labels.len() == self.len() && labels.iter().all(|&y| (y as usize) < self.classes));
        Dataset { labels, ..self.clone() }
    }
}

/// Which of a study's two sets a random stream is drawing (the counter's
/// trial slot in [`Stream::Features`] and [`Stream::Relabel`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Part {
    /// The training set.
    Train = 0,
    /// The held-out test set.
    Test = 1,
}

/// What label noise did to a set (App. A.1, after Zhang et al., ref. 80).
#[derive(Clone, Copy, Debug, PartialEq, serde::Serialize)]
pub struct LabelNoise {
    /// The rate r asked for.
    pub rate: f64,
    /// round(r·n): the points given a label drawn uniformly from the k classes.
    pub relabelled: usize,
    /// Those whose new label differs from the old one (in expectation
    /// (1 − 1/k) of the relabelled: a uniform draw can keep the true label).
    pub changed: usize,
}

/// Label noise at rate r on `labels` of `classes` classes: an exact count
/// round(r·n) of points, chosen uniformly without replacement (a partial
/// Fisher–Yates shuffle), each get a label drawn uniformly from all classes,
/// the words from [`Stream::Relabel`] of `(seed, part)`. The paper's "15% of
/// the labels of each class" is 1.5 points per class of 10 for Gauss-10, so
/// the count is over the whole set (15 of 100); see `LabelNoise::changed`.
pub fn add_label_noise(labels: &mut [u32], classes: usize, rate: f64, seed: u64, part: Part) -> Result<LabelNoise> {
    check_rate(rate)?;
    let n = labels.len();
    let relabelled = (rate * n as f64).round() as usize;
    let mut order: Vec<u32> = (0..n as u32).collect();
    let mut changed = 0;
    let word = |e: usize| rng::word(seed, part as u64, Stream::Relabel, e as u64);
    for j in 0..relabelled {
        let pick = j + rng::below(word(j), (n - j) as u32) as usize;
        order.swap(j, pick);
        let point = order[j] as usize;
        let label = rng::below(word(n + j), classes as u32);
        changed += usize::from(labels[point] != label);
        labels[point] = label;
    }
    Ok(LabelNoise { rate, relabelled, changed })
}

/// A usage error unless the label-noise rate is in [0, 1].
pub fn check_rate(rate: f64) -> Result<()> {
    if (0.0..=1.0).contains(&rate) {
        Ok(())
    } else {
        Err(usage(format!("the label-noise rate must be in [0, 1], not {rate}")))
    }
}

/// Per-feature standardisation x ↦ (x − mean)/sd fitted on a training set
/// (population sd, as scikit-learn's StandardScaler); a constant feature is
/// only centred (sd taken as 1).
#[derive(Clone, Debug, PartialEq)]
pub struct Standardization {
    /// Per-feature training mean.
    pub mean: Vec<f64>,
    /// Per-feature divisor: the training sd, or 1 where it is 0.
    pub scale: Vec<f64>,
}

impl Standardization {
    /// Fitted on `set`'s features.
    pub fn fit(set: &Dataset) -> Self {
        let (n, d) = (set.len() as f64, set.dim());
        let mut mean = vec![0.0; d];
        for j in 0..set.len() {
            for (m, x) in mean.iter_mut().zip(set.point(j)) {
                *m += x;
            }
        }
        mean.iter_mut().for_each(|m| *m /= n);
        let mut var = vec![0.0; d];
        for j in 0..set.len() {
            for ((v, x), m) in var.iter_mut().zip(set.point(j)).zip(&mean) {
                *v += (x - m) * (x - m);
            }
        }
        let scale = var.iter().map(|v| if *v > 0.0 { (v / n).sqrt() } else { 1.0 }).collect();
        Standardization { mean, scale }
    }

    /// Applies the transform to `set`'s features (same dimension).
    pub fn apply(&self, set: &mut Dataset) {
        assert_eq!(set.dim(), self.mean.len(), "standardisation of another dimension");
        for row in set.features.chunks_exact_mut(self.mean.len()) {
            for ((x, m), s) in row.iter_mut().zip(&self.mean).zip(&self.scale) {
                *x = (*x - m) / s;
            }
        }
    }
}

/// How [`Data::prepare`] turns raw sets into what a study trains on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Preparation {
    /// Label-noise rate r in [0, 1] for both sets ([`add_label_noise`]).
    pub label_noise: f64,
    /// Standardise features on the training set (the default; `false` keeps
    /// the raw features: `--raw-features`).
    pub standardize: bool,
    /// The data seed: keys the label noise (and, for Gauss-k, the points).
    pub seed: u64,
}

/// A held-out test set: its points with clean labels, and the same points
/// with label noise at the training set's rate.
#[derive(Clone, Debug, PartialEq)]
pub struct TestSet {
    /// The test points with their true labels.
    pub clean: Dataset,
    /// The same points, labels after noise at the training rate.
    pub noisy: Dataset,
    /// What the noise did to the test labels.
    pub noise: LabelNoise,
}

/// What a network study trains and tests on: one data set shared by all runs.
#[derive(Clone, Debug, PartialEq)]
pub struct Data {
    /// The training set with the labels SGD sees (after label noise).
    pub train: Dataset,
    /// The training labels before the noise.
    pub clean_labels: Vec<u32>,
    /// What the noise did to the training labels (`labels_changed` of the report).
    pub noise: LabelNoise,
    /// The held-out test set, if any.
    pub test: Option<TestSet>,
    /// The standardisation fitted on the training set and applied to both,
    /// if asked for.
    pub standardization: Option<Standardization>,
}

impl Data {
    /// Training and test sets (same dimension and classes) prepared: label
    /// noise at the same rate on both (streams of `(seed, Part)`), then, if
    /// asked, features standardised by the training set's statistics.
    pub fn prepare(mut train: Dataset, test: Option<Dataset>, prep: Preparation) -> Result<Self> {
        check_rate(prep.label_noise)?;
        if let Some(t) = &test {
            if (t.dim(), t.classes()) != (train.dim(), train.classes()) {
                return Err(usage(format!(
                    "the test set has {} features and {} classes, the training set {} and {}",
                    t.dim(),
                    t.classes(),
                    train.dim(),
                    train.classes()
                )));
            }
        }
        let standardization = prep.standardize.then(|| Standardization::fit(&train));
        let clean_labels = train.labels.clone();
        let noise = add_label_noise(&mut train.labels, train.classes, prep.label_noise, prep.seed, Part::Train)?;
        let test = match test {
            Some(mut clean) => {
                if let Some(s) = &standardization {
                    s.apply(&mut clean);
                }
                let mut labels = clean.labels.clone();
                let noise = add_label_noise(&mut labels, clean.classes, prep.label_noise, prep.seed, Part::Test)?;
                Some(TestSet { noisy: clean.with_labels(labels), clean, noise })
            }
            None => None,
        };
        if let Some(s) = &standardization {
            s.apply(&mut train);
        }
        Ok(Data { train, clean_labels, noise, test, standardization })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toy() -> Dataset {
        Dataset::new(2, 3, vec![1.0, 5.0, 2.0, 5.0, 3.0, 5.0, 6.0, 5.0], vec![0, 1, 2, 1]).unwrap()
    }

    #[test]
    fn datasets_refuse_bad_shapes() {
        let err = |r: Result<Dataset>| r.unwrap_err().to_string();
        assert_eq!(err(Dataset::new(2, 1, vec![0.0; 2], vec![0])), "a data set needs at least 2 classes, not 1");
        assert_eq!(err(Dataset::new(2, 2, vec![0.0; 3], vec![0, 1])), "3 features do not make 2 points of 2 features");
        assert_eq!(err(Dataset::new(1, 2, vec![0.0, f64::NAN], vec![0, 1])), "feature 0 of point 1 is not finite");
        assert_eq!(err(Dataset::new(1, 2, vec![0.0, 1.0], vec![0, 2])), "label 2 of point 1 is not a class in 0..2");
        assert_eq!(toy().class_counts(), [1, 2, 1]);
        assert_eq!(toy().point(2), [3.0, 5.0]);
    }

    #[test]
    fn standardization_fits_the_training_set_and_centres_constants() {
        let s = Standardization::fit(&toy());
        assert_eq!(s.mean, [3.0, 5.0]);
        // Population variance of 1, 2, 3, 6: (4 + 1 + 0 + 9) / 4 = 3.5.
        assert_eq!(s.scale, [3.5f64.sqrt(), 1.0]);
        let mut t = toy();
        s.apply(&mut t);
        assert_eq!(t.point(3), [3.0 / 3.5f64.sqrt(), 0.0]);
    }

    #[test]
    fn label_noise_relabels_an_exact_count() {
        let labels: Vec<u32> = (0..100).map(|j| j / 10).collect();
        for (rate, count) in [(0.0, 0), (0.15, 15), (0.2, 20), (0.155, 16), (1.0, 100)] {
            let mut noisy = labels.clone();
            let noise = add_label_noise(&mut noisy, 10, rate, 3, Part::Train).unwrap();
            let changed = noisy.iter().zip(&labels).filter(|(a, b)| a != b).count();
            assert_eq!((noise.relabelled, noise.changed), (count, changed));
            assert!(changed <= count);
        }
        // (1 − 1/k) of the relabelled change on average: 13.5 of 15 for k = 10.
        let mean = (0..400)
            .map(|seed| add_label_noise(&mut labels.clone(), 10, 0.15, seed, Part::Train).unwrap().changed)
            .sum::<usize>() as f64
            / 400.0;
        // Binomial(15, 0.9) per seed: sd 1.16, SE over 400 seeds 0.058.
        assert!((mean - 13.5).abs() < 0.25, "{mean}");
        let err = add_label_noise(&mut [0], 2, 1.5, 0, Part::Train).unwrap_err();
        assert_eq!(err.to_string(), "the label-noise rate must be in [0, 1], not 1.5");
    }

    #[test]
    fn prepare_standardizes_both_sets_by_the_training_statistics() {
        let prep = Preparation { label_noise: 0.5, standardize: true, seed: 9 };
        let data = Data::prepare(toy(), Some(toy()), prep).unwrap();
        let test = data.test.as_ref().unwrap();
        assert_eq!(test.clean.features(), data.train.features());
        assert_eq!(test.clean.labels(), toy().labels());
        assert_eq!(data.clean_labels, toy().labels());
        assert_eq!((data.noise.relabelled, test.noise.relabelled), (2, 2));
        let raw = Data::prepare(toy(), None, Preparation { standardize: false, ..prep }).unwrap();
        assert_eq!((raw.train.features(), raw.standardization), (toy().features(), None));
        let other = Dataset::new(3, 3, vec![0.0; 3], vec![0]).unwrap();
        let err = Data::prepare(toy(), Some(other), prep).unwrap_err();
        assert_eq!(err.to_string(), "the test set has 3 features and 3 classes, the training set 2 and 3");
    }
}
