//! The real type of an upload, from its first bytes: the name and the declared
//! content type are the client's word, the magic bytes are the file's.

use image::ImageFormat;
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PhotoKind {
    Jpeg,
    Png,
    Webp,
}

impl PhotoKind {
    /// JPEG `FF D8 FF`, PNG's 8-byte signature, WebP `RIFF....WEBP`; anything else is `None`.
    pub fn sniff(bytes: &[u8]) -> Option<Self> {
        if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Self::Jpeg)
        } else if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Self::Png)
        } else if bytes.len() >= 12 && bytes.starts_with(b"RIFF") && &bytes[8..12] == b"WEBP" {
            Some(Self::Webp)
        } else {
            None
        }
    }

    /// A declared content type, for comparing with what the bytes turn out to be.
    pub fn from_content_type(content_type: &str) -> Option<Self> {
        let essence = content_type.split(';').next().unwrap_or("").trim().to_ascii_lowercase();
        match essence.as_str() {
            "image/jpeg" | "image/jpg" | "image/pjpeg" => Some(Self::Jpeg),
            "image/png" => Some(Self::Png),
            "image/webp" => Some(Self::Webp),
            _ => None,
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Self::Jpeg => "image/jpeg",
            Self::Png => "image/png",
            Self::Webp => "image/webp",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Self::Jpeg => "jpg",
            Self::Png => "png",
            Self::Webp => "webp",
        }
    }

    pub(super) fn format(self) -> ImageFormat {
        match self {
            Self::Jpeg => ImageFormat::Jpeg,
            Self::Png => ImageFormat::Png,
            Self::Webp => ImageFormat::WebP,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn magic_bytes_decide() {
        assert_eq!(PhotoKind::sniff(&[0xFF, 0xD8, 0xFF, 0xE0, 0, 0x10]), Some(PhotoKind::Jpeg));
        assert_eq!(PhotoKind::sniff(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"), Some(PhotoKind::Png));
        assert_eq!(PhotoKind::sniff(b"RIFF\x24\0\0\0WEBPVP8 "), Some(PhotoKind::Webp));
        for other in [&b""[..], b"\xFF\xD8", b"GIF89a", b"RIFF\0\0\0\0WAVEfmt ", b"II*\0", b"<svg", b"hello.jpg"] {
            assert_eq!(PhotoKind::sniff(other), None, "{other:?}");
        }
    }

    #[test]
    fn declared_types() {
        assert_eq!(PhotoKind::from_content_type("image/JPEG; charset=binary"), Some(PhotoKind::Jpeg));
        assert_eq!(PhotoKind::from_content_type("image/gif"), None);
        for k in [PhotoKind::Jpeg, PhotoKind::Png, PhotoKind::Webp] {
            assert_eq!(PhotoKind::from_content_type(k.content_type()), Some(k));
        }
    }
}
