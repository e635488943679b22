//! Bit reading of H.264 NAL unit payloads: Exp-Golomb values, and the recovery point SEI
//! message that marks an open-GOP picture decoding may start from exactly.

/// Reads the bits of a NAL unit payload, skipping emulation prevention bytes.
pub(crate) struct Bits<'a> {
    data: &'a [u8],
    pos: usize,
    zeros: usize,
    byte: u8,
    left: u8,
}

impl<'a> Bits<'a> {
    pub(crate) fn new(data: &'a [u8]) -> Self {
        Bits {
            data,
            pos: 0,
            zeros: 0,
            byte: 0,
            left: 0,
        }
    }

    fn next_byte(&mut self) -> Option<u8> {
        let mut b = *self.data.get(self.pos)?;
        self.pos += 1;
        if self.zeros >= 2 && b == 3 {
            b = *self.data.get(self.pos)?;
            self.pos += 1;
            self.zeros = 0;
        }
        self.zeros = if b == 0 { self.zeros + 1 } else { 0 };
        Some(b)
    }

    pub(crate) fn bit(&mut self) -> Option<u32> {
        if self.left == 0 {
            self.byte = self.next_byte()?;
            self.left = 8;
        }
        self.left -= 1;
        Some(((self.byte >> self.left) & 1) as u32)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |a, _| Some((a << 1) | self.bit()?))
    }

    /// Exp-Golomb `ue(v)`, up to 31 leading zeros.
    pub(crate) fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + self.bits(zeros)? as u64) as u32)
    }

    /// An SEI `ff`-coded value (payload type or size).
    fn sei_value(&mut self) -> Option<usize> {
        let mut v = 0usize;
        loop {
            let b = self.bits(8)? as usize;
            v = v.checked_add(b)?;
            if b != 0xff {
                return Some(v);
            }
        }
    }
}

/// Whether an SEI NAL unit payload (after the header byte) holds a recovery point message
/// with `recovery_frame_cnt` 0 and `exact_match_flag` 1.
pub(crate) fn sei_exact_recovery(payload: &[u8]) -> bool {
    let mut r = Bits::new(payload);
    // messages follow each other until the trailing bits (a lone 0x80)
    for _ in 0..64 {
        let Some(kind) = r.sei_value() else {
            return false;
        };
        let Some(size) = r.sei_value() else {
            return false;
        };
        if kind == 6 {
            return r.ue() == Some(0) && r.bit() == Some(1);
        }
        for _ in 0..size {
            if r.bits(8).is_none() {
                return false;
            }
        }
    }
    false
}

/// Whether a slice NAL unit payload (after the header byte) is an I slice:
/// `first_mb_in_slice` ue(v), then `slice_type` ue(v) 2 or 7.
pub(crate) fn is_i_slice(payload: &[u8]) -> bool {
    let mut r = Bits::new(payload);
    let st = r.ue().and_then(|_| r.ue());
    matches!(st, Some(2 | 7))
}
