//! Interrupts (SIGINT, SIGTERM, SIGHUP): what an interrupted `simsgd` leaves
//! behind is what it had finished writing, nothing half-written.
//!
//! [`install`] blocks the three signals in the calling thread (before any
//! other thread exists, so every thread inherits the mask; child processes
//! start with an empty mask, as `std::process::Command` resets it) and
//! starts one thread that waits for them with `sigwait`. On the first signal
//! that thread, which runs no signal handler and so may take locks and
//! allocate:
//!
//! 1. removes every temporary file the atomic writer has open
//!    ([`crate::atomic::abandon`]), which also waits for a rename in progress
//!    (a figure's three files are renamed together under the same lock, so
//!    an interrupt never leaves a new CSV beside an old PNG);
//! 2. clears a progress bar's line on a terminal ([`crate::progress::clear_line`]);
//! 3. prints `simsgd: interrupted` and exits at once with 128 + the signal
//!    (130 for SIGINT, 143 for SIGTERM, 129 for SIGHUP), as a shell reports a
//!    process killed by it.
//!
//! SIGKILL cannot be caught: killed while writing, simsgd may leave a
//! temporary (`.NAME.tmp-PID-N`) beside an output; killed during a figure's
//! three renames (microseconds), the new CSV beside the old PNG and SVG.

/// Starts the thread that handles interrupts. Call it first thing in `main`,
/// before any thread is started: threads started before it would still
/// take the default action (end the process without clean-up).
#[cfg(unix)]
pub fn install() {
    // SAFETY: sigset_t is plain data that sigemptyset initialises;
    // pthread_sigmask only changes this thread's mask.
    let set = unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in [libc::SIGINT, libc::SIGTERM, libc::SIGHUP] {
            libc::sigaddset(&mut set, sig);
        }
        if libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut()) != 0 {
            return;
        }
        set
    };
    let waiter = std::thread::Builder::new().name("simsgd-signals".into()).spawn(move || loop {
        let mut sig: libc::c_int = 0;
        // SAFETY: sigwait reads the initialised set and writes one int.
        if unsafe { libc::sigwait(&set, &mut sig) } == 0 {
            interrupted(sig);
        }
    });
    if waiter.is_err() {
        // No thread to receive them: let the signals act as before.
        // SAFETY: as above.
        unsafe {
            libc::pthread_sigmask(libc::SIG_UNBLOCK, &set, std::ptr::null_mut());
        }
    }
}

#[cfg(not(unix))]
pub fn install() {}

/// Cleans up after signal `sig` and exits with 128 + `sig`.
#[cfg(unix)]
fn interrupted(sig: libc::c_int) -> ! {
    use std::io::Write;
    // Held until the process ends: no temporary is created or renamed after.
    let _writer = crate::atomic::abandon();
    crate::progress::clear_line();
    let _ = std::io::stderr().write_all(b"simsgd: interrupted\n");
    // SAFETY: _exit ends the process at once, running nothing of this
    // process's (no destructors, no atexit handlers, so no other thread
    // meets a half-destroyed runtime).
    unsafe { libc::_exit(128 + sig) }
}
