use image::AnimationDecoder;
fn main() {
    let a: Vec<String> = std::env::args().collect();
    let f = std::io::BufReader::new(std::fs::File::open(&a[1]).unwrap());
    let d = image::codecs::gif::GifDecoder::new(f).unwrap();
    for (i, fr) in d.into_frames().enumerate() {
        let fr = fr.unwrap();
        if i % 10 == 0 {
            fr.buffer().save(format!("/tmp/gd/img-{i:03}.png")).unwrap();
        }
    }
}
