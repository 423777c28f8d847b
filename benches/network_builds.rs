//! The network study's loop in each build this processor runs (AVX-512:
//! eight runs a block; AVX2: four; portable `[f64; 4]`) on the same work:
//! seed 003's Gauss-10 0% setting, 10^4 runs × 400 steps, m = 5, η = 0.1,
//! the train loss every 10 steps and the 10^4-point test set at t = 0 and
//! 400 — what `simsgd run li-gauss10 --trials 10000` trains, timed in-process
//! through `Study::run_on` on all cores (rayon's default), one run per build.
//! The builds give the same bits (`network::tests`), so only time differs.
//!
//! `SIMSGD_BENCH_QUICK=1` trains 1000 runs (a smoke test). On x86-64 the
//! portable build is 20–35x slower: without the FMA target feature each
//! exactly-rounded `mul_add` is a call into libm's `fma`. Run with
//! `cargo bench --bench network_builds`.

use simsgd::network::gauss_k::GaussK;
use simsgd::network::mlp::Mlp;
use simsgd::network::options::Options;
use simsgd::network::train::{Build, Study};
use std::time::Instant;

fn main() {
    let quick = std::env::var("SIMSGD_BENCH_QUICK").is_ok_and(|v| !v.is_empty() && v != "0");
    let runs: u64 = if quick { 1000 } else { 10_000 };
    let data = GaussK { test_points: 10_000, ..GaussK::paper(10, 0.0) }.generate().expect("Gauss-10");
    let mlp = Mlp::paper(10).expect("the paper's MLP");
    let options = Options { test_every: 400, ..Options::paper(0.1, 400) };
    let study = Study::new(&mlp, &data, options).expect("a valid study");
    println!("# the network loop's builds: Gauss-10 0%, {runs} runs x 400 steps, test set at 0 and 400");
    println!("- threads: {}", rayon::current_num_threads());
    for build in Build::available() {
        let start = Instant::now();
        study.run_on(build, 0..runs, &|_| {}).expect("the runs");
        let seconds = start.elapsed().as_secs_f64();
        println!("{build:?}: {seconds:.2} s, {:.3e} run-steps/s", runs as f64 * 400.0 / seconds);
    }
}
