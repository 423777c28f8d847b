//! Issue 12 (Reliability), the library's part, end to end through the binary:
//! inputs that aborted (memory exhausted, a wrapped grid), ran for minutes
//! (`--threads 100000`) or wrote output files that did harm.
//!
//! Every invocation runs under an address-space limit ([`MEMORY_LIMIT`](crate::common::child::MEMORY_LIMIT),
//! which simsgd reads as the memory available, so refusals do not depend on
//! the machine) and is killed after [`TIMEOUT`]. A refused one must exit with
//! 2 and exactly one line on stderr, and nothing on stdout; one made to run
//! in bounded memory must succeed under the limit where it used to abort.
//! No test writes outside its own temporary directory: a writer that
//! replaced what it should not would, run as root, replace /dev files.

use crate::common::child::{simsgd, TIMEOUT};
use crate::common::scratch::Scratch;
use std::io::Read;
use std::path::Path;
use std::process::Command;

/// Asserts a refusal: exit code 2, exactly one line on stderr (simsgd's
/// error, no panic) containing `says`, nothing on stdout, within the time
/// limit; returns the line.
#[track_caller]
fn refused(args: &[&str], says: &str) -> String {
    let out = simsgd(args);
    let Some(status) = out.status else {
        panic!("simsgd {args:?} still ran after {TIMEOUT:?}; stderr: {}", out.stderr);
    };
    let stderr = &out.stderr;
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "simsgd {args:?} panicked: {stderr}");
    assert_eq!(status.code(), Some(2), "simsgd {args:?}: {status}; stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "simsgd {args:?}: expected one line on stderr, got {stderr:?}");
    assert!(stderr.starts_with("simsgd: error: ") && stderr.ends_with('\n'), "simsgd {args:?}: {stderr:?}");
    assert!(stderr.contains(says), "simsgd {args:?}: expected {says:?} in {stderr:?}");
    assert!(out.stdout.is_empty(), "simsgd {args:?}: stdout {:?}", out.stdout);
    stderr.trim_end().to_string()
}

/// Asserts a success within the limits; returns stdout.
#[track_caller]
fn succeeds(args: &[&str]) -> String {
    let out = simsgd(args);
    assert!(
        out.status.is_some_and(|s| s.success()),
        "simsgd {args:?}: {:?} (None: killed after {TIMEOUT:?}); stderr: {}",
        out.status,
        out.stderr
    );
    assert!(out.stderr.is_empty(), "simsgd {args:?} wrote to stderr: {}", out.stderr);
    out.stdout
}

/// `args` split on spaces, with `-q --backend cpu` for `run` (no progress
/// bar, no notice about the backend: only the error on stderr).
fn words(args: &str) -> Vec<&str> {
    let mut v: Vec<&str> = args.split(' ').collect();
    if v[0] == "run" {
        v.extend(["-q", "--backend", "cpu"]);
    }
    v
}

/// Item 1: runs whose buffers cannot fit are refused before they start,
/// naming the memory needed and available.
#[test]
fn runs_too_large_for_memory_are_refused_up_front() {
    // The cases are the malformed-invocation table's (each thread holds its
    // 8 trials' training sets of N points: N · 64 bytes).
    let table = crate::malformed::REFUSED
        .iter()
        .filter(|(_, says)| says.contains("(mostly ") || says.contains("learning curves of"));
    assert!(table.clone().count() >= 6);
    for (args, says) in table {
        let line = refused(&words(args), says);
        assert!(line.contains("this run needs about ") && line.contains(" of memory "), "{line}");
        assert!(line.ends_with(" is available (ulimit -v)"), "{args}: {line}");
    }
}

/// Item 1, where memory is now bounded instead: the SDE's increments and
/// `stats --estimate`'s samples no longer grow with K or n. Each aborted
/// under this limit before (K·M·64 bytes = 1.9 GB; n·32 bytes = 1.6 GB).
#[test]
fn sde_substeps_and_estimate_samples_run_in_bounded_memory() {
    let out = succeeds(&words("run gauss --optimizer sde --substeps 10000000 --steps 1 --trials 8 --threads 1"));
    assert!(!out.is_empty());
    let out = succeeds(&["stats", "gauss", "--estimate", "--samples", "50000000"]);
    assert!(!out.is_empty());
}

/// Item 4: products of grid flags wrapped (`--epochs 2^63` with N = 2 gave
/// T = 0 and reported the init); each flag is below 2^30 and every product
/// is checked, naming the flags.
#[test]
fn grid_arithmetic_never_wraps() {
    let table = [
        ("run gauss --train-size 2 --epochs 9223372036854775808", "--epochs 9223372036854775808 is out of range"),
        ("predict gauss --train-size 2 --epochs 9223372036854775809", "--epochs 9223372036854775809 is out of range"),
        ("run gauss --steps 1073741824", "--steps 1073741824 is out of range"),
        ("predict gauss --steps 18446744073709551615", "--steps 18446744073709551615 is out of range"),
        ("run gauss --batch 18446744073709551615 --epochs 3", "--batch 18446744073709551615 is out of range"),
        ("run gauss --train-size 1073741824 --optimizer gd", "--train-size 1073741824 is out of range"),
        ("run gauss --train-size 536870912 --epochs 4", "(--epochs, --train-size, --batch)"),
        ("predict gauss --train-size 536870912 --epochs 4 --shuffle", "(--epochs, --train-size, --batch)"),
        ("run gauss --steps 1073741823 --batch 1073741823", "(--steps, --batch, --epochs)"),
        ("run gauss --optimizer sde --steps 1000 --substeps 4294967295", "out of range for sde"),
        ("run gauss --train-size 1048576 --batch 1048576 --epochs 20000 --shuffle", "--shuffle with --epochs 20000"),
    ];
    for (args, says) in table {
        refused(&words(args), says);
    }
}

/// Item 6: `--threads 100000` spent minutes starting threads.
#[test]
fn absurd_thread_counts_are_refused() {
    refused(&words("run gauss --threads 100000"), "--threads 100000 is too many");
    refused(&words("run gauss --threads 18446744073709551615"), "is too many");
}

/// Item 1, `stats --estimate --samples`: beyond a random stream's 2^34
/// elements. Needs the `stats` command to call
/// `simsgd::theory::statistics::check_samples` (src/cli.rs).
#[test]
fn sample_counts_beyond_a_random_stream_are_refused() {
    refused(&["stats", "gauss", "--estimate", "--samples", "100000000000"], "--samples 100000000000 is out of range");
    refused(&["stats", "gauss", "--estimate", "--samples", "18446744073709551615"], "is out of range");
}

fn run_csv(csv: &Path) -> Vec<String> {
    let csv = csv.to_str().unwrap().to_string();
    ["run", "gauss", "--trials", "200", "-q", "--backend", "cpu", "--csv", &csv].iter().map(|s| s.to_string()).collect()
}

fn strs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

/// Item 3: `--csv` keeps a symbolic link (its target is replaced), an
/// existing file's mode, and a FIFO; it refuses a dangling link and a
/// directory.
#[test]
fn csv_outputs_do_no_harm() {
    use std::os::unix::fs::{FileTypeExt, OpenOptionsExt, PermissionsExt};
    let dir = Scratch::new("csv");
    // A mode-600 file stays 600.
    let private = dir.join("private.csv");
    std::fs::write(&private, "old").unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o600)).unwrap();
    succeeds(&strs(&run_csv(&private)));
    assert_eq!(std::fs::metadata(&private).unwrap().permissions().mode() & 0o777, 0o600);
    let csv = std::fs::read_to_string(&private).unwrap();
    assert!(csv.starts_with("optimizer,"), "{csv}");
    // A link stays a link; its target gets the CSV.
    let link = dir.join("link.csv");
    std::os::unix::fs::symlink("private.csv", &link).unwrap();
    std::fs::write(&private, "old").unwrap();
    succeeds(&strs(&run_csv(&link)));
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(std::fs::read_to_string(&private).unwrap(), csv);
    // A FIFO is written through (a reader that does not block is open).
    let fifo = dir.join("fifo.csv");
    let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
    // SAFETY: mkfifo reads a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    let mut reader = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo).unwrap();
    succeeds(&strs(&run_csv(&fifo)));
    let mut got = String::new();
    let _ = reader.read_to_string(&mut got);
    assert_eq!(got, csv);
    assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
    // A link to nothing, and a directory, are refused with one line.
    let dangling = dir.join("dangling.csv");
    std::os::unix::fs::symlink("nowhere.csv", &dangling).unwrap();
    let out = simsgd(&strs(&run_csv(&dangling)));
    assert_eq!(out.status.and_then(|s| s.code()), Some(2), "{}", out.stderr);
    assert!(
        out.stderr.contains("symbolic link to a missing file") && out.stderr.lines().count() == 1,
        "{}",
        out.stderr
    );
    assert!(!dir.join("nowhere.csv").exists());
    let sub = dir.join("sub");
    std::fs::create_dir(&sub).unwrap();
    let out = simsgd(&strs(&run_csv(&sub)));
    assert_eq!(out.status.and_then(|s| s.code()), Some(2), "{}", out.stderr);
    assert!(out.stderr.contains("a directory") && out.stderr.lines().count() == 1, "{}", out.stderr);
    // Nothing else appeared: no temporaries.
    assert_eq!(dir.count(), 5);
}

/// Item 3: a path to this process's own stdout (here a link in the scratch
/// directory to /proc/self/fd/1, as /dev/stdout is) writes through stdout,
/// before the table, instead of replacing anything.
#[test]
fn csv_to_stdout_goes_through_the_stream() {
    let dir = Scratch::new("stdout");
    let link = dir.join("stdout.csv");
    std::os::unix::fs::symlink("/proc/self/fd/1", &link).unwrap();
    let out = succeeds(&strs(&run_csv(&link)));
    assert!(out.starts_with("optimizer,"), "{out}");
    assert!(out.contains("test loss"), "the table follows the CSV: {out}");
    assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
    assert_eq!(dir.count(), 1);
}

/// Item 2: standard output that cannot be written is one line and exit 2,
/// never a panic (exit 101).
#[test]
fn unwritable_standard_output_is_a_one_line_error() {
    for args in [&["predict", "gauss"][..], &["landscapes", "--json"], &["stats", "archimedes"]] {
        // A full device.
        let full = std::fs::OpenOptions::new().write(true).open("/dev/full").expect("/dev/full");
        let out = Command::new(env!("CARGO_BIN_EXE_simsgd")).args(args).stdout(full).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?} > /dev/full: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "{args:?}: {stderr}");
        assert!(stderr.starts_with("simsgd: error: standard output: "), "{stderr}");
    }
}
