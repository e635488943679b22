//! Hostile and truncated `.tmk` files give typed errors with bounded memory.

use mediamatch::error::FormatErrorKind;
use mediamatch::tmk::{TmkBuilder, TmkFeatures};
use mediamatch::Error;

fn kind(r: mediamatch::Result<TmkFeatures>) -> FormatErrorKind {
    match r {
        Err(Error::Format(f)) => f.kind().clone(),
        other => panic!("expected a format error, got {other:?}"),
    }
}

fn sample() -> Vec<u8> {
    let mut b = TmkBuilder::new();
    for t in 0..5 {
        let mut f = [3.0f32; 256];
        f[t] = 90.0;
        b.push(&f);
    }
    b.finish().to_bytes()
}

#[test]
fn every_truncation_is_a_typed_error() {
    let good = sample();
    assert_eq!(good.len(), 263_344);
    assert!(TmkFeatures::from_bytes(&good).is_ok());
    for cut in (0..good.len())
        .step_by(997)
        .chain([31, 32, 33, good.len() - 1])
    {
        let k = kind(TmkFeatures::from_bytes(&good[..cut]));
        assert_eq!(k, FormatErrorKind::Truncated, "cut at {cut}");
    }
    let mut long = good.clone();
    long.push(0);
    assert_eq!(
        kind(TmkFeatures::from_bytes(&long)),
        FormatErrorKind::Corrupt
    );
}

#[test]
fn bad_magic_algorithm_and_counts_are_rejected() {
    let good = sample();
    let mut b = good.clone();
    b[0] = b'X';
    assert_eq!(kind(TmkFeatures::from_bytes(&b)), FormatErrorKind::BadMagic);
    let mut b = good.clone();
    b[4..8].copy_from_slice(b"FEAT");
    assert_eq!(kind(TmkFeatures::from_bytes(&b)), FormatErrorKind::BadMagic);
    let mut b = good.clone();
    b[8..12].copy_from_slice(b"GIST");
    assert_eq!(kind(TmkFeatures::from_bytes(&b)), FormatErrorKind::Corrupt);
    assert_eq!(
        kind(TmkFeatures::from_bytes(b"PNG\x89")),
        FormatErrorKind::BadMagic
    );
    // Hostile counts: negative, zero, and huge (which would ask for terabytes) are refused
    // before any allocation.
    for (off, v) in [
        (16, -1i32),
        (20, 0),
        (24, i32::MAX),
        (16, 1 << 20),
        (20, 100_000),
    ] {
        let mut b = good.clone();
        b[off..off + 4].copy_from_slice(&v.to_le_bytes());
        assert_eq!(
            kind(TmkFeatures::from_bytes(&b)),
            FormatErrorKind::Corrupt,
            "{off} {v}"
        );
    }
    // Counts within the limits but larger than the file: truncated, not a huge allocation.
    let mut b = good[..32].to_vec();
    b[16..20].copy_from_slice(&64i32.to_le_bytes());
    b[20..24].copy_from_slice(&256i32.to_le_bytes());
    b[24..28].copy_from_slice(&4096i32.to_le_bytes());
    assert_eq!(
        kind(TmkFeatures::from_bytes(&b)),
        FormatErrorKind::Truncated
    );
    // A zero or negative period.
    let mut b = good.clone();
    b[32..36].copy_from_slice(&0i32.to_le_bytes());
    assert_eq!(kind(TmkFeatures::from_bytes(&b)), FormatErrorKind::Corrupt);
}

#[test]
fn inconsistent_hand_built_vectors_are_refused_on_write() {
    let mut t = TmkFeatures::from_bytes(&sample()).unwrap();
    t.cos.pop();
    assert!(matches!(t.validate(), Err(Error::InvalidInput(_))));
    let p = std::env::temp_dir().join(format!("mm-tmk-bad-{}.tmk", std::process::id()));
    assert!(t.write_file(&p).is_err());
    assert!(!p.exists());
}
