//! Decoding under limits, and the display copy. The header's dimensions and the
//! decoded size are checked before a pixel is inflated, so a small file claiming a huge
//! image (a decompression bomb) costs nothing.

use std::io::Cursor;

use image::codecs::jpeg::JpegEncoder;
use image::{DynamicImage, ImageDecoder, ImageError, ImageReader, Limits, RgbImage};

use super::{EvidenceError, EvidenceSettings, PhotoKind};

/// The decoded photo, turned upright as its EXIF orientation says.
pub(super) struct Decoded {
    pub image: DynamicImage,
    /// Dimensions as stored in the file (before turning).
    pub width: u32,
    pub height: u32,
}

pub(super) fn decode(bytes: &[u8], kind: PhotoKind, s: &EvidenceSettings) -> Result<Decoded, EvidenceError> {
    let mut reader = ImageReader::new(Cursor::new(bytes));
    // The sniffed type, not a guess: what was checked is what gets decoded.
    reader.set_format(kind.format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(s.max_width);
    limits.max_image_height = Some(s.max_height);
    limits.max_alloc = Some(s.max_decode_bytes);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(refused)?;
    let (width, height) = decoder.dimensions();
    if decoder.total_bytes() > s.max_decode_bytes {
        return Err(EvidenceError::TooManyPixels(format!(
            "{width}×{height} needs {} MiB to decode, more than {} MiB",
            decoder.total_bytes() >> 20,
            s.max_decode_bytes >> 20
        )));
    }
    let orientation = decoder.orientation().unwrap_or(image::metadata::Orientation::NoTransforms);
    let mut image = DynamicImage::from_decoder(decoder).map_err(refused)?;
    image.apply_orientation(orientation);
    Ok(Decoded { image, width, height })
}

fn refused(e: ImageError) -> EvidenceError {
    match e {
        ImageError::Limits(l) => EvidenceError::TooManyPixels(l.to_string()),
        e => EvidenceError::Undecodable(e.to_string()),
    }
}

/// A JPEG no larger than `max_edge` on its longest side, transparency flattened onto
/// white. The encoder writes no metadata, so nothing of the original's EXIF (position,
/// device) travels with it.
pub(super) fn display_copy(
    image: &DynamicImage,
    max_edge: u32,
    quality: u8,
) -> Result<(Vec<u8>, u32, u32), EvidenceError> {
    let small;
    let fitted = if image.width().max(image.height()) > max_edge {
        small = image.thumbnail(max_edge, max_edge);
        &small
    } else {
        image
    };
    let rgb = flatten(fitted);
    let mut out = Vec::new();
    JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&rgb)
        .map_err(|e| EvidenceError::Undecodable(format!("display copy: {e}")))?;
    Ok((out, rgb.width(), rgb.height()))
}

fn flatten(image: &DynamicImage) -> RgbImage {
    if !image.color().has_alpha() {
        return image.to_rgb8();
    }
    let rgba = image.to_rgba8();
    RgbImage::from_fn(rgba.width(), rgba.height(), |x, y| {
        let [r, g, b, a] = rgba.get_pixel(x, y).0;
        let over_white = |c: u8| ((u16::from(c) * u16::from(a) + 255 * (255 - u16::from(a)) + 127) / 255) as u8;
        image::Rgb([over_white(r), over_white(g), over_white(b)])
    })
}
