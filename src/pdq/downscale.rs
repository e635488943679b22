//! The Jarosz tent filter and the decimation to 64×64, bit-exact with the reference.
//!
//! The reference (`pdq/cpp/downscaling/downscaling.cpp`) runs two iterations of
//! {box filter along every row, box filter along every column} over the whole image, then
//! picks 64×64 samples. Each box filter is a float32 running sum whose rounding shows in the
//! hashes, so every sample we compute goes through exactly the same float operations in the
//! same order. What we change is *which* samples we compute and in what memory order:
//!
//! * Column passes run row by row over a vector of per-column sums (each column's operation
//!   sequence is unchanged; the loop over columns vectorises).
//! * Row passes run eight rows side by side, so the eight independent dependency chains
//!   overlap and the divisions vectorise.
//! * The second iteration only produces what the decimation reads: its row pass keeps the
//!   (at most) 64 sampled columns, its column pass only runs on those columns.

/// Window size of the Jarosz filter for a side of `old` pixels decimated to `new` (the
/// reference's `computeJaroszFilterWindowSize`): `ceil(old / (2 * new))`.
pub(crate) fn window_size(old: usize, new: usize) -> usize {
    old.div_ceil(2 * new)
}

/// The sample index that decimation reads for output cell `i` of `out` along a side of `n`:
/// `floor((i + 0.5) * n / out)`, computed in double like the reference.
pub(crate) fn decimation_index(i: usize, n: usize, out: usize) -> usize {
    (((i as f64 + 0.5) * n as f64) / out as f64) as usize
}

/// Lengths of the four phases of a running box sum of window `w` over `n` samples.
#[derive(Clone, Copy)]
struct Phases {
    half: usize,
    p2: usize,
    p3: usize,
    p4: usize,
}

impl Phases {
    fn new(n: usize, w: usize) -> Self {
        debug_assert!(w >= 1 && w <= n);
        let half = (w + 2) / 2;
        Phases {
            half,
            p2: w - half + 1,
            p3: n - w,
            p4: half - 1,
        }
    }
}

/// Box filter along every column of `input` (`rows` x `cols`, row-major), written to `out`.
/// Only the output rows in `keep` (if given) need to be correct; the others are computed anyway
/// (it is cheap: the sums must pass through them).
fn box_cols(input: &[f32], out: &mut [f32], rows: usize, cols: usize, w: usize) {
    let ph = Phases::new(rows, w);
    let mut sums = vec![0.0f32; cols];
    let row = |r: usize| &input[r * cols..(r + 1) * cols];
    let mut ri = 0;
    let mut li = 0;
    let mut oi = 0;
    let mut count = 0u32;
    for _ in 0..ph.half - 1 {
        for (s, x) in sums.iter_mut().zip(row(ri)) {
            *s += *x;
        }
        count += 1;
        ri += 1;
    }
    for _ in 0..ph.p2 {
        count += 1;
        let c = count as f32;
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for ((s, x), o) in sums.iter_mut().zip(row(ri)).zip(o.iter_mut()) {
            *s += *x;
            *o = *s / c;
        }
        ri += 1;
        oi += 1;
    }
    let c = count as f32;
    for _ in 0..ph.p3 {
        let (rr, lr) = (row(ri), row(li));
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for (((s, x), y), o) in sums.iter_mut().zip(rr).zip(lr).zip(o.iter_mut()) {
            *s += *x;
            *s -= *y;
            *o = *s / c;
        }
        ri += 1;
        li += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        count -= 1;
        let c = count as f32;
        let o = &mut out[oi * cols..(oi + 1) * cols];
        for ((s, y), o) in sums.iter_mut().zip(row(li)).zip(o.iter_mut()) {
            *s -= *y;
            *o = *s / c;
        }
        li += 1;
        oi += 1;
    }
}

pub(crate) const LANES: usize = 8;

/// Box filter along `LANES` rows at once. `get(r, i)` reads sample `i` of lane `r`;
/// `put(i, values)` receives output sample `i` of every lane.
#[inline(always)]
fn box_rows_lanes(
    n: usize,
    w: usize,
    get: impl Fn(usize) -> [f32; LANES],
    mut put: impl FnMut(usize, &[f32; LANES]),
) {
    let ph = Phases::new(n, w);
    let mut s = [0.0f32; LANES];
    let (mut ri, mut li, mut oi) = (0usize, 0usize, 0usize);
    let mut count = 0u32;
    for _ in 0..ph.half - 1 {
        let x = get(ri);
        for k in 0..LANES {
            s[k] += x[k];
        }
        count += 1;
        ri += 1;
    }
    let mut o = [0.0f32; LANES];
    for _ in 0..ph.p2 {
        count += 1;
        let c = count as f32;
        let x = get(ri);
        for k in 0..LANES {
            s[k] += x[k];
            o[k] = s[k] / c;
        }
        put(oi, &o);
        ri += 1;
        oi += 1;
    }
    let c = count as f32;
    for _ in 0..ph.p3 {
        let x = get(ri);
        let y = get(li);
        for k in 0..LANES {
            s[k] += x[k];
            s[k] -= y[k];
            o[k] = s[k] / c;
        }
        put(oi, &o);
        ri += 1;
        li += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        count -= 1;
        let c = count as f32;
        let y = get(li);
        for k in 0..LANES {
            s[k] -= y[k];
            o[k] = s[k] / c;
        }
        put(oi, &o);
        li += 1;
        oi += 1;
    }
}

/// Box filter along one row (scalar), the reference's `box1DFloat` with stride 1.
#[cfg(test)]
fn box_row(input: &[f32], out: &mut [f32], w: usize) {
    let n = input.len();
    let ph = Phases::new(n, w);
    let mut s = 0.0f32;
    let (mut ri, mut li, mut oi) = (0usize, 0usize, 0usize);
    let mut count = 0u32;
    for _ in 0..ph.half - 1 {
        s += input[ri];
        count += 1;
        ri += 1;
    }
    for _ in 0..ph.p2 {
        s += input[ri];
        count += 1;
        out[oi] = s / count as f32;
        ri += 1;
        oi += 1;
    }
    for _ in 0..ph.p3 {
        s += input[ri];
        s -= input[li];
        out[oi] = s / count as f32;
        ri += 1;
        li += 1;
        oi += 1;
    }
    for _ in 0..ph.p4 {
        s -= input[li];
        count -= 1;
        out[oi] = s / count as f32;
        li += 1;
        oi += 1;
    }
}

/// Copies rows `r..r + LANES` of `input` into `t` interleaved (`t[i][k]` = row `r + k`,
/// column `i`), so that the running sums of eight rows advance with contiguous vector loads.
/// Lanes past the last row are zero (their results are discarded). Works in 8×8 tiles so
/// that both the reads and the writes stay within a few cache lines.
fn gather_lanes(input: &[f32], r: usize, rows: usize, cols: usize, t: &mut [[f32; LANES]]) {
    let nk = LANES.min(rows - r);
    if nk < LANES {
        t.iter_mut().for_each(|x| *x = [0.0; LANES]);
    }
    let mut i0 = 0;
    while i0 < cols {
        let n = 8.min(cols - i0);
        for k in 0..nk {
            let src = &input[(r + k) * cols + i0..(r + k) * cols + i0 + n];
            for (j, &v) in src.iter().enumerate() {
                t[i0 + j][k] = v;
            }
        }
        i0 += 8;
    }
}

/// Where the first row pass reads its rows from.
pub(crate) trait RowSource {
    /// Fills `t` (length `cols`) with rows `r..r + LANES` interleaved, zero past the last row.
    fn fill(&self, r: usize, t: &mut [[f32; LANES]]);
}

/// A row-major float luma plane.
pub(crate) struct LumaSource<'a> {
    pub(crate) data: &'a [f32],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
}

impl RowSource for LumaSource<'_> {
    fn fill(&self, r: usize, t: &mut [[f32; LANES]]) {
        gather_lanes(self.data, r, self.rows, self.cols, t);
    }
}

/// Packed RGB8 rows, converted to luma with the reference formula while being interleaved
/// (so the full-resolution luma plane is never materialised).
pub(crate) struct RgbSource<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) stride: usize,
}

impl RowSource for RgbSource<'_> {
    fn fill(&self, r: usize, t: &mut [[f32; LANES]]) {
        let nk = LANES.min(self.rows - r);
        if nk < LANES {
            t.iter_mut().for_each(|x| *x = [0.0; LANES]);
        }
        for k in 0..nk {
            let row = &self.data[(r + k) * self.stride..(r + k) * self.stride + self.cols * 3];
            for (dst, p) in t.iter_mut().zip(row.chunks_exact(3)) {
                dst[k] = crate::luma::luma_f32(p[0], p[1], p[2]);
            }
        }
    }
}

thread_local! {
    /// Per-thread scratch planes, reused across hashes to avoid page-faulting fresh memory on
    /// every image.
    static SCRATCH: std::cell::RefCell<(Vec<f32>, Vec<f32>)> = const {
        std::cell::RefCell::new((Vec::new(), Vec::new()))
    };
}

/// Scratch planes larger than this (in floats) are freed after use instead of being kept.
const KEEP_SCRATCH: usize = 16 << 20;

/// Jarosz filter + decimation of a `rows` x `cols` plane to 64×64, bit-exact with the
/// reference's `jaroszFilterFloat` followed by `decimateFloat`.
pub(crate) fn filter_and_decimate_from(
    src: &impl RowSource,
    rows: usize,
    cols: usize,
) -> [f32; 4096] {
    let wr = window_size(cols, 64); // along rows
    let wc = window_size(rows, 64); // along columns
    let keep_cols: Vec<usize> = (0..64).map(|j| decimation_index(j, cols, 64)).collect();
    let keep_rows: Vec<usize> = (0..64).map(|i| decimation_index(i, rows, 64)).collect();

    let (mut b1, mut b2) = SCRATCH.with(|s| std::mem::take(&mut *s.borrow_mut()));
    let n = rows * cols;
    // Every element is written before it is read, so stale contents do not matter.
    b1.resize(n, 0.0);
    b2.resize(n, 0.0);

    let mut t: Vec<[f32; LANES]> = vec![[0.0; LANES]; cols];
    let mut o: Vec<[f32; LANES]> = vec![[0.0; LANES]; cols];

    // Iteration 1, rows: source -> b2 (row-major).
    let mut r = 0;
    while r < rows {
        src.fill(r, &mut t);
        box_rows_lanes(cols, wr, |i| t[i], |i, v| o[i] = *v);
        let nk = LANES.min(rows - r);
        let mut i0 = 0;
        while i0 < cols {
            let m = 8.min(cols - i0);
            for k in 0..nk {
                let dst = &mut b2[(r + k) * cols + i0..(r + k) * cols + i0 + m];
                for (j, d) in dst.iter_mut().enumerate() {
                    *d = o[i0 + j][k];
                }
            }
            i0 += 8;
        }
        r += LANES;
    }
    // Iteration 1, columns: b2 -> b1.
    box_cols(&b2[..n], &mut b1[..n], rows, cols, wc);

    // Iteration 2, rows: only the sampled columns survive (b1 -> narrow, rows x 64).
    let mut narrow = vec![0.0f32; rows * 64];
    let mut r = 0;
    while r < rows {
        gather_lanes(&b1[..n], r, rows, cols, &mut t);
        box_rows_lanes(cols, wr, |i| t[i], |i, v| o[i] = *v);
        for k in 0..LANES.min(rows - r) {
            let orow = &mut narrow[(r + k) * 64..(r + k + 1) * 64];
            for (dst, &c) in orow.iter_mut().zip(&keep_cols) {
                *dst = o[c][k];
            }
        }
        r += LANES;
    }
    if n <= KEEP_SCRATCH {
        SCRATCH.with(|s| *s.borrow_mut() = (b1, b2));
    }
    // Iteration 2, columns, on the 64 sampled columns only.
    let mut narrow_out = vec![0.0f32; rows * 64];
    box_cols(&narrow, &mut narrow_out, rows, 64, wc);

    let mut out = [0.0f32; 4096];
    for (i, &r) in keep_rows.iter().enumerate() {
        out[i * 64..(i + 1) * 64].copy_from_slice(&narrow_out[r * 64..(r + 1) * 64]);
    }
    out
}

/// [`filter_and_decimate_from`] over a row-major float plane.
pub(crate) fn filter_and_decimate(luma: &[f32], rows: usize, cols: usize) -> [f32; 4096] {
    debug_assert_eq!(luma.len(), rows * cols);
    filter_and_decimate_from(
        &LumaSource {
            data: luma,
            rows,
            cols,
        },
        rows,
        cols,
    )
}

/// The straightforward reference algorithm (full passes, scalar), kept as the test oracle for
/// [`filter_and_decimate`].
#[cfg(test)]
pub(crate) fn filter_and_decimate_naive(luma: &[f32], rows: usize, cols: usize) -> [f32; 4096] {
    let wr = window_size(cols, 64);
    let wc = window_size(rows, 64);
    let mut b1 = luma.to_vec();
    let mut b2 = vec![0.0f32; rows * cols];
    let mut col_in = vec![0.0f32; rows];
    let mut col_out = vec![0.0f32; rows];
    for _ in 0..2 {
        for r in 0..rows {
            box_row(
                &b1[r * cols..(r + 1) * cols],
                &mut b2[r * cols..(r + 1) * cols],
                wr,
            );
        }
        for c in 0..cols {
            for r in 0..rows {
                col_in[r] = b2[r * cols + c];
            }
            box_row(&col_in, &mut col_out, wc);
            for r in 0..rows {
                b1[r * cols + c] = col_out[r];
            }
        }
    }
    let mut out = [0.0f32; 4096];
    for i in 0..64 {
        let r = decimation_index(i, rows, 64);
        for j in 0..64 {
            out[i * 64 + j] = b1[r * cols + decimation_index(j, cols, 64)];
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn lcg_image(rows: usize, cols: usize, seed: u64) -> Vec<f32> {
        let mut s = seed;
        (0..rows * cols)
            .map(|_| {
                s = s
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                ((s >> 33) % 256) as f32 * 0.731 + 0.1
            })
            .collect()
    }

    #[test]
    fn fast_equals_naive_bitwise() {
        for &(r, c) in &[
            (5, 5),
            (7, 300),
            (64, 64),
            (65, 63),
            (129, 257),
            (300, 200),
            (513, 17),
            (37, 1000),
            (260, 390),
        ] {
            let img = lcg_image(r, c, (r * 1000 + c) as u64);
            let a = filter_and_decimate(&img, r, c);
            let b = filter_and_decimate_naive(&img, r, c);
            for k in 0..4096 {
                assert_eq!(a[k].to_bits(), b[k].to_bits(), "{r}x{c} sample {k}");
            }
        }
    }

    #[test]
    fn window_sizes() {
        assert_eq!(window_size(128, 64), 1);
        assert_eq!(window_size(129, 64), 2);
        assert_eq!(window_size(1600, 64), 13);
        assert_eq!(window_size(5, 64), 1);
    }
}
