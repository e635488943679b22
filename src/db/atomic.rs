//! Atomic file replacement: write a temporary file in the same directory, flush, `fsync`,
//! rename over the target, then `fsync` the directory. A crash or an error at any point leaves
//! either the old file or the new one, never a mix; on error the temporary file is removed.
//! The new file is verified (read back through the parser) before the rename, so a file that
//! replaces the last readable one is always readable itself. Temporary files of a process
//! that was killed while saving are removed by [`clean_stale_temps`] (called at open).

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use crate::error::{Error, Result};

/// Writes `path` atomically with the bytes produced by `write`.
///
/// `fail_after` is a test failpoint: when `Some(n)`, the writer fails once `n` bytes have
/// been written, as a full disk or a killed process would.
pub(crate) fn write_atomic(
    path: &Path,
    fail_after: Option<u64>,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
    verify: impl FnOnce(&Path) -> Result<()>,
) -> Result<()> {
    let tmp = temp_path(path);
    let io_err = |e| Error::io(path.to_path_buf(), e);
    let written = (|| {
        let file = File::create_new(&tmp)?;
        let mut w = BufWriter::with_capacity(1 << 20, file);
        match fail_after {
            Some(limit) => write(&mut FailAfter {
                inner: &mut w,
                left: limit,
            })?,
            None => write(&mut w)?,
        }
        let file = w.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()
    })()
    .map_err(io_err);
    let result = written
        .and_then(|()| verify(&tmp))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(io_err))
        .and_then(|()| sync_dir(path).map_err(io_err));
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

/// Removes the temporary files that saves of `path` — and of files named `path` plus a
/// suffix, such as a store's index caches — by processes no longer running left behind (a
/// save killed between create and rename). Files of running processes (this one included)
/// are left alone. Returns how many were removed.
pub(crate) fn clean_stale_temps(path: &Path) -> usize {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return 0;
    };
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    let prefix = format!(".{name}.");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return 0;
    };
    let mut removed = 0;
    for e in entries.flatten() {
        let file = e.file_name().to_string_lossy().into_owned();
        let Some(rest) = file
            .strip_prefix(&prefix)
            .and_then(|r| r.strip_suffix(".tmp"))
        else {
            continue;
        };
        // `<suffix>.<pid>.<n>`: the process id is the second field from the end.
        let Some(pid) = rest.rsplit('.').nth(1).and_then(|p| p.parse::<u32>().ok()) else {
            continue;
        };
        if !process_alive(pid) && std::fs::remove_file(e.path()).is_ok() {
            removed += 1;
        }
    }
    removed
}

/// Whether a process with this id runs (on systems without `/proc`, assume it does: never
/// remove a file that might be in use).
fn process_alive(pid: u32) -> bool {
    if pid == std::process::id() {
        return true;
    }
    let proc_dir = Path::new("/proc");
    if !proc_dir.join("self").exists() {
        return true;
    }
    proc_dir.join(pid.to_string()).exists()
}

fn temp_path(path: &Path) -> PathBuf {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let name = path
        .file_name()
        .map_or_else(|| "db".into(), |n| n.to_string_lossy());
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.{}.{n}.tmp", std::process::id()))
}

#[cfg(unix)]
fn sync_dir(path: &Path) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    File::open(dir)?.sync_all()
}

#[cfg(not(unix))]
fn sync_dir(_path: &Path) -> io::Result<()> {
    Ok(())
}

/// A writer that fails after a byte budget (the save failpoint).
struct FailAfter<'a, W: Write> {
    inner: &'a mut W,
    left: u64,
}

impl<W: Write> Write for FailAfter<'_, W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Err(io::Error::other("failpoint: write interrupted"));
        }
        let n = buf.len().min(self.left as usize);
        let n = self.inner.write(&buf[..n])?;
        self.left -= n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failed_write_keeps_old_file_and_leaves_no_temp() {
        let dir = std::env::temp_dir().join(format!("mm-atomic-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let p = dir.join("x.bin");
        let ok = |_: &Path| Ok(());
        write_atomic(&p, None, |w| w.write_all(b"old"), ok).unwrap();
        let err = write_atomic(&p, Some(2), |w| w.write_all(b"new content"), ok).unwrap_err();
        assert!(matches!(err, Error::Io(_)));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "temporary file left behind"
        );
        let bad = |_: &Path| Err(Error::invalid("verification failed"));
        let err = write_atomic(&p, None, |w| w.write_all(b"unreadable"), bad).unwrap_err();
        assert!(matches!(err, Error::InvalidInput(_)));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 1);
        write_atomic(&p, None, |w| w.write_all(b"new"), ok).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        // A killed save's temporary file (a process id that does not run) is cleaned; one of
        // this process is not.
        let stale = dir.join(format!(".x.bin.{}.0.tmp", u32::MAX - 7));
        let mine = dir.join(format!(".x.bin.{}.99.tmp", std::process::id()));
        std::fs::write(&stale, b"partial").unwrap();
        std::fs::write(&mine, b"in progress").unwrap();
        assert_eq!(clean_stale_temps(&p), 1);
        assert!(!stale.exists() && mine.exists());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
