//! The GPU backend against the CPU reference: the same random words, the same
//! per-trial trajectories to f32 rounding, the same statistics.
//!
//! Without an adapter these tests skip with a printed reason; with
//! `SIMSGD_REQUIRE_GPU=1` (as CI sets, with lavapipe installed) they fail.

use crate::common;

use common::resolve;
use simsgd::backend::driver;
use simsgd::backend::gpu::shader::Multiply;
use simsgd::backend::gpu::{probe, Devices, Gpu, GpuSimulator};
use simsgd::backend::Simulator;
use simsgd::data_law::DataLaw;
use simsgd::experiment::{Experiment, Spec};
use simsgd::landscape::{derivatives, AnyLandscape, Landscape, Visitor};
use simsgd::observables::Outcome;
use simsgd::optimizer::Optimizer;
use simsgd::rng::{self, Stream};
use simsgd::shard::{Shard, State};
use std::ops::Range;

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
    for name in AnyLandscape::NAMES {
        for grid in &grids {
            assert_trials_match(&gpu, &common::on_landscape(name, grid), 1000..1300);
        }
    }
}

/// Per-trial θ_T, test and train loss of `trials` of `spec` on the GPU equal
/// the CPU's to f32 rounding (relative 2e-4), and both backends flag the same
/// trials as diverged.
#[track_caller]
fn assert_trials_match(gpu: &GpuSimulator, spec: &Spec, trials: Range<u64>) {
    assert_device_matches(gpu, spec, spec, trials);
}

/// [`assert_trials_match`] with `on_device` on the GPU against `reference`
/// on the CPU (the same trials of two specs of one landscape).
#[track_caller]
fn assert_device_matches(gpu: &GpuSimulator, reference: &Spec, on_device: &Spec, trials: Range<u64>) {
    let name = &on_device.landscape;
    let flags = on_device.command_line();
    let (exp, dev_exp) = (resolve(reference), resolve(on_device));
    let cpu = common::trials(&exp, &exp.plan, trials.clone());
    let dev = driver::trials(gpu, &dev_exp, &dev_exp.plan, trials).unwrap();
    common::assert_same_trials(&cpu, &dev, 2e-4, &format!("{name} {flags}"));
}

/// Every landscape's WGSL `grad` and `hess` (probed on the device, f32)
/// against the exact derivatives of its Rust `loss` (dual numbers, f64) at
/// the same f32-rounded (θ, x), within 1e-5 of the derivatives' scale, and
/// `hess` zero beyond the landscape's weights (invhess's padded solve
/// relies on it).
#[test]
fn landscape_derivatives_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    struct Pin<'a>(&'a Gpu, &'a str);
    impl Visitor for Pin<'_> {
        type Output = ();
        fn visit<L: Landscape<D>, const D: usize>(self, l: &L) {
            let round = |v: f64| v as f32 as f64;
            let values = [-1.7, -0.45, 0.2, 0.9, 1.3];
            let xs = [-2.3, -0.6, 0.0, 0.35, 1.8];
            let points: Vec<([f64; D], [f64; 4])> = (0..values.len() * xs.len() * 3)
                .map(|k| {
                    let theta = std::array::from_fn(|d| round(values[(k + 2 * d) % values.len()]) * (1 + k % 3) as f64);
                    (theta, std::array::from_fn(|c| round(xs[(k / 3 + 2 * c) % xs.len()])))
                })
                .collect();
            let dev = probe::derivatives(self.0, l, &points).unwrap();
            for ((theta, x), got) in points.iter().zip(&dev) {
                let x = &x[..l.sample_dim()];
                let (g, h) = (derivatives::gradient(l, *theta, x), derivatives::hessian(l, *theta, x));
                let scale = 1.0 + g.iter().chain(h.iter().flatten()).fold(0.0f64, |m, v| m.max(v.abs()));
                let at = format!("{} at θ = {theta:?}, x = {x:?}", self.1);
                for a in 0..D {
                    assert!((got.grad[a] - g[a]).abs() <= 1e-5 * scale, "{at}: ∂{a} {} vs {}", got.grad[a], g[a]);
                    for b in 0..D {
                        let (dev, cpu) = (got.hess[a][b], h[a][b]);
                        assert!((dev - cpu).abs() <= 1e-5 * scale, "{at}: ∂{a}∂{b} {dev} vs {cpu}");
                    }
                }
                assert_eq!(got.beyond, 0.0, "{at}: grad or hess not zero beyond DIM");
            }
        }
    }
    for name in AnyLandscape::NAMES {
        let d = AnyLandscape::from_name(name, &[]).unwrap().describe();
        let params: Vec<(String, f64)> = d.params.iter().map(|p| (p.name.clone(), p.value - 0.3)).collect();
        AnyLandscape::from_name(name, &params).unwrap().visit(Pin(gpu.device(), name));
    }
    // Formulas: their symbolic WGSL derivatives, every function of the language included.
    let mut formulas: Vec<Spec> =
        crate::formulas::PAIRS.iter().map(|&(n, f)| crate::formulas::pair(n, f, &Spec::default()).1).collect();
    formulas.push(every_function());
    formulas.push(crate::vectors::linear(DataLaw::Uniform { lo: -1.0, hi: 1.0 }, &[0.6, 0.0, 0.8], 0.1, 5, 1));
    formulas.push(crate::vectors::cosine_of_sum());
    for spec in formulas {
        resolve(&spec).landscape.visit(Pin(gpu.device(), &spec.landscape));
    }
}

/// A formula that calls every function of the language (none of x, so the
/// loss stays polynomial in x), on three weights and two parameters. The
/// cubic makes it unbounded below: η = 0.01 keeps 10 steps near the init
/// (at η = 0.05, 4% of SDE trials diverge and the rest drift to test losses
/// near −100, where f32 rounding alone exceeds the 2e-4 tolerance).
fn every_function() -> Spec {
    let loss = "softplus(a)*x + sigmoid(b)*x^2 + tanh(a*b) + log1p(a^2) + expm1(b/3) + atan(a) \
                + sqrt(1 + b^2)*x + sinh(a/2)*cosh(z/3) + tan(a/4) + c*x*a*z - exp(-z^2)*log(2 + sin(a) + cos(b)) \
                + d*(a - b)^3/(1 + z^2) + z^-2*0 + pi*e*x*b";
    let weights: Vec<String> = ["a", "b", "z"].map(String::from).to_vec();
    let params = vec![("c".to_string(), 0.7), ("d".to_string(), -0.4)];
    let def =
        simsgd::landscape::formula::Definition::inline(loss, &weights, &params, simsgd::data_law::DataLaw::Normal);
    Spec { params, init: Some(vec![0.3, -0.2, 0.5]), eta: 0.01, seed: 5, ..Spec::on_formula(def) }
}

/// The paper's five landscapes written as formulas run the built-ins' trials:
/// each formula's per-trial θ_T, test and train loss on the GPU equal the
/// built-in's on the CPU to f32 rounding (fresh-sample SGD, shuffled batched
/// epochs, GD, SDE, momentum and invhess); and a formula calling every
/// function runs its own CPU trials on the GPU.
#[test]
fn formulas_run_the_builtins_trials_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let grids = crate::formulas::grids();
    for (name, file) in crate::formulas::PAIRS {
        for grid in &grids {
            let (builtin, formula) = crate::formulas::pair(name, file, grid);
            assert_device_matches(&gpu, &builtin, &formula, 1000..1300);
        }
    }
    for grid in &grids[..4] {
        assert_trials_match(&gpu, &on_grid(grid, every_function()), 0..300);
    }
}

/// `base`'s landscape and settings on `grid`'s plan: its grid, optimizer,
/// substeps, β and λ.
fn on_grid(grid: &Spec, base: Spec) -> Spec {
    Spec {
        steps: grid.steps,
        train_size: grid.train_size,
        batch: grid.batch,
        epochs: grid.epochs,
        shuffle: grid.shuffle,
        optimizer: grid.optimizer,
        substeps: grid.substeps,
        beta: grid.beta,
        lambda: grid.lambda,
        ..base
    }
}

/// Formula landscapes under each data law (uniform, Rademacher, Student-t,
/// also at ν = 10⁴ where f32 needs expm1 and log1p: the device's `data4`
/// against `DataLaw::sample`, the law's rule in the test loss and the SDE's
/// covariance), and a loss not polynomial in x (16 nodes, the train loss
/// replayed), and vector samples x1..xk (one `data4` block a point, product
/// rules decoded on the device; polynomial and not), run the CPU's trials on
/// the GPU, on every grid of the formula tests.
#[test]
fn data_laws_run_the_cpus_trials_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let laws = crate::laws::LAWS.map(|(law, _, _)| crate::laws::product(law, 0.1, 10, 1));
    let others = [
        crate::laws::product(DataLaw::StudentT { nu: 1e4 }, 0.1, 10, 1),
        crate::nonpolynomial::cosine(DataLaw::Normal, 0.1, 10, 1),
        crate::nonpolynomial::cosine(DataLaw::Uniform { lo: -1.0, hi: 1.0 }, 0.1, 10, 1),
        crate::vectors::linear(DataLaw::Normal, &[0.6, 0.0, 0.8], 0.1, 10, 1),
        crate::vectors::linear(DataLaw::StudentT { nu: 12.0 }, &[1.0, 0.0], 0.1, 10, 1),
        crate::vectors::cosine_of_sum(),
    ];
    for base in laws.into_iter().chain(others) {
        for grid in crate::formulas::grids() {
            let spec = on_grid(&grid, base.clone());
            assert_trials_match(&gpu, &spec, 0..300);
        }
    }
}

/// Momentum (β = 0.5, heavy ball and Nesterov) and invhess (λ = 1) on every
/// landscape and grid (fresh points, shuffled epochs of batches, epochs in
/// order, GD-like B = N): per-trial results equal the CPU's to f32 rounding.
#[test]
fn momentum_and_invhess_trials_match_the_cpu() {
    let Some(gpu) = gpu() else { return };
    let grids = [
        Spec { steps: Some(10), ..Spec::default() },
        Spec { steps: None, train_size: Some(6), batch: Some(2), epochs: Some(3), shuffle: true, ..Spec::default() },
        Spec { steps: None, train_size: Some(9), batch: Some(3), epochs: Some(2), ..Spec::default() },
        Spec { steps: Some(10), train_size: Some(5), batch: Some(5), ..Spec::default() },
    ];
    let variants = [
        Spec { optimizer: Optimizer::Momentum, beta: Some(0.5), ..Spec::default() },
        Spec { optimizer: Optimizer::Momentum, beta: Some(0.5), nesterov: true, ..Spec::default() },
        Spec { optimizer: Optimizer::Invhess, lambda: Some(1.0), ..Spec::default() },
    ];
    for name in AnyLandscape::NAMES {
        for grid in &grids {
            for v in &variants {
                let spec = Spec {
                    optimizer: v.optimizer,
                    beta: v.beta,
                    nesterov: v.nesterov,
                    lambda: v.lambda,
                    ..grid.clone()
                };
                assert_trials_match(&gpu, &common::on_landscape(name, &spec), 1000..1300);
            }
        }
    }
}

/// The GPU's runs of the exact momentum and invhess checks of
/// tests/suite/momentum.rs: heavy-ball and Nesterov SGD, GD and epochs on
/// Mean Estimation, invhess there (SGD at a smaller rate) and on Gauss at
/// T = 1 (quadrature), all within 4 SE; and a singular invhess step diverges.
#[test]
fn momentum_and_invhess_are_exact_on_the_gpu() {
    use crate::momentum;
    let Some(gpu) = gpu() else { return };
    let run = |exp: &Experiment| -> Outcome { driver::run(&gpu, exp, &simsgd::progress::Progress::hidden()).unwrap() };
    momentum::heavy_ball_sgd_on_mean_estimation(&run);
    momentum::heavy_ball_gd_and_epochs_on_mean_estimation(&run);
    momentum::invhess_on_mean_estimation(&run);
    momentum::invhess_on_gauss_at_one_step(&run);
    let singular = run(&resolve(&momentum::singular_invhess())).primary;
    assert_eq!((singular.diverged, singular.diverged_nonfinite), (1000, 1000));
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
            compare: Some(Optimizer::Sde.into()),
            substeps: 2,
            ..Spec { landscape: "archimedes".into(), ..paired.clone() }
        },
        Spec {
            record_every: Some(3),
            train_size: Some(10),
            batch: Some(2),
            epochs: Some(2),
            shuffle: true,
            compare: Some(Optimizer::Gd.into()),
            ..Spec { landscape: "shifting-valleys".into(), ..paired.clone() }
        },
        // Schedules (issue 18): cosine on a grid, 1/t on the SDE's substeps.
        Spec {
            steps: Some(12),
            record_every: Some(2),
            schedule: simsgd::schedule::Schedule::Cosine,
            compare: Some(simsgd::alternative::Alternative::parse("sde,schedule=1/t:3,substeps=2").unwrap()),
            ..Spec { landscape: "archimedes".into(), ..paired.clone() }
        },
        Spec {
            eta: 0.002,
            record_every: Some(5),
            compare: Some(Optimizer::Ode.into()),
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
                // Test and train loss and gap: the train loss from the
                // Lagrange sums taken up front (archimedes, shifting-valleys)
                // or replayed (valley-of-death's five nodes).
                for (what, a, b) in [
                    ("test", &gc.test_loss, &cc.test_loss),
                    ("train", &gc.train_loss, &cc.train_loss),
                    ("gap", &gc.gen_gap, &cc.gen_gap),
                ] {
                    assert!(close(a, b), "{flags}: {what} curve at {}: {a:?} vs {b:?}", gc.step);
                }
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
/// A sweep's points run fused (issue 18): points that differ in η, the
/// seed, a parameter, the schedule or the compared arm's η go through one set
/// of dispatches, point p on its own lanes, and each point's outcome
/// (finals, curves, drift, the paired arm) is bit for bit the one it has
/// run alone; a point of another grid runs on its own, as it must.
#[test]
fn sweep_points_run_fused_with_the_numbers_they_have_alone() {
    let Some(mut gpu) = gpu() else { return };
    // Off by default on a software adapter (lavapipe): on here.
    gpu.set_fusion(true);
    let hidden = simsgd::progress::Progress::hidden();
    let base = Spec {
        landscape: "tilted-bowl".into(),
        trials: 1000,
        steps: Some(10),
        record_every: Some(5),
        compare: Some(simsgd::alternative::Alternative::parse("gd,eta=0.03").unwrap()),
        ..Spec::default()
    };
    let specs = [
        base.clone(),
        Spec { eta: 0.05, seed: 7, ..base.clone() },
        Spec { params: vec![("S".into(), 2.0)], ..base.clone() },
        Spec { schedule: simsgd::schedule::Schedule::Cosine, ..base.clone() },
        Spec { compare: Some(simsgd::alternative::Alternative::parse("gd,eta=0.01").unwrap()), ..base.clone() },
        // Another T: not fused with the rest.
        Spec { steps: Some(11), ..base.clone() },
    ];
    let exps: Vec<Experiment> = specs.iter().map(resolve).collect();
    let before = gpu.device().passes();
    let fused = driver::run_points(&gpu, &exps.iter().collect::<Vec<_>>(), &hidden).unwrap();
    let fused_passes = gpu.device().passes() - before;
    let mut alone_passes = Vec::new();
    for (exp, f) in exps.iter().zip(&fused) {
        let before = gpu.device().passes();
        let alone = driver::run(&gpu, exp, &hidden).unwrap();
        alone_passes.push(gpu.device().passes() - before);
        assert_eq!(&alone, f, "{}", exp.plan.eta);
    }
    // Five fused points cost one point's passes (init, steps, records,
    // finish, for both arms); the sixth its own.
    assert_eq!(fused_passes, alone_passes[0] + alone_passes[5], "{alone_passes:?}");
    assert!(alone_passes[..5].iter().all(|&p| p == alone_passes[0]), "{alone_passes:?}");
    // Two points of 2.1M trials: 65,626 workgroups, a 2-D dispatch whose
    // spare workgroups fall beyond the last point.
    let big = |eta: f64| resolve(&Spec { trials: 2_100_000, eta, ..Spec::new("gauss") });
    let (a, b) = (big(0.1), big(0.2));
    let fused = driver::run_points(&gpu, &[&a, &b], &hidden).unwrap();
    assert_eq!(fused, [driver::run(&gpu, &a, &hidden).unwrap(), driver::run(&gpu, &b, &hidden).unwrap()]);
}

/// A GPU simulator with chunks of [`SmallChunks::1`] trials, so that a
/// run of a few thousand trials has chunks to shard (the GPU's own are of
/// 2^18 trials and more).
struct SmallChunks<'a, S>(&'a S, u64);

impl<S: Simulator> Simulator for SmallChunks<'_, S> {
    fn kind(&self) -> &'static str {
        self.0.kind()
    }
    fn unit_roundoff(&self) -> f64 {
        self.0.unit_roundoff()
    }
    fn supports(&self, exp: &Experiment) -> simsgd::error::Result<()> {
        self.0.supports(exp)
    }
    fn chunk_trials(&self, _: &Experiment) -> simsgd::error::Result<u64> {
        Ok(self.1)
    }
    fn pool(&self) -> Option<&rayon::ThreadPool> {
        self.0.pool()
    }
    fn simulate(
        &self,
        exp: &Experiment,
        plan: &simsgd::plan::Plan,
        trials: Range<u64>,
        record: bool,
        progress: &simsgd::progress::Progress,
    ) -> simsgd::error::Result<simsgd::backend::Chunk> {
        self.0.simulate(exp, plan, trials, record, progress)
    }
    fn simulate_points(
        &self,
        jobs: &[(&Experiment, &simsgd::plan::Plan)],
        trials: Range<u64>,
        record: bool,
        progress: &simsgd::progress::Progress,
    ) -> simsgd::error::Result<Vec<simsgd::backend::Chunk>> {
        self.0.simulate_points(jobs, trials, record, progress)
    }
}

/// Issue 17 on the GPU: four shards' chunks, laid end to end by the merge
/// (`shard::combine`), fold into exactly the one-process run's outcome,
/// with `--compare`, the curve and the drift, and for two fused points.
#[test]
fn shards_merge_into_the_whole_run_on_the_gpu() {
    let Some(mut gpu) = gpu() else { return };
    gpu.set_fusion(true);
    let sim = SmallChunks(&gpu, 512);
    let hidden = simsgd::progress::Progress::hidden();
    let base = Spec {
        landscape: "archimedes".into(),
        trials: 3000,
        steps: Some(12),
        record_every: Some(3),
        compare: Some(simsgd::alternative::Alternative::parse("gd").unwrap()),
        ..Spec::default()
    };
    let exps = [resolve(&base), resolve(&Spec { eta: 0.2, ..base.clone() })];
    let exps: Vec<&Experiment> = exps.iter().collect();
    let whole = driver::run_points(&sim, &exps, &hidden).unwrap();
    let layout = driver::Layout::of(&sim, exps[0]).unwrap();
    assert_eq!(layout.chunks(), 6);
    let mut parts: Vec<Vec<(String, State)>> = vec![Vec::new(); exps.len()];
    for index in (0..4).rev() {
        let shard = Shard { index, count: 4 };
        let mut held = vec![Vec::new(); exps.len()];
        let chunks = |l: &driver::Layout| shard.chunks(l).unwrap();
        driver::run_chunks(&sim, &exps, chunks, &hidden, |j, o| held[j].push(o)).unwrap();
        for (j, outcomes) in held.into_iter().enumerate() {
            let state = State {
                format: simsgd::shard::FORMAT,
                version: String::new(),
                args: Vec::new(),
                shards: vec![shard],
                point: j,
                points: exps.len(),
                backend: "gpu".into(),
                adapter: None,
                threads: 1,
                trials_per_chunk: layout.chunk,
                chunks: layout.chunks(),
                first: shard.chunks(&layout).unwrap().start,
                elapsed_s: 0.0,
                outcomes,
            };
            parts[j].push((format!("shard {index}"), state));
        }
    }
    for (j, (parts, whole)) in parts.into_iter().zip(&whole).enumerate() {
        let merged = simsgd::shard::combine(parts, false).unwrap();
        assert_eq!(merged.folded().as_ref(), Some(whole), "point {j}");
    }
}

/// `--devices`: chunks shared out among devices (here two devices on one
/// adapter) merge into the one device's numbers, bit for bit, and every
/// device runs some; an adapter that is not there is a one-line error.
#[test]
fn several_devices_give_one_devices_numbers() {
    let Some(one) = gpu() else { return };
    let two = Devices::of(vec![GpuSimulator::open().unwrap(), GpuSimulator::open().unwrap()]).unwrap();
    let hidden = simsgd::progress::Progress::hidden();
    let spec = Spec { trials: 3000, steps: Some(12), record_every: Some(4), ..Spec::new("archimedes") };
    let exp = resolve(&spec);
    let alone = driver::run(&SmallChunks(&one, 512), &exp, &hidden).unwrap();
    let shared = driver::run(&SmallChunks(&two, 512), &exp, &hidden).unwrap();
    assert_eq!(alone, shared);
    assert!(two.devices().all(|d| d.passes() > 0), "a device ran nothing");
    assert_eq!(two.adapter().unwrap().matches(" + ").count(), 1);

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_simsgd"))
        .args(["run", "gauss", "--backend", "gpu", "--devices", "0,99", "--trials", "100"])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.starts_with("simsgd: error: --devices 99: there is no adapter 99 (found 0: "), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
}

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

/// `--backend gpu` end to end: the report names the backend and the adapter,
/// for SGD and for momentum and invhess.
#[test]
fn cli_runs_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    for (args, optimizer) in [
        (&["archimedes", "--record-every", "5"][..], "sgd"),
        (&["mean-estimation", "--optimizer", "momentum", "--beta", "0.5", "--nesterov"], "momentum"),
        (&["archimedes", "--optimizer", "invhess", "--lambda", "1", "--record-every", "5"], "invhess"),
        (&["shifting-valleys", "--optimizer", "invhess", "--lambda", "1"], "invhess"),
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simsgd"))
            .arg("run")
            .args(args)
            .args(["--backend", "gpu", "--trials", "3000", "--json", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}: {}", String::from_utf8_lossy(&out.stderr));
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        assert_eq!((&v["backend"], &v["optimizer"]), (&"gpu".into(), &optimizer.into()), "{args:?}");
        assert!(v["adapter"].as_str().unwrap().contains(gpu.device().name()));
        let records = if args.contains(&"--record-every") { 3 } else { 0 };
        assert_eq!(v["curve"].as_array().map_or(0, Vec::len), records, "{args:?}");
    }
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

/// The network study (seed 003) of `runs` runs of `steps` steps on Gauss-10
/// (the paper's n = 100, d = 50, 50 → 10 → 30 → 10 network), recorded every
/// 5 steps, on the GPU and on the CPU.
fn network_traces(
    gpu: &GpuSimulator,
    data: &simsgd::network::data::Data,
    options: simsgd::network::options::Options,
    runs: std::ops::Range<u64>,
) -> (simsgd::network::train::Trace, simsgd::network::train::Trace) {
    use simsgd::backend::gpu::network::GpuStudy;
    use simsgd::network::{mlp::Mlp, train::Study};
    let mlp = Mlp::paper(10).unwrap();
    let on_gpu = GpuStudy::new(gpu.device(), &mlp, data, &options).unwrap().run(runs.clone(), &|_| {}).unwrap();
    let on_cpu = Study::new(&mlp, data, options).unwrap().run(runs, &|_| {}).unwrap();
    assert_eq!((&on_gpu.steps, &on_gpu.test_steps), (&on_cpu.steps, &on_cpu.test_steps));
    (on_gpu, on_cpu)
}

/// Gauss-10 with `test_points` test points (clean labels, standardised).
fn gauss10(test_points: usize, standardize: bool) -> simsgd::network::data::Data {
    use simsgd::network::gauss_k::GaussK;
    GaussK { test_points, standardize, ..GaussK::paper(10, 0.0) }.generate().unwrap()
}

/// Per run and record, the GPU's network runs are the CPU's to f32 rounding:
/// 64 runs × 30 steps of Gauss-10 from He's θ₀, with replacement and in
/// shuffled epochs, with a 200-point test set every 10 steps.
///
/// Tolerances. f32's unit roundoff is u = 2^-24 ≈ 6·10^-8. A loss is a mean
/// of softmax cross-entropies of logits that went through three layers of
/// dot products of at most 50 terms (error ≲ √50·u relative each, 50·u at
/// worst), and θ_t carries the rounding of t updates, propagated by SGD's
/// Jacobian I − ηH; from He's θ₀ (logits of order 1, ‖g‖ ≈ 3) that
/// propagation is tame. Measured on lavapipe over these runs: losses within
/// 6·10^-7 relative, ‖g‖ within 1.1·10^-6, cosines within 6·10^-7 absolute,
/// every accuracy equal. Allowed: 1e-5 relative for losses and ‖g‖ (≈ 170u,
/// 15× the measured), 1e-5 absolute for the cosine, 1e-5 of |f_t| + |f_{t+1}|
/// for Δ_t (a difference of two such losses), and accuracies equal to f32's
/// rounding of k/n except that one point's argmax may flip at a near-tie
/// (1/n) in at most one record in a hundred.
#[test]
fn network_runs_match_the_cpu() {
    use simsgd::network::mlp::Init;
    use simsgd::network::options::{Metric, Options, Sampling, TestMetric};
    let Some(gpu) = gpu() else { return };
    let data = gauss10(200, true);
    for sampling in [Sampling::Replacement, Sampling::Shuffled] {
        let options =
            Options { record_every: 5, test_every: 10, sampling, init: Init::He, seed: 7, ..Options::paper(0.1, 30) };
        let (g, c) = network_traces(&gpu, &data, options, 0..64);
        assert_eq!((g.diverged(), c.diverged()), (0, 0));
        assert_eq!(g.test_steps, [0, 10, 20, 30]);
        let close = |what: &str, a: f64, b: f64, tolerance: f64| {
            assert!((a - b).abs() <= tolerance, "{sampling:?} {what}: gpu {a} cpu {b}");
        };
        let (mut accuracies, mut flips) = (0, 0);
        let mut accuracy = |what: &str, a: f64, b: f64| {
            accuracies += 1;
            if (a - b).abs() > 1e-6 {
                close(what, a, b, 0.01 + 1e-6);
                flips += 1;
            }
        };
        for (k, t) in g.steps.iter().enumerate() {
            for r in 0..64 {
                let v = |trace: &simsgd::network::train::Trace, m| trace.values(m, k)[r];
                let what = |m: Metric| format!("run {r} step {t} {}", m.name());
                let (f, f1) = (v(&c, Metric::TrainLoss), v(&c, Metric::TrainLoss) + v(&c, Metric::Delta));
                close(&what(Metric::TrainLoss), v(&g, Metric::TrainLoss), f, 1e-5 * f.abs());
                close(
                    &what(Metric::GradNorm),
                    v(&g, Metric::GradNorm),
                    v(&c, Metric::GradNorm),
                    1e-5 * v(&c, Metric::GradNorm),
                );
                close(&what(Metric::Delta), v(&g, Metric::Delta), v(&c, Metric::Delta), 1e-5 * (f.abs() + f1.abs()));
                accuracy(&what(Metric::TrainAccuracy), v(&g, Metric::TrainAccuracy), v(&c, Metric::TrainAccuracy));
                let (a, b) = (v(&g, Metric::Cos), v(&c, Metric::Cos));
                if *t == 0 {
                    assert!(a.is_nan() && b.is_nan(), "no g₋₁ at t = 0: {a} {b}");
                } else {
                    close(&what(Metric::Cos), a, b, 1e-5);
                }
            }
        }
        for (k, t) in g.test_steps.iter().enumerate() {
            for r in 0..64 {
                let v = |trace: &simsgd::network::train::Trace, m| trace.test_values(m, k)[r];
                for m in [TestMetric::TestLoss, TestMetric::NoisyTestLoss] {
                    close(&format!("run {r} test step {t} {}", m.name()), v(&g, m), v(&c, m), 1e-5 * v(&c, m));
                }
                for m in [TestMetric::TestAccuracy, TestMetric::NoisyTestAccuracy] {
                    accuracy(&format!("run {r} test step {t} {}", m.name()), v(&g, m), v(&c, m));
                }
            }
        }
        assert!(flips * 100 <= accuracies, "{flips} of {accuracies} accuracies differ");
        // A sub-range of runs is the same runs, bit for bit.
        let part = simsgd::backend::gpu::network::GpuStudy::new(
            gpu.device(),
            &simsgd::network::mlp::Mlp::paper(10).unwrap(),
            &data,
            &options,
        )
        .unwrap()
        .run(40..64, &|_| {})
        .unwrap();
        for (k, _) in g.steps.iter().enumerate() {
            for m in Metric::ALL {
                let (whole, sub) = (&g.values(m, k)[40..], part.values(m, k));
                assert!(whole.iter().zip(sub).all(|(a, b)| a.to_bits() == b.to_bits()), "{m:?}: {whole:?} {sub:?}");
            }
        }
    }
}

/// The paper's θ₀ ~ N(0, I) makes the first steps chaotic: logits of order
/// 100, ‖g‖ ≈ 50–90 and η‖g‖ ≈ 5–9, so the ReLUs' pattern reshuffles every
/// step and a rounding-level difference grows by orders of magnitude in a
/// few steps in some runs (the CPU against itself on features rounded to
/// f32, a 3·10^-9 perturbation of the losses, differs by 10^-3 after 10
/// steps and 3·10^-2 after 30 in the worst of these 64 runs). So at t = 0
/// every run agrees to f32 rounding (1e-5 relative, as above), and later the
/// runs agree in distribution: at each record the median over runs of the
/// relative difference of f(θ_t) and of ‖g_t‖ stays below 3e-4 (measured on
/// lavapipe: at most 3.2·10^-5 up to t = 30).
#[test]
fn network_runs_of_the_papers_init_agree_across_runs() {
    use simsgd::network::options::{Metric, Options};
    let Some(gpu) = gpu() else { return };
    let options = Options { record_every: 5, ..Options::paper(0.1, 30) };
    let (g, c) = network_traces(&gpu, &gauss10(0, true), options, 0..64);
    assert_eq!((g.diverged(), c.diverged()), (0, 0));
    for m in [Metric::TrainLoss, Metric::GradNorm] {
        for (k, t) in g.steps.iter().enumerate() {
            let (a, b) = (g.values(m, k), c.values(m, k));
            let mut rel: Vec<f64> = a.iter().zip(b).map(|(a, b)| (a - b).abs() / b.abs()).collect();
            if *t == 0 {
                assert!(rel.iter().all(|&e| e <= 1e-5), "{m:?} at t = 0: {rel:?}");
            }
            rel.sort_by(f64::total_cmp);
            let median = (rel[31] + rel[32]) / 2.0;
            assert!(median <= 3e-4, "{m:?} at t = {t}: median relative difference {median}");
        }
    }
}

/// A step size far too large (raw features, ‖x‖ ≈ 41) diverges every run on
/// both backends, and a diverged run's records are NaN from its step on,
/// finite before. η = 1e200 is beyond f32's range: every run diverges at its
/// first record, as on the CPU. η = 1e30 fits f32, but the runs overflow f32
/// (3.4·10^38) before f64: the GPU marks each run diverged at or before the
/// CPU's step.
#[test]
fn network_divergence_matches_the_cpu() {
    use simsgd::network::options::{Metric, Options};
    let Some(gpu) = gpu() else { return };
    let data = gauss10(0, false);
    for eta in [1e200, 1e30] {
        let options = Options { record_every: 5, ..Options::paper(eta, 20) };
        let (g, c) = network_traces(&gpu, &data, options, 0..16);
        assert_eq!((g.diverged(), c.diverged()), (16, 16), "η = {eta}");
        for (r, (dg, dc)) in g.diverged_at.iter().zip(&c.diverged_at).enumerate() {
            let (dg, dc) = (dg.unwrap(), dc.unwrap());
            if eta == 1e200 {
                assert_eq!((dg, dc), (0, 0), "run {r}");
            }
            assert!(dg <= dc, "run {r}: the GPU at {dg}, the CPU at {dc}");
            for (k, &t) in g.steps.iter().enumerate() {
                let v = g.values(Metric::TrainLoss, k)[r];
                assert_eq!(v.is_nan(), t >= dg, "run {r} step {t}: {v}");
            }
        }
    }
}

/// `simsgd run li-gauss10 --backend gpu` end to end: the report names the
/// GPU and its adapter, and its first record (θ₀, before any step has
/// amplified the rounding) is the CPU's to f32 rounding.
#[test]
fn network_study_runs_on_the_gpu() {
    let Some(gpu) = gpu() else { return };
    let run = |backend: &str| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_simsgd"))
            .args(["run", "li-gauss10", "--backend", backend, "--trials", "64", "--steps", "20", "--json", "-q"])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        serde_json::from_slice::<serde_json::Value>(&out.stdout).unwrap()
    };
    let (g, c) = (run("gpu"), run("cpu"));
    assert_eq!(g["backend"], "gpu");
    assert!(g["adapter"].as_str().unwrap().contains(gpu.device().name()));
    assert_eq!((c["backend"].as_str(), c.get("adapter")), (Some("cpu"), None));
    assert_eq!((g["runs"].as_u64(), g["diverged"].as_u64()), (Some(64), Some(0)));
    let steps = |v: &serde_json::Value, key: &str| -> Vec<u64> {
        v[key].as_array().unwrap().iter().map(|p| p["step"].as_u64().unwrap()).collect()
    };
    assert_eq!((steps(&g, "curve"), steps(&g, "test")), (vec![0, 10, 20], vec![0, 20]));
    for (set, metric) in [("curve", "train_loss"), ("curve", "grad_norm"), ("test", "test_loss")] {
        let mean = |v: &serde_json::Value| v[set][0][metric]["mean"].as_f64().unwrap();
        assert!((mean(&g) - mean(&c)).abs() <= 1e-5 * mean(&c), "{set} {metric}: {} vs {}", mean(&g), mean(&c));
    }
}
