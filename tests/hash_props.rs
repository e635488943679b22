//! Properties of the hash types: distance is a metric on bits, text and serde forms round-trip.

use mediamatch::{Hash256, Hash64, PdqHash};
use proptest::prelude::*;

fn h256() -> impl Strategy<Value = Hash256> {
    any::<[u8; 32]>().prop_map(Hash256::from_bytes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn distance_is_a_metric(a in h256(), b in h256(), c in h256()) {
        prop_assert_eq!(a.distance(&a), 0);
        prop_assert_eq!(a.distance(&b), b.distance(&a));
        prop_assert!(a.distance(&c) <= a.distance(&b) + b.distance(&c));
        // Brute force over bits.
        let brute = (0..256).filter(|&k| a.bit(k) != b.bit(k)).count() as u32;
        prop_assert_eq!(a.distance(&b), brute);
    }

    #[test]
    fn text_bytes_words_and_serde_round_trip(a in h256(), q in 0u8..=100) {
        prop_assert_eq!(a.to_string().parse::<Hash256>().unwrap(), a);
        prop_assert_eq!(Hash256::from_bytes(a.to_bytes()), a);
        prop_assert_eq!(Hash256::from_words(a.to_words()), a);
        prop_assert_eq!(Hash256::from_limbs(a.limbs()), a);
        let p = PdqHash { hash: a, quality: q };
        let json = serde_json::to_string(&p).unwrap();
        prop_assert!(json.contains(&a.to_string()));
        prop_assert_eq!(serde_json::from_str::<PdqHash>(&json).unwrap(), p);
        let cfg = bincode::config::standard();
        let bin = bincode::serde::encode_to_vec(p, cfg).unwrap();
        let (back, _): (PdqHash, usize) = bincode::serde::decode_from_slice(&bin, cfg).unwrap();
        prop_assert_eq!(back, p);
    }

    #[test]
    fn bit_k_is_hex_layout(k in 0usize..256) {
        // Bit k is bit (k % 4) of hex digit 63 - k / 4.
        let mut h = Hash256::ZERO;
        h.set_bit(k, true);
        let s = h.to_string();
        let digit = s.as_bytes()[63 - k / 4] as char;
        prop_assert_eq!(digit.to_digit(16).unwrap(), 1 << (k % 4));
        prop_assert_eq!(h.count_ones(), 1);
    }

    #[test]
    fn hash64_round_trip(v in any::<u64>(), w in any::<u64>()) {
        let (a, b) = (Hash64::from_u64(v), Hash64::from_u64(w));
        prop_assert_eq!(a.to_string().parse::<Hash64>().unwrap(), a);
        prop_assert_eq!(a.distance(&b), (v ^ w).count_ones());
        let json = serde_json::to_string(&a).unwrap();
        prop_assert_eq!(serde_json::from_str::<Hash64>(&json).unwrap(), a);
    }
}
