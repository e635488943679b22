//! Hamming-distance kernels with runtime CPU dispatch: the only `unsafe` code in the crate.
//!
//! Two kernels, each in four tiers:
//!
//! * [`scan`]: distances from one query to a contiguous run of hashes, reporting the positions
//!   whose distance is at most `r` (the flat scan);
//! * [`verify`]: the same for a list of positions into the hashes (multi-index hashing
//!   candidates);
//! * [`scan_groups`]: many queries against a tile transposed by [`transpose`] into groups of 8
//!   hashes stored limb by limb, so that one AVX-512 register holds the same limb of 8 hashes
//!   and a distance needs no horizontal sums (AVX-512 only; the batch path of the flat scan).
//!
//! Tiers: AVX-512 with `VPOPCNTDQ` (8 hashes per step), AVX2 (nibble look-up popcount, 4 hashes
//! per step), scalar with the `popcnt` instruction, and portable Rust. The tier is detected once
//! per process ([`Level::detect`]); every tier gives identical results, which the tests check
//! against the portable one on random data.
#![allow(unsafe_code)]

use std::sync::OnceLock;

/// A hash as four little-endian 64-bit limbs.
pub(crate) type Limbs = [u64; 4];

/// An instruction-set tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Level {
    /// Plain Rust (`count_ones` without target features).
    Portable,
    /// Scalar code compiled with the `popcnt` instruction.
    Popcnt,
    /// AVX2 with a nibble look-up-table popcount.
    Avx2,
    /// AVX-512F with `VPOPCNTDQ`.
    Avx512,
}

impl Level {
    /// The best tier this CPU supports (detected once, then cached).
    pub(crate) fn detect() -> Level {
        static LEVEL: OnceLock<Level> = OnceLock::new();
        *LEVEL.get_or_init(|| {
            [Level::Avx512, Level::Avx2, Level::Popcnt]
                .into_iter()
                .find(|l| l.is_supported())
                .unwrap_or(Level::Portable)
        })
    }

    /// Whether this CPU can run the tier.
    pub(crate) fn is_supported(self) -> bool {
        match self {
            Level::Portable => true,
            #[cfg(target_arch = "x86_64")]
            Level::Popcnt => std::arch::is_x86_feature_detected!("popcnt"),
            #[cfg(target_arch = "x86_64")]
            Level::Avx2 => {
                std::arch::is_x86_feature_detected!("avx2")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(target_arch = "x86_64")]
            Level::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512vpopcntdq")
                    && std::arch::is_x86_feature_detected!("popcnt")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// A short name for reports ("avx512-vpopcntdq", "avx2", "popcnt", "portable").
    pub(crate) fn name(self) -> &'static str {
        match self {
            Level::Portable => "portable",
            Level::Popcnt => "popcnt",
            Level::Avx2 => "avx2",
            Level::Avx512 => "avx512-vpopcntdq",
        }
    }
}

#[inline(always)]
pub(crate) fn dist(a: &Limbs, b: &Limbs) -> u32 {
    (a[0] ^ b[0]).count_ones()
        + (a[1] ^ b[1]).count_ones()
        + (a[2] ^ b[2]).count_ones()
        + (a[3] ^ b[3]).count_ones()
}

/// Pushes `(offset + i, d)` for every `hashes[i]` within distance `r` of `q`, in order of `i`.
///
/// Falls back to the portable tier if `level` is not supported by this CPU.
pub(crate) fn scan(
    level: Level,
    hashes: &[Limbs],
    q: &Limbs,
    r: u32,
    offset: u32,
    out: &mut Vec<(u32, u32)>,
) {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 if level.is_supported() => {
            // SAFETY: `is_supported` checked avx512f, avx512vpopcntdq and popcnt at run time.
            unsafe { x86::scan_avx512(hashes, q, r, offset, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Level::Avx2 if level.is_supported() => {
            // SAFETY: `is_supported` checked avx2 and popcnt at run time.
            unsafe { x86::scan_avx2(hashes, q, r, offset, out) }
        }
        #[cfg(target_arch = "x86_64")]
        Level::Popcnt if level.is_supported() => {
            // SAFETY: `is_supported` checked popcnt at run time.
            unsafe { x86::scan_popcnt(hashes, q, r, offset, out) }
        }
        _ => scan_portable(hashes, q, r, offset, out),
    }
}

/// Pushes `(p, d)` for every position `p` in `positions` with `hashes[p]` within distance `r`
/// of `q`, in the order of `positions`. Positions outside `hashes` are skipped.
pub(crate) fn verify(
    level: Level,
    hashes: &[Limbs],
    positions: &[u32],
    q: &Limbs,
    r: u32,
    out: &mut Vec<(u32, u32)>,
) {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 | Level::Avx2 | Level::Popcnt if Level::Popcnt.is_supported() => {
            // SAFETY: `is_supported` checked popcnt at run time (the wider tiers imply it too).
            unsafe { x86::verify_popcnt(hashes, positions, q, r, out) }
        }
        _ => verify_portable(hashes, positions, q, r, out),
    }
}

/// One hit of a batch: query number, position of the hash, distance.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Hit {
    pub(crate) query: u32,
    pub(crate) pos: u32,
    pub(crate) distance: u32,
}

/// Hashes per transposed group.
pub(crate) const GROUP: usize = 8;

/// Whether [`scan_groups`] has a fast kernel for `level` on this CPU.
pub(crate) fn groups_supported(level: Level) -> bool {
    level == Level::Avx512 && level.is_supported()
}

/// Rewrites the first `hashes.len() / 8 * 8` hashes into `out` as groups of 8 hashes, each
/// group limb-major: limb 0 of the 8 hashes, then limb 1, limb 2, limb 3 (32 words).
pub(crate) fn transpose(hashes: &[Limbs], out: &mut Vec<u64>) {
    out.clear();
    out.resize(hashes.len() / GROUP * 4 * GROUP, 0);
    for (g, o) in hashes
        .chunks_exact(GROUP)
        .zip(out.chunks_exact_mut(4 * GROUP))
    {
        for (i, h) in g.iter().enumerate() {
            for (j, &l) in h.iter().enumerate() {
                o[j * GROUP + i] = l;
            }
        }
    }
}

/// For every query `qs[k]` and hash `i` of the transposed `groups` within distance `r`, pushes
/// `Hit { query: k, pos: offset + i, distance }` (grouped by blocks of queries, then
/// position). Needs [`groups_supported`]; otherwise falls back to portable code.
pub(crate) fn scan_groups(
    level: Level,
    groups: &[u64],
    qs: &[Limbs],
    r: u32,
    offset: u32,
    out: &mut Vec<Hit>,
) {
    match level {
        #[cfg(target_arch = "x86_64")]
        Level::Avx512 if level.is_supported() => {
            // SAFETY: `is_supported` checked avx512f, avx512vpopcntdq and popcnt at run time.
            unsafe { x86::scan_groups_avx512(groups, qs, r, offset, out) }
        }
        _ => scan_groups_portable(groups, qs, r, offset, out),
    }
}

fn scan_groups_portable(groups: &[u64], qs: &[Limbs], r: u32, offset: u32, out: &mut Vec<Hit>) {
    for (k, q) in qs.iter().enumerate() {
        for (g, w) in groups.chunks_exact(4 * GROUP).enumerate() {
            for i in 0..GROUP {
                let h = [w[i], w[GROUP + i], w[2 * GROUP + i], w[3 * GROUP + i]];
                let d = dist(&h, q);
                if d <= r {
                    out.push(Hit {
                        query: k as u32,
                        pos: offset + (g * GROUP + i) as u32,
                        distance: d,
                    });
                }
            }
        }
    }
}

#[inline(always)]
fn scan_portable(hashes: &[Limbs], q: &Limbs, r: u32, offset: u32, out: &mut Vec<(u32, u32)>) {
    for (i, h) in hashes.iter().enumerate() {
        let d = dist(h, q);
        if d <= r {
            out.push((offset + i as u32, d));
        }
    }
}

#[inline(always)]
fn verify_portable(
    hashes: &[Limbs],
    positions: &[u32],
    q: &Limbs,
    r: u32,
    out: &mut Vec<(u32, u32)>,
) {
    for &p in positions {
        if let Some(h) = hashes.get(p as usize) {
            let d = dist(h, q);
            if d <= r {
                out.push((p, d));
            }
        }
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{scan_portable, verify_portable, Hit, Limbs};
    use std::arch::x86_64::*;

    /// # Safety
    /// The CPU must support `popcnt`.
    #[target_feature(enable = "popcnt")]
    pub(super) unsafe fn scan_popcnt(
        hashes: &[Limbs],
        q: &Limbs,
        r: u32,
        offset: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        scan_portable(hashes, q, r, offset, out)
    }

    /// # Safety
    /// The CPU must support `popcnt`.
    #[target_feature(enable = "popcnt")]
    pub(super) unsafe fn verify_popcnt(
        hashes: &[Limbs],
        positions: &[u32],
        q: &Limbs,
        r: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        verify_portable(hashes, positions, q, r, out)
    }

    /// # Safety
    /// The CPU must support `avx2` and `popcnt`.
    #[target_feature(enable = "avx2,popcnt")]
    pub(super) unsafe fn scan_avx2(
        hashes: &[Limbs],
        q: &Limbs,
        r: u32,
        offset: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        let lut = _mm256_setr_epi8(
            0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2, 3, 3, 4, 0, 1, 1, 2, 1, 2, 2, 3, 1, 2, 2, 3, 2,
            3, 3, 4,
        );
        let low = _mm256_set1_epi8(0x0f);
        let zero = _mm256_setzero_si256();
        let qv = _mm256_setr_epi64x(q[0] as i64, q[1] as i64, q[2] as i64, q[3] as i64);
        let rv = _mm256_set1_epi64x(r as i64);
        // Per-limb popcounts of one hash XOR the query: 4 u64 lanes.
        let limb_counts = |h: &Limbs| {
            // SAFETY: `h` is 32 readable bytes; `loadu` has no alignment requirement.
            let v = unsafe { _mm256_loadu_si256(h.as_ptr().cast::<__m256i>()) };
            let x = _mm256_xor_si256(v, qv);
            let lo = _mm256_and_si256(x, low);
            let hi = _mm256_and_si256(_mm256_srli_epi16(x, 4), low);
            let c = _mm256_add_epi8(_mm256_shuffle_epi8(lut, lo), _mm256_shuffle_epi8(lut, hi));
            _mm256_sad_epu8(c, zero)
        };
        let mut chunks = hashes.chunks_exact(4);
        let mut base = offset;
        for c in &mut chunks {
            let s0 = limb_counts(&c[0]);
            let s1 = limb_counts(&c[1]);
            let s2 = limb_counts(&c[2]);
            let s3 = limb_counts(&c[3]);
            // [s0(01), s1(01) | s0(23), s1(23)]
            let u01 =
                _mm256_add_epi64(_mm256_unpacklo_epi64(s0, s1), _mm256_unpackhi_epi64(s0, s1));
            let u23 =
                _mm256_add_epi64(_mm256_unpacklo_epi64(s2, s3), _mm256_unpackhi_epi64(s2, s3));
            // [h0, h1, h2, h3] totals.
            let tot = _mm256_add_epi64(
                _mm256_permute2x128_si256(u01, u23, 0x20),
                _mm256_permute2x128_si256(u01, u23, 0x31),
            );
            let gt = _mm256_movemask_pd(_mm256_castsi256_pd(_mm256_cmpgt_epi64(tot, rv))) as u32;
            let mut hits = !gt & 0xf;
            if hits != 0 {
                let mut d = [0u64; 4];
                // SAFETY: `d` is 32 writable bytes; `storeu` has no alignment requirement.
                unsafe { _mm256_storeu_si256(d.as_mut_ptr().cast::<__m256i>(), tot) };
                while hits != 0 {
                    let i = hits.trailing_zeros();
                    out.push((base + i, d[i as usize] as u32));
                    hits &= hits - 1;
                }
            }
            base += 4;
        }
        scan_portable(chunks.remainder(), q, r, base, out);
    }

    /// # Safety
    /// The CPU must support `avx512f`, `avx512vpopcntdq` and `popcnt`.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
    pub(super) unsafe fn scan_groups_avx512(
        groups: &[u64],
        qs: &[Limbs],
        r: u32,
        offset: u32,
        out: &mut Vec<Hit>,
    ) {
        let mut blocks = qs.chunks_exact(4);
        let mut first = 0u32;
        for b in &mut blocks {
            // SAFETY: same target features as this function.
            unsafe { groups_block::<4>(groups, b, first, r, offset, out) };
            first += 4;
        }
        for q in blocks.remainder() {
            // SAFETY: same target features as this function.
            unsafe { groups_block::<1>(groups, std::slice::from_ref(q), first, r, offset, out) };
            first += 1;
        }
    }

    /// Groups per chunk of [`groups_block`]: the hot loop only records hit masks (it calls
    /// nothing, so the query vectors stay in registers), and hits are read out per chunk.
    const CHUNK: usize = 64;

    /// `N` queries (numbered from `first`) against every group, the 4 limb vectors of a group
    /// loaded once for all of them.
    ///
    /// # Safety
    /// The CPU must support `avx512f`, `avx512vpopcntdq` and `popcnt`.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
    #[inline]
    unsafe fn groups_block<const N: usize>(
        groups: &[u64],
        qs: &[Limbs],
        first: u32,
        r: u32,
        offset: u32,
        out: &mut Vec<Hit>,
    ) {
        let rv = _mm512_set1_epi64(r as i64);
        let mut qv = [[_mm512_setzero_si512(); 4]; N];
        for (k, q) in qs.iter().take(N).enumerate() {
            for j in 0..4 {
                qv[k][j] = _mm512_set1_epi64(q[j] as i64);
            }
        }
        for (c, chunk) in groups.chunks(32 * CHUNK).enumerate() {
            let mut masks = [[0u8; CHUNK]; N];
            let mut any = 0u8;
            for (g, w) in chunk.chunks_exact(32).enumerate() {
                // SAFETY: `w` is 32 readable words = 4 vectors; `loadu` has no alignment
                // requirement.
                let l = unsafe {
                    [
                        _mm512_loadu_si512(w.as_ptr().cast::<__m512i>()),
                        _mm512_loadu_si512(w.as_ptr().add(8).cast::<__m512i>()),
                        _mm512_loadu_si512(w.as_ptr().add(16).cast::<__m512i>()),
                        _mm512_loadu_si512(w.as_ptr().add(24).cast::<__m512i>()),
                    ]
                };
                for k in 0..N {
                    let q = &qv[k];
                    let a = _mm512_add_epi64(
                        _mm512_popcnt_epi64(_mm512_xor_si512(l[0], q[0])),
                        _mm512_popcnt_epi64(_mm512_xor_si512(l[1], q[1])),
                    );
                    let b = _mm512_add_epi64(
                        _mm512_popcnt_epi64(_mm512_xor_si512(l[2], q[2])),
                        _mm512_popcnt_epi64(_mm512_xor_si512(l[3], q[3])),
                    );
                    let m = _mm512_cmple_epu64_mask(_mm512_add_epi64(a, b), rv);
                    masks[k][g] = m;
                    any |= m;
                }
            }
            if any != 0 {
                read_hits(
                    chunk,
                    &masks,
                    qs,
                    first,
                    offset + (c * CHUNK * 8) as u32,
                    out,
                );
            }
        }
    }

    /// Pushes the hits recorded in `masks` for one chunk of groups.
    #[cold]
    fn read_hits<const N: usize>(
        chunk: &[u64],
        masks: &[[u8; CHUNK]; N],
        qs: &[Limbs],
        first: u32,
        offset: u32,
        out: &mut Vec<Hit>,
    ) {
        for (k, (row, q)) in masks.iter().zip(qs).enumerate() {
            for (g, &m) in row.iter().enumerate() {
                let mut m = m;
                while m != 0 {
                    let i = m.trailing_zeros() as usize;
                    let w = &chunk[32 * g..32 * g + 32];
                    let h = [w[i], w[8 + i], w[16 + i], w[24 + i]];
                    out.push(Hit {
                        query: first + k as u32,
                        pos: offset + (g * 8 + i) as u32,
                        distance: super::dist(&h, q),
                    });
                    m &= m - 1;
                }
            }
        }
    }

    /// # Safety
    /// The CPU must support `avx512f`, `avx512vpopcntdq` and `popcnt`.
    #[target_feature(enable = "avx512f,avx512vpopcntdq,popcnt")]
    pub(super) unsafe fn scan_avx512(
        hashes: &[Limbs],
        q: &Limbs,
        r: u32,
        offset: u32,
        out: &mut Vec<(u32, u32)>,
    ) {
        let (q0, q1, q2, q3) = (q[0] as i64, q[1] as i64, q[2] as i64, q[3] as i64);
        let qq = _mm512_setr_epi64(q0, q1, q2, q3, q0, q1, q2, q3);
        let rv = _mm512_set1_epi64(r as i64);
        let even = _mm512_setr_epi64(0, 2, 4, 6, 8, 10, 12, 14);
        let odd = _mm512_setr_epi64(1, 3, 5, 7, 9, 11, 13, 15);
        // Popcounts of two consecutive hashes XOR the query: [a0..a3, b0..b3].
        let pair = |h: &[Limbs]| {
            // SAFETY: `h` holds 2 hashes = 64 readable bytes; `loadu` has no alignment requirement.
            let v = unsafe { _mm512_loadu_si512(h.as_ptr().cast::<__m512i>()) };
            _mm512_popcnt_epi64(_mm512_xor_si512(v, qq))
        };
        let mut chunks = hashes.chunks_exact(8);
        let mut base = offset;
        for c in &mut chunks {
            let p0 = pair(&c[0..2]);
            let p1 = pair(&c[2..4]);
            let p2 = pair(&c[4..6]);
            let p3 = pair(&c[6..8]);
            // [h0(01), h0(23), h1(01), h1(23), h2(01), ...]
            let s01 = _mm512_add_epi64(
                _mm512_permutex2var_epi64(p0, even, p1),
                _mm512_permutex2var_epi64(p0, odd, p1),
            );
            let s23 = _mm512_add_epi64(
                _mm512_permutex2var_epi64(p2, even, p3),
                _mm512_permutex2var_epi64(p2, odd, p3),
            );
            // [h0 .. h7] totals.
            let tot = _mm512_add_epi64(
                _mm512_permutex2var_epi64(s01, even, s23),
                _mm512_permutex2var_epi64(s01, odd, s23),
            );
            let mut hits = _mm512_cmple_epu64_mask(tot, rv) as u32;
            if hits != 0 {
                let mut d = [0u64; 8];
                // SAFETY: `d` is 64 writable bytes; `storeu` has no alignment requirement.
                unsafe { _mm512_storeu_si512(d.as_mut_ptr().cast::<__m512i>(), tot) };
                while hits != 0 {
                    let i = hits.trailing_zeros();
                    out.push((base + i, d[i as usize] as u32));
                    hits &= hits - 1;
                }
            }
            base += 8;
        }
        scan_portable(chunks.remainder(), q, r, base, out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// SplitMix64: a tiny deterministic generator for test data.
    fn rng(seed: u64) -> impl FnMut() -> u64 {
        let mut s = seed;
        move || {
            s = s.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = s;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            z ^ (z >> 31)
        }
    }

    fn data(n: usize, seed: u64) -> (Vec<Limbs>, Limbs) {
        let mut next = rng(seed);
        let q = [next(), next(), next(), next()];
        let hashes = (0..n)
            .map(|i| {
                // Mix near copies (a few bits flipped) with random hashes.
                if i % 3 == 0 {
                    let mut h = q;
                    for _ in 0..(next() % 80) {
                        let b = next() % 256;
                        h[(b / 64) as usize] ^= 1 << (b % 64);
                    }
                    h
                } else {
                    [next(), next(), next(), next()]
                }
            })
            .collect();
        (hashes, q)
    }

    #[test]
    fn every_tier_matches_portable() {
        for (n, seed) in [(0, 1), (1, 2), (7, 3), (8, 4), (9, 5), (1000, 6), (4099, 7)] {
            let (hashes, q) = data(n, seed);
            for r in [0, 1, 16, 31, 64, 128, 130, 256] {
                let mut expected = Vec::new();
                scan_portable(&hashes, &q, r, 5, &mut expected);
                let positions: Vec<u32> = (0..n as u32).rev().chain([n as u32 + 3]).collect();
                let mut expected_v = Vec::new();
                verify_portable(&hashes, &positions, &q, r, &mut expected_v);
                for level in [Level::Popcnt, Level::Avx2, Level::Avx512] {
                    if !level.is_supported() {
                        eprintln!("skipping {level:?}: not supported by this CPU");
                        continue;
                    }
                    let mut got = Vec::new();
                    scan(level, &hashes, &q, r, 5, &mut got);
                    assert_eq!(got, expected, "scan {level:?} n={n} r={r}");
                    let mut got_v = Vec::new();
                    verify(level, &hashes, &positions, &q, r, &mut got_v);
                    assert_eq!(got_v, expected_v, "verify {level:?} n={n} r={r}");
                }
            }
        }
    }

    #[test]
    fn transposed_groups_match_portable() {
        for (n, seed) in [(0, 1), (8, 2), (16, 3), (1000, 4), (4096, 5)] {
            let (hashes, q) = data(n, seed);
            let mut next = rng(seed + 100);
            // Queries: the data's centre, a stored hash, and random ones (1..=6 of them, so
            // that blocks of 4 and the remainder both run).
            for nq in 1..=6usize {
                let qs: Vec<Limbs> = (0..nq)
                    .map(|k| match k {
                        0 => q,
                        1 if n > 0 => hashes[n / 2],
                        _ => [next(), next(), next(), next()],
                    })
                    .collect();
                let mut groups = Vec::new();
                transpose(&hashes, &mut groups);
                assert_eq!(groups.len(), n / GROUP * 32);
                for r in [0, 1, 31, 64, 128, 256] {
                    let mut want = Vec::new();
                    for (k, q) in qs.iter().enumerate() {
                        let mut v = Vec::new();
                        scan_portable(&hashes[..n / GROUP * GROUP], q, r, 3, &mut v);
                        want.extend(v.into_iter().map(|(pos, distance)| Hit {
                            query: k as u32,
                            pos,
                            distance,
                        }));
                    }
                    want.sort();
                    let mut portable = Vec::new();
                    scan_groups_portable(&groups, &qs, r, 3, &mut portable);
                    portable.sort();
                    assert_eq!(portable, want, "portable n={n} nq={nq} r={r}");
                    if groups_supported(Level::detect()) {
                        let mut got = Vec::new();
                        scan_groups(Level::detect(), &groups, &qs, r, 3, &mut got);
                        got.sort();
                        assert_eq!(got, want, "avx512 n={n} nq={nq} r={r}");
                    }
                }
            }
        }
    }

    #[test]
    fn detect_is_supported() {
        assert!(Level::detect().is_supported());
        assert!(!Level::detect().name().is_empty());
    }
}
