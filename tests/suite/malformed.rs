//! Issue 12, items 5, 7, 8 and 13, with the cases of items 1–4
//! (`reliability.rs`): a table of malformed invocations of every subcommand,
//! each of which must be refused with exit code 2 and exactly one line on
//! stderr (`simsgd: error: …`, naming what the user typed), nothing on
//! stdout, no panic, within [`TIMEOUT`] and under [`MEMORY_LIMIT`](crate::common::child::MEMORY_LIMIT); and a
//! table of accepted edge invocations, each of which must exit 0 and print
//! only finite numbers or n/a. Then what an interrupt leaves behind, and
//! outputs checked before a run and written after it.
//!
//! The children run side by side ([`WORKERS`] at a time: most are refused
//! in milliseconds). `run` gets `--backend cpu -q` unless the case names a
//! backend or is one of the [`AUTO`] cases, which show that a refusal
//! prints no notice about the backend either.

use crate::common::child::{simsgd, Outcome, TIMEOUT};
use crate::common::scratch::Scratch;
use std::ffi::OsString;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Children at a time.
const WORKERS: usize = 4;

/// Runs every invocation, [`WORKERS`] at a time; the outcomes in order.
fn run_all(invocations: &[Vec<OsString>]) -> Vec<Outcome> {
    let next = AtomicUsize::new(0);
    let done: Mutex<Vec<(usize, Outcome)>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..WORKERS {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(args) = invocations.get(i) else { break };
                let out = simsgd(args);
                done.lock().unwrap().push((i, out));
            });
        }
    });
    let mut done = done.into_inner().unwrap();
    done.sort_by_key(|(i, _)| *i);
    done.into_iter().map(|(_, o)| o).collect()
}

/// A case's arguments as the child gets them: split on spaces, `run` with
/// `--backend cpu -q` right after the subcommand (before any value a flag
/// could swallow) unless the case names a backend.
fn invocation(words: &[&str], cpu: bool) -> Vec<OsString> {
    let mut args: Vec<OsString> = words.iter().map(OsString::from).collect();
    if cpu && words.first() == Some(&"run") && !words.contains(&"--backend") {
        args.splice(1..1, ["--backend", "cpu", "-q"].map(OsString::from));
    }
    args
}

/// Malformed invocations (split on spaces) and what the one error line must
/// contain.
pub(crate) const REFUSED: &[(&str, &str)] = &[
    // ---- no or unknown subcommand, stray arguments
    ("", "a subcommand is required (run, merge, bench, stats, predict, figure, landscapes)"),
    ("nope", "unrecognized subcommand 'nope'"),
    ("--nope", "unexpected argument '--nope'"),
    ("run", "the following required arguments were not provided: <LANDSCAPE>"),
    ("run gauss extra", "unexpected argument 'extra'"),
    ("run gauss --nope", "unexpected argument '--nope'"),
    ("run gauss --json --json", "'--json' cannot be used multiple times"),
    // ---- item 1: runs too large for memory (reliability.rs)
    ("run gauss --steps 1073741823 --trials 1", "(mostly the training sets of 1073741823 points"),
    ("run archimedes --train-size 1073741823", "(mostly the training sets of 1073741823 points"),
    ("run gauss --optimizer gd --train-size 100000000", "(mostly the training sets of 100000000 points"),
    ("run gauss --train-size 536870912 --shuffle", "(mostly the training sets of 536870912 points"),
    ("run gauss --steps 100000000 --record-every 1 --trials 1", "(mostly the learning curves of 100000001"),
    ("run gauss --steps 3000000 --record-every 1 --trials 1000 --compare gd", "learning curves of 3000001"),
    // The SDE's noise is drawn in bounded memory now; with T = 100 it
    // would draw T·K·M = 3·10^10 normals, more than a stream holds.
    ("run gauss --optimizer sde --substeps 100000000 --steps 100", "out of range for sde"),
    ("run gauss --optimizer sde --steps 1000 --substeps 4294967295", "out of range for sde"),
    ("run gauss --optimizer sde --substeps 4294967296", "invalid value '4294967296' for '--substeps"),
    ("stats gauss --estimate --samples 100000000000", "--samples 100000000000 is out of range"),
    ("stats gauss --estimate --samples 18446744073709551615", "--samples 18446744073709551615 is out of range"),
    ("stats gauss --estimate --samples 18446744073709551616", "invalid value '18446744073709551616'"),
    ("bench --landscape gauss --workload sgd --steps 100000000 --no-peers", "this run needs about"),
    // ---- item 4: grid arithmetic
    ("run gauss --train-size 2 --epochs 9223372036854775808", "--epochs 9223372036854775808 is out of range"),
    ("predict gauss --train-size 2 --epochs 9223372036854775809", "--epochs 9223372036854775809 is out of range"),
    ("run gauss --steps 1073741824", "--steps 1073741824 is out of range"),
    ("predict gauss --steps 18446744073709551615", "--steps 18446744073709551615 is out of range"),
    ("run gauss --steps 18446744073709551616", "invalid value '18446744073709551616' for '--steps"),
    ("run gauss --batch 18446744073709551615 --epochs 3", "--batch 18446744073709551615 is out of range"),
    ("run gauss --train-size 1073741824 --optimizer gd", "--train-size 1073741824 is out of range"),
    ("run gauss --train-size 536870912 --epochs 4", "(--epochs, --train-size, --batch)"),
    ("predict gauss --train-size 536870912 --epochs 4 --shuffle", "(--epochs, --train-size, --batch)"),
    ("run gauss --steps 1073741823 --batch 1073741823", "(--steps, --batch, --epochs)"),
    ("run gauss --train-size 1048576 --batch 1048576 --epochs 20000 --shuffle", "--shuffle with --epochs 20000"),
    ("run gauss --trials 4294967296", "--trials must be at most 4294967295"),
    ("run gauss --trials 18446744073709551616", "invalid value '18446744073709551616' for '--trials"),
    ("bench --steps 1073741824", "--steps 1073741824 is out of range"),
    ("bench --workload sgd-epochs --steps 1073741823", "--steps 1073741823 is out of range"),
    ("bench --trials 4294967296", "--trials must be at most 4294967295"),
    // ---- item 6: threads
    ("run gauss --threads 100000", "--threads 100000 is too many"),
    ("run gauss --threads 18446744073709551615", "is too many"),
    ("run gauss --threads 0", "--threads must be at least 1"),
    ("run gauss --threads -1", "invalid value '-1' for '--threads"),
    // ---- item 5: outputs checked before anything is simulated
    ("run gauss --trials 100000000 --csv /proc/x.csv", "/proc/x.csv: cannot create a file in /proc"),
    ("run gauss --trials 100000000 --csv /nonexistent-simsgd/x.csv", "cannot create a file in /nonexistent-simsgd"),
    ("run gauss --trials 100000000 --csv /", "/: a directory"),
    ("run gauss --trials 100000000 --csv /etc/passwd/x.csv", "/etc/passwd/x.csv: Not a directory"),
    ("run gauss --csv", "a value is required for '--csv <FILE>'"),
    ("figure gdc --backend cpu --out /etc/passwd", "/etc/passwd: not a directory"),
    ("figure gdc --backend cpu --out /dev/null", "/dev/null: not a directory"),
    ("figure --all --backend cpu --out /etc/passwd/figures", "/etc/passwd is not a directory"),
    ("figure gdc --backend cpu --out /proc/self/figures", "cannot create a file in /proc/self"),
    ("figure gdc --out", "a value is required for '--out <OUT>'"),
    // ---- issue 17: shards and merges (more in shards.rs)
    ("run gauss --shard 2/2", "invalid value '2/2' for '--shard <I/N>': I counts from 0, so it must be below N = 2"),
    ("run gauss --shard 1/0", "N must be at least 1"),
    ("run gauss --shard half", "invalid value 'half' for '--shard <I/N>': expected I/N"),
    ("run gauss --trials 1000 --shard 0/9", "this run has 8 chunks of 128 trials, and a shard is whole chunks"),
    ("run li-gauss2 --trials 3 --shard 0/4", "--shard 0/4: the study has 3 runs; use at most 3 shards"),
    ("run gauss --devices 0", "--devices chooses the GPU adapters of --backend gpu; add --backend gpu"),
    ("run gauss --devices x", "invalid value 'x' for '--devices <all|I,J,...>': expected all, or adapter indices"),
    ("run mlp --devices 0", "--devices does not apply to the network study mlp"),
    ("figure --all --shard 0/99 --backend cpu", "--shard 0/99: there are"),
    ("figure gdc --shard 0/2", "--shard splits the figures of --all among jobs"),
    ("figure --list --shard 0/2", "the argument '--list' cannot be used with"),
    ("merge", "the following required arguments were not provided: <FILE>..."),
    ("merge /nonexistent-simsgd/shard-0.json", "/nonexistent-simsgd/shard-0.json: No such file"),
    ("merge /dev/null", "/dev/null: empty, no report"),
    ("merge /etc/hostname --json --csv -", "--csv - writes the CSV to standard output"),
    // ---- item 7: each message about the flag the user typed
    ("run gauss --eta -inf", "--eta must be positive and finite, got -inf"),
    ("run gauss --eta inf", "--eta must be positive and finite, got inf"),
    ("run gauss --eta nan", "--eta must be positive and finite, got NaN"),
    ("run gauss --eta 0", "--eta must be positive and finite, got 0"),
    ("run gauss --eta -0", "--eta must be positive and finite"),
    ("run gauss --eta -0.1", "--eta must be positive and finite, got -0.1"),
    ("run gauss --eta 1e400", "--eta must be positive and finite, got inf"),
    ("run gauss --eta -1e-300", "--eta must be positive and finite, got -1e-300"),
    ("run gauss --eta abc", "invalid value 'abc' for '--eta <ETA>'"),
    ("run gauss --eta", "a value is required for '--eta <ETA>'"),
    ("run gauss --eta --steps 3", "a value is required for '--eta <ETA>'"),
    ("run gauss --eta -q", "a value is required for '--eta <ETA>'"),
    ("run gauss --eta -x", "invalid value '-x' for '--eta <ETA>'"),
    ("run gauss --eta -1e-3", "--eta must be positive and finite, got -0.001"),
    ("run shifting-valleys --init -1,-inf", "--init needs 2 finite numbers for shifting-valleys (A, B)"),
    ("stats archimedes --at -1,-2,-nan", "--at needs 3 finite numbers"),
    ("predict gauss --eta -inf", "--eta must be positive and finite, got -inf"),
    ("predict gauss --eta 0", "--eta must be positive and finite"),
    ("run gauss --batch 0", "--batch must be at least 1"),
    ("predict gauss --batch 0", "--batch must be at least 1"),
    ("run gauss --steps 0 --batch 0", "--batch must be at least 1"),
    ("run gauss --train-size 0", "--train-size must be at least 1"),
    ("run gauss --optimizer gd --train-size 0", "--train-size must be at least 1"),
    ("predict gauss --train-size 0", "--train-size must be at least 1"),
    ("run gauss --epochs 0", "--epochs 0 makes no steps, but T defaults to 1"),
    ("run gauss --epochs 0 --steps 5", "--epochs 0 makes no steps, but --steps is 5"),
    ("predict archimedes --epochs 0", "--epochs 0 makes no steps, but T defaults to 10"),
    ("run gauss --trials 0", "--trials must be at least 1"),
    ("run gauss --trials -1", "invalid value '-1' for '--trials"),
    ("run gauss --record-every 0", "--record-every must be at least 1"),
    ("run gauss --record-every -1", "invalid value '-1' for '--record-every"),
    ("run gauss --record-every", "a value is required for '--record-every <K>'"),
    ("run gauss --optimizer sde --substeps 0", "--substeps must be at least 1"),
    ("run gauss --compare ode --substeps 0", "--substeps must be at least 1"),
    ("predict gauss --optimizer sde --substeps 0", "--substeps must be at least 1"),
    ("run gauss --steps -1", "invalid value '-1' for '--steps <STEPS>'"),
    ("run gauss --steps 1.5", "invalid value '1.5' for '--steps <STEPS>'"),
    ("run gauss --seed -1", "invalid value '-1' for '--seed <SEED>'"),
    ("run gauss --seed 18446744073709551616", "invalid value '18446744073709551616' for '--seed"),
    ("run gauss --diverge-at nan", "--diverge-at must be positive and at most 5e148"),
    ("run gauss --diverge-at 0", "overflow), got 0"),
    ("run gauss --diverge-at -1", "overflow), got -1"),
    ("run gauss --diverge-at -inf", "overflow), got -inf"),
    ("run gauss --diverge-at x", "invalid value 'x' for '--diverge-at"),
    ("run gauss --init nan", "--init needs 1 finite number for gauss (h)"),
    ("run gauss --init -inf", "--init needs 1 finite number for gauss (h)"),
    ("run gauss --init 1,2", "--init needs 1 finite number for gauss (h)"),
    ("run archimedes --init 1", "--init needs 3 finite numbers for archimedes (u, v, z)"),
    ("run shifting-valleys --init 1,inf", "--init needs 2 finite numbers"),
    ("run gauss --init a", "--init takes numbers (θ₀'s weights; normal or he for a network), got 'a'"),
    ("predict gauss --init nan", "--init needs 1 finite number"),
    ("run nope", "unknown landscape 'nope'"),
    ("predict nope", "unknown landscape 'nope'"),
    ("stats nope", "unknown landscape 'nope'"),
    ("run gauss --optimizer nope", "invalid value 'nope' for '--optimizer <OPTIMIZER>'"),
    ("run gauss --compare nope", "invalid value 'nope' for '--compare <OPTIMIZER|KEY=VALUE,...>': optimizer=nope is not an optimizer (sgd, gd, sde, ...)"),
    ("run gauss --backend nope", "invalid value 'nope' for '--backend <BACKEND>'"),
    ("run gauss --param x", "malformed --param 'x': expected NAME=VALUE"),
    ("run gauss --param =1", "malformed --param '=1': expected NAME=VALUE"),
    ("run mean-estimation --param H=abc", "malformed --param 'H=abc': 'abc' is not a number"),
    ("run mean-estimation --param H=", "malformed --param 'H='"),
    ("run mean-estimation --param H=nan", "--param H must be finite, got NaN"),
    ("run mean-estimation --param S=inf", "--param S must be finite, got inf"),
    ("run mean-estimation --param Q=1", "unknown parameter 'Q' for mean-estimation (known: H, S)"),
    ("run gauss --param H=1", "unknown parameter 'H' for gauss (it has none)"),
    ("run gauss --train-size 10 --batch 3 --epochs 1", "--batch 3 does not divide the training set size N = 10"),
    ("run gauss --steps 7 --train-size 10 --epochs 1", "--steps 7 disagrees with T = E·N/B = 1·10/1"),
    ("run gauss --steps 10 --batch 3 --epochs 4", "N = T·B/E is not a whole number"),
    ("run gauss --optimizer gd --batch 2", "--batch, --epochs and --shuffle describe SGD's grid"),
    ("run gauss --optimizer gdc --epochs 2", "--batch, --epochs and --shuffle describe SGD's grid"),
    ("run gauss --compare gd --steps 5 --train-size 10 --epochs 2 --batch 2", "--steps 5 disagrees"),
    // ---- item 8: flags that had no effect
    ("run gauss --order 2", "--order chooses the prediction of --theory; add --theory"),
    ("run gauss --resum", "--resum chooses the prediction of --theory; add --theory"),
    ("run gauss --resum integral", "--resum chooses the prediction of --theory"),
    ("run gauss --order 1 --resum", "--order chooses the prediction of --theory"),
    ("run mean-estimation --param H=1,H=2", "--param H is given twice (H=1, then H=2)"),
    ("run mean-estimation --param H=1 --param H=2", "--param H is given twice (H=1, then H=2)"),
    ("predict mean-estimation --param S=1,S=1", "--param S is given twice"),
    ("stats mean-estimation --param H=1,H=2", "--param H is given twice"),
    ("predict gauss --order 0", "--order must be at least 1"),
    ("run gauss --theory --order 0", "--order must be at least 1"),
    ("figure --all --list", "the argument '--all' cannot be used with '--list'"),
    ("figure --list --quick", "cannot be used with"),
    ("figure gdc --list", "cannot be used with"),
    ("figure --list --out x", "cannot be used with"),
    ("figure --list --backend cpu", "cannot be used with"),
    ("figure --list -q", "cannot be used with"),
    ("stats gauss --samples 100", "--samples is for the estimates of --estimate; add --estimate"),
    ("stats gauss --seed 3", "--seed is for the estimates of --estimate; add --estimate"),
    ("run gauss --substeps 4", "--substeps is the number of substeps of sde and ode; sgd takes none"),
    ("run gauss --optimizer gd --substeps 16", "--substeps is the number of substeps of sde and ode; gd takes none"),
    ("run gauss --optimizer gdc --compare gd --substeps 2", "gdc takes none"),
    ("run gauss --optimizer sde --shuffle", "--shuffle orders SGD's visits to the training set"),
    ("run gauss --optimizer ode --shuffle --train-size 4", "--shuffle orders SGD's visits"),
    ("run gauss --optimizer gd --compare sde --shuffle", "--shuffle orders SGD's visits"),
    ("predict gauss --optimizer sde --shuffle", "--shuffle orders SGD's visits"),
    ("run gauss --backend gpu --threads 2", "--threads sets the CPU backend's threads"),
    // ---- sweeps (issue 18): lists and ranges, and where they do not apply
    (
        "run gauss --eta 0.01..0.2",
        "invalid value '0.01..0.2' for '--eta <ETA>': '0.01..0.2': give the number of points",
    ),
    ("run gauss --eta 0..0.2:log:3", "a log range needs positive ends"),
    ("run gauss --eta 0.1,x", "invalid value '0.1,x' for '--eta <ETA>'"),
    ("run gauss --eta 0.1..0.2:cubic:3", "is not a range"),
    ("run gauss --eta 0.1..0.2:lin:0", "a range's number of points is 1 to 10000"),
    ("run gauss --batch 1..3:log", "give the number of points"),
    ("run gauss --steps 5..1", "is not a range of 1 to 10000 whole numbers"),
    ("run gauss --steps 1,2.5", "invalid value '1,2.5' for '--steps <STEPS>'"),
    ("run gauss --eta 0.1,0", "--eta must be positive and finite, got 0"),
    ("run mean-estimation --param H=1..2", "malformed --param 'H=1..2': '1..2': give the number of points"),
    ("run mean-estimation --param 2", "malformed --param '2': expected NAME=VALUE"),
    ("run gauss --eta 0.1..1:log:100 --steps 1..101", "the sweep has 10100 points, more than 10000"),
    ("run gauss --same-seed", "--same-seed shares --seed among a sweep's points; no flag has a list or range"),
    ("run gauss --eta 0.1,0.2 --csv - --json", "--csv - writes the CSV to standard output"),
    ("run gauss --json --jsonl", "cannot be used with"),
    ("predict gauss --eta 0.1,0.2", "predict takes one value of each flag, got several of --eta"),
    ("predict mean-estimation --param H=1,2", "got several of --param H"),
    ("stats mean-estimation --param H=1,2", "--param H takes one value here"),
    ("run mlp --batch 1,2", "the network study mlp takes one value of each flag, got several of --batch"),
    ("run mlp --same-seed", "--same-seed does not apply to the network study mlp"),
    // ---- item 13: thresholds whose moments overflow
    ("run gauss --diverge-at 1e308", "--diverge-at must be positive and at most 5e148 (beyond it the variances"),
    ("run gauss --diverge-at 6e148", "got 6e148"),
    ("run gauss --diverge-at inf", "got inf"),
    // ---- the theory
    ("run gauss --theory --order 5", "--order 5: the diagram expansion is implemented to order 4"),
    ("predict gauss --order 18446744073709551615", "the diagram expansion is implemented to order 4"),
    ("predict gauss --order -1", "invalid value '-1' for '--order"),
    ("predict gauss --optimizer gdc --order 3", "--order 3: GDC is predicted to order 2"),
    ("predict gauss --compare gdc --order 3", "--order 3: GDC is predicted to order 2"),
    ("predict gauss --resum --train-size 10 --epochs 2", "--resum: re-summed values are implemented for"),
    ("run gauss --theory --resum --optimizer gdc", "--resum: re-summed values are implemented for"),
    ("predict gauss --resum nope", "invalid value 'nope' for '--resum"),
    ("predict gauss --optimizer momentum --resum integral", "--resum integral: Remark 2's integrals are for plain"),
    ("predict gauss --optimizer invhess --resum", "--resum: the Hessian-based update (invhess) is not re-summed"),
    (
        "predict gauss --optimizer momentum --resum --train-size 10 --batch 2 --epochs 1",
        "--resum: re-summed values are implemented",
    ),
    // ---- predict: flags it does not have
    ("predict", "the following required arguments were not provided: <LANDSCAPE>"),
    ("predict gauss --trials 5", "unexpected argument '--trials'"),
    ("predict gauss --diverge-at 1", "unexpected argument '--diverge-at'"),
    ("predict gauss --csv x.csv", "unexpected argument '--csv'"),
    ("predict gauss --json x", "unexpected argument 'x'"),
    ("predict gauss --explain --explain", "'--explain' cannot be used multiple times"),
    ("predict gauss --optimizer gd --batch 2", "--batch, --epochs and --shuffle describe SGD's grid"),
    ("predict gauss --steps 1073741824", "--steps 1073741824 is out of range"),
    ("predict gauss --compare gd --batch 0", "--batch must be at least 1"),
    // ---- stats
    ("stats", "the following required arguments were not provided: <LANDSCAPE>"),
    ("stats gauss --at nan", "--at needs 1 finite number for gauss (h)"),
    ("stats gauss --at 1,2", "--at needs 1 finite number for gauss (h)"),
    ("stats archimedes --at 1", "--at needs 3 finite numbers for archimedes"),
    ("stats gauss --at -inf", "--at needs 1 finite number"),
    ("stats gauss --at x", "invalid value 'x' for '--at"),
    ("stats gauss --estimate --samples 0", "--samples must be at least 23"),
    ("stats gauss --estimate --samples 22", "--samples must be at least 23"),
    ("stats gauss --estimate --samples -1", "invalid value '-1' for '--samples"),
    ("stats mean-estimation --param H=nan", "--param H must be finite"),
    ("stats gauss --param H=1", "unknown parameter 'H' for gauss"),
    ("stats gauss --trials 1", "unexpected argument '--trials'"),
    ("stats gauss --json extra", "unexpected argument 'extra'"),
    // ---- figure
    ("figure", "the following required arguments were not provided: <NAME>"),
    ("figure nope", "unknown figure 'nope' (known: archimedes-drift"),
    ("figure gdc --all", "cannot be used with"),
    ("figure gdc --backend nope", "invalid value 'nope' for '--backend"),
    ("figure gdc --quick --quick", "'--quick' cannot be used multiple times"),
    ("figure gdc extra", "unexpected argument 'extra'"),
    // ---- landscapes
    ("landscapes extra", "unexpected argument 'extra'"),
    ("landscapes --json --json", "'--json' cannot be used multiple times"),
    ("landscapes --quiet", "unexpected argument '--quiet'"),
    // ---- bench
    ("bench --trials 0", "--trials must be at least 1"),
    ("bench --repeats 0", "--repeats must be at least 1"),
    ("bench --steps 0", "--steps must be at least 1"),
    ("bench --trials -1", "invalid value '-1' for '--trials"),
    ("bench --landscape nope", "unknown landscape 'nope'"),
    ("bench --workload nope", "invalid value 'nope' for '--workload"),
    ("bench --backend nope", "invalid value 'nope' for '--backend"),
    ("run gauss --interval nope", "invalid value 'nope' for '--interval"),
    ("run gauss --interval skew --interval student", "'--interval <INTERVAL>' cannot be used multiple times"),
    ("predict gauss --interval student", "unexpected argument '--interval'"),
    ("bench --peers nope", "invalid value 'nope' for '--peers"),
    ("bench --peers numpy --no-peers", "--peers and --no-peers cannot be used together"),
    ("bench --json extra", "unexpected argument 'extra'"),
    (
        "bench --quick --trials 10 --steps 10 --repeats 1",
        "--quick sets the defaults of --trials, --steps and --repeats",
    ),
    ("predict gauss --optimizer gd --substeps 4", "--substeps is the number of substeps of sde and ode"),
    ("predict gauss --train-size 2 --epochs 2 --substeps 3", "sgd on this grid takes none"),
    ("predict gauss --optimizer gd --compare sde", "--compare sde: it runs on the same N = 10 points for T = 1 steps"),
    ("run gauss --optimizer gd --compare sgd --batch 3", "--compare sgd: it runs on the same N = 10 points"),
    ("run gauss --compare sgd", "--compare sgd: this is the primary run itself (sgd): the same trials, a difference of exactly 0"),
    ("predict archimedes --optimizer gd --compare gd", "--compare gd: this is the primary run itself (gd)"),
    // --compare with settings (issue 18).
    ("run gauss --compare eta=0.1", "--compare eta=0.1: this is the primary run itself (sgd)"),
    ("run archimedes --optimizer sde --compare substeps=16", "--compare substeps=16: this is the primary run itself"),
    ("run gauss --compare steps=5", "'steps=5' for '--compare <OPTIMIZER|KEY=VALUE,...>': steps cannot differ: both arms run T steps on the same N points"),
    ("run gauss --compare colour=red", "'colour=red' for '--compare <OPTIMIZER|KEY=VALUE,...>': unknown key 'colour' (keys: optimizer, eta, schedule, batch,"),
    ("run gauss --compare eta=fast", "'eta=fast' for '--compare <OPTIMIZER|KEY=VALUE,...>': eta=fast is not a number"),
    ("run gauss --compare gd,batch=2", "--compare gd,batch=2: batch and shuffle describe SGD's grid, and the compared arm runs gd"),
    ("run gauss --compare beta=0.5", "--compare beta=0.5: beta and nesterov are momentum's, and the compared arm runs sgd"),
    ("run gauss --compare momentum,beta=1", "--beta must lie in [0, 1), got 1"),
    ("run gauss --compare eta=-1", "--eta must be positive and finite, got -1"),
    ("run archimedes --train-size 10 --compare batch=3 --epochs 1", "--compare batch=3: it runs on the same N = 10 points for T = 10 steps"),
    // Learning-rate schedules (issue 18).
    ("run gauss --schedule linear", "invalid value 'linear' for '--schedule <SCHEDULE>': schedules are constant, step:K:γ"),
    ("run gauss --schedule step:0:0.5", "K must be a whole number of steps, at least 1, got '0'"),
    ("run gauss --schedule 1/t:-2", "τ must be a positive number, got '-2'"),
    ("run gauss --optimizer gdc --schedule cosine", "--schedule does not apply to gdc: its correction is Corollary 3's"),
    ("run gauss --schedule cosine --theory --resum", "--resum: the re-summation is for a constant η"),
    ("predict gauss --optimizer invhess --schedule cosine", "the theory of invhess with a --schedule is not implemented"),
    ("run mlp --schedule cosine", "--schedule does not apply to the network study mlp"),
    ("run gauss --compare schedule=sometimes", "'schedule=sometimes' for '--compare <OPTIMIZER|KEY=VALUE,...>': --schedule sometimes: schedules are"),
    // Grid arithmetic (issue 18): N and B leave T open.
    ("run archimedes --train-size 10 --batch 5", "--train-size 10 with --batch 5 leaves T open: give --steps (T) or --epochs (E)"),
    // The network study (issue 14).
    ("run gauss --classes 3", "--classes applies to the network studies (mlp, li-…), not to gauss"),
    ("run archimedes --hidden 4", "--hidden applies to the network studies"),
    ("run li-gauss10 --theory", "--theory does not apply to the network study li-gauss10"),
    ("run mlp --optimizer gd", "--optimizer does not apply to the network study mlp"),
    ("run mlp --param a=1", "--param does not apply"),
    ("run mlp --interval student", "--interval does not apply"),
    ("run mlp --init 1", "--init of a network is normal or he, got '1'"),
    ("run mlp --init he,normal", "--init of a network is normal or he, got 'he,normal'"),
    ("run gauss --init he", "--init takes numbers (θ₀'s weights; normal or he for a network), got 'he'"),
    ("run mlp --trials 0", "--trials must be at least 1"),
    ("run mlp --eta 0", "--eta must be finite and positive, not 0"),
    ("run mlp --quantiles 1.5", "--quantiles must lie in [0, 1], got 1.5"),
    ("run mlp --loss-change-at 500", "--loss-change-at 500 is not a step of the run (0 to 400)"),
    ("run mlp --loss-change-at 10 --loss-change-batches 1", "--loss-change-batches must be at least 2"),
    ("run mlp --data nowhere.csv", "nowhere.csv"),
    ("run mlp --data nowhere.csv --train-size 5", "--train-size sets Gauss-k's size; a --data file has its own"),
    ("run mlp --test-size 0 --test-every 5", "--test-every needs a test set"),
    ("run gauss --record-all-until 5", "--record-all-until applies to the network studies (mlp, li-…), not to gauss"),
    ("run mlp --record-all-until -1", "invalid value '-1' for '--record-all-until <T>'"),
    // Curvature (issue 15): a snapshot beyond T, q > p, flags without steps.
    ("run mlp --curvature-at 500", "--curvature-at 500 is beyond the run's T = 400 steps"),
    ("run mlp --curvature-at 10 --top 2000", "--top must lie in 1 to the network's p = 1150 parameters, got 2000"),
    ("run li-gauss2 --curvature-at 10 --top 0", "--top must lie in 1 to the network's p = 902 parameters, got 0"),
    ("run mlp --top 5", "--top needs --curvature-at STEPS"),
    ("run mlp --full-spectra", "--full-spectra needs --curvature-at STEPS"),
    (
        "run mlp --trials 10 --curvature-at 10 --curvature-runs 20",
        "--curvature-runs must lie in 1 to --trials 10, got 20",
    ),
    (
        "run mlp --hidden 100,100 --curvature-at 0 --full-spectra",
        "--full-spectra needs p ≤ 5000 (a dense p × p Hessian per thread); this network has p = 16210: use --top",
    ),
    ("run gauss --curvature-at 5", "--curvature-at applies to the network studies (mlp, li-…), not to gauss"),
    // Adaptive steps and PAC-Bayes (issue 15): L ≤ 0, flags without their switch.
    ("run mlp --adaptive oracle --smoothness 0", "--smoothness L must be positive and finite, got 0"),
    ("run mlp --adaptive diagonal --smoothness -1", "--smoothness L must be positive and finite, got -1"),
    ("run mlp --adaptive oracle --smoothness nan", "--smoothness L must be positive and finite, got NaN"),
    ("run mlp --adaptive oracle", "--adaptive needs --smoothness L, a bound on ‖H_f‖₂ (Theorem 3)"),
    ("run mlp --smoothness 2", "--smoothness needs --adaptive RULE"),
    ("run mlp --adaptive adam --smoothness 2", "invalid value 'adam' for '--adaptive <RULE>'"),
    ("run gauss --adaptive oracle", "--adaptive applies to the network studies (mlp, li-…), not to gauss"),
    ("run mlp --pac-bayes --prior-sd 0", "--prior-sd must be positive and finite, got 0"),
    ("run mlp --pac-bayes --delta 1", "--delta must lie in (0, 1), got 1"),
    ("run mlp --pac-bayes --gibbs-draws 0", "--gibbs-draws must be at least 1"),
    ("run mlp --delta 0.1", "--delta needs --pac-bayes"),
    ("run mlp --pac-bayes --prior-mean middle", "invalid value 'middle' for '--prior-mean"),
    ("run gauss --optimizer momentum --beta 1", "--beta must lie in [0, 1), got 1"),
    ("run gauss --optimizer momentum --beta -0.1", "--beta must lie in [0, 1), got -0.1"),
    ("run gauss --optimizer momentum --beta nan", "--beta must lie in [0, 1), got NaN"),
    ("run gauss --beta 0.5", "--beta is momentum's β: it needs --optimizer momentum"),
    ("run gauss --nesterov", "--nesterov is a form of momentum: it needs --optimizer momentum"),
    ("predict gauss --optimizer sgd --nesterov", "--nesterov is a form of momentum"),
    ("run gauss --optimizer invhess --lambda -1", "--lambda must be non-negative and finite, got -1"),
    ("run gauss --optimizer invhess --lambda inf", "--lambda must be non-negative and finite, got inf"),
    ("run gauss --optimizer momentum --lambda 1", "--lambda is invhess's λ: it needs --optimizer invhess"),
    ("run mlp --beta 0.5", "--beta does not apply to the network study mlp"),
    (
        "predict archimedes --optimizer momentum --steps 2000",
        "the theory of momentum lists its embeddings, and T = 2000 at order 3",
    ),
    (
        "predict archimedes --optimizer momentum --train-size 40 --epochs 30 --shuffle",
        "the theory of momentum lists its embeddings, and T = 1200 at order 3",
    ),
    ("run mlp --trials 10 --pac-bayes --curvature-runs 11", "--curvature-runs must lie in 1 to --trials 10, got 11"),
    // Formula landscapes (issue 19); a parse error adds the formula and a
    // caret below the line (cli::a_formula_error_points_at_its_column).
    ("run --loss h^2 --weights h", "--loss: the loss does not depend on the sample x"),
    ("run --loss x*h --weights x", "'x' is the sample, a constant or a function, not a weight name"),
    ("run --loss x*h --weights h,h", "--loss: 'h' is declared twice"),
    ("run --loss softplus(x*h) --weights h --law t(5)", "--loss: the loss is not a polynomial in x, and under x ~ Student-t(5)"),
    ("run --loss x*h --weights h --law cauchy", "law 'cauchy': expected normal, uniform, uniform(a,b), rademacher or student-t(nu)"),
    ("run --loss x*h --weights h --law uniform(1,1)", "law 'uniform(1,1)': uniform(a,b) needs finite a < b"),
    ("run --loss x^2*h --weights h --law t(4)", "needs E x^k for k up to 4, and x ~ Student-t(4) has moments only of order below ν"),
    ("predict --loss x*h^2 --weights h --law t(4)", "the diagram expansion (products of five per-sample derivatives) needs E x^k for k up to 5"),
    ("run gauss --law rademacher", "required arguments were not provided: --weights <NAME,...> --loss"),
    ("run --loss w*x1 --weights x1", "'x1' is the sample, a constant or a function, not a weight name"),
    ("predict --loss w^2*(x1*x2*x3)^4 --weights w", "the diagram expansion (products of five per-sample derivatives) needs a rule of 31^3"),
    ("run --loss log(h)*x --weights h", "the test loss of formula is not finite at the init θ₀ = (0)"),
    ("predict --loss x^13*h --weights h", "--loss: the loss has degree 13 in x; at most 12"),
    ("stats --loss x*h --weights a,b,c,d", "a formula landscape needs 1 to 3 weights (--weights a,b,c), got 4"),
    ("run --loss x*h --weights h --param c=nan", "--loss: parameter c must be finite, got NaN"),
    ("run --loss x*h*c --weights h --param c=1,d=2,e=3,f=4,g=5", "at most 4 parameters"),
    ("run gauss --loss x*h --weights h", "cannot be used with '--loss <FORMULA>'"),
    ("run --loss x*h", "required arguments were not provided: --weights"),
    ("run --landscape-file /nonexistent.toml", "/nonexistent.toml: No such file or directory"),
    ("bench --loss x*h --weights h --landscape gauss", "cannot be used with '--landscape <LANDSCAPE>'"),
    ("figure gdc --loss x*h --weights h", "set up eta-sweep, not the figure gdc"),
    ("figure eta-sweep --steps 0", "a whole number of steps, at least 1, is needed, got '0'"),
];

/// Cases on the default backend (`auto`): refused before a backend opens,
/// so without the notice that no GPU adapter (or only a software one) did.
const AUTO: &[(&str, &str)] = &[
    ("run gauss --batch 0", "--batch must be at least 1"),
    ("run gauss --eta -inf", "--eta must be positive and finite, got -inf"),
    ("run gauss --diverge-at 1e308", "--diverge-at must be positive and at most 5e148"),
    ("run gauss --order 2", "--order chooses the prediction of --theory"),
    ("run gauss --trials 100000000 --csv /proc/x.csv", "cannot create a file in /proc"),
    ("figure gdc --out /etc/passwd", "/etc/passwd: not a directory"),
    ("bench --trials 0", "--trials must be at least 1"),
];

/// Cases whose arguments hold what a space-split table cannot: control
/// characters, echoed escaped so that the error stays one line.
fn raw_cases() -> Vec<(Vec<&'static str>, &'static str)> {
    vec![
        (vec!["run", "ga\nuss"], "unknown landscape 'ga\\nuss'"),
        (vec!["stats", "x\ty"], "unknown landscape 'x\\ty'"),
        (vec!["predict", "\u{1b}[2Jgauss"], "unknown landscape '\\u{1b}[2Jgauss'"),
        (vec!["run", "gauss", "--optimizer", "x\ny"], "invalid value 'x\\ny' for '--optimizer <OPTIMIZER>'"),
        (vec!["run", "gauss", "--steps", "1\n"], "invalid value '1\\n' for '--steps <STEPS>'"),
        (vec!["run", "gauss", "--eta", "0.1\n\n"], "invalid value '0.1\\n\\n' for '--eta <ETA>'"),
        (vec!["run", "mean-estimation", "--param", "\u{1b}[31mH=1"], "unknown parameter '\\u{1b}[31mH'"),
        (vec!["run", "gauss", "--csv", "a\nb/x.csv"], "a\\nb/x.csv: cannot create a file in a\\nb"),
        (vec!["figure", "foo\nbar"], "unknown figure 'foo\\nbar'"),
        (vec!["bench", "--landscape", "a\rb"], "unknown landscape 'a\\rb'"),
        (vec!["run", "gauss", "--nope\n"], "unexpected argument '--nope\\n'"),
    ]
}

/// Why a refusal is wrong, if it is.
fn check_refusal(what: &str, says: &str, out: &Outcome) -> Option<String> {
    let Some(status) = out.status else {
        return Some(format!("{what}: still ran after {TIMEOUT:?}; stderr {:?}", out.stderr));
    };
    let stderr = &out.stderr;
    let wrong = if stderr.contains("panicked") || stderr.contains("backtrace") {
        "panicked"
    } else if status.code() != Some(2) {
        "exit status is not 2"
    } else if stderr.lines().count() != 1 || !stderr.ends_with('\n') {
        "not exactly one line on stderr"
    } else if !stderr.starts_with("simsgd: error: ") {
        "stderr is not simsgd's error"
    } else if !stderr.contains(says) {
        "the error does not say what it should"
    } else if !out.stdout.is_empty() {
        "stdout is not empty"
    } else {
        return None;
    };
    Some(format!("{what}: {wrong} ({status}); expected {says:?} in stderr {stderr:?}; stdout {:?}", out.stdout))
}

/// Every malformed invocation is refused with one line, exit 2, in bounded
/// time and memory; the table is at least 150 strong.
#[test]
fn malformed_invocations_are_refused_with_one_line() {
    let mut cases: Vec<(String, Vec<OsString>, &str)> = Vec::new();
    for (args, says) in REFUSED {
        let words: Vec<&str> = args.split(' ').filter(|w| !w.is_empty()).collect();
        cases.push((format!("simsgd {args}"), invocation(&words, true), says));
    }
    for (args, says) in AUTO {
        let words: Vec<&str> = args.split(' ').collect();
        cases.push((format!("simsgd {args} (auto backend)"), invocation(&words, false), says));
    }
    for (words, says) in raw_cases() {
        cases.push((format!("simsgd {words:?}"), invocation(&words, true), says));
    }
    assert!(cases.len() >= 150, "{} cases", cases.len());
    let start = Instant::now();
    let outcomes = run_all(&cases.iter().map(|(_, args, _)| args.clone()).collect::<Vec<_>>());
    let failures: Vec<String> =
        cases.iter().zip(&outcomes).filter_map(|((what, _, says), out)| check_refusal(what, says, out)).collect();
    let slowest = cases.iter().zip(&outcomes).max_by(|a, b| a.1.seconds.total_cmp(&b.1.seconds)).unwrap();
    eprintln!(
        "{} malformed invocations in {:.1} s (slowest {:.2} s: {})",
        cases.len(),
        start.elapsed().as_secs_f64(),
        slowest.1.seconds,
        slowest.0 .0
    );
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

/// Accepted edge invocations: exit 0, and every number printed finite (or
/// n/a): no `inf` or `NaN` in stdout. (`run gauss --optimizer gd --steps 0
/// --theory --resum`'s z = inf, the re-summed `predict` at η = 10 and the
/// z of a single trial are fixed in report/ and theory/, elsewhere.)
const ACCEPTED: &[&str] = &[
    "run gauss --steps 0 --trials 1",
    "run gauss --trials 1",
    "run gauss --trials 2",
    "run gauss --steps 0 --trials 100",
    "run gauss --steps 0 --trials 1 --json",
    "run gauss --optimizer gd --steps 0 --trials 100 --theory --resum",
    "run gauss --steps 0 --trials 1 --theory",
    "run gauss --trials 1000 --theory --compare gd",
    "run gauss --diverge-at 5e148 --trials 1000",
    "run gauss --diverge-at 1e-300 --trials 100",
    "run gauss --eta 1e300 --trials 100",
    "run gauss --eta 1e-300 --trials 100",
    "run mean-estimation --param H=1e200 --trials 100",
    "run mean-estimation --param H=0,S=0 --trials 100 --theory",
    "run shifting-valleys --init 1e10,1e10 --trials 100",
    "run archimedes --record-every 1 --trials 100",
    "run archimedes --record-every 1000 --trials 100",
    "run archimedes --record-every 1 --trials 100 --json",
    "run gauss --train-size 10 --epochs 0 --trials 100",
    "run gauss --steps 0 --epochs 0 --trials 100",
    "run gauss --optimizer sde --substeps 1 --trials 100",
    "run gauss --seed 18446744073709551615 --trials 100",
    "run gauss --threads 1 --trials 100",
    "run gauss --trials 100 --csv /dev/null",
    "run gauss --eta 0.05..0.25:lin:3 --trials 100",
    "run gauss --eta 1e300,0.1 --trials 100 --theory",
    "run gauss --batch 1,2 --train-size 2 --epochs 1 --trials 100 --same-seed --jsonl",
    "run archimedes --train-size 10 --epochs 1 --compare batch=5,shuffle=true --trials 100 --theory",
    "run gauss --compare eta=0.05,optimizer=sde --trials 100 --theory --csv -",
    "run archimedes --optimizer momentum --compare nesterov=true,beta=0.5 --trials 100 --theory --json",
    "predict archimedes --compare eta=0.05,optimizer=ode",
    "run mean-estimation --param H=1,2,S=0 --trials 100 --theory --csv -",
    "predict gauss --steps 1000 --eta 10 --resum",
    "predict gauss --order 1",
    "predict gauss --eta 1e-300",
    "predict gauss --steps 0",
    "predict archimedes --compare sde --explain",
    "predict gauss --compare gd --resum --json",
    "predict gauss --substeps 4",
    "predict gauss --optimizer gd --compare sde --steps 10 --substeps 4",
    "predict gauss --resum --explain",
    "stats gauss --at 1e10",
    "stats gauss --estimate --samples 23",
    "stats valley-of-death --at 0,0 --json",
    "landscapes",
    "landscapes --json",
    "figure --list",
];

/// Words of `text` that are `inf` or `NaN` (in any case).
fn non_finite_words(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| matches!(w.to_lowercase().as_str(), "inf" | "infinity" | "nan"))
        .map(str::to_string)
        .collect()
}

#[test]
fn accepted_edge_invocations_print_finite_numbers() {
    let invocations: Vec<Vec<OsString>> =
        ACCEPTED.iter().map(|args| invocation(&args.split(' ').collect::<Vec<_>>(), true)).collect();
    let outcomes = run_all(&invocations);
    let mut failures = Vec::new();
    for (args, out) in ACCEPTED.iter().zip(&outcomes) {
        let bad = non_finite_words(&out.stdout);
        if !out.status.is_some_and(|s| s.success()) {
            failures.push(format!("simsgd {args}: {:?} (None: timed out); stderr {:?}", out.status, out.stderr));
        } else if out.stdout.trim().is_empty() {
            failures.push(format!("simsgd {args}: nothing on stdout"));
        } else if !bad.is_empty() {
            failures.push(format!("simsgd {args}: prints {bad:?}:\n{}", out.stdout));
        }
    }
    assert!(failures.is_empty(), "{} of {} cases failed:\n{}", failures.len(), ACCEPTED.len(), failures.join("\n"));
}

/// Item 9: SIGINT (or SIGTERM) in the middle of a run ends it with one line,
/// `simsgd: interrupted`, exit 128 + the signal, and no file left: no
/// temporary, no CSV.
#[test]
fn an_interrupted_run_leaves_nothing_and_says_so() {
    for (signal, code) in [(libc::SIGINT, 130), (libc::SIGTERM, 143)] {
        let dir = Scratch::new(&format!("interrupt-{signal}"));
        let csv = dir.0.join("big.csv");
        let mut child = Command::new(env!("CARGO_BIN_EXE_simsgd"))
            .args(["run", "gauss", "--trials", "100000000", "--backend", "cpu", "--quiet", "--csv"])
            .arg(&csv)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(500));
        assert!(child.try_wait().unwrap().is_none(), "the run ended within 0.5 s: too short to interrupt");
        // SAFETY: kill sends a signal to the child this test started.
        assert_eq!(unsafe { libc::kill(child.id() as libc::pid_t, signal) }, 0);
        let start = Instant::now();
        while child.try_wait().unwrap().is_none() {
            assert!(start.elapsed() < TIMEOUT, "still running {TIMEOUT:?} after signal {signal}");
            std::thread::sleep(Duration::from_millis(10));
        }
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(code), "signal {signal}: {:?}, stderr {stderr:?}", out.status);
        assert_eq!(stderr, "simsgd: interrupted\n", "signal {signal}");
        assert!(out.stdout.is_empty(), "signal {signal}: stdout {:?}", String::from_utf8_lossy(&out.stdout));
        assert!(dir.entries().is_empty(), "signal {signal} left {:?}", dir.entries());
    }
}

/// Item 5: an output that passes the check but fails when written (a full
/// device) costs nothing computed: the report goes to stdout, then the
/// one-line error, exit 2.
#[test]
fn results_are_printed_when_their_file_cannot_be_written() {
    let out = simsgd(&invocation(&["run", "gauss", "--trials", "1000", "--csv", "/dev/full"], true));
    assert_eq!(out.status.and_then(|s| s.code()), Some(2), "{}", out.stderr);
    assert!(out.stdout.contains("test loss"), "the table: {:?}", out.stdout);
    assert_eq!(out.stderr.lines().count(), 1, "{:?}", out.stderr);
    assert!(out.stderr.starts_with("simsgd: error: /dev/full: "), "{:?}", out.stderr);
    let json = simsgd(&invocation(&["run", "gauss", "--trials", "1000", "--json", "--csv", "/dev/full"], true));
    assert_eq!(json.status.and_then(|s| s.code()), Some(2), "{}", json.stderr);
    let v: serde_json::Value = serde_json::from_str(&json.stdout).expect("the JSON report");
    assert_eq!(v["trials"], 1000);
}

/// Item 5: an output folder that is a file is refused before a figure is
/// simulated (it took the whole figure before); a missing folder is made
/// only once there is something to put in it.
#[test]
fn figure_outputs_are_checked_first() {
    let dir = Scratch::new("figure");
    let file = dir.0.join("file");
    std::fs::write(&file, "x").unwrap();
    let start = Instant::now();
    let args = ["figure", "--all", "--backend", "cpu", "-q", "--out", file.to_str().unwrap()].map(OsString::from);
    let out = simsgd(&args);
    assert!(check_refusal("figure --all --out FILE", "not a directory", &out).is_none(), "{}", out.stderr);
    assert!(start.elapsed() < Duration::from_secs(5), "refused only after {:?}", start.elapsed());
    // A figure's name taken by a directory in the folder: refused up front.
    std::fs::create_dir(dir.0.join("gdc.png")).unwrap();
    let args = ["figure", "gdc", "--backend", "cpu", "-q", "--out", dir.0.to_str().unwrap()].map(OsString::from);
    let out = simsgd(&args);
    assert!(
        check_refusal("figure gdc (gdc.png a directory)", "gdc.png: a directory", &out).is_none(),
        "{}",
        out.stderr
    );
    assert_eq!(dir.entries(), ["file", "gdc.png"]);
}
