//! The memory a run may use: what the machine has available, and the one
//! refusal when a run would need more.
//!
//! Available memory is the least of what the kernel says it can give without
//! swapping (`MemAvailable` in /proc/meminfo), the room left under this
//! process's address-space limit (`ulimit -v`), and the room left in its
//! control group (cgroup v2 `memory.max`, v1 `memory.limit_in_bytes`). Where
//! none of them can be read (not Linux), nothing is refused.

use crate::error::{usage, Result};
use std::path::Path;

/// Memory available to this process, and which limit set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Available {
    pub bytes: u64,
    /// What set the figure: `MemAvailable`, `ulimit -v` or `cgroup`.
    pub source: &'static str,
}

/// Limits at or above this are "no limit" (cgroup v1 writes 2^63 rounded
/// down to a page).
const UNLIMITED: u64 = 1 << 60;

/// The memory available to this process now (see the module's doc), or
/// `None` where it cannot be told.
pub fn available() -> Option<Available> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok();
    let status = std::fs::read_to_string("/proc/self/status").ok();
    let mut candidates = Vec::new();
    if let Some(bytes) = meminfo.as_deref().and_then(|m| kib_field(m, "MemAvailable:")) {
        candidates.push(Available { bytes, source: "MemAvailable" });
    }
    if let Some(limit) = address_space_limit() {
        let used = status.as_deref().and_then(|s| kib_field(s, "VmSize:")).unwrap_or(0);
        candidates.push(Available { bytes: limit.saturating_sub(used), source: "ulimit -v" });
    }
    if let Some(bytes) = cgroup_room() {
        candidates.push(Available { bytes, source: "cgroup" });
    }
    candidates.into_iter().min_by_key(|a| a.bytes)
}

/// A `NAME:   123 kB` line of /proc/meminfo or /proc/self/status, in bytes.
fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..].split_whitespace().next()?.parse().ok()?;
    kib.checked_mul(1024)
}

/// The soft `RLIMIT_AS`, where finite.
#[allow(clippy::unnecessary_cast)] // rlim_t is not u64 everywhere
fn address_space_limit() -> Option<u64> {
    let mut limit = libc::rlimit { rlim_cur: 0, rlim_max: 0 };
    // SAFETY: getrlimit writes the struct it is given and nothing else.
    let ok = unsafe { libc::getrlimit(libc::RLIMIT_AS, &mut limit) } == 0;
    (ok && limit.rlim_cur != libc::RLIM_INFINITY && (limit.rlim_cur as u64) < UNLIMITED)
        .then_some(limit.rlim_cur as u64)
}

/// The least room (limit − usage) over this process's memory control groups
/// and their ancestors that have a limit.
fn cgroup_room() -> Option<u64> {
    let own = std::fs::read_to_string("/proc/self/cgroup").unwrap_or_default();
    let mut rooms = Vec::new();
    for line in own.lines() {
        let mut fields = line.splitn(3, ':');
        let (Some(id), Some(controllers), Some(path)) = (fields.next(), fields.next(), fields.next()) else {
            continue;
        };
        let (root, max, current) = if id == "0" && controllers.is_empty() {
            ("/sys/fs/cgroup", "memory.max", "memory.current")
        } else if controllers.split(',').any(|c| c == "memory") {
            ("/sys/fs/cgroup/memory", "memory.limit_in_bytes", "memory.usage_in_bytes")
        } else {
            continue;
        };
        // The group as this process sees it, its ancestors and the mount's
        // root (inside a container the listed path may not exist).
        let mut dirs = vec![Path::new(root).to_path_buf()];
        let mut at = Path::new(root).to_path_buf();
        for part in path.split('/').filter(|p| !p.is_empty()) {
            at.push(part);
            dirs.push(at.clone());
        }
        for dir in dirs {
            let read = |name: &str| std::fs::read_to_string(dir.join(name)).ok();
            let number = |name: &str| -> Option<u64> { read(name)?.trim().parse().ok() };
            if let (Some(limit), Some(used)) = (number(max), number(current)) {
                if limit < UNLIMITED {
                    // Usage counts the page cache; its inactive part is
                    // reclaimed before the limit bites (as `docker stats`).
                    let stat = read("memory.stat").unwrap_or_default();
                    let cache = ["inactive_file ", "total_inactive_file "]
                        .iter()
                        .find_map(|k| stat.lines().find_map(|l| l.strip_prefix(k)?.trim().parse::<u64>().ok()))
                        .unwrap_or(0);
                    rooms.push(limit.saturating_sub(used.saturating_sub(cache)));
                }
            }
        }
    }
    rooms.into_iter().min()
}

/// `bytes` for people: `512 B`, `3.1 MiB`, `64.0 GiB`.
pub fn human(bytes: u64) -> String {
    const UNITS: [&str; 6] = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
    let mut value = bytes as f64;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    if unit == 0 {
        format!("{bytes} B")
    } else {
        format!("{value:.1} {}", UNITS[unit])
    }
}

/// Refuses, as a usage error, a run that needs more than `available`:
/// "`what` needs about N GiB of memory (`detail`), but M GiB is available
/// (source)". Fine where `available` is unknown.
pub fn check(what: &str, needed: u64, detail: &str, available: Option<Available>) -> Result<()> {
    match available {
        Some(a) if needed > a.bytes => Err(usage(format!(
            "{what} needs about {} of memory ({detail}), but {} is available ({})",
            human(needed),
            human(a.bytes),
            a.source
        ))),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_read_for_people() {
        assert_eq!(human(0), "0 B");
        assert_eq!(human(1023), "1023 B");
        assert_eq!(human(1536), "1.5 KiB");
        assert_eq!(human(64 << 30), "64.0 GiB");
        assert_eq!(human(u64::MAX), "16384.0 PiB");
    }

    #[test]
    fn meminfo_fields_in_bytes() {
        let text = "MemTotal:       32768 kB\nMemAvailable:    2048 kB\n";
        assert_eq!(kib_field(text, "MemAvailable:"), Some(2 << 20));
        assert_eq!(kib_field(text, "MemFree:"), None);
    }

    #[test]
    fn refuses_only_beyond_what_is_available() {
        let a = Some(Available { bytes: 1 << 30, source: "MemAvailable" });
        assert!(check("this run", 1 << 30, "x", a).is_ok());
        assert!(check("this run", u64::MAX, "x", None).is_ok());
        let e = check("this run", 3 << 30, "the training sets", a).unwrap_err().to_string();
        assert_eq!(
            e,
            "this run needs about 3.0 GiB of memory (the training sets), but 1.0 GiB is available (MemAvailable)"
        );
        assert!(!e.contains('\n'));
    }

    #[cfg(target_os = "linux")]
    #[test]
    fn linux_says_what_is_available() {
        let a = available().expect("Linux has /proc/meminfo");
        assert!(a.bytes > 0);
    }
}
