//! Progress of long runs on stderr: drawn only when stderr is a terminal and
//! `--quiet` is not given, and only for runs that last.

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::IsTerminal;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Duration;

/// A trial counter that may draw a bar.
pub struct Progress(ProgressBar, std::sync::Mutex<f64>, u64);

/// The bars drawn now, by id: what an interrupt clears ([`clear_line`]).
static ACTIVE: Mutex<Vec<(u64, ProgressBar)>> = Mutex::new(Vec::new());

fn active() -> std::sync::MutexGuard<'static, Vec<(u64, ProgressBar)>> {
    ACTIVE.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl Progress {
    /// A bar over `total` trials, labelled `label`; hidden when `quiet` or when
    /// stderr is not a terminal.
    pub fn new(total: u64, label: &str, quiet: bool) -> Self {
        if quiet || !std::io::stderr().is_terminal() {
            return Self::hidden();
        }
        let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(5));
        let style =
            ProgressStyle::with_template("{prefix} [{bar:30}] {human_pos}/{human_len} trials, {elapsed} (eta {eta})")
                .map(|s| s.progress_chars("=> "))
                .unwrap_or_else(|_| ProgressStyle::default_bar());
        bar.set_style(style);
        bar.set_prefix(label.to_string());
        // Ticks only start drawing after a short delay, so quick runs stay clean.
        bar.enable_steady_tick(Duration::from_millis(500));
        static IDS: AtomicU64 = AtomicU64::new(1);
        let id = IDS.fetch_add(1, Ordering::Relaxed);
        active().push((id, bar.clone()));
        Progress(bar, Default::default(), id)
    }

    /// A counter that never draws.
    pub fn hidden() -> Self {
        Progress(ProgressBar::hidden(), Default::default(), 0)
    }

    pub fn advance(&self, trials: u64) {
        self.0.inc(trials);
    }

    /// Advances by a fraction of trials (work done on many trials at once,
    /// part of the way through their steps).
    pub fn advance_fraction(&self, trials: f64) {
        let mut done = self.1.lock().unwrap_or_else(|p| p.into_inner());
        let before = *done as u64;
        *done += trials;
        self.0.inc(*done as u64 - before);
    }

    /// Removes the bar.
    pub fn finish(&self) {
        self.0.finish_and_clear();
        active().retain(|(id, _)| *id != self.2);
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        if self.2 != 0 {
            self.finish();
        }
    }
}

/// Removes the progress bars drawn now (all the terminal rows a long one
/// wraps over) and clears the current line of stderr where it is a terminal
/// (the `^C` the terminal echoed), so that what is printed next starts a
/// clean line. For an interrupt ([`crate::interrupt`]). Nothing where stderr
/// is a file or a pipe.
pub fn clear_line() {
    use std::io::Write;
    for (_, bar) in active().drain(..) {
        bar.finish_and_clear();
    }
    let mut err = std::io::stderr();
    if err.is_terminal() {
        let _ = err.write_all(b"\r\x1b[2K");
    }
}
