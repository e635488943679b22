//! The `.tmk` binary file: read and write, byte-compatible with the reference's `tmk-hash-video`.
//!
//! Little-endian, no padding: the 12 magic bytes `TMK1` `FVEC` `PDQF`; int32 frames per
//! second, number of periods P, number of Fourier coefficients m, frame-feature dimension d,
//! frame count; then int32 periods\[P\], float32 coefficients\[m\], float32 pure average\[d\],
//! float32 cos\[P\]\[m\]\[d\] and float32 sin\[P\]\[m\]\[d\]. With the standard P = 4, m = 32, d = 256
//! that is 263,344 bytes.

use std::path::Path;

use crate::error::{Error, FormatError, FormatErrorKind, Result};

/// Header length in bytes.
pub const HEADER_LEN: usize = 32;
/// Largest number of periods a file may declare (the reference uses 4).
pub const MAX_PERIODS: usize = 64;
/// Largest number of Fourier coefficients a file may declare (the reference uses 32).
pub const MAX_COEFFS: usize = 256;
/// Largest frame-feature dimension a file may declare (PDQF is 256).
pub const MAX_DIM: usize = 4096;
/// Largest `.tmk` file [`TmkFeatures::read_file`] opens (the standard one is 263,344 bytes).
pub const MAX_FILE_BYTES: u64 = 64 << 20;

/// A TMK+PDQF feature vector, as stored in a `.tmk` file.
///
/// ```no_run
/// use mediamatch::tmk::TmkFeatures;
/// let bytes = std::fs::read("clip.tmk")?;
/// let tmk = TmkFeatures::from_bytes(&bytes)?;
/// assert_eq!(tmk.to_bytes(), bytes); // byte for byte
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct TmkFeatures {
    /// Frames per second of the resampled video (15).
    pub fps: i32,
    /// Number of frames ingested (informational).
    pub frame_count: i32,
    /// The periods, in frames.
    pub periods: Vec<i32>,
    /// The Fourier weights a_0 .. a_{m-1}.
    pub coeffs: Vec<f32>,
    /// The mean of the raw frame features (length d).
    pub pure_average: Vec<f32>,
    /// Cosine features, period-major, then coefficient, then dimension (P·m·d).
    pub cos: Vec<f32>,
    /// Sine features, same layout.
    pub sin: Vec<f32>,
}

fn corrupt(detail: impl Into<std::borrow::Cow<'static, str>>) -> Error {
    Error::Format(FormatError::new(FormatErrorKind::Corrupt, detail))
}

fn i32_at(b: &[u8], off: usize) -> i32 {
    i32::from_le_bytes([b[off], b[off + 1], b[off + 2], b[off + 3]])
}

fn f32s(b: &[u8]) -> Vec<f32> {
    b.chunks_exact(4)
        .map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

impl TmkFeatures {
    /// Number of periods P.
    pub fn num_periods(&self) -> usize {
        self.periods.len()
    }
    /// Number of Fourier coefficients m.
    pub fn num_coeffs(&self) -> usize {
        self.coeffs.len()
    }
    /// Frame-feature dimension d.
    pub fn dim(&self) -> usize {
        self.pure_average.len()
    }
    /// The cosine vector of period index `p` and coefficient `j`.
    pub fn cos_vec(&self, p: usize, j: usize) -> &[f32] {
        let d = self.dim();
        let o = (p * self.num_coeffs() + j) * d;
        &self.cos[o..o + d]
    }
    /// The sine vector of period index `p` and coefficient `j`.
    pub fn sin_vec(&self, p: usize, j: usize) -> &[f32] {
        let d = self.dim();
        let o = (p * self.num_coeffs() + j) * d;
        &self.sin[o..o + d]
    }

    /// The file length these dimensions give.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + 4 * (self.periods.len()
                + self.coeffs.len()
                + self.pure_average.len()
                + self.cos.len()
                + self.sin.len())
    }

    /// Parses a `.tmk` file's bytes.
    ///
    /// Errors ([`Error::Format`]): [`FormatErrorKind::BadMagic`] if the two magics are not
    /// `TMK1` `FVEC`; [`FormatErrorKind::Truncated`] if the file is shorter than its header
    /// says; [`FormatErrorKind::Corrupt`] for a frame-feature algorithm other than `PDQF`,
    /// counts that are zero, negative or beyond [`MAX_PERIODS`]/[`MAX_COEFFS`]/[`MAX_DIM`],
    /// bytes after the sine block, or non-positive periods. Memory is bounded by the input
    /// length: nothing is allocated before the lengths have been checked against it.
    pub fn from_bytes(b: &[u8]) -> Result<Self> {
        if b.len() < 8 {
            return Err(Error::Format(FormatError::new(
                if b.len() >= 4 && &b[..4] != b"TMK1" {
                    FormatErrorKind::BadMagic
                } else {
                    FormatErrorKind::Truncated
                },
                "shorter than the .tmk magic",
            )));
        }
        if &b[0..4] != b"TMK1" || &b[4..8] != b"FVEC" {
            return Err(Error::Format(FormatError::new(
                FormatErrorKind::BadMagic,
                "not a TMK feature-vector file (expected TMK1 FVEC)",
            )));
        }
        if b.len() < HEADER_LEN {
            return Err(Error::Format(FormatError::new(
                FormatErrorKind::Truncated,
                format!(".tmk header needs {HEADER_LEN} bytes, file has {}", b.len()),
            )));
        }
        if &b[8..12] != b"PDQF" {
            return Err(corrupt(format!(
                "frame-feature algorithm {:?} is not PDQF",
                String::from_utf8_lossy(&b[8..12])
            )));
        }
        let fps = i32_at(b, 12);
        let count = |off: usize, name: &str, max: usize| -> Result<usize> {
            let v = i32_at(b, off);
            if v <= 0 || v as usize > max {
                return Err(corrupt(format!("{name} is {v} (must be 1..={max})")));
            }
            Ok(v as usize)
        };
        let p = count(16, "number of periods", MAX_PERIODS)?;
        let m = count(20, "number of coefficients", MAX_COEFFS)?;
        let d = count(24, "feature dimension", MAX_DIM)?;
        let frame_count = i32_at(b, 28);
        let need = HEADER_LEN + 4 * (p + m + d + 2 * p * m * d);
        if b.len() < need {
            return Err(Error::Format(FormatError::new(
                FormatErrorKind::Truncated,
                format!(".tmk header says {need} bytes, file has {}", b.len()),
            )));
        }
        if b.len() > need {
            return Err(corrupt(format!(
                "{} bytes after the sine block (file should be {need} bytes)",
                b.len() - need
            )));
        }
        let mut off = HEADER_LEN;
        let mut take = |n: usize| {
            let s = &b[off..off + 4 * n];
            off += 4 * n;
            s
        };
        let periods: Vec<i32> = take(p).chunks_exact(4).map(|c| i32_at(c, 0)).collect();
        if let Some(bad) = periods.iter().find(|&&t| t <= 0) {
            return Err(corrupt(format!("period {bad} is not positive")));
        }
        let coeffs = f32s(take(m));
        let pure_average = f32s(take(d));
        let cos = f32s(take(p * m * d));
        let sin = f32s(take(p * m * d));
        Ok(TmkFeatures {
            fps,
            frame_count,
            periods,
            coeffs,
            pure_average,
            cos,
            sin,
        })
    }

    /// The `.tmk` bytes. Panics never; lengths must be consistent (`cos`/`sin` of P·m·d), which
    /// every constructor in this crate guarantees; inconsistent hand-built values are an
    /// [`Error::InvalidInput`] from [`TmkFeatures::validate`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.encoded_len());
        out.extend_from_slice(b"TMK1FVECPDQF");
        for v in [
            self.fps,
            self.periods.len() as i32,
            self.coeffs.len() as i32,
            self.pure_average.len() as i32,
            self.frame_count,
        ] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        for t in &self.periods {
            out.extend_from_slice(&t.to_le_bytes());
        }
        for v in self
            .coeffs
            .iter()
            .chain(&self.pure_average)
            .chain(&self.cos)
            .chain(&self.sin)
        {
            out.extend_from_slice(&v.to_le_bytes());
        }
        out
    }

    /// Checks that the vector lengths agree with each other (P·m·d for cos and sin).
    pub fn validate(&self) -> Result<()> {
        let (p, m, d) = (self.num_periods(), self.num_coeffs(), self.dim());
        if p == 0 || m == 0 || d == 0 || p > MAX_PERIODS || m > MAX_COEFFS || d > MAX_DIM {
            return Err(Error::invalid(format!(
                "TMK dimensions out of range: {p} periods, {m} coefficients, dimension {d}"
            )));
        }
        if self.cos.len() != p * m * d || self.sin.len() != p * m * d {
            return Err(Error::invalid(format!(
                "TMK cos/sin lengths {} / {} do not equal periods·coefficients·dimension = {}",
                self.cos.len(),
                self.sin.len(),
                p * m * d
            )));
        }
        Ok(())
    }

    /// Reads a `.tmk` file (at most [`MAX_FILE_BYTES`]).
    pub fn read_file(path: impl AsRef<Path>) -> Result<Self> {
        use std::io::Read;
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
        let mut bytes = Vec::new();
        f.take(MAX_FILE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(path.to_path_buf(), e))?;
        if bytes.len() as u64 > MAX_FILE_BYTES {
            return Err(corrupt(format!(
                "{}: larger than {MAX_FILE_BYTES} bytes",
                path.display()
            )));
        }
        Self::from_bytes(&bytes).map_err(|e| match e {
            Error::Format(f) => {
                let detail = format!("{}: {}", path.display(), f.detail);
                Error::Format(FormatError::new(f.kind, detail))
            }
            other => other,
        })
    }

    /// Writes the `.tmk` file: to a temporary file next to `path`, renamed over it only once
    /// complete, so an existing file is never left half-written.
    pub fn write_file(&self, path: impl AsRef<Path>) -> Result<()> {
        self.validate()?;
        let path = path.as_ref();
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(".tmp");
        let tmp = std::path::PathBuf::from(tmp);
        std::fs::write(&tmp, self.to_bytes()).map_err(|e| Error::io(tmp.clone(), e))?;
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            Error::io(path.to_path_buf(), e)
        })
    }
}
