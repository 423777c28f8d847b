//! Sweeps: a numeric flag's values as one number, a list (`0.01,0.02,0.05`)
//! or a range (`0.01..0.2:log:8`, `0.05..0.25:lin:5`; for whole numbers
//! also `1..5`, every one of them), and the seed stream of each point of the
//! Cartesian grid the flags span.

use crate::experiment::Spec;
use crate::rng;
use std::fmt::Display;
use std::str::FromStr;

/// The values a numeric flag takes, in the order given (at least one).
#[derive(Clone, Debug, PartialEq)]
pub struct Values<T>(pub Vec<T>);

impl<T: Copy> Values<T> {
    /// The one value, or `None` for a list or range of several.
    pub fn single(&self) -> Option<T> {
        match self.0[..] {
            [one] => Some(one),
            _ => None,
        }
    }
}

/// Most points one range expands to.
pub const MAX_POINTS: usize = 10_000;

/// A number of type `T`, with the error clap shows after "invalid value".
fn number<T: FromStr>(s: &str) -> Result<T, String>
where
    T::Err: Display,
{
    let s = s.trim_matches(' ');
    s.parse::<T>().map_err(|e| format!("'{s}' is not a number of this flag ({e})"))
}

/// A range's words: `lo..hi[:lin|:log][:n]`.
type RangeParts<'a> = (&'a str, &'a str, Option<&'a str>, Option<&'a str>);

/// `s` split into a range's words; `None` when `s` is no range.
fn range_parts(s: &str) -> Option<Result<RangeParts<'_>, String>> {
    let (lo, rest) = s.split_once("..")?;
    let mut parts = rest.split(':');
    let hi = parts.next().unwrap_or_default();
    let (spacing, n) = match (parts.next(), parts.next(), parts.next()) {
        (None, _, _) => (None, None),
        (Some(k @ ("lin" | "log")), n, None) => (Some(k), n),
        (Some(n), None, _) => (None, Some(n)),
        _ => return Some(Err(format!("'{s}' is not a range: expected LO..HI:lin:N or LO..HI:log:N"))),
    };
    Some(Ok((lo, hi, spacing, n)))
}

/// `n` points from `lo` to `hi`, evenly spaced on a linear or log scale.
fn spaced(lo: f64, hi: f64, log: bool, n: usize) -> Result<Vec<f64>, String> {
    if !(lo.is_finite() && hi.is_finite()) {
        return Err("a range's ends must be finite".into());
    }
    if log && (lo <= 0.0 || hi <= 0.0) {
        return Err(format!("a log range needs positive ends, got {lo}..{hi}"));
    }
    if n == 1 {
        return if lo == hi { Ok(vec![lo]) } else { Err("a range of 1 point needs equal ends".into()) };
    }
    let (a, b) = if log { (lo.ln(), hi.ln()) } else { (lo, hi) };
    Ok((0..n)
        .map(|i| match i {
            0 => lo,
            i if i + 1 == n => hi,
            i => {
                let x = a + (b - a) * i as f64 / (n - 1) as f64;
                round12(if log { x.exp() } else { x })
            }
        })
        .collect())
}

/// `x` to 12 significant digits: 0.15, not 0.15000000000000002.
fn round12(x: f64) -> f64 {
    format!("{x:.11e}").parse().unwrap_or(x)
}

/// A real flag's values (clap's value parser): `x`, `a,b,c` or
/// `lo..hi:lin:n`, `lo..hi:log:n` (`lo..hi:n` is linear).
pub fn reals(s: &str) -> Result<Values<f64>, String> {
    let values = match range_parts(s) {
        None => s.split(',').map(number::<f64>).collect::<Result<Vec<_>, _>>()?,
        Some(parts) => {
            let (lo, hi, spacing, n) = parts?;
            let n = n.ok_or_else(|| format!("'{s}': give the number of points, e.g. {lo}..{hi}:lin:5"))?;
            spaced(number(lo)?, number(hi)?, spacing == Some("log"), count(n)?)?
        }
    };
    Ok(Values(values))
}

/// The number of points of a range: 1 to [`MAX_POINTS`].
fn count(n: &str) -> Result<usize, String> {
    match n.trim().parse::<usize>() {
        Ok(n) if (1..=MAX_POINTS).contains(&n) => Ok(n),
        _ => Err(format!("a range's number of points is 1 to {MAX_POINTS}, got '{n}'")),
    }
}

/// A whole-number flag's values (clap's value parser): `k`, `a,b,c`,
/// `lo..hi` (each whole number), or `lo..hi:lin:n` and `lo..hi:log:n`
/// rounded to whole numbers (repeats dropped).
pub fn whole<T>(s: &str) -> Result<Values<T>, String>
where
    T: FromStr + Copy + PartialEq + TryFrom<u64> + TryInto<u64>,
    T::Err: Display,
{
    let wide = |x: T| x.try_into().map_err(|_| "out of range".to_string());
    let Some(parts) = range_parts(s) else {
        return Ok(Values(s.split(',').map(number::<T>).collect::<Result<Vec<_>, _>>()?));
    };
    let (lo, hi, spacing, n) = parts?;
    let (lo, hi) = (wide(number::<T>(lo)?)?, wide(number::<T>(hi)?)?);
    let raw: Vec<u64> = match (spacing, n) {
        (None, None) if lo <= hi && hi - lo < MAX_POINTS as u64 => (lo..=hi).collect(),
        (None, None) => return Err(format!("'{s}' is not a range of 1 to {MAX_POINTS} whole numbers")),
        (spacing, Some(n)) => spaced(lo as f64, hi as f64, spacing == Some("log"), count(n)?)?
            .into_iter()
            .map(|x| x.round() as u64)
            .collect(),
        (Some(_), None) => return Err(format!("'{s}': give the number of points, e.g. {lo}..{hi}:log:5")),
    };
    let mut out: Vec<T> = Vec::new();
    for x in raw {
        let x = T::try_from(x).map_err(|_| format!("{x} is out of range"))?;
        if !out.contains(&x) {
            out.push(x);
        }
    }
    Ok(Values(out))
}

/// The seed of a sweep's point (< 2⁵³): Philox keyed by `seed` on an FNV-1a hash of
/// the point's `label` (its swept flags and values, e.g. `eta=0.05`), so
/// that each point has its own stream, the same in every sweep that has it.
pub fn point_seed(seed: u64, label: &str) -> u64 {
    let h = label.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| (h ^ b as u64).wrapping_mul(0x0000_0100_0000_01b3));
    // "SWEP" marks the counter as a sweep's, apart from the trials' streams.
    let w = rng::philox4x32_10([h as u32, (h >> 32) as u32, 0, 0x5357_4550], rng::key(seed));
    // 53 bits, so that JSON readers that hold numbers as doubles keep it exact.
    (w[0] as u64 | (w[1] as u64) << 32) & ((1 << 53) - 1)
}

/// Sets the swept flag `axis` (as [`crate::cli::SetupArgs::axes`] names
/// it: `eta`, `steps`, `train_size`, …, or a parameter's name) to `value`.
pub fn set(spec: &mut Spec, axis: &str, value: f64) {
    match axis {
        "eta" => spec.eta = value,
        "steps" => spec.steps = Some(value as usize),
        "train_size" => spec.train_size = Some(value as usize),
        "batch" => spec.batch = Some(value as usize),
        "epochs" => spec.epochs = Some(value as usize),
        "substeps" => spec.substeps = value as u32,
        "beta" => spec.beta = Some(value),
        "lambda" => spec.lambda = Some(value),
        param => {
            spec.params.retain(|(name, _)| name != param);
            spec.params.push((param.to_string(), value));
        }
    }
}

/// The Cartesian grid of `axes` ((name, values) each), the first axis
/// slowest: each point's values in the axes' order.
pub fn grid(axes: &[(String, Vec<f64>)]) -> Vec<Vec<f64>> {
    axes.iter().fold(vec![Vec::new()], |points, (_, values)| {
        points.iter().flat_map(|p| values.iter().map(move |v| p.iter().copied().chain([*v]).collect())).collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lists_and_ranges_expand() {
        assert_eq!(reals("0.1").unwrap().0, [0.1]);
        assert_eq!(reals("0.01,0.02,0.05").unwrap().0, [0.01, 0.02, 0.05]);
        let lin = reals("0.05..0.25:lin:5").unwrap().0;
        assert_eq!(lin.len(), 5);
        for (x, want) in lin.iter().zip([0.05, 0.1, 0.15, 0.2, 0.25]) {
            assert!((x - want).abs() < 1e-15, "{lin:?}");
        }
        // The ends are exactly the given numbers; log points are geometric.
        let log = reals("0.01..1:log:3").unwrap().0;
        assert!(log[0] == 0.01 && log[2] == 1.0 && (log[1] - 0.1).abs() < 1e-15, "{log:?}");
        assert_eq!(reals("1..2:3").unwrap().0, [1.0, 1.5, 2.0]);
        assert_eq!(reals("0.05..0.25:lin:5").unwrap().0, [0.05, 0.1, 0.15, 0.2, 0.25]);
        assert_eq!(whole::<usize>("1..4").unwrap().0, [1, 2, 3, 4]);
        assert_eq!(whole::<usize>("1,2,5").unwrap().0, [1, 2, 5]);
        assert_eq!(whole::<usize>("1..100:log:3").unwrap().0, [1, 10, 100]);
        assert_eq!(whole::<usize>("1..3:log:6").unwrap().0, [1, 2, 3]);
        assert_eq!(whole::<u32>("7").unwrap().single(), Some(7));
    }

    #[test]
    fn malformed_sweeps_are_refused() {
        for bad in
            ["abc", "0.1,x", "0.01..0.2", "0.01..0.2:log", "0..1:log:3", "1..2:cubic:3", "1..2:lin:0", "1..inf:3"]
        {
            assert!(reals(bad).is_err(), "{bad}");
        }
        for bad in ["1.5", "-1", "5..1", "0..20000", "1..10:log", "1..2:lin:x"] {
            assert!(whole::<usize>(bad).is_err(), "{bad}");
        }
        assert!(whole::<u32>("4294967296").is_err());
    }

    #[test]
    fn grids_and_seeds() {
        let axes = vec![("eta".to_string(), vec![0.1, 0.2]), ("batch".to_string(), vec![1.0, 2.0, 5.0])];
        let g = grid(&axes);
        assert_eq!(g.len(), 6);
        assert_eq!(g[0], [0.1, 1.0]);
        assert_eq!(g[1], [0.1, 2.0]);
        assert_eq!(g[5], [0.2, 5.0]);
        assert_eq!(grid(&[]), vec![Vec::<f64>::new()]);
        // Distinct, reproducible, and keyed by the base seed.
        let s = |seed, l| point_seed(seed, l);
        assert_eq!(s(0, "eta=0.1"), s(0, "eta=0.1"));
        assert_ne!(s(0, "eta=0.1"), s(0, "eta=0.2"));
        assert_ne!(s(0, "eta=0.1"), s(1, "eta=0.1"));
    }
}
