//! The reference's integer quality metric over the 64×64 buffer.

/// Quality 0..=100: the sum over all vertical and horizontal neighbour pairs of
/// `|trunc(((u - v) * 100) / 255)|` (float32 arithmetic, truncation toward zero), divided by
/// 90 (integer division) and capped at 100 — the reference's `pdqImageDomainQualityMetric`.
pub(crate) fn quality(a: &[f32; 4096]) -> u8 {
    let mut sum: i64 = 0;
    for i in 0..63 {
        for j in 0..64 {
            let u = a[i * 64 + j];
            let v = a[(i + 1) * 64 + j];
            let d = (((u - v) * 100.0f32) / 255.0f32) as i32;
            sum += d.unsigned_abs() as i64;
        }
    }
    for i in 0..64 {
        for j in 0..63 {
            let u = a[i * 64 + j];
            let v = a[i * 64 + j + 1];
            let d = (((u - v) * 100.0f32) / 255.0f32) as i32;
            sum += d.unsigned_abs() as i64;
        }
    }
    (sum / 90).min(100) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flat_is_zero_and_busy_is_capped() {
        assert_eq!(quality(&[7.0; 4096]), 0);
        let mut a = [0.0f32; 4096];
        for (k, v) in a.iter_mut().enumerate() {
            *v = if (k / 64 + k % 64) % 2 == 0 {
                255.0
            } else {
                0.0
            };
        }
        assert_eq!(quality(&a), 100);
        // Hand-computed: one step of 51 along a single column boundary.
        let mut b = [0.0f32; 4096];
        for i in 0..64 {
            for j in 32..64 {
                b[i * 64 + j] = 51.0;
            }
        }
        // 64 horizontal pairs with |d| = trunc(5100/255) = 20 -> 1280 / 90 = 14
        assert_eq!(quality(&b), 14);
    }
}
