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
//!
//! Besides: [`write_together`] writes several files as one (a figure's CSV,
//! PNG and SVG: all to temporaries, then all renamed); [`check_writable`]
//! and [`check_directory`] check outputs before a command computes what goes
//! in them; and every temporary is registered from its creation to its
//! rename, so that an interrupt ([`crate::interrupt`]) removes them
//! ([`abandon`]) and no rename happens while it does.

use std::ffi::OsString;
use std::fs::{File, Metadata};
use std::io::{Error, ErrorKind, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};

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

/// The temporaries this process has created and not yet renamed or removed:
/// what an interrupt removes ([`abandon`]). Temporaries are created, renamed
/// and removed with this lock held, so that none appears or moves while an
/// interrupt cleans up.
static TEMPORARIES: Mutex<Vec<PathBuf>> = Mutex::new(Vec::new());

fn temporaries() -> MutexGuard<'static, Vec<PathBuf>> {
    TEMPORARIES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Removes every temporary file this process has open and returns the lock
/// of the writer: while it is held, no temporary is created or renamed (a
/// rename in progress, even a figure's three, finishes first). For the
/// interrupt handler ([`crate::interrupt`]), which holds it until the
/// process exits.
pub fn abandon() -> MutexGuard<'static, Vec<PathBuf>> {
    let mut list = temporaries();
    for tmp in list.drain(..) {
        let _ = std::fs::remove_file(tmp);
    }
    list
}

/// A new temporary file beside `path` (`.NAME.tmp-PID-SEQ`, unique to this
/// process and call), created exclusively and registered for [`abandon`].
fn create_temporary(path: &Path) -> std::io::Result<(PathBuf, File)> {
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
    let mut list = temporaries();
    let file = std::fs::OpenOptions::new().write(true).create_new(true).open(&tmp)?;
    list.push(tmp.clone());
    Ok((tmp, file))
}

/// Removes the temporary `tmp` (if `remove`) and forgets it; the caller holds
/// the lock.
fn forget(list: &mut Vec<PathBuf>, tmp: &Path, remove: bool) {
    if remove {
        let _ = std::fs::remove_file(tmp);
    }
    list.retain(|p| p != tmp);
}

/// A temporary beside `path` holding `bytes`, synced, with `old`'s
/// permissions (and owner, where allowed); removed again on failure.
fn temporary_with(path: &Path, bytes: &[u8], old: Option<&Metadata>) -> std::io::Result<PathBuf> {
    let (tmp, mut f) = create_temporary(path)?;
    let filled = (|| {
        if let Some(old) = old {
            keep_owner(&f, old);
            f.set_permissions(old.permissions())?;
        }
        f.write_all(bytes)?;
        f.sync_all()
    })();
    match filled {
        Ok(()) => Ok(tmp),
        Err(e) => {
            forget(&mut temporaries(), &tmp, true);
            Err(e)
        }
    }
}

/// Writes `bytes` to a temporary file beside `path`, synced, with `old`'s
/// permissions (and owner, where allowed), then renames it over `path`; the
/// temporary is removed on failure.
fn replace(path: &Path, bytes: &[u8], old: Option<&Metadata>) -> std::io::Result<()> {
    let tmp = temporary_with(path, bytes, old)?;
    let mut list = temporaries();
    let renamed = std::fs::rename(&tmp, path);
    forget(&mut list, &tmp, renamed.is_err());
    renamed
}

/// Writes several files as one: each to a temporary beside it first (as
/// [`write()`] would; FIFOs, devices and this process's streams are written
/// through, after the others), then all renamed one after another under the
/// writer's lock, so that an interrupt ([`crate::interrupt`]) either leaves
/// every old file or every new one. What remains: a rename that fails after
/// others succeeded (the disk vanished) leaves those, and SIGKILL between two
/// renames (microseconds) leaves the new files renamed so far. On an error,
/// the path it concerns.
pub fn write_together(files: &[(PathBuf, Vec<u8>)]) -> Result<(), (PathBuf, Error)> {
    // (temporary, what it replaces, the path as given)
    let mut staged: Vec<(PathBuf, PathBuf, &Path)> = Vec::new();
    let mut through: Vec<(&Path, &[u8])> = Vec::new();
    let undo = |staged: &[(PathBuf, PathBuf, &Path)]| {
        let mut list = temporaries();
        for (tmp, _, _) in staged {
            forget(&mut list, tmp, true);
        }
    };
    for (path, bytes) in files {
        let made = target(path).and_then(|t| match t {
            Target::New => temporary_with(path, bytes, None).map(|tmp| Some((tmp, path.clone()))),
            Target::Replace(file, meta) => temporary_with(&file, bytes, Some(&meta)).map(|tmp| Some((tmp, file))),
            Target::Stream(_) | Target::Through => Ok(None),
        });
        match made {
            Ok(Some((tmp, dest))) => staged.push((tmp, dest, path)),
            Ok(None) => through.push((path, bytes)),
            Err(e) => {
                undo(&staged);
                return Err((path.clone(), e));
            }
        }
    }
    {
        let mut list = temporaries();
        for (k, (tmp, dest, path)) in staged.iter().enumerate() {
            let renamed = std::fs::rename(tmp, dest);
            forget(&mut list, tmp, renamed.is_err());
            if let Err(e) = renamed {
                for (tmp, _, _) in &staged[k + 1..] {
                    forget(&mut list, tmp, true);
                }
                return Err((path.to_path_buf(), e));
            }
        }
    }
    for (path, bytes) in through {
        write(path, bytes).map_err(|e| (path.to_path_buf(), e))?;
    }
    Ok(())
}

/// Checks, touching nothing that is there, that [`write()`] could write
/// `path`: what it names is one it writes (not a directory, not a link to
/// nothing), and a new file can be made beside it (one is created and
/// removed), or, for a FIFO or device, that it is writable. For a command
/// to check its outputs before it computes what goes in them.
pub fn check_writable(path: &Path) -> std::io::Result<()> {
    match target(path)? {
        Target::New => probe(path),
        Target::Replace(file, _) => probe(&file),
        Target::Stream(_) => Ok(()),
        Target::Through => writable(path),
    }
}

/// Creates and removes a temporary beside `path`; an error that names the
/// directory where it cannot.
fn probe(path: &Path) -> std::io::Result<()> {
    let (tmp, file) = create_temporary(path).map_err(|e| {
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        Error::new(e.kind(), format!("cannot create a file in {}: {e}", dir.display()))
    })?;
    drop(file);
    forget(&mut temporaries(), &tmp, true);
    Ok(())
}

#[cfg(unix)]
fn writable(path: &Path) -> std::io::Result<()> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(path.as_os_str().as_bytes()).map_err(Error::other)?;
    // SAFETY: access reads a NUL-terminated path.
    if unsafe { libc::access(c.as_ptr(), libc::W_OK) } == 0 {
        Ok(())
    } else {
        Err(Error::last_os_error())
    }
}

#[cfg(not(unix))]
fn writable(_: &Path) -> std::io::Result<()> {
    Ok(())
}

/// Checks that files can be written into the directory `dir`, which is
/// created later where missing (as `mkdir -p` would): it is a directory, or
/// it is missing and its nearest existing ancestor is a directory; in which
/// a file can be made (one is created and removed). Nothing is created.
pub fn check_directory(dir: &Path) -> std::io::Result<()> {
    let mut d = if dir.as_os_str().is_empty() { Path::new(".") } else { dir };
    loop {
        match std::fs::metadata(d) {
            Ok(m) if m.is_dir() => return probe(&d.join("simsgd")),
            Ok(_) if d == dir => return Err(Error::other("not a directory")),
            Ok(_) => return Err(Error::other(format!("{} is not a directory", d.display()))),
            Err(e) if matches!(e.kind(), ErrorKind::NotFound | ErrorKind::NotADirectory) && d != Path::new(".") => {
                if std::fs::symlink_metadata(d).is_ok() {
                    return Err(Error::other(format!("{} is a symbolic link to nothing", d.display())));
                }
                d = match d.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p,
                    _ => Path::new("."),
                };
            }
            Err(e) => return Err(e),
        }
    }
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
    use super::{check_directory, check_writable, target, temporaries, write, write_together, Target};
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

    /// Several files appear together, replacing what was there, and leave
    /// no temporary; one that cannot be written leaves every old file.
    #[test]
    fn files_written_together_appear_together() {
        let dir = scratch("together");
        let files = |tag: &str| -> Vec<(PathBuf, Vec<u8>)> {
            ["csv", "png", "svg"].map(|e| (dir.join(format!("f.{e}")), format!("{tag} {e}").into_bytes())).to_vec()
        };
        write_together(&files("old")).unwrap();
        write_together(&files("new")).unwrap();
        for e in ["csv", "png", "svg"] {
            assert_eq!(std::fs::read_to_string(dir.join(format!("f.{e}"))).unwrap(), format!("new {e}"));
        }
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
        // The last is a directory: nothing is replaced, no temporary stays.
        std::fs::remove_file(dir.join("f.svg")).unwrap();
        std::fs::create_dir(dir.join("f.svg")).unwrap();
        let (path, e) = write_together(&files("newer")).unwrap_err();
        assert_eq!((path, e.to_string().starts_with("a directory")), (dir.join("f.svg"), true));
        assert_eq!(std::fs::read_to_string(dir.join("f.csv")).unwrap(), "new csv");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 3);
        assert!(!temporaries().iter().any(|t| t.starts_with(&dir)));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    /// Outputs are checked without leaving anything behind.
    #[test]
    fn outputs_are_checked_up_front() {
        let dir = scratch("check");
        check_writable(&dir.join("new.csv")).unwrap();
        assert!(check_writable(&dir.join("missing/new.csv")).unwrap_err().to_string().starts_with("cannot create"));
        assert!(check_writable(&dir).is_err());
        check_writable("/dev/null".as_ref()).unwrap();
        check_directory(&dir).unwrap();
        check_directory(&dir.join("a/b/c")).unwrap();
        std::fs::write(dir.join("file"), "x").unwrap();
        assert_eq!(check_directory(&dir.join("file")).unwrap_err().to_string(), "not a directory");
        assert!(check_directory(&dir.join("file/sub")).unwrap_err().to_string().ends_with("file is not a directory"));
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1, "only the file made here");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
