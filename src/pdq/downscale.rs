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
//! * Nothing is full-size: the four passes are chained row by row. A column pass is a running
//!   sum down the rows, so it needs only the last `window` rows it has seen (a ring) to
//!   subtract them again; each of its output rows goes straight on to the next pass. Scratch
//!   is about `(window + 28) × width` floats (window = ⌈height / 128⌉), freed when the call
//!   returns; the reference's two full-size planes are never allocated.

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

/// How the samples of a packed 8-bit pixel buffer become luma.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Layout {
    /// Interleaved R, G, B (then `bpp - 3` ignored bytes, e.g. alpha): the reference formula.
    Rgb { bpp: usize },
    /// Grey (then `bpp - 1` ignored bytes) replicated to R=G=B and weighted (pytx).
    GreyAsRgb { bpp: usize },
    /// Grey (then `bpp - 1` ignored bytes) read as `Y = v` (the C++ tool).
    Grey { bpp: usize },
}

impl Layout {
    pub(crate) fn bpp(self) -> usize {
        match self {
            Layout::Rgb { bpp } | Layout::GreyAsRgb { bpp } | Layout::Grey { bpp } => bpp,
        }
    }
}

/// Packed 8-bit rows, converted to luma with the reference formula while being read
/// (so the full-resolution luma plane is never materialised).
pub(crate) struct PixelSource<'a> {
    pub(crate) data: &'a [u8],
    pub(crate) rows: usize,
    pub(crate) cols: usize,
    pub(crate) stride: usize,
    pub(crate) layout: Layout,
}

impl PixelSource<'_> {
    /// Luma of the pixel at row `r`, column `c`.
    #[inline(always)]
    pub(crate) fn luma_at(&self, r: usize, c: usize) -> f32 {
        let bpp = self.layout.bpp();
        let p = &self.data[r * self.stride + c * bpp..];
        match self.layout {
            Layout::Rgb { .. } => crate::luma::luma_f32(p[0], p[1], p[2]),
            Layout::GreyAsRgb { .. } => crate::luma::luma_f32(p[0], p[0], p[0]),
            Layout::Grey { .. } => p[0] as f32,
        }
    }
}

impl RowSource for PixelSource<'_> {
    fn fill(&self, r: usize, t: &mut [[f32; LANES]]) {
        let nk = LANES.min(self.rows - r);
        if nk < LANES {
            t.iter_mut().for_each(|x| *x = [0.0; LANES]);
        }
        let bpp = self.layout.bpp();
        for k in 0..nk {
            let row = &self.data[(r + k) * self.stride..(r + k) * self.stride + self.cols * bpp];
            let px = row.chunks_exact(bpp);
            match self.layout {
                Layout::Rgb { .. } => {
                    for (dst, p) in t.iter_mut().zip(px) {
                        dst[k] = crate::luma::luma_f32(p[0], p[1], p[2]);
                    }
                }
                Layout::GreyAsRgb { .. } => {
                    for (dst, p) in t.iter_mut().zip(px) {
                        dst[k] = crate::luma::luma_f32(p[0], p[0], p[0]);
                    }
                }
                Layout::Grey { .. } => {
                    for (dst, p) in t.iter_mut().zip(px) {
                        dst[k] = p[0] as f32;
                    }
                }
            }
        }
    }
}

/// A streaming box filter along columns: rows go in one at a time, top to bottom, and the
/// filtered rows come out top to bottom. Each column's running sum sees exactly the float
/// operations of the reference's `box1DFloat` down that column; only the last `w` input rows
/// are held (a ring), never the whole plane.
struct ColumnBox {
    cols: usize,
    w: usize,
    ph: Phases,
    sums: Vec<f32>,
    ring: Vec<f32>,
    out: Vec<f32>,
    pushed: usize,
    count: u32,
}

impl ColumnBox {
    fn new(rows: usize, cols: usize, w: usize) -> Self {
        ColumnBox {
            cols,
            w,
            ph: Phases::new(rows, w),
            sums: vec![0.0; cols],
            ring: vec![0.0; w * cols],
            out: vec![0.0; cols],
            pushed: 0,
            count: 0,
        }
    }

    /// Feeds the next input row; emits the output row it completes, if any.
    fn push(&mut self, x: &[f32], emit: &mut impl FnMut(&[f32])) {
        let ri = self.pushed;
        let slot = (ri % self.w) * self.cols;
        if ri < self.ph.half - 1 {
            for (s, x) in self.sums.iter_mut().zip(x) {
                *s += *x;
            }
            self.count += 1;
        } else if ri < self.w {
            self.count += 1;
            let c = self.count as f32;
            for ((s, x), o) in self.sums.iter_mut().zip(x).zip(self.out.iter_mut()) {
                *s += *x;
                *o = *s / c;
            }
            emit(&self.out);
        } else {
            // Row ri - w leaves the window; it sits in the slot row ri is about to take.
            let c = self.count as f32;
            let y = &self.ring[slot..slot + self.cols];
            for (((s, x), y), o) in self.sums.iter_mut().zip(x).zip(y).zip(self.out.iter_mut()) {
                *s += *x;
                *s -= *y;
                *o = *s / c;
            }
            emit(&self.out);
        }
        self.ring[slot..slot + self.cols].copy_from_slice(&x[..self.cols]);
        self.pushed += 1;
    }

    /// After the last row: emits the tail rows (the window shrinking past the bottom edge).
    fn finish(&mut self, emit: &mut impl FnMut(&[f32])) {
        let rows = self.pushed;
        for k in 0..self.ph.p4 {
            let li = rows - self.w + k;
            let slot = (li % self.w) * self.cols;
            self.count -= 1;
            let c = self.count as f32;
            let y = &self.ring[slot..slot + self.cols];
            for ((s, y), o) in self.sums.iter_mut().zip(y).zip(self.out.iter_mut()) {
                *s -= *y;
                *o = *s / c;
            }
            emit(&self.out);
        }
    }
}

/// Bytes of scratch [`filter_and_decimate_from`] allocates for a `rows` x `cols` input (for
/// the allocation limit): three interleaved 8-row blocks, the column filter's window ring and
/// a few single rows.
pub(crate) fn scratch_bytes(rows: usize, cols: usize) -> u64 {
    let w = window_size(rows, 64) as u64;
    let cols = cols as u64;
    4 * (cols * (3 * LANES as u64 + 4) + w * cols + 64 * (w + 8))
}

/// Jarosz filter + decimation of a `rows` x `cols` plane to 64×64, bit-exact with the
/// reference's `jaroszFilterFloat` followed by `decimateFloat`.
///
/// Streams: the first row pass reads eight source rows at a time, feeds them to the first
/// column pass (a running sum holding only its window of rows), whose rows feed the second
/// row pass (keeping only the 64 sampled columns), whose rows feed the second column pass
/// (keeping only the 64 sampled rows). Peak scratch is about `(window + 28) * cols` floats —
/// 0.8 MB for a 12 MP photo — instead of two full-size planes.
///
/// `stop` is polled between blocks of eight rows; when it returns true the filter gives up
/// and returns `None`.
pub(crate) fn filter_and_decimate_from(
    src: &impl RowSource,
    rows: usize,
    cols: usize,
    stop: &dyn Fn() -> bool,
) -> Option<[f32; 4096]> {
    let wr = window_size(cols, 64); // along rows
    let wc = window_size(rows, 64); // along columns
    let mut t: Vec<[f32; LANES]> = vec![[0.0; LANES]; cols];
    let mut o: Vec<[f32; LANES]> = vec![[0.0; LANES]; cols];
    let mut row = vec![0.0f32; cols];
    let mut col1 = ColumnBox::new(rows, cols, wc);
    let mut second = SecondPass::new(rows, cols, wr, wc);
    let mut r = 0;
    while r < rows {
        if stop() {
            return None;
        }
        // Iteration 1, rows: eight source rows side by side.
        src.fill(r, &mut t);
        box_rows_lanes(cols, wr, |i| t[i], |i, v| o[i] = *v);
        for k in 0..LANES.min(rows - r) {
            for (d, v) in row.iter_mut().zip(&o) {
                *d = v[k];
            }
            // Iteration 1, columns; its rows go on to iteration 2.
            col1.push(&row, &mut |x| second.push_row(x));
        }
        r += LANES;
    }
    col1.finish(&mut |x| second.push_row(x));
    Some(second.finish())
}

/// Iteration 2 of the filter, fed one row at a time: the row pass (eight rows side by side,
/// keeping only the 64 sampled columns), then the column pass over those 64 columns (keeping
/// only the 64 sampled rows).
struct SecondPass {
    cols: usize,
    wr: usize,
    keep_cols: [usize; 64],
    keep_rows: [usize; 64],
    t: Vec<[f32; LANES]>,
    o: Vec<[f32; LANES]>,
    lanes: usize,
    col: ColumnBox,
    out: [f32; 4096],
    out_row: usize,
    next_keep: usize,
}

impl SecondPass {
    fn new(rows: usize, cols: usize, wr: usize, wc: usize) -> Self {
        SecondPass {
            cols,
            wr,
            keep_cols: std::array::from_fn(|j| decimation_index(j, cols, 64)),
            keep_rows: std::array::from_fn(|i| decimation_index(i, rows, 64)),
            t: vec![[0.0; LANES]; cols],
            o: vec![[0.0; LANES]; cols],
            lanes: 0,
            col: ColumnBox::new(rows, 64, wc),
            out: [0.0; 4096],
            out_row: 0,
            next_keep: 0,
        }
    }

    fn push_row(&mut self, x: &[f32]) {
        let k = self.lanes;
        for (d, &v) in self.t.iter_mut().zip(x) {
            d[k] = v;
        }
        self.lanes += 1;
        if self.lanes == LANES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        let n = self.lanes;
        if n == 0 {
            return;
        }
        if n < LANES {
            for d in self.t.iter_mut() {
                d[n..].iter_mut().for_each(|x| *x = 0.0);
            }
        }
        let (t, o) = (&self.t, &mut self.o);
        box_rows_lanes(self.cols, self.wr, |i| t[i], |i, v| o[i] = *v);
        let mut narrow = [0.0f32; 64];
        for k in 0..n {
            for (d, &c) in narrow.iter_mut().zip(&self.keep_cols) {
                *d = self.o[c][k];
            }
            let (out, out_row, next_keep, keep_rows) = (
                &mut self.out,
                &mut self.out_row,
                &mut self.next_keep,
                &self.keep_rows,
            );
            self.col.push(&narrow, &mut |r| {
                take_row(r, out, out_row, next_keep, keep_rows)
            });
        }
        self.lanes = 0;
    }

    fn finish(mut self) -> [f32; 4096] {
        self.flush();
        let (out, out_row, next_keep, keep_rows) = (
            &mut self.out,
            &mut self.out_row,
            &mut self.next_keep,
            &self.keep_rows,
        );
        self.col
            .finish(&mut |r| take_row(r, out, out_row, next_keep, keep_rows));
        self.out
    }
}

/// Decimation: keeps output row `out_row` of the last column pass in every 64×64 row that
/// samples it.
fn take_row(
    r: &[f32],
    out: &mut [f32; 4096],
    out_row: &mut usize,
    next_keep: &mut usize,
    keep_rows: &[usize; 64],
) {
    while *next_keep < 64 && keep_rows[*next_keep] == *out_row {
        out[*next_keep * 64..(*next_keep + 1) * 64].copy_from_slice(r);
        *next_keep += 1;
    }
    *out_row += 1;
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
        &|| false,
    )
    .unwrap_or([0.0; 4096])
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
    fn stop_is_polled_between_row_blocks() {
        let (r, c) = (300, 200);
        let img = lcg_image(r, c, 5);
        let src = LumaSource {
            data: &img,
            rows: r,
            cols: c,
        };
        let polls = std::cell::Cell::new(0usize);
        let stop_at_3 = || {
            polls.set(polls.get() + 1);
            polls.get() > 3
        };
        assert!(filter_and_decimate_from(&src, r, c, &stop_at_3).is_none());
        assert_eq!(polls.get(), 4);
        polls.set(0);
        let never = || {
            polls.set(polls.get() + 1);
            false
        };
        assert!(filter_and_decimate_from(&src, r, c, &never).is_some());
        assert_eq!(polls.get(), r.div_ceil(LANES));
    }

    #[test]
    fn streaming_equals_naive_for_wide_windows() {
        // Windows of 1..=16 rows/columns in both directions, rows not a multiple of 8.
        for &(r, c) in &[(2047, 61), (61, 2047), (1037, 1111), (8, 9), (6, 2000)] {
            let img = lcg_image(r, c, (r * 7 + c) as u64);
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
