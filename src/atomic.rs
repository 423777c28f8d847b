//! The one writer of every output file (CSV, figures' PNG and SVG): a file
//! appears whole or not at all, and writing one never harms what was there.
//!
//! What `write(path, …)` does depends on what `path` names (symbolic links
//! followed):
//!
//! | `path` is | written |
//! | --- | --- |
//! | nothing yet | to a temporary file beside it, synced, then renamed to `path` |
//! | a regular file | the same, beside the file (a symbolic link's target, not the link), keeping its permissions (and, where allowed, its owner) |
//! | this process's stdout or stderr (`/dev/stdout`, `/proc/self/fd/2`, or the file stdout is redirected to) | through that stream, after what was printed before |
//! | a FIFO or character device (`/dev/null`, a named pipe, a terminal) | through it, directly: no rename, so not atomic |
//! | a symbolic link to nothing | refused: a link that points nowhere is written through by no careful tool (`cp` refuses too), as it may be planted |
//! | a directory, block device or socket | refused |
//!
//! So a symbolic link stays a link (its target is replaced), a FIFO or
//! device is never replaced by a regular file, and `--csv /dev/stdout`
//! writes to stdout, even as root. A replaced regular file's other hard
//! links keep the old contents, as with any atomic replacement.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{Error, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Writes `bytes` to `path` as the module's table says ([`target`]). The
/// directory must exist. Errors say what `path` is when that is why it was
/// refused.
pub fn write(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    match target(path)? {
        Target::New => replace(path, bytes, None),
        Target::Replace(file, meta) => replace(&file, bytes, Some(&meta)),
        Target::Stream(stream) => stream.write(bytes),
        Target::Through => {
            let mut f = std::fs::OpenOptions::new().write(true).open(path)?;
            f.write_all(bytes)?;
            f.flush()
        }
    }
}

/// How [`write()`] writes to a path.
#[derive(Debug)]
pub enum Target {
    /// Nothing there yet: a new file, atomically.
    New,
    /// A regular file (here, or at the end of the symbolic links), replaced
    /// atomically keeping its permissions.
    Replace(PathBuf, Metadata),
    /// This process's stdout or stderr, written through the stream.
    Stream(Stream),
    /// A FIFO or character device, written through.
    Through,
}

/// How [`write()`] would write to `path`, touching nothing; an error for what
/// it refuses.
pub fn target(path: &Path) -> std::io::Result<Target> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == ErrorKind::NotFound => {
            if std::fs::symlink_metadata(path).is_ok() {
                return Err(Error::other("a symbolic link to a missing file; not writing through it"));
            }
            return Ok(Target::New);
        }
        Err(e) => return Err(e),
    };
    if let Some(stream) = own_stream(&meta) {
        return Ok(Target::Stream(stream));
    }
    if meta.is_file() {
        // The link's target (all links resolved), so the link stays.
        return Ok(Target::Replace(std::fs::canonicalize(path)?, meta));
    }
    match kind(&meta) {
        Kind::Through => Ok(Target::Through),
        Kind::Refused(what) => Err(Error::other(format!("{what}; simsgd writes only files, FIFOs and devices"))),
    }
}

/// How a path that is not a regular file is written.
enum Kind {
    /// A FIFO or character device: written through.
    Through,
    /// Anything else, named.
    Refused(&'static str),
}

#[cfg(unix)]
fn kind(meta: &Metadata) -> Kind {
    use std::os::unix::fs::FileTypeExt;
    let t = meta.file_type();
    if t.is_fifo() || t.is_char_device() {
        Kind::Through
    } else if t.is_dir() {
        Kind::Refused("a directory")
    } else if t.is_block_device() {
        Kind::Refused("a block device")
    } else if t.is_socket() {
        Kind::Refused("a socket")
    } else {
        Kind::Refused("not a regular file")
    }
}

#[cfg(not(unix))]
fn kind(meta: &Metadata) -> Kind {
    if meta.is_dir() {
        Kind::Refused("a directory")
    } else {
        Kind::Refused("not a regular file")
    }
}

/// This process's stdout or stderr.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

impl Stream {
    fn write(self, bytes: &[u8]) -> std::io::Result<()> {
        match self {
            Stream::Stdout => {
                let mut out = std::io::stdout().lock();
                out.write_all(bytes).and_then(|()| out.flush())
            }
            Stream::Stderr => {
                let mut err = std::io::stderr().lock();
                err.write_all(bytes).and_then(|()| err.flush())
            }
        }
    }
}

/// The standard stream `meta` is the file of, if any: writing through the
/// stream keeps what was printed and what will be in order (a rename would
/// leave the stream writing to a deleted file; a second open would write over
/// it from offset 0).
#[cfg(unix)]
fn own_stream(meta: &Metadata) -> Option<Stream> {
    use std::os::fd::AsFd;
    use std::os::unix::fs::MetadataExt;
    let same = |fd: std::os::fd::BorrowedFd<'_>| {
        let file = File::from(fd.try_clone_to_owned().ok()?);
        let m = file.metadata().ok()?;
        Some(m.dev() == meta.dev() && m.ino() == meta.ino())
    };
    if same(std::io::stdout().as_fd()) == Some(true) {
        Some(Stream::Stdout)
    } else if same(std::io::stderr().as_fd()) == Some(true) {
        Some(Stream::Stderr)
    } else {
        None
    }
}

#[cfg(not(unix))]
fn own_stream(_: &Metadata) -> Option<Stream> {
    None
}

/// Writes `bytes` to a temporary file beside `path` (unique to this process
/// and call), synced, with `old`'s permissions (and owner, where allowed),
/// then renames it over `path`; the temporary is removed on failure.
fn replace(path: &Path, bytes: &[u8], old: Option<&Metadata>) -> std::io::Result<()> {
    static SEQ: AtomicU64 = AtomicU64::new(0);
    let name = path.file_name().ok_or_else(|| Error::other("not a file name"))?;
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let mut tmp_name = OsString::from(".");
    tmp_name.push(name);
    tmp_name.push(format!(".tmp-{}-{}", std::process::id(), SEQ.fetch_add(1, Ordering::Relaxed)));
    let tmp = dir.join(tmp_name);
    let result = File::create(&tmp)
        .and_then(|mut f| {
            if let Some(old) = old {
                keep_owner(&f, old);
                f.set_permissions(old.permissions())?;
            }
            f.write_all(bytes).and_then(|_| f.sync_all())
        })
        .and_then(|_| std::fs::rename(&tmp, path));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Gives `f` the owner and group of `old` where they differ and this process
/// may (root may; others keep their own, as a new file of theirs would).
#[cfg(unix)]
fn keep_owner(f: &File, old: &Metadata) {
    use std::os::unix::fs::MetadataExt;
    if let Ok(new) = f.metadata() {
        if (new.uid(), new.gid()) != (old.uid(), old.gid()) {
            let _ = std::os::unix::fs::fchown(f, Some(old.uid()), Some(old.gid()));
        }
    }
}

#[cfg(not(unix))]
fn keep_owner(_: &File, _: &Metadata) {}

#[cfg(test)]
mod tests {
    use super::{target, write, Target};
    use std::path::PathBuf;

    /// A fresh directory for one test.
    fn scratch(name: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!("simsgd-atomic-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn writes_whole_files_and_leaves_no_temporary() {
        let dir = scratch("whole");
        let path = dir.join("out.csv");
        write(&path, b"a,b\n1,2\n").unwrap();
        write(&path, b"a,b\n3,4\n").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"a,b\n3,4\n");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        assert!(write(&dir.join("missing/x.csv"), b"").is_err());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_replaced_file_keeps_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("mode");
        let path = dir.join("secret.csv");
        std::fs::write(&path, b"old").unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        write(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&path).unwrap().permissions().mode() & 0o777, 0o600);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_symbolic_link_stays_and_its_target_is_replaced() {
        use std::os::unix::fs::PermissionsExt;
        let dir = scratch("link");
        std::fs::create_dir(dir.join("real")).unwrap();
        let target = dir.join("real/data.csv");
        std::fs::write(&target, b"old").unwrap();
        std::fs::set_permissions(&target, std::fs::Permissions::from_mode(0o640)).unwrap();
        let link = dir.join("link.csv");
        std::os::unix::fs::symlink("real/data.csv", &link).unwrap();
        write(&link, b"new").unwrap();
        assert!(std::fs::symlink_metadata(&link).unwrap().file_type().is_symlink());
        assert_eq!(std::fs::read(&target).unwrap(), b"new");
        assert_eq!(std::fs::metadata(&target).unwrap().permissions().mode() & 0o777, 0o640);
        // No temporary left beside the link or the target.
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 2);
        assert_eq!(std::fs::read_dir(dir.join("real")).unwrap().count(), 1);
        // A link to nothing is refused, and stays a link to nothing.
        let dangling = dir.join("dangling.csv");
        std::os::unix::fs::symlink("nowhere.csv", &dangling).unwrap();
        let e = write(&dangling, b"x").unwrap_err().to_string();
        assert!(e.contains("symbolic link to a missing file"), "{e}");
        assert!(!dir.join("nowhere.csv").exists());
        assert!(std::fs::symlink_metadata(&dangling).unwrap().file_type().is_symlink());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn a_fifo_is_written_through_not_replaced() {
        use std::io::Read;
        use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
        let dir = scratch("fifo");
        let fifo = dir.join("pipe.csv");
        let c = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
        // SAFETY: mkfifo reads a NUL-terminated path.
        assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
        // A reader that does not block: the write finds it, fills the pipe's
        // buffer and returns; a rename over the FIFO would leave it empty.
        let mut reader = std::fs::OpenOptions::new().read(true).custom_flags(libc::O_NONBLOCK).open(&fifo).unwrap();
        write(&fifo, b"a,b\n1,2\n").unwrap();
        let mut got = [0u8; 64];
        let n = reader.read(&mut got).unwrap_or(0);
        assert_eq!(&got[..n], b"a,b\n1,2\n");
        assert!(std::fs::symlink_metadata(&fifo).unwrap().file_type().is_fifo());
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Devices are written through. The test asks [`target`] first and
    /// writes only where it says so: a writer that replaced /dev/null would,
    /// run as root, replace the machine's /dev/null.
    #[cfg(unix)]
    #[test]
    fn devices_are_written_through_and_directories_refused() {
        use std::os::unix::fs::FileTypeExt;
        let through = |p: &str| matches!(target(p.as_ref()), Ok(Target::Through | Target::Stream(_)));
        assert!(through("/dev/null"), "{:?}", target("/dev/null".as_ref()));
        write("/dev/null".as_ref(), b"nothing").unwrap();
        assert!(std::fs::metadata("/dev/null").unwrap().file_type().is_char_device());
        // /dev/full is a device too: its error is the write's.
        if std::path::Path::new("/dev/full").exists() && through("/dev/full") {
            let e = write("/dev/full".as_ref(), b"x").unwrap_err();
            assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
        }
        let dir = scratch("dir");
        let e = write(&dir, b"x").unwrap_err().to_string();
        assert!(e.starts_with("a directory"), "{e}");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
