//! The simsgd binary run as a child the way a hostile user would: under an
//! address-space limit ([`MEMORY_LIMIT`], which simsgd reads as the memory
//! available, so refusals do not depend on the machine: far below what the
//! refused runs need, far above what the accepted ones do), killed after
//! [`TIMEOUT`].

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

/// Address space of every child (simsgd reads it as the memory available).
pub const MEMORY_LIMIT: u64 = 1 << 30;

/// Longest a child may run.
pub const TIMEOUT: Duration = Duration::from_secs(20);

/// What a child did.
pub struct Outcome {
    /// `None`: killed after [`TIMEOUT`].
    pub status: Option<ExitStatus>,
    pub stdout: String,
    pub stderr: String,
    pub seconds: f64,
}

/// Runs the binary with `args` under [`MEMORY_LIMIT`], killed after [`TIMEOUT`].
pub fn simsgd<S: AsRef<OsStr>>(args: &[S]) -> Outcome {
    let mut command = Command::new(env!("CARGO_BIN_EXE_simsgd"));
    command.args(args).env("RUST_BACKTRACE", "1").stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped());
    // SAFETY: between fork and exec only setrlimit runs, which is
    // async-signal-safe and allocates nothing.
    unsafe {
        command.pre_exec(|| {
            let limit = libc::rlimit { rlim_cur: MEMORY_LIMIT as _, rlim_max: MEMORY_LIMIT as _ };
            if libc::setrlimit(libc::RLIMIT_AS, &limit) != 0 {
                return Err(std::io::Error::last_os_error());
            }
            Ok(())
        });
    }
    let start = Instant::now();
    let mut child = command.spawn().expect("the simsgd binary runs");
    let drain = |mut r: Box<dyn Read + Send>| {
        std::thread::spawn(move || {
            let mut bytes = Vec::new();
            let _ = r.read_to_end(&mut bytes);
            String::from_utf8_lossy(&bytes).into_owned()
        })
    };
    let stdout = drain(Box::new(child.stdout.take().unwrap()));
    let stderr = drain(Box::new(child.stderr.take().unwrap()));
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for simsgd") {
            break Some(status);
        }
        if start.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let seconds = start.elapsed().as_secs_f64();
    Outcome { status, stdout: stdout.join().unwrap(), stderr: stderr.join().unwrap(), seconds }
}
