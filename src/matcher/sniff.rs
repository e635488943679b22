//! What a file is, from its first bytes (never from its name).

use serde::{Deserialize, Serialize};

/// The kind of media, sniffed from the bytes by [`sniff`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub enum MediaType {
    /// A still image (JPEG, PNG, GIF, BMP, TIFF, WebP, PNM).
    Image,
    /// An image format holding several frames (animated GIF, APNG, animated WebP); the matcher
    /// matches an animated GIF as a video, the others on their first frame.
    AnimatedImage,
    /// A video container (MP4/MOV, Matroska/WebM, AVI).
    Video,
    /// Anything else.
    Unknown,
}

impl MediaType {
    /// Short stable name.
    pub fn name(self) -> &'static str {
        match self {
            MediaType::Image => "image",
            MediaType::AnimatedImage => "animated-image",
            MediaType::Video => "video",
            MediaType::Unknown => "unknown",
        }
    }
}

/// How many leading bytes [`sniff`] looks at at most (it never reads further).
pub const SNIFF_BYTES: usize = 1 << 20;

/// The media type of `bytes` from their signature (and, for GIF, PNG and WebP, whether they
/// hold more than one frame). Looks at no more than [`SNIFF_BYTES`] bytes.
///
/// ```
/// use mediamatch::matcher::{sniff, MediaType};
/// assert_eq!(sniff(b"\xff\xd8\xff\xe0\0\x10JFIF"), MediaType::Image);
/// assert_eq!(sniff(b"\0\0\0\x18ftypmp42\0\0\0\0"), MediaType::Video);
/// assert_eq!(sniff(b"hello"), MediaType::Unknown);
/// Ok::<(), mediamatch::Error>(())
/// ```
pub fn sniff(bytes: &[u8]) -> MediaType {
    let b = &bytes[..bytes.len().min(SNIFF_BYTES)];
    let starts = |sig: &[u8]| b.starts_with(sig);
    if starts(b"\xff\xd8\xff") || starts(b"BM") || starts(b"II*\0") || starts(b"MM\0*") {
        return MediaType::Image;
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return if png_animated(b) {
            MediaType::AnimatedImage
        } else {
            MediaType::Image
        };
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return if gif_frames(b) > 1 {
            MediaType::AnimatedImage
        } else {
            MediaType::Image
        };
    }
    if b.len() >= 12 && &b[..4] == b"RIFF" {
        return match &b[8..12] {
            b"WEBP" if webp_animated(b) => MediaType::AnimatedImage,
            b"WEBP" => MediaType::Image,
            b"AVI " => MediaType::Video,
            _ => MediaType::Unknown,
        };
    }
    if starts(b"\x1a\x45\xdf\xa3") {
        return MediaType::Video;
    }
    if b.len() >= 8 {
        let tag = &b[4..8];
        if [b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip"]
            .iter()
            .any(|t| tag == *t)
        {
            return MediaType::Video;
        }
    }
    if b.len() >= 2 && b[0] == b'P' && (b'1'..=b'7').contains(&b[1]) {
        return MediaType::Image;
    }
    MediaType::Unknown
}

/// PNG: an `acTL` chunk before the first `IDAT` makes it an APNG.
fn png_animated(b: &[u8]) -> bool {
    let mut at = 8usize;
    while at + 8 <= b.len() {
        let len = u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize;
        match &b[at + 4..at + 8] {
            b"acTL" => return true,
            b"IDAT" => return false,
            _ => {}
        }
        at = match at.checked_add(12).and_then(|a| a.checked_add(len)) {
            Some(a) => a,
            None => return false,
        };
    }
    false
}

/// WebP: the animation flag of a `VP8X` header.
fn webp_animated(b: &[u8]) -> bool {
    b.len() >= 21 && &b[12..16] == b"VP8X" && b[20] & 0x02 != 0
}

/// GIF: the number of image descriptors, counting no further than 2 (walks the blocks).
fn gif_frames(b: &[u8]) -> usize {
    if b.len() < 13 {
        return 0;
    }
    let flags = b[10];
    let mut at = 13usize;
    if flags & 0x80 != 0 {
        at += 3 << ((flags & 7) + 1);
    }
    let skip_sub_blocks = |mut at: usize| -> Option<usize> {
        loop {
            let n = *b.get(at)? as usize;
            at += 1;
            if n == 0 {
                return Some(at);
            }
            at += n;
        }
    };
    let mut frames = 0;
    while let Some(&tag) = b.get(at) {
        match tag {
            0x2c => {
                frames += 1;
                if frames > 1 {
                    break;
                }
                let Some(f) = b.get(at + 9) else { break };
                at += 10;
                if f & 0x80 != 0 {
                    at += 3 << ((f & 7) + 1);
                }
                at += 1; // LZW minimum code size
                match skip_sub_blocks(at) {
                    Some(a) => at = a,
                    None => break,
                }
            }
            0x21 => match skip_sub_blocks(at + 2) {
                Some(a) => at = a,
                None => break,
            },
            _ => break,
        }
    }
    frames
}

#[cfg(test)]
mod tests {
    use super::*;

    fn gif(frames: usize) -> Vec<u8> {
        let mut v = b"GIF89a".to_vec();
        v.extend_from_slice(&[1, 0, 1, 0, 0x80, 0, 0]); // 1x1, global table of 2 colours
        v.extend_from_slice(&[0, 0, 0, 255, 255, 255]);
        for _ in 0..frames {
            v.extend_from_slice(&[0x21, 0xf9, 4, 0, 10, 0, 0, 0]); // graphic control
            v.extend_from_slice(&[0x2c, 0, 0, 0, 0, 1, 0, 1, 0, 0]);
            v.extend_from_slice(&[2, 2, 0x4c, 0x01, 0]);
        }
        v.push(0x3b);
        v
    }

    #[test]
    fn gif_frame_count_decides_animation() {
        assert_eq!(sniff(&gif(1)), MediaType::Image);
        assert_eq!(sniff(&gif(3)), MediaType::AnimatedImage);
        // the one-frame GIF is one the image crate decodes
        assert!(image::load_from_memory(&gif(1)).is_ok());
        // truncated anywhere: still a GIF, never a panic
        let g = gif(2);
        for n in 0..g.len() {
            let _ = sniff(&g[..n]);
        }
    }

    #[test]
    fn signatures() {
        assert_eq!(sniff(b"RIFF\0\0\0\0WEBPVP8 "), MediaType::Image);
        let mut anim = b"RIFF\0\0\0\0WEBPVP8X\x0a\0\0\0".to_vec();
        anim.push(0x02);
        assert_eq!(sniff(&anim), MediaType::AnimatedImage);
        assert_eq!(sniff(b"RIFF\0\0\0\0AVI LIST"), MediaType::Video);
        assert_eq!(sniff(b"\x1a\x45\xdf\xa3\x01"), MediaType::Video);
        assert_eq!(sniff(b"P6\n1 1\n255\n"), MediaType::Image);
        assert_eq!(sniff(b""), MediaType::Unknown);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend_from_slice(&[0, 0, 0, 8]);
        png.extend_from_slice(b"acTL");
        assert_eq!(sniff(&png), MediaType::AnimatedImage);
        png.truncate(8);
        png.extend_from_slice(&[0, 0, 0, 0]);
        png.extend_from_slice(b"IDAT");
        assert_eq!(sniff(&png), MediaType::Image);
    }
}
