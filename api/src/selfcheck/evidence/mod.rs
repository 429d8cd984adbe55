//! Photo evidence checks, pure: the uploaded bytes and what the client said about them
//! in, everything an evidence record needs out. No storage, no database.
//!
//! Order: size cap, real type by magic bytes, SHA-256 of the original, EXIF, a decode
//! under dimension and memory limits, the display copy, then the flags. `inspect` is
//! CPU-bound (tens to hundreds of milliseconds for a phone photo): call it from
//! `tokio::task::spawn_blocking`.

mod decode;
pub(crate) mod exif;
#[cfg(test)]
mod fixtures;
mod flags;
mod geo;
mod kind;

use chrono::{DateTime, Utc};
use serde::Serialize;
use sha2::{Digest, Sha256};
use uuid::Uuid;

pub use crate::platform::storage::EvidenceSettings;
use crate::platform::storage::{KeyError, ObjectKey};
pub use exif::ExifFacts;
pub use flags::{Flag, Source};
pub use geo::GeoPoint;
pub use kind::PhotoKind;

/// A photo as it arrived, with the client's own account of it.
#[derive(Debug, Clone, Copy)]
pub struct Upload<'a> {
    pub bytes: &'a [u8],
    /// The server's clock when the bytes arrived (for a presigned upload: at commit).
    pub received_at: DateTime<Utc>,
    pub client_taken_at: Option<DateTime<Utc>>,
    pub client_position: Option<GeoPoint>,
    /// The enterprise's site, when it is on file.
    pub site: Option<GeoPoint>,
}

/// Everything an evidence record needs. The original is stored byte-exact as uploaded;
/// `display` is the copy to show.
#[derive(Debug, Clone, Serialize)]
pub struct CheckedPhoto {
    pub kind: PhotoKind,
    pub size_bytes: u64,
    /// Lowercase hex SHA-256 of the original bytes.
    pub sha256: String,
    /// As stored in the file, before EXIF orientation.
    pub width: u32,
    pub height: u32,
    pub received_at: DateTime<Utc>,
    pub client_taken_at: Option<DateTime<Utc>>,
    pub client_position: Option<GeoPoint>,
    pub exif: ExifFacts,
    pub flags: Vec<Flag>,
    #[serde(skip)]
    pub display: DisplayCopy,
}

/// An upright JPEG, longest edge at most `display_max_edge`, without EXIF.
#[derive(Debug, Clone)]
pub struct DisplayCopy {
    pub jpeg: Vec<u8>,
    pub width: u32,
    pub height: u32,
}

impl DisplayCopy {
    pub const CONTENT_TYPE: &'static str = "image/jpeg";
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EvidenceError {
    #[error("the photo is empty")]
    Empty,
    #[error("the photo is {size} bytes, more than the {max} allowed")]
    TooLarge { size: u64, max: u64 },
    #[error("not a JPEG, PNG or WebP image (judged by its content, not its name)")]
    NotAPhoto,
    #[error("the image is too large to decode: {0}")]
    TooManyPixels(String),
    #[error("the image cannot be decoded: {0}")]
    Undecodable(String),
}

impl EvidenceError {
    /// The HTTP status to answer with: 413 too large, 415 not an accepted type, 422
    /// over the pixel limits or broken.
    pub fn http_status(&self) -> u16 {
        match self {
            Self::TooLarge { .. } => 413,
            Self::NotAPhoto => 415,
            Self::Empty | Self::TooManyPixels(_) | Self::Undecodable(_) => 422,
        }
    }
}

/// The size check alone, for refusing early on a declared length or a stored object's
/// size before reading the bytes.
pub fn check_size(size: u64, s: &EvidenceSettings) -> Result<(), EvidenceError> {
    match size {
        0 => Err(EvidenceError::Empty),
        n if n > s.max_bytes => Err(EvidenceError::TooLarge { size: n, max: s.max_bytes }),
        _ => Ok(()),
    }
}

/// Runs every check; an error means the photo is refused and nothing should be kept.
pub fn inspect(upload: &Upload<'_>, s: &EvidenceSettings) -> Result<CheckedPhoto, EvidenceError> {
    let size_bytes = upload.bytes.len() as u64;
    check_size(size_bytes, s)?;
    let kind = PhotoKind::sniff(upload.bytes).ok_or(EvidenceError::NotAPhoto)?;
    let sha256 = hex(&Sha256::digest(upload.bytes));
    let exif = exif::read(upload.bytes, s.exif_utc_offset_minutes);
    let decoded = decode::decode(upload.bytes, kind, s)?;
    let (jpeg, dw, dh) = decode::display_copy(&decoded.image, s.display_max_edge, s.display_jpeg_quality)?;
    let flags = flags::flags(
        &flags::Claims {
            received_at: upload.received_at,
            times: [(Source::Client, upload.client_taken_at), (Source::Exif, exif.taken_at)],
            positions: [(Source::Client, upload.client_position), (Source::Exif, exif.position)],
            site: upload.site,
        },
        s,
    );
    Ok(CheckedPhoto {
        kind,
        size_bytes,
        sha256,
        width: decoded.width,
        height: decoded.height,
        received_at: upload.received_at,
        client_taken_at: upload.client_taken_at,
        client_position: upload.client_position,
        exif,
        flags,
        display: DisplayCopy { jpeg, width: dw, height: dh },
    })
}

/// Where an upload's objects go: keys the server chooses (never the client), one
/// fresh id per upload, so a presigned URL can write nothing else.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceKeys {
    pub original: ObjectKey,
    pub display: ObjectKey,
}

pub fn object_keys(enterprise_id: i64, upload_id: Uuid) -> Result<EvidenceKeys, KeyError> {
    keys_of(ObjectKey::new(format!("evidence/{enterprise_id}/{}", upload_id.as_hyphenated()))?)
}

/// Both keys from the original's (a direct upload records only the one it signed).
pub fn keys_of(original: ObjectKey) -> Result<EvidenceKeys, KeyError> {
    let display = ObjectKey::new(format!("{original}.display.jpg"))?;
    Ok(EvidenceKeys { original, display })
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests;
