//! Small generated photos for the demo's findings: a JPEG of a few hundred bytes,
//! different for every seed, so each upload is a photo of its own (its own SHA-256)
//! and goes through the evidence checks as a phone's would.

use image::codecs::jpeg::JpegEncoder;
use image::{Rgb, RgbImage};

const WIDTH: u32 = 64;
const HEIGHT: u32 = 48;

/// A 64×48 JPEG: a gradient in a colour drawn from `seed`, with a band whose place
/// also depends on it (a "before" photo darker than an "after" one).
pub fn jpeg(seed: u64, after: bool) -> anyhow::Result<Vec<u8>> {
    let mut rng = fastrand::Rng::with_seed(seed);
    let base = [rng.u8(40..200), rng.u8(40..200), rng.u8(40..200)];
    let band = rng.u32(0..HEIGHT - 8);
    let light: u8 = if after { 50 } else { 0 };
    let img = RgbImage::from_fn(WIDTH, HEIGHT, |x, y| {
        let shade = u8::try_from((x + y) % 64).unwrap_or(0);
        let mut p = base.map(|c| c.saturating_add(shade).saturating_add(light));
        if (band..band + 8).contains(&y) {
            p = [p[0] / 3, p[1] / 3, p[2] / 3];
        }
        Rgb(p)
    });
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, 70).encode_image(&img)?;
    Ok(out)
}

#[cfg(test)]
mod tests {
    #[test]
    fn photos_differ_by_seed_and_are_jpegs() {
        let (a, b) = (super::jpeg(1, false).unwrap(), super::jpeg(2, false).unwrap());
        assert_ne!(a, b);
        assert_eq!(&a[..2], &[0xff, 0xd8]);
        assert_eq!(a, super::jpeg(1, false).unwrap(), "deterministic");
    }
}
