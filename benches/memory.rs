//! Peak memory (and time) of hashing one image file, per image size: 12 MP, 50 MP, 100 MP and
//! the default pixel cap, plus the 20 000² 1-bit PNG bomb that the cap refuses.
//!
//! Each case runs in a fresh child process (this binary with `--child`), which reports its
//! peak resident set (`VmHWM` in `/proc/self/status`). The parent writes the test PNGs to the
//! temp directory with a streaming encoder, so generating them costs the child nothing.
//!
//! `cargo bench --bench memory` (Linux only: needs /proc).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

use mediamatch::{DecodeLimits, PdqHasher};

fn peak_rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// A photo-like RGB8 PNG of `w` x `h`, written row by row.
fn write_rgb_png(path: &Path, w: u32, h: u32) {
    let f = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = png::Encoder::new(f, w, h);
    enc.set_color(png::ColorType::Rgb);
    enc.set_depth(png::BitDepth::Eight);
    enc.set_compression(png::Compression::Fast);
    let mut wr = enc.write_header().unwrap();
    let mut s = wr.stream_writer().unwrap();
    let mut row = vec![0u8; w as usize * 3];
    let mut seed = 0x9e37_79b9u32;
    for y in 0..h {
        for x in 0..w {
            seed ^= seed << 13;
            seed ^= seed >> 17;
            seed ^= seed << 5;
            let i = x as usize * 3;
            let g = ((x / 64 + y / 48) % 2 * 120) as u8;
            row[i] = g.wrapping_add((x >> 4) as u8);
            row[i + 1] = g.wrapping_add((y >> 4) as u8);
            row[i + 2] = (seed >> 26) as u8;
        }
        s.write_all(&row).unwrap();
    }
    s.finish().unwrap();
}

/// The 1-bit all-black grey PNG bomb of `side` x `side`.
fn write_bomb(path: &Path, side: u32) {
    let f = BufWriter::new(std::fs::File::create(path).unwrap());
    let mut enc = png::Encoder::new(f, side, side);
    enc.set_color(png::ColorType::Grayscale);
    enc.set_depth(png::BitDepth::One);
    enc.set_compression(png::Compression::Fast);
    let mut wr = enc.write_header().unwrap();
    let mut s = wr.stream_writer().unwrap();
    let row = vec![0u8; side.div_ceil(8) as usize];
    for _ in 0..side {
        s.write_all(&row).unwrap();
    }
    s.finish().unwrap();
}

fn rss_bytes() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Memory left resident after 24 hashes of a 4000² frame on the rayon pool (issue 14 saw
/// 391 MB idle after 24 requests, kept as per-thread scratch).
fn idle_child() {
    use mediamatch::{ImageInput, PixelFormat, RawFrame};
    let (w, h) = (4000usize, 4000usize);
    let before = rss_bytes();
    {
        let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i % 251) as u8).collect();
        let frame = RawFrame::new(&rgb, w, h, w * 3, PixelFormat::Rgb8).unwrap();
        let inputs = vec![ImageInput::from(frame); 24];
        let r = PdqHasher::new().hash_inputs(&inputs);
        assert!(r.iter().all(|x| x.is_ok()));
    }
    println!(
        "{} {} {}",
        before,
        rss_bytes(),
        rayon::current_num_threads()
    );
}

fn child(path: &str, max_pixels: u64) {
    let limits = DecodeLimits::default()
        .with_max_pixels(max_pixels)
        .with_max_alloc(u64::MAX);
    let t = Instant::now();
    let r = PdqHasher::new().with_limits(limits).hash_file(path);
    let ms = t.elapsed().as_secs_f64() * 1e3;
    let outcome = match r {
        Ok(h) => format!("ok {}", h.hash),
        Err(e) => format!("refused: {e}"),
    };
    println!("{} {ms:.1} {outcome}", peak_rss_bytes());
}

struct Case {
    name: &'static str,
    w: u32,
    h: u32,
    bomb: bool,
    max_pixels: u64,
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if args.iter().any(|a| a == "--idle-child") {
        idle_child();
        return;
    }
    if let Some(i) = args.iter().position(|a| a == "--child") {
        child(&args[i + 1], args[i + 2].parse().unwrap());
        return;
    }
    let cap = DecodeLimits::DEFAULT_MAX_PIXELS;
    let cap_w = 13_377u32;
    let cap_h = (cap / cap_w as u64) as u32;
    let cases = [
        Case {
            name: "12 MP",
            w: 4000,
            h: 3000,
            bomb: false,
            max_pixels: cap,
        },
        Case {
            name: "50 MP",
            w: 8160,
            h: 6120,
            bomb: false,
            max_pixels: cap,
        },
        Case {
            name: "100 MP",
            w: 10_000,
            h: 10_000,
            bomb: false,
            max_pixels: cap,
        },
        Case {
            name: "cap (2^27 px)",
            w: cap_w,
            h: cap_h,
            bomb: false,
            max_pixels: cap,
        },
        Case {
            name: "20000² 1-bit bomb, default cap",
            w: 20_000,
            h: 20_000,
            bomb: true,
            max_pixels: cap,
        },
    ];
    let dir: PathBuf = std::env::temp_dir().join(format!("mm-memory-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let exe = std::env::current_exe().unwrap();
    println!(
        "| image | pixels | file | decoded RGB | peak RSS | peak − decoded RGB | time | result |"
    );
    println!("|---|---|---|---|---|---|---|---|");
    for c in cases {
        let path = dir.join(format!("{}x{}.png", c.w, c.h));
        if c.bomb {
            write_bomb(&path, c.w);
        } else {
            write_rgb_png(&path, c.w, c.h);
        }
        let size = std::fs::metadata(&path).unwrap().len();
        let out = Command::new(&exe)
            .arg("--child")
            .arg(&path)
            .arg(c.max_pixels.to_string())
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&out.stdout);
        let mut parts = text.trim().splitn(3, ' ');
        let peak: u64 = parts.next().unwrap_or("0").parse().unwrap_or(0);
        let ms = parts.next().unwrap_or("?");
        let outcome = parts.next().unwrap_or("child failed");
        let px = c.w as u64 * c.h as u64;
        let rgb = px * 3;
        let mb = |b: u64| b as f64 / (1 << 20) as f64;
        println!(
            "| {} | {}x{} ({:.1} M) | {:.1} MB | {:.0} MB | {:.0} MB | {:+.0} MB | {ms} ms | {} |",
            c.name,
            c.w,
            c.h,
            px as f64 / 1e6,
            mb(size),
            mb(rgb),
            mb(peak),
            mb(peak) - mb(rgb),
            if outcome.len() > 90 {
                &outcome[..90]
            } else {
                outcome
            },
        );
        std::fs::remove_file(&path).ok();
    }
    std::fs::remove_dir_all(&dir).ok();
    let out = Command::new(&exe).arg("--idle-child").output().unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    let v: Vec<u64> = text
        .split_whitespace()
        .filter_map(|x| x.parse().ok())
        .collect();
    if let [before, after, threads] = v[..] {
        println!(
            "\nresident after 24 hashes of a 4000² RGB frame on {threads} rayon threads \
             (input freed): {:.1} MB (before: {:.1} MB)",
            after as f64 / (1 << 20) as f64,
            before as f64 / (1 << 20) as f64
        );
    }
}
