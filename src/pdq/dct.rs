//! The 64×64 → 16×16 DCT, with the reference's fixed float32 matrix and summation order.

use super::dct_table::DCT_BITS;

/// The 16x64 DCT matrix as floats (row `i` = frequency `i + 1`).
fn matrix() -> &'static [[f32; 64]; 16] {
    static M: std::sync::OnceLock<[[f32; 64]; 16]> = std::sync::OnceLock::new();
    M.get_or_init(|| {
        let mut m = [[0.0f32; 64]; 16];
        for (i, row) in m.iter_mut().enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                *v = f32::from_bits(DCT_BITS[i][j]);
            }
        }
        m
    })
}

/// `B = D · A · Dᵀ` for the 64×64 buffer `a` (row-major), returning the 16×16 result
/// row-major (`B[i][j]`: vertical frequency `i + 1`, horizontal frequency `j + 1`).
///
/// Every output is accumulated from 0.0 over k = 0..64 in order, each product rounded before
/// the addition (no fused multiply-add), exactly like the reference's
/// `dct64To16`. The loops run over the output columns innermost so they vectorise without
/// changing any element's operation order.
pub(crate) fn dct_64_to_16(a: &[f32; 4096]) -> [f32; 256] {
    let d = matrix();
    // T = D * A  (16 x 64)
    let mut t = [[0.0f32; 64]; 16];
    for i in 0..16 {
        let ti = &mut t[i];
        for k in 0..64 {
            let dik = d[i][k];
            let ak = &a[k * 64..(k + 1) * 64];
            for j in 0..64 {
                ti[j] += dik * ak[j];
            }
        }
    }
    // Dt[k][j] = D[j][k]
    let mut dt = [[0.0f32; 16]; 64];
    for (j, row) in d.iter().enumerate() {
        for (k, v) in row.iter().enumerate() {
            dt[k][j] = *v;
        }
    }
    // B = T * D^T (16 x 16): B[i][j] = sum_k T[i][k] * D[j][k]
    let mut b = [0.0f32; 256];
    for i in 0..16 {
        let bi = &mut b[i * 16..(i + 1) * 16];
        for k in 0..64 {
            let tik = t[i][k];
            for j in 0..16 {
                bi[j] += tik * dt[k][j];
            }
        }
    }
    b
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_matches_reference_formula_closely() {
        // The table is the reference's float rounding; recomputing it with Rust's libm must
        // land within one ulp everywhere and exactly on almost all entries.
        let scale = (2.0f64 / 64.0).sqrt() as f32;
        let mut exact = 0;
        for i in 0..16 {
            for j in 0..64 {
                let v = (scale as f64
                    * (std::f64::consts::PI / 2.0 / 64.0 * (i + 1) as f64 * (2 * j + 1) as f64)
                        .cos()) as f32;
                let t = f32::from_bits(DCT_BITS[i][j]);
                let ulps = (v.to_bits() as i64 - t.to_bits() as i64).abs();
                assert!(ulps <= 1, "entry {i},{j}: {v} vs {t}");
                exact += (ulps == 0) as usize;
            }
        }
        assert!(exact > 1000, "only {exact} of 1024 entries exact");
    }

    #[test]
    fn constant_input_gives_near_zero() {
        let a = [100.0f32; 4096];
        let b = dct_64_to_16(&a);
        assert!(b.iter().all(|v| v.abs() < 1e-2));
    }
}
