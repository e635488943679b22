//! Atomic file replacement: write a temporary file in the same directory, flush, `fsync`,
//! rename over the target, then `fsync` the directory. A crash or an error at any point leaves
//! either the old file or the new one, never a mix; on error the temporary file is removed.

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
) -> Result<()> {
    let tmp = temp_path(path);
    let result = (|| {
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
        file.sync_all()?;
        drop(file);
        std::fs::rename(&tmp, path)?;
        sync_dir(path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(|e| Error::io(path.to_path_buf(), e))
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
        write_atomic(&p, None, |w| w.write_all(b"old")).unwrap();
        let err = write_atomic(&p, Some(2), |w| w.write_all(b"new content")).unwrap_err();
        assert!(matches!(err, Error::Io(_)));
        assert_eq!(std::fs::read(&p).unwrap(), b"old");
        assert_eq!(
            std::fs::read_dir(&dir).unwrap().count(),
            1,
            "temporary file left behind"
        );
        write_atomic(&p, None, |w| w.write_all(b"new")).unwrap();
        assert_eq!(std::fs::read(&p).unwrap(), b"new");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
