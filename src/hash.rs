//! Hash value types: [`Hash256`] (PDQ), [`Hash64`] (classic hashes), [`PdqHash`] (hash + quality).

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A 256-bit perceptual hash (PDQ), in the ThreatExchange reference layout.
///
/// Bit `k` (0..256) is DCT coefficient `(k / 16, k % 16)` (row = vertical frequency), set when
/// the coefficient is above the median. The hex form is 64 lower-case digits: the 256-bit
/// number written big-endian, so the first digit holds bits 255..252 (row 15, columns 15..12)
/// and the last digit bits 3..0 (row 0, columns 3..0) — exactly what Meta's C++ `toHexString`,
/// python-threatexchange and HMA print.
///
/// `to_bytes`/`from_bytes` use the same big-endian order (byte 0 = the first two hex digits).
///
/// ```
/// use mediamatch::Hash256;
/// let a: Hash256 = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22".parse()?;
/// let b: Hash256 = "d8f8f0cee0f4a84f0637022a078f67f0b36e2ed596621e1d33e6339c4e9c9b22".parse()?;
/// assert_eq!(a.distance(&a), 0);
/// assert_eq!(a.distance(&b), 6);
/// assert_eq!(a.to_string(), "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22");
/// Ok::<(), mediamatch::Error>(())
/// ```
///
/// A `Hash256` and a [`Hash64`] cannot be compared with each other:
///
/// ```compile_fail
/// use mediamatch::{Hash256, Hash64};
/// let a = Hash256::from_bytes([0; 32]);
/// let b = Hash64::from_u64(0);
/// let _ = a.distance(&b);
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash256 {
    /// Little-endian limbs: `limbs[0]` holds bits 0..64.
    limbs: [u64; 4],
}

impl Hash256 {
    /// The all-zero hash (what the reference returns for images under 5 pixels).
    pub const ZERO: Hash256 = Hash256 { limbs: [0; 4] };

    /// Builds a hash from 32 bytes in big-endian order (byte 0 = first two hex digits).
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        let mut limbs = [0u64; 4];
        for (i, limb) in limbs.iter_mut().enumerate() {
            let off = (3 - i) * 8;
            let mut b = [0u8; 8];
            b.copy_from_slice(&bytes[off..off + 8]);
            *limb = u64::from_be_bytes(b);
        }
        Hash256 { limbs }
    }

    /// The 32 bytes in big-endian order (the hex string's byte order).
    pub fn to_bytes(&self) -> [u8; 32] {
        let mut out = [0u8; 32];
        for i in 0..4 {
            let off = (3 - i) * 8;
            out[off..off + 8].copy_from_slice(&self.limbs[i].to_be_bytes());
        }
        out
    }

    /// Builds a hash from four little-endian 64-bit limbs (`limbs[0]` = bits 0..64).
    pub const fn from_limbs(limbs: [u64; 4]) -> Self {
        Hash256 { limbs }
    }

    /// The four little-endian 64-bit limbs (`limbs()[0]` = bits 0..64).
    pub const fn limbs(&self) -> [u64; 4] {
        self.limbs
    }

    /// Builds a hash from the reference's 16 words of 16 bits (`words[i]` = DCT row `i`,
    /// bit `j` = column `j`).
    pub fn from_words(words: [u16; 16]) -> Self {
        let mut limbs = [0u64; 4];
        for (i, w) in words.iter().enumerate() {
            limbs[i / 4] |= (*w as u64) << ((i % 4) * 16);
        }
        Hash256 { limbs }
    }

    /// The reference's 16 words of 16 bits.
    pub fn to_words(&self) -> [u16; 16] {
        let mut w = [0u16; 16];
        for (i, x) in w.iter_mut().enumerate() {
            *x = (self.limbs[i / 4] >> ((i % 4) * 16)) as u16;
        }
        w
    }

    /// Bit `k` (0..256), in the layout described on the type.
    ///
    /// # Panics
    /// If `k >= 256`.
    pub fn bit(&self, k: usize) -> bool {
        assert!(k < 256, "bit index {k} out of range");
        (self.limbs[k / 64] >> (k % 64)) & 1 == 1
    }

    /// Sets bit `k` (0..256) to `value`.
    ///
    /// # Panics
    /// If `k >= 256`.
    pub fn set_bit(&mut self, k: usize, value: bool) {
        assert!(k < 256, "bit index {k} out of range");
        let m = 1u64 << (k % 64);
        if value {
            self.limbs[k / 64] |= m;
        } else {
            self.limbs[k / 64] &= !m;
        }
    }

    /// Hamming distance: the number of differing bits, 0..=256.
    #[inline]
    pub fn distance(&self, other: &Hash256) -> u32 {
        (self.limbs[0] ^ other.limbs[0]).count_ones()
            + (self.limbs[1] ^ other.limbs[1]).count_ones()
            + (self.limbs[2] ^ other.limbs[2]).count_ones()
            + (self.limbs[3] ^ other.limbs[3]).count_ones()
    }

    /// Number of set bits (PDQ hashes of real images have about 128).
    pub fn count_ones(&self) -> u32 {
        self.limbs.iter().map(|l| l.count_ones()).sum()
    }

    /// Parses 64 hex digits (upper or lower case), like [`FromStr`].
    pub fn from_hex(s: &str) -> Result<Self, ParseHashError> {
        parse_hex::<32>(s).map(Hash256::from_bytes)
    }

    /// The 64 lower-case hex digits.
    pub fn to_hex(&self) -> String {
        self.to_string()
    }
}

/// Why a hash string was rejected.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ParseHashError {
    /// The string does not have the required number of hex digits.
    Length {
        /// Digits required.
        expected: usize,
        /// Characters found.
        found: usize,
    },
    /// A character is not a hex digit.
    InvalidChar {
        /// Byte offset of the character.
        position: usize,
        /// The character.
        found: char,
    },
}

impl fmt::Display for ParseHashError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseHashError::Length { expected, found } => write!(
                f,
                "hash must be exactly {expected} hex digits, found {found} characters"
            ),
            ParseHashError::InvalidChar { position, found } => {
                write!(f, "invalid hex digit {found:?} at position {position}")
            }
        }
    }
}

impl std::error::Error for ParseHashError {}

fn parse_hex<const N: usize>(s: &str) -> Result<[u8; N], ParseHashError> {
    let n_chars = s.chars().count();
    if s.len() != 2 * N || n_chars != 2 * N {
        return Err(ParseHashError::Length {
            expected: 2 * N,
            found: n_chars,
        });
    }
    let mut out = [0u8; N];
    let bytes = s.as_bytes();
    for (i, o) in out.iter_mut().enumerate() {
        let hi = hex_val(bytes[2 * i]).ok_or(ParseHashError::InvalidChar {
            position: 2 * i,
            found: bytes[2 * i] as char,
        })?;
        let lo = hex_val(bytes[2 * i + 1]).ok_or(ParseHashError::InvalidChar {
            position: 2 * i + 1,
            found: bytes[2 * i + 1] as char,
        })?;
        *o = (hi << 4) | lo;
    }
    Ok(out)
}

fn hex_val(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn write_hex(f: &mut fmt::Formatter<'_>, bytes: &[u8]) -> fmt::Result {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = [0u8; 64];
    for (i, b) in bytes.iter().enumerate() {
        s[2 * i] = DIGITS[(b >> 4) as usize];
        s[2 * i + 1] = DIGITS[(b & 15) as usize];
    }
    // Only ASCII hex digits were written.
    f.write_str(std::str::from_utf8(&s[..bytes.len() * 2]).map_err(|_| fmt::Error)?)
}

impl fmt::Display for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.to_bytes())
    }
}

impl fmt::Debug for Hash256 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash256({self})")
    }
}

impl FromStr for Hash256 {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash256::from_hex(s)
    }
}

impl Serialize for Hash256 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_bytes(&self.to_bytes())
        }
    }
}

struct Hash256Visitor;
impl serde::de::Visitor<'_> for Hash256Visitor {
    type Value = Hash256;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("64 hex digits or 32 bytes")
    }
    fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Hash256, E> {
        Hash256::from_hex(v).map_err(E::custom)
    }
    fn visit_bytes<E: serde::de::Error>(self, v: &[u8]) -> Result<Hash256, E> {
        let arr: [u8; 32] = v
            .try_into()
            .map_err(|_| E::invalid_length(v.len(), &self))?;
        Ok(Hash256::from_bytes(arr))
    }
}

impl<'de> Deserialize<'de> for Hash256 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            d.deserialize_str(Hash256Visitor)
        } else {
            d.deserialize_bytes(Hash256Visitor)
        }
    }
}

/// A 64-bit perceptual hash (aHash, dHash, pHash, blockhash).
///
/// A different type from [`Hash256`] on purpose: distances between hashes of different sizes
/// or algorithms are meaningless. Hex form: 16 lower-case digits, big-endian.
///
/// ```
/// use mediamatch::Hash64;
/// let a: Hash64 = "00000000000000ff".parse()?;
/// assert_eq!(a.distance(&Hash64::from_u64(0)), 8);
/// assert_eq!(a.to_string(), "00000000000000ff");
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Hash64(u64);

impl Hash64 {
    /// From a 64-bit integer.
    pub const fn from_u64(v: u64) -> Self {
        Hash64(v)
    }
    /// As a 64-bit integer.
    pub const fn as_u64(&self) -> u64 {
        self.0
    }
    /// From 8 big-endian bytes.
    pub fn from_bytes(b: [u8; 8]) -> Self {
        Hash64(u64::from_be_bytes(b))
    }
    /// To 8 big-endian bytes.
    pub fn to_bytes(&self) -> [u8; 8] {
        self.0.to_be_bytes()
    }
    /// Hamming distance, 0..=64.
    #[inline]
    pub fn distance(&self, other: &Hash64) -> u32 {
        (self.0 ^ other.0).count_ones()
    }
    /// Parses 16 hex digits.
    pub fn from_hex(s: &str) -> Result<Self, ParseHashError> {
        parse_hex::<8>(s).map(Hash64::from_bytes)
    }
}

impl fmt::Display for Hash64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_hex(f, &self.to_bytes())
    }
}
impl fmt::Debug for Hash64 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Hash64({self})")
    }
}
impl FromStr for Hash64 {
    type Err = ParseHashError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Hash64::from_hex(s)
    }
}
impl Serialize for Hash64 {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if s.is_human_readable() {
            s.collect_str(self)
        } else {
            s.serialize_u64(self.0)
        }
    }
}
impl<'de> Deserialize<'de> for Hash64 {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        if d.is_human_readable() {
            let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
            Hash64::from_hex(&s).map_err(serde::de::Error::custom)
        } else {
            u64::deserialize(d).map(Hash64)
        }
    }
}

/// A PDQ hash with its quality score.
///
/// `quality` is the reference's integer 0..=100 (gradient energy of the 64×64 buffer).
/// The consortium rule keeps hashes with quality ≥ 50 ([`PdqHash::QUALITY_THRESHOLD`]) and
/// calls two hashes a match at distance ≤ 31 ([`PdqHash::MATCH_THRESHOLD`]).
///
/// ```
/// use mediamatch::{PdqHash, Hash256};
/// let h = PdqHash { hash: Hash256::ZERO, quality: 0 };
/// assert!(!h.is_usable());
/// Ok::<(), mediamatch::Error>(())
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct PdqHash {
    /// The 256-bit hash.
    pub hash: Hash256,
    /// Quality 0..=100.
    pub quality: u8,
}

impl PdqHash {
    /// What images too small to hash get: the all-zero hash with quality 0.
    pub(crate) const ZERO_QUALITY: PdqHash = PdqHash {
        hash: Hash256::ZERO,
        quality: 0,
    };

    /// Distance at or below which two PDQ hashes are a match (pdq/README, python-threatexchange).
    pub const MATCH_THRESHOLD: u32 = 31;
    /// Minimum quality for a hash to be used for matching.
    pub const QUALITY_THRESHOLD: u8 = 50;

    /// Whether the quality reaches [`PdqHash::QUALITY_THRESHOLD`].
    pub fn is_usable(&self) -> bool {
        self.quality >= Self::QUALITY_THRESHOLD
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_round_trip_and_layout() {
        let s = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        let h: Hash256 = s.parse().unwrap();
        assert_eq!(h.to_string(), s);
        // Last hex digit '2' = bits 3..0 -> bit 1 set, bit 0 clear.
        assert!(h.bit(1) && !h.bit(0));
        // First hex digit 'f' = bits 255..252.
        assert!(h.bit(255) && h.bit(252));
        let w = h.to_words();
        assert_eq!(w[15], 0xf8f8);
        assert_eq!(w[0], 0x9b22);
        assert_eq!(Hash256::from_words(w), h);
        assert_eq!(Hash256::from_bytes(h.to_bytes()), h);
        assert_eq!(s.to_uppercase().parse::<Hash256>().unwrap(), h);
    }

    #[test]
    fn bad_hex_rejected() {
        let good = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22";
        assert!(matches!(
            good[..63].parse::<Hash256>(),
            Err(ParseHashError::Length {
                expected: 64,
                found: 63
            })
        ));
        assert!(matches!(
            format!("{good}0").parse::<Hash256>(),
            Err(ParseHashError::Length { found: 65, .. })
        ));
        let bad = format!("{}g", &good[..63]);
        assert!(matches!(
            bad.parse::<Hash256>(),
            Err(ParseHashError::InvalidChar {
                position: 63,
                found: 'g'
            })
        ));
        // Multi-byte UTF-8 of the right byte length is rejected, not sliced.
        let uni = format!("é{}", &good[..62]);
        assert!(uni.parse::<Hash256>().is_err());
        assert!("".parse::<Hash256>().is_err());
        assert!(format!(" {}", &good[..63]).parse::<Hash256>().is_err());
    }

    #[test]
    fn serde_forms() {
        let h: Hash256 = "00000000000000000000000000000000000000000000000000000000000000ff"
            .parse()
            .unwrap();
        let cfg = bincode::config::standard();
        let bytes = bincode::serde::encode_to_vec(h, cfg).unwrap();
        assert_eq!(bytes.len(), 33); // length prefix + 32 bytes
        let (back, _): (Hash256, usize) = bincode::serde::decode_from_slice(&bytes, cfg).unwrap();
        assert_eq!(back, h);
    }
}
