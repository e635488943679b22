//! Exact file hashes: MD5, SHA-1, SHA-256 and SHA-512 of a file's bytes, all four computed in
//! one pass while the bytes are read, and an [`ExactIndex`] that finds an unmodified re-upload
//! in O(1) (a hash map, not a scan) before anything is decoded.
//!
//! These are the cryptographic hashes the exchanges carry next to their perceptual hashes
//! (GIFCT: MD5 and SHA-256; Tech Against Terrorism: MD5, SHA-256, SHA-512; HMA: "video MD5").
//!
//! ```
//! use mediamatch::filehash::{ExactIndex, FileDigests, Lookup, Sha256Digest};
//!
//! let banked = b"bytes of a known file";
//! let mut index = ExactIndex::new();
//! index.insert_all(&FileDigests::of_bytes(banked), 7u64);
//!
//! // The same bytes again: found by digest, the decoder is never called.
//! let found = index.lookup_or_decode(banked, |_| -> mediamatch::Result<()> {
//!     unreachable!("an exact duplicate is not decoded")
//! })?;
//! assert!(matches!(found, Lookup::Exact { ref ids, .. } if ids == &[7]));
//!
//! // Digests print and parse as lower-case hex, like `sha256sum`.
//! let d = FileDigests::of_bytes(b"abc").sha256;
//! assert_eq!(d.to_string(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
//! assert_eq!(d.to_string().parse::<Sha256Digest>().unwrap(), d);
//! # Ok::<(), mediamatch::Error>(())
//! ```

use std::collections::HashMap;
use std::fmt;
use std::io::Read;
use std::path::Path;
use std::str::FromStr;

use md5::Md5;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha1::Sha1;
use sha2::{Digest, Sha256, Sha512};

use crate::error::{Error, ParseHashError, Result};

/// One of the four exact-hash algorithms.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ExactAlg {
    /// MD5 (16 bytes).
    Md5,
    /// SHA-1 (20 bytes).
    Sha1,
    /// SHA-256 (32 bytes).
    Sha256,
    /// SHA-512 (64 bytes).
    Sha512,
}

impl ExactAlg {
    /// All four, in the order [`FileDigests::iter`] yields them.
    pub const ALL: [ExactAlg; 4] = [
        ExactAlg::Md5,
        ExactAlg::Sha1,
        ExactAlg::Sha256,
        ExactAlg::Sha512,
    ];

    /// The lower-case name (`"md5"`, `"sha1"`, `"sha256"`, `"sha512"`).
    pub fn name(self) -> &'static str {
        match self {
            ExactAlg::Md5 => "md5",
            ExactAlg::Sha1 => "sha1",
            ExactAlg::Sha256 => "sha256",
            ExactAlg::Sha512 => "sha512",
        }
    }

    /// Digest length in bytes.
    pub fn digest_len(self) -> usize {
        match self {
            ExactAlg::Md5 => 16,
            ExactAlg::Sha1 => 20,
            ExactAlg::Sha256 => 32,
            ExactAlg::Sha512 => 64,
        }
    }

    /// Parses a name: `md5`, `sha1`, `sha256`, `sha512`, case-insensitive, with or without a
    /// dash (`SHA-256`).
    pub fn from_name(s: &str) -> Option<ExactAlg> {
        match s.to_ascii_lowercase().replace(['-', '_'], "").as_str() {
            "md5" => Some(ExactAlg::Md5),
            "sha1" => Some(ExactAlg::Sha1),
            "sha256" => Some(ExactAlg::Sha256),
            "sha512" => Some(ExactAlg::Sha512),
            _ => None,
        }
    }
}

impl fmt::Display for ExactAlg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Parses exactly `2 * N` hex digits (either case).
fn parse_hex_exact<const N: usize>(s: &str) -> std::result::Result<[u8; N], ParseHashError> {
    let found = s.chars().count();
    if s.len() != 2 * N || found != 2 * N {
        return Err(ParseHashError::Length {
            expected: 2 * N,
            found,
        });
    }
    let b = s.as_bytes();
    let mut out = [0u8; N];
    for (i, o) in out.iter_mut().enumerate() {
        let digit = |p: usize| {
            hex_val(b[p]).ok_or(ParseHashError::InvalidChar {
                position: p,
                found: b[p] as char,
            })
        };
        *o = (digit(2 * i)? << 4) | digit(2 * i + 1)?;
    }
    Ok(out)
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    for b in bytes {
        write!(f, "{b:02x}")?;
    }
    Ok(())
}

macro_rules! digest_type {
    ($(#[$doc:meta])* $name:ident, $n:expr, $alg:expr) => {
        $(#[$doc])*
        ///
        /// Displays and parses as lower-case hex (parsing accepts either case); serialises as
        /// that hex string.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub struct $name(pub [u8; $n]);

        impl $name {
            /// The algorithm of this digest.
            pub const ALG: ExactAlg = $alg;
            /// Parses the hex form (exactly twice as many digits as bytes).
            pub fn from_hex(s: &str) -> std::result::Result<Self, ParseHashError> {
                parse_hex_exact::<$n>(s).map($name)
            }
            /// The raw digest bytes.
            pub fn as_bytes(&self) -> &[u8; $n] {
                &self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write_hex(f, &self.0)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({self})", stringify!($name))
            }
        }

        impl FromStr for $name {
            type Err = ParseHashError;
            fn from_str(s: &str) -> std::result::Result<Self, ParseHashError> {
                Self::from_hex(s)
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
                s.collect_str(self)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
                let s: std::borrow::Cow<'de, str> = Deserialize::deserialize(d)?;
                Self::from_hex(&s).map_err(serde::de::Error::custom)
            }
        }
    };
}

digest_type!(
    /// An MD5 digest (16 bytes).
    Md5Digest,
    16,
    ExactAlg::Md5
);
digest_type!(
    /// A SHA-1 digest (20 bytes).
    Sha1Digest,
    20,
    ExactAlg::Sha1
);
digest_type!(
    /// A SHA-256 digest (32 bytes).
    Sha256Digest,
    32,
    ExactAlg::Sha256
);
digest_type!(
    /// A SHA-512 digest (64 bytes).
    Sha512Digest,
    64,
    ExactAlg::Sha512
);

/// A digest of any of the four algorithms: the key of an [`ExactIndex`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "alg", content = "hex", rename_all = "lowercase")]
pub enum ExactDigest {
    /// MD5.
    Md5(Md5Digest),
    /// SHA-1.
    Sha1(Sha1Digest),
    /// SHA-256.
    Sha256(Sha256Digest),
    /// SHA-512.
    Sha512(Sha512Digest),
}

impl ExactDigest {
    /// The algorithm.
    pub fn alg(&self) -> ExactAlg {
        match self {
            ExactDigest::Md5(_) => ExactAlg::Md5,
            ExactDigest::Sha1(_) => ExactAlg::Sha1,
            ExactDigest::Sha256(_) => ExactAlg::Sha256,
            ExactDigest::Sha512(_) => ExactAlg::Sha512,
        }
    }

    /// The raw digest bytes.
    pub fn as_bytes(&self) -> &[u8] {
        match self {
            ExactDigest::Md5(d) => &d.0,
            ExactDigest::Sha1(d) => &d.0,
            ExactDigest::Sha256(d) => &d.0,
            ExactDigest::Sha512(d) => &d.0,
        }
    }

    /// Parses the hex form of a digest of algorithm `alg`.
    pub fn parse(alg: ExactAlg, hex: &str) -> std::result::Result<Self, ParseHashError> {
        Ok(match alg {
            ExactAlg::Md5 => ExactDigest::Md5(hex.parse()?),
            ExactAlg::Sha1 => ExactDigest::Sha1(hex.parse()?),
            ExactAlg::Sha256 => ExactDigest::Sha256(hex.parse()?),
            ExactAlg::Sha512 => ExactDigest::Sha512(hex.parse()?),
        })
    }

    /// Builds a digest from raw bytes; `None` if the length is not `alg.digest_len()`.
    pub fn from_bytes(alg: ExactAlg, bytes: &[u8]) -> Option<Self> {
        Some(match alg {
            ExactAlg::Md5 => ExactDigest::Md5(Md5Digest(bytes.try_into().ok()?)),
            ExactAlg::Sha1 => ExactDigest::Sha1(Sha1Digest(bytes.try_into().ok()?)),
            ExactAlg::Sha256 => ExactDigest::Sha256(Sha256Digest(bytes.try_into().ok()?)),
            ExactAlg::Sha512 => ExactDigest::Sha512(Sha512Digest(bytes.try_into().ok()?)),
        })
    }
}

impl fmt::Display for ExactDigest {
    /// The hex digits only (the algorithm is [`ExactDigest::alg`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, self.as_bytes())
    }
}

/// All four digests of one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct FileDigests {
    /// MD5 of the bytes.
    pub md5: Md5Digest,
    /// SHA-1 of the bytes.
    pub sha1: Sha1Digest,
    /// SHA-256 of the bytes.
    pub sha256: Sha256Digest,
    /// SHA-512 of the bytes.
    pub sha512: Sha512Digest,
}

impl FileDigests {
    /// The digests of a byte slice.
    pub fn of_bytes(bytes: &[u8]) -> Self {
        let mut h = MultiHasher::new();
        h.update(bytes);
        h.finish()
    }

    /// Reads `r` to the end, returning the digests and the number of bytes read. Memory use is
    /// one 64 KiB buffer whatever the input size.
    pub fn of_reader(mut r: impl Read) -> std::io::Result<(Self, u64)> {
        let mut h = MultiHasher::new();
        let mut buf = vec![0u8; 64 * 1024];
        loop {
            match r.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => h.update(&buf[..n]),
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        let n = h.bytes();
        Ok((h.finish(), n))
    }

    /// The digests of a file, streamed (bounded memory).
    pub fn of_file(path: impl AsRef<Path>) -> Result<Self> {
        let path = path.as_ref();
        let f = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
        Self::of_reader(f)
            .map(|(d, _)| d)
            .map_err(|e| Error::io(path.to_path_buf(), e))
    }

    /// The digest of one algorithm.
    pub fn get(&self, alg: ExactAlg) -> ExactDigest {
        match alg {
            ExactAlg::Md5 => ExactDigest::Md5(self.md5),
            ExactAlg::Sha1 => ExactDigest::Sha1(self.sha1),
            ExactAlg::Sha256 => ExactDigest::Sha256(self.sha256),
            ExactAlg::Sha512 => ExactDigest::Sha512(self.sha512),
        }
    }

    /// The four digests, MD5 first.
    pub fn iter(&self) -> impl Iterator<Item = ExactDigest> + '_ {
        ExactAlg::ALL.into_iter().map(|a| self.get(a))
    }
}

/// Feeds bytes to all four hash functions at once (one pass over the data).
#[derive(Clone, Default)]
pub struct MultiHasher {
    md5: Md5,
    sha1: Sha1,
    sha256: Sha256,
    sha512: Sha512,
    bytes: u64,
}

impl fmt::Debug for MultiHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MultiHasher")
            .field("bytes", &self.bytes)
            .finish_non_exhaustive()
    }
}

impl MultiHasher {
    /// A hasher that has seen no bytes.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds bytes.
    pub fn update(&mut self, data: &[u8]) {
        self.md5.update(data);
        self.sha1.update(data);
        self.sha256.update(data);
        self.sha512.update(data);
        self.bytes += data.len() as u64;
    }
    /// Bytes seen so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }
    /// The four digests of everything seen.
    pub fn finish(self) -> FileDigests {
        FileDigests {
            md5: Md5Digest(self.md5.finalize().into()),
            sha1: Sha1Digest(self.sha1.finalize().into()),
            sha256: Sha256Digest(self.sha256.finalize().into()),
            sha512: Sha512Digest(self.sha512.finalize().into()),
        }
    }
}

/// A reader that hashes every byte that passes through it, so the bytes read for decoding are
/// hashed in the same pass.
///
/// ```
/// use std::io::Read;
/// use mediamatch::filehash::{FileDigests, HashingReader};
/// let mut r = HashingReader::new(&b"hello"[..]);
/// let mut s = String::new();
/// r.read_to_string(&mut s).unwrap();
/// assert_eq!(r.finish(), FileDigests::of_bytes(b"hello"));
/// ```
#[derive(Debug)]
pub struct HashingReader<R> {
    inner: R,
    hasher: MultiHasher,
}

impl<R: Read> HashingReader<R> {
    /// Wraps a reader.
    pub fn new(inner: R) -> Self {
        HashingReader {
            inner,
            hasher: MultiHasher::new(),
        }
    }
    /// Bytes read so far.
    pub fn bytes_read(&self) -> u64 {
        self.hasher.bytes()
    }
    /// The digests of the bytes read so far.
    pub fn finish(self) -> FileDigests {
        self.hasher.finish()
    }
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hasher.update(&buf[..n]);
        Ok(n)
    }
}

/// Reads a whole file (at most `max_bytes`) and its digests in one pass. A larger file is an
/// [`Error::InvalidInput`], so memory stays bounded.
pub fn read_with_digests(path: impl AsRef<Path>, max_bytes: u64) -> Result<(Vec<u8>, FileDigests)> {
    let path = path.as_ref();
    let f = std::fs::File::open(path).map_err(|e| Error::io(path.to_path_buf(), e))?;
    let mut r = HashingReader::new(f.take(max_bytes.saturating_add(1)));
    let mut bytes = Vec::new();
    r.read_to_end(&mut bytes)
        .map_err(|e| Error::io(path.to_path_buf(), e))?;
    if bytes.len() as u64 > max_bytes {
        return Err(Error::invalid(format!(
            "{}: file is larger than the limit of {max_bytes} bytes",
            path.display()
        )));
    }
    Ok((bytes, r.finish()))
}

/// The outcome of [`ExactIndex::lookup_or_decode`].
#[derive(Debug, Clone, PartialEq)]
pub enum Lookup<Id, T> {
    /// An exact duplicate: some digest of the bytes is in the index; nothing was decoded.
    Exact {
        /// The digests of the bytes.
        digests: FileDigests,
        /// The first algorithm (MD5, SHA-1, SHA-256, SHA-512 order) that matched.
        alg: ExactAlg,
        /// The ids stored under that digest.
        ids: Vec<Id>,
    },
    /// No exact match; the decode closure ran and returned this.
    Decoded {
        /// The digests of the bytes (to bank the file if wanted).
        digests: FileDigests,
        /// What the decode closure returned.
        value: T,
    },
}

/// Digest → ids, a hash map: O(1) exact lookups for any of the four algorithms.
///
/// A digest may map to several ids (the same file banked twice, in two banks...). Ids are kept
/// in insertion order without duplicates.
#[derive(Debug, Clone, Default)]
pub struct ExactIndex<Id: Eq + std::hash::Hash = u64> {
    map: HashMap<ExactDigest, Vec<Id>>,
}

impl<Id: Eq + std::hash::Hash + Clone> ExactIndex<Id> {
    /// An empty index.
    pub fn new() -> Self {
        ExactIndex {
            map: HashMap::new(),
        }
    }
    /// Number of distinct digests stored.
    pub fn len(&self) -> usize {
        self.map.len()
    }
    /// True when nothing is stored.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }
    /// Stores `id` under `digest`; returns false if that pair was already there.
    pub fn insert(&mut self, digest: ExactDigest, id: Id) -> bool {
        let ids = self.map.entry(digest).or_default();
        if ids.contains(&id) {
            false
        } else {
            ids.push(id);
            true
        }
    }
    /// Stores `id` under all four digests of a file.
    pub fn insert_all(&mut self, digests: &FileDigests, id: Id) {
        for d in digests.iter() {
            self.insert(d, id.clone());
        }
    }
    /// Removes `id` from `digest`; returns whether it was there.
    pub fn remove(&mut self, digest: &ExactDigest, id: &Id) -> bool {
        let Some(ids) = self.map.get_mut(digest) else {
            return false;
        };
        let before = ids.len();
        ids.retain(|x| x != id);
        let removed = ids.len() != before;
        if ids.is_empty() {
            self.map.remove(digest);
        }
        removed
    }
    /// Removes every id stored under `digest`; returns them.
    pub fn remove_digest(&mut self, digest: &ExactDigest) -> Vec<Id> {
        self.map.remove(digest).unwrap_or_default()
    }
    /// The ids stored under one digest (empty if none).
    pub fn get(&self, digest: &ExactDigest) -> &[Id] {
        self.map.get(digest).map(Vec::as_slice).unwrap_or(&[])
    }
    /// The first of a file's four digests (MD5 first) that is stored, with its ids.
    pub fn find(&self, digests: &FileDigests) -> Option<(ExactAlg, &[Id])> {
        digests.iter().find_map(|d| {
            let ids = self.get(&d);
            (!ids.is_empty()).then_some((d.alg(), ids))
        })
    }
    /// Hashes `bytes`, looks the digests up, and only if none is stored calls `decode` on the
    /// bytes. An unmodified re-upload is thus matched before any decoding.
    pub fn lookup_or_decode<T>(
        &self,
        bytes: &[u8],
        decode: impl FnOnce(&[u8]) -> Result<T>,
    ) -> Result<Lookup<Id, T>> {
        let digests = FileDigests::of_bytes(bytes);
        if let Some((alg, ids)) = self.find(&digests) {
            return Ok(Lookup::Exact {
                digests,
                alg,
                ids: ids.to_vec(),
            });
        }
        Ok(Lookup::Decoded {
            digests,
            value: decode(bytes)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_rejects_bad_input() {
        assert!(matches!(
            Md5Digest::from_hex("abc"),
            Err(ParseHashError::Length {
                expected: 32,
                found: 3
            })
        ));
        let bad = "g".repeat(32);
        assert!(matches!(
            Md5Digest::from_hex(&bad),
            Err(ParseHashError::InvalidChar { position: 0, .. })
        ));
        let multibyte = "é".repeat(16);
        assert!(Md5Digest::from_hex(&multibyte).is_err());
    }

    #[test]
    fn alg_names_round_trip() {
        for a in ExactAlg::ALL {
            assert_eq!(ExactAlg::from_name(a.name()), Some(a));
        }
        assert_eq!(ExactAlg::from_name("SHA-256"), Some(ExactAlg::Sha256));
        assert_eq!(ExactAlg::from_name("crc32"), None);
    }
}
