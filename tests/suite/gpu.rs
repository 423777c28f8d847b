//! The GPU backend against the CPU reference: the same random words, the same
//! per-trial trajectories to f32 rounding, the same statistics.
//!
//! Without an adapter these tests skip with a printed reason; with
//! `SIMSGD_REQUIRE_GPU=1` (as CI sets, with lavapipe installed) they fail.

use crate::common;

use common::resolve;
use simsgd::backend::driver;
use simsgd::backend::gpu::shader::Multiply;
use simsgd::backend::gpu::{probe, GpuSimulator};
use simsgd::experiment::Spec;
use simsgd::optimizer::Optimizer;
use simsgd::rng::{self, Stream};

fn gpu() -> Option<GpuSimulator> {
    match GpuSimulator::open() {
        Ok(g) => Some(g),
        Err(e) if std::env::var("SIMSGD_REQUIRE_GPU").is_ok_and(|v| v == "1") => {
            panic!("SIMSGD_REQUIRE_GPU=1 but no GPU adapter opened: {e}")
        }
        Err(e) => {
            eprintln!("skipped: no GPU adapter ({e})");
            None
        }
    }
}

/// Both ways of forming Philox's products that the adapter can run (the
/// emulated one always; the native 64-bit one where it has SHADER_INT64, as
/// lavapipe does) give the CPU's words bit for bit.
#[test]
fn philox_words_are_identical_and_normals_agree() {
    let Some(gpu) = gpu() else { return };
    let device = gpu.device();
    let ways: &[Multiply] = match device.multiply() {
        Multiply::Native => &[Multiply::Native, Multiply::Emulated],
        Multiply::Emulated => &[Multiply::Emulated],
    };
    for &multiply in ways {
        // Random123's known answer for counter 0, key 0 (block 0 of trial 0, data, seed 0).
        let kat = probe::rng_blocks(device, multiply, 0, 0, Stream::Data, 1).unwrap();
        assert_eq!(kat.words[0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8], "{multiply:?}");
        for (seed, trial, stream) in
            [(0u64, 0u32, Stream::Data), (0xDEAD_BEEF_1234_5678, 77, Stream::Noise), (5, u32::MAX, Stream::Shuffle)]
        {
            let blocks = probe::rng_blocks(device, multiply, seed, trial, stream, 4096).unwrap();
            for (b, (w, z)) in blocks.words.iter().zip(&blocks.normals).enumerate() {
                let cpu = rng::block(seed, trial as u64, stream, b as u32);
                assert_eq!(*w, cpu, "{multiply:?} block {b}");
                let want = rng::normals4(cpu);
                for j in 0..4 {
                    let err = (z[j] as f64 - want[j]).abs();
                    assert!(err <= 4e-7 * want[j].abs().max(1.0), "block {b} normal {j}: {} vs {}", z[j], want[j]);
                }
            }
        }
    }
}

/// Every registered landscape (at its `STABLE_ETA`, its parameters moved off
/// their defaults so that a swapped slot shows) and optimizer: per-trial θ_T,
/// test and train loss equal the CPU's to f32 rounding (relative 2e-4 after 10
/// steps; documented in docs/ARCHITECTURE.md), and both backends flag the same
/// trials as diverged.
#[test]
fn trials_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let base = Spec { steps: Some(10), ..Spec::default() };
    let grids = [
        base.clone(),
        Spec { steps: None, train_size: Some(6), batch: Some(2), epochs: Some(3), shuffle: true, ..Spec::default() },
        Spec { steps: None, train_size: Some(9), batch: Some(3), epochs: Some(2), ..Spec::default() },
        // No step: the train loss replays the training set instead of summing epoch 0's weights.
        Spec { steps: Some(0), train_size: Some(7), ..Spec::default() },
        Spec { optimizer: Optimizer::Gd, train_size: Some(10), ..base.clone() },
        Spec { optimizer: Optimizer::Sde, substeps: 4, ..base.clone() },
        Spec { optimizer: Optimizer::Ode, substeps: 4, ..base.clone() },
    ];
    for name in simsgd::landscape::AnyLandscape::NAMES {
        let d = simsgd::landscape::AnyLandscape::from_name(name, &[]).unwrap().describe();
        let params: Vec<(String, f64)> = d
            .params
            .iter()
            .enumerate()
            .map(|(i, (p, v))| (p.name.to_string(), v + if i % 2 == 0 { -0.3 } else { 0.3 }))
            .collect();
        for grid in &grids {
            let spec = Spec {
                landscape: name.to_string(),
                params: params.clone(),
                eta: d.stable_eta,
                seed: 12,
                ..grid.clone()
            };
            let flags = spec.command_line();
            let exp = resolve(&spec);
            let cpu = common::trials(&exp, &exp.plan, 1000..1300);
            let dev = driver::trials(&gpu, &exp, &exp.plan, 1000..1300).unwrap();
            for (i, (c, g)) in cpu.iter().zip(&dev).enumerate() {
                assert_eq!(c.diverged, g.diverged, "{name} {flags} trial {i}: divergence");
                if c.diverged {
                    continue;
                }
                let close = |a: f64, b: f64| (a - b).abs() <= 2e-4 * (1.0 + b.abs());
                for d in 0..c.theta.len() {
                    assert!(
                        close(g.theta[d], c.theta[d]),
                        "{name} {flags} trial {i}: θ{d} {} vs {}",
                        g.theta[d],
                        c.theta[d]
                    );
                }
                assert!(
                    close(g.test_loss, c.test_loss),
                    "{name} {flags} trial {i}: test {} vs {}",
                    g.test_loss,
                    c.test_loss
                );
                assert!(
                    close(g.train_loss, c.train_loss),
                    "{name} {flags} trial {i}: train {} vs {}",
                    g.train_loss,
                    c.train_loss
                );
            }
        }
    }
}

#[test]
fn gauss_million_trials_cover_the_closed_form() {
    let Some(gpu) = gpu() else { return };
    let exp = resolve(&Spec { trials: 1_000_000, ..Spec::new("gauss") });
    let out = driver::run(&gpu, &exp, &simsgd::progress::Progress::hidden()).unwrap();
    let exact = 0.5 * 0.05f64.exp() / 1.1f64.sqrt();
    let s = out.primary.test_loss.summary();
    assert!(s.covers(exact), "CI {:?} misses {exact}", s.ci95);
    assert_eq!(s.n, 1_000_000);
}

/// At small η the spread of the test loss over trials (SE 1e-9 at 2·10⁵
/// trials, η = 0.001) is far below f32's resolution of a loss near ½
/// (3e-8): the test loss is computed from θ in f64 on the host, so the mean
/// still sits within 5 SE of the closed form ½·e^(η/2)/√(1+η). (An f32
/// quadrature on the device was off by 10 SE.)
#[test]
fn gauss_test_loss_is_not_limited_by_f32() {
    let Some(gpu) = gpu() else { return };
    let eta: f64 = 0.001;
    let exp = resolve(&Spec { trials: 200_000, eta, ..Spec::new("gauss") });
    let out = driver::run(&gpu, &exp, &simsgd::progress::Progress::hidden()).unwrap();
    let exact = 0.5 * (eta / 2.0).exp() / (1.0 + eta).sqrt();
    let s = out.primary.test_loss.summary();
    assert!(s.stderr < 2e-9 && s.z(exact).abs() < 5.0, "mean {} SE {} vs {exact}", s.mean, s.stderr);
}

/// Curves reduced on the device, compare runs and divergence counts agree
/// with the CPU's statistics.
#[test]
fn statistics_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let paired = Spec { trials: 20000, ..Spec::default() };
    for spec in [
        Spec {
            steps: Some(40),
            record_every: Some(7),
            compare: Some(Optimizer::Sde),
            substeps: 2,
            ..Spec { landscape: "archimedes".into(), ..paired.clone() }
        },
        Spec {
            record_every: Some(3),
            train_size: Some(10),
            batch: Some(2),
            epochs: Some(2),
            shuffle: true,
            compare: Some(Optimizer::Gd),
            ..Spec { landscape: "shifting-valleys".into(), ..paired.clone() }
        },
        Spec {
            eta: 0.002,
            record_every: Some(5),
            compare: Some(Optimizer::Ode),
            substeps: 3,
            ..Spec { landscape: "valley-of-death".into(), ..paired.clone() }
        },
    ] {
        let exp = resolve(&spec);
        let flags = spec.command_line();
        let hidden = simsgd::progress::Progress::hidden();
        let c = common::run(&exp);
        let g = driver::run(&gpu, &exp, &hidden).unwrap();
        let tallies = |o: &simsgd::observables::Outcome| {
            let (t, p) = o.compare.clone().unwrap();
            (o.primary.clone(), t, p)
        };
        let (ca, cb, cp) = tallies(&c);
        let (ga, gb, gp) = tallies(&g);
        for (ct, gt) in [(&ca, &ga), (&cb, &gb)] {
            // Diverged counts may differ by trials that sit at the threshold in f32.
            assert!(
                ct.diverged.abs_diff(gt.diverged) <= ct.diverged / 100 + 2,
                "{flags}: diverged {} vs {}",
                ct.diverged,
                gt.diverged
            );
            // Means agree to 1e-3, or within half a standard error where a few
            // heavy-tailed trials near the divergence threshold (chaotic, so
            // f32 and f64 part ways) dominate them.
            let close = |a: &simsgd::stats::Moments, b: &simsgd::stats::Moments| {
                let tol = (1e-3 * (1.0 + b.mean.abs())).max(0.5 * b.stderr());
                (a.mean - b.mean).abs() <= tol && a.n.abs_diff(b.n) <= b.n / 100 + 2
            };
            assert!(close(&gt.test_loss, &ct.test_loss), "{flags}: test {:?} vs {:?}", gt.test_loss, ct.test_loss);
            assert!(close(&gt.gen_gap, &ct.gen_gap), "{flags}: gap {:?} vs {:?}", gt.gen_gap, ct.gen_gap);
            assert_eq!(gt.curve.len(), ct.curve.len());
            for (gc, cc) in gt.curve.iter().zip(&ct.curve) {
                assert_eq!(gc.step, cc.step);
                assert!(
                    close(&gc.test_loss, &cc.test_loss),
                    "{flags}: curve at {}: {:?} vs {:?}",
                    gc.step,
                    gc.test_loss,
                    cc.test_loss
                );
                for (a, b) in gc.theta.iter().zip(&cc.theta) {
                    assert!(close(a, b), "{flags}: θ curve at {}: {a:?} vs {b:?}", gc.step);
                }
            }
            // The drift estimators, accumulated per trial on the device: the
            // same trials, so far closer than their standard error.
            assert_eq!(
                gt.drift.is_some(),
                !spec.landscape.starts_with("valley"),
                "{flags}: two late records are too few"
            );
            assert_eq!(ct.drift.is_some(), gt.drift.is_some(), "{flags}");
            let Some((gd, cd)) = gt.drift.as_ref().zip(ct.drift.as_ref()) else { continue };
            // The conditional step: one-epoch SGD only (Archimedes' primary).
            let fresh = std::ptr::eq(ct, &ca) && spec.landscape == "archimedes";
            assert_eq!((gd.step.len(), cd.step.len()), (cd.slope.len() * fresh as usize, gd.step.len()), "{flags}");
            for (a, b) in gd.slope.iter().zip(&cd.slope).chain(gd.step.iter().zip(&cd.step)) {
                let tol = 0.05 * b.stderr() + 1e-4 * b.mean.abs();
                assert!((a.mean - b.mean).abs() <= tol && a.n == b.n, "{flags}: drift {a:?} vs {b:?}");
            }
        }
        assert!((gp.test_loss_diff.mean - cp.test_loss_diff.mean).abs() <= 1e-3 * (1.0 + cp.test_loss_diff.mean.abs()));
    }
}

/// Valley of Death at η = 0.01, where a third of the trials blow up: both
/// backends count the same divergences. (Past the threshold the trajectories
/// are chaotic, so their values are compared only where they stay bounded.)
#[test]
fn divergences_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let exp = resolve(&Spec { eta: 0.01, trials: 20000, ..Spec::new("valley-of-death") });
    let hidden = simsgd::progress::Progress::hidden();
    let c = common::run(&exp).primary;
    let g = driver::run(&gpu, &exp, &hidden).unwrap().primary;
    assert!(c.diverged > 5000, "{}", c.diverged);
    assert!(c.diverged.abs_diff(g.diverged) <= c.diverged / 200, "diverged {} vs {}", c.diverged, g.diverged);
    // f32 overflows to inf sooner than f64: more of the diverged trials end non-finite.
    assert!(
        g.diverged_nonfinite >= c.diverged_nonfinite * 9 / 10,
        "{} vs {}",
        g.diverged_nonfinite,
        c.diverged_nonfinite
    );
}

/// `--backend gpu` end to end: the report names the backend and the adapter.
#[test]
fn cli_runs_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simsgd"))
        .args(["run", "archimedes", "--backend", "gpu", "--trials", "3000", "--record-every", "5", "--json", "-q"])
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["backend"], "gpu");
    assert!(v["adapter"].as_str().unwrap().contains(gpu.device().name()));
    assert_eq!(v["curve"].as_array().unwrap().len(), 3);
}

/// More than 65535 workgroups in one chunk: the 2-D dispatch reaches every
/// trial, the last ones included.
#[test]
fn two_dimensional_dispatch_covers_every_trial() {
    let Some(gpu) = gpu() else { return };
    let trials = 4_200_000; // 65625 workgroups of 64
    let exp = resolve(&Spec { trials, ..Spec::new("gauss") });
    let dev = driver::trials(&gpu, &exp, &exp.plan, 0..trials).unwrap();
    assert_eq!(dev.len(), trials as usize);
    for range in [0..300, trials - 300..trials] {
        let cpu = common::trials(&exp, &exp.plan, range.clone());
        for (c, g) in cpu.iter().zip(&dev[range.start as usize..range.end as usize]) {
            assert!(
                (c.theta[0] - g.theta[0]).abs() <= 1e-6 * (1.0 + c.theta[0].abs()),
                "{} vs {}",
                g.theta[0],
                c.theta[0]
            );
        }
    }
}

/// `simsgd figure epochs --backend gpu`: the paired per-trial comparison of
/// two grids runs on the device (one chunk of trials per call) and agrees
/// with the theory where it holds, as the CPU's does (tests/figures.rs).
#[test]
fn figures_run_on_the_gpu() {
    let Some(_gpu) = gpu() else { return };
    let out = std::env::temp_dir().join(format!("simsgd-gpu-figure-{}", std::process::id()));
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_simsgd"))
        .args(["figure", "epochs", "--quick", "--backend", "gpu", "-q", "--out", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let text = std::fs::read_to_string(out.join("epochs.csv")).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let mut checked = 0;
    for line in lines {
        let v: Vec<f64> = line.split(',').map(|x| x.parse().unwrap_or(f64::NAN)).collect();
        if v[col("eta")] < 6e-4 {
            let (mean, se, want) = (v[col("mean")], v[col("stderr")], v[col("theory_order3")]);
            assert!((mean - want).abs() < 4.0 * se, "{mean} ± {se} vs {want}");
            checked += 1;
        }
    }
    assert_eq!(checked, 4, "one small-η point per M");
    let _ = std::fs::remove_dir_all(&out);
}

/// Grids whose noise or shuffle counters pass 2^32 would wrap the shader's
/// 32-bit counters (and repeat random numbers): the GPU refuses them (auto
/// falls back to the CPU, whose streams are 2^34 long).
#[test]
fn grids_beyond_the_32_bit_counters_are_refused() {
    use simsgd::backend::Simulator;
    let Some(gpu) = gpu() else { return };
    let spec = |s: Spec| resolve(&Spec { trials: 8, ..s });
    let sde = |k| spec(Spec { optimizer: Optimizer::Sde, steps: Some(1000), substeps: k, ..Spec::new("gauss") });
    // gauss has 3 quadrature nodes: 1000 · K · 3 normals per trial.
    assert!(gpu.supports(&sde(1_000_000)).is_ok());
    let e = gpu.supports(&sde(2_000_000)).unwrap_err().to_string();
    assert!(e.contains("T·K·M = 6000000000") && e.contains("32-bit counters"), "{e}");
    let shuffled = |e| {
        let n = Some(1 << 16);
        spec(Spec { train_size: n, batch: n, epochs: Some(e), shuffle: true, ..Spec::new("gauss") })
    };
    assert!(gpu.supports(&shuffled(1 << 16)).is_ok());
    assert!(gpu.supports(&shuffled((1 << 16) + 1)).unwrap_err().to_string().contains("E·N = 4295032832"));
}

/// The precision floor on f32 values: Gauss at η = 0.001 over 200 000
/// trials differs from the exact value by about 0.3 f32 ulps of the loss,
/// 10 standard errors; the CI widened to the floor covers it.
#[test]
fn precision_floor_covers_the_exact_value_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let exp = resolve(&Spec { eta: 0.001, trials: 200_000, ..Spec::new("gauss") });
    let out = driver::run(&gpu, &exp, &simsgd::progress::Progress::hidden()).unwrap();
    assert_eq!(out.unit_roundoff, 2f64.powi(-24));
    let report = simsgd::report::RunReport::new(&exp, &out, "gpu".into(), 1, 0.0);
    let s = report.metrics.test_loss;
    let exact = 0.5 * 0.0005f64.exp() / 1.001f64.sqrt();
    assert!(s.covers(exact) && s.warnings.floor.is_some(), "{s:?} vs {exact}");
}

/// Kernel time from timestamp queries: where the device has them, a run's
/// kernels took some time, and no more than the run's wall time.
#[test]
fn kernel_time_lies_within_the_wall_time() {
    use simsgd::backend::Simulator;
    let Some(gpu) = gpu() else { return };
    let exp = resolve(&Spec { trials: 20_000, steps: Some(300), ..Spec::new("archimedes") });
    let before = gpu.kernel_seconds();
    let start = std::time::Instant::now();
    driver::run(&gpu, &exp, &simsgd::progress::Progress::hidden()).unwrap();
    let wall = start.elapsed().as_secs_f64();
    match (before, gpu.kernel_seconds()) {
        (Some(b), Some(a)) => {
            eprintln!("kernels {} s in {wall} s", a - b);
            assert!(a - b > 0.0 && a - b <= wall, "kernels {} s in {wall} s", a - b)
        }
        (None, None) => eprintln!("{} has no timestamp queries", gpu.device().name()),
        other => panic!("timestamps appeared or vanished: {other:?}"),
    }
}
