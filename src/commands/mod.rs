//! The work behind each subcommand, one module each. `crate::cli` turns the
//! flags into these functions' inputs, calls one, and prints (or writes) the
//! report it returns: nothing here parses flags or writes to stdout.
//!
//! * [`run`]: simulate a spec, with predictions beside the means (or a
//!   shard of it);
//! * [`merge`]: the shards of a run merged into its report;
//! * [`predict`]: the theory's prediction and corollaries for a spec;
//! * [`stats`]: a landscape's statistics at a point, exact and estimated;
//! * [`landscapes`]: the listed landscapes;
//! * [`figure`]: the figures of the papers;
//! * [`study`]: the network study of seed 003 (`run mlp`, `run li-…`);
//! * [`theory`]: which prediction (order, re-summation) `run` and `predict` make.
//!
//! (`bench` is [`crate::bench`].)

pub mod figure;
pub mod landscapes;
pub mod merge;
pub mod predict;
pub mod run;
pub mod stats;
pub mod study;
pub mod theory;

#[cfg(test)]
mod tests {
    use super::{landscapes, predict, stats, theory};
    use crate::experiment::Spec;
    use crate::optimizer::Optimizer;
    use crate::theory::resum::Resum;
    use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};
    use std::fmt;

    /// Any JSON value whose objects' keys are in alphabetical order, at
    /// every level (the order `predict`, `stats` and `landscapes` have always
    /// printed).
    struct Sorted;

    impl<'de> Deserialize<'de> for Sorted {
        fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
            d.deserialize_any(SortedVisitor)
        }
    }

    struct SortedVisitor;

    impl<'de> Visitor<'de> for SortedVisitor {
        type Value = Sorted;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("JSON")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_str<E>(self, _: &str) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_unit<E>(self) -> Result<Sorted, E> {
            Ok(Sorted)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Sorted, A::Error> {
            while seq.next_element::<Sorted>()?.is_some() {}
            Ok(Sorted)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Sorted, A::Error> {
            let mut last: Option<String> = None;
            while let Some(key) = map.next_key::<String>()? {
                if let Some(previous) = last.filter(|p| *p >= key) {
                    return Err(de::Error::custom(format!("key \"{key}\" after \"{previous}\"")));
                }
                map.next_value::<Sorted>()?;
                last = Some(key);
            }
            Ok(Sorted)
        }
    }

    fn assert_sorted(json: &str) {
        if let Err(e) = serde_json::from_str::<Sorted>(json) {
            panic!("{e} in\n{json}");
        }
    }

    #[test]
    #[should_panic(expected = "key \"a\" after \"b\"")]
    fn unsorted_keys_are_caught() {
        assert_sorted(r#"{"z": [{"b": 1, "a": null}]}"#);
    }

    #[test]
    fn json_keys_are_alphabetical() {
        let series = theory::Options::default();
        let resummed = theory::Options { order: None, resum: Some(Resum::Exact) };
        let specs = [
            // Corollaries 1 and 5 (valley drift; SGD against SDE and ODE).
            (Spec { steps: Some(6), ..Spec::new("archimedes") }, series),
            // Corollary 4 (epochs, with the η² law).
            (Spec { train_size: Some(4), epochs: Some(3), ..Spec::new("shifting-valleys") }, series),
            // Corollary 2 (GD's gap).
            (Spec { optimizer: Optimizer::Gd, train_size: Some(5), ..Spec::new("mean-estimation") }, series),
            (Spec { steps: Some(30), ..Spec::new("archimedes") }, resummed),
        ];
        for (spec, options) in specs {
            assert_sorted(&predict::predict(spec, options, true).unwrap().to_json());
        }
        let request = stats::Request {
            landscape: "valley-of-death".into(),
            formula: None,
            params: vec![],
            at: None,
            estimate: Some(stats::Sampling { samples: 100, seed: 0 }),
        };
        assert_sorted(&stats::stats(&request).unwrap().to_json());
        assert_sorted(&landscapes::list().unwrap().to_json());
    }
}
