//! `[storage]` (where photo objects live) and `[evidence]` (what a photo must be).

use std::path::PathBuf;

use serde::Deserialize;

use crate::config::Secret;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum StorageBackend {
    /// Files under `local_dir`: nothing to install, one instance only.
    Local,
    /// An S3-compatible service, shared by every instance.
    S3,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageSettings {
    pub backend: StorageBackend,
    /// Root of the local store.
    pub local_dir: PathBuf,
    /// How long a presigned upload URL stays valid.
    pub presign_ttl_seconds: u64,
    pub s3: S3Settings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct S3Settings {
    /// `https://s3.example.com`; empty: AWS's own endpoint for `region`.
    pub endpoint: String,
    pub region: String,
    pub bucket: String,
    pub access_key_id: String,
    pub secret_access_key: Secret<String>,
    /// `endpoint/bucket/key` rather than `bucket.endpoint/key`: what most
    /// self-hosted S3-compatible servers need.
    pub path_style: bool,
    /// Each S3 request (connect, read) gives up after this long.
    pub timeout_ms: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvidenceSettings {
    /// Largest accepted photo, in bytes.
    pub max_bytes: u64,
    /// Largest accepted dimensions, checked from the header before decoding.
    pub max_width: u32,
    pub max_height: u32,
    /// Most memory one decode may take (decompression bombs stop here).
    pub max_decode_bytes: u64,
    /// Longest edge of the display copy, in pixels.
    pub display_max_edge: u32,
    /// JPEG quality of the display copy, 1-100.
    pub display_jpeg_quality: u8,
    /// A capture time further than this from the server's receive time is flagged.
    pub capture_time_tolerance_minutes: i64,
    /// A position further than this from the enterprise's site is flagged.
    pub site_distance_tolerance_m: f64,
    /// EXIF times carry no zone unless the camera wrote one; this offset is assumed
    /// then (480: China Standard Time).
    pub exif_utc_offset_minutes: i32,
}

impl StorageSettings {
    /// Every problem, one line each, naming the key.
    pub fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if !(60..=3600).contains(&self.presign_ttl_seconds) {
            errors.push("storage.presign_ttl_seconds: must be 60-3600 (presigned uploads are short-lived)".to_string());
        }
        match self.backend {
            StorageBackend::Local if self.local_dir.as_os_str().is_empty() => {
                errors.push("storage.local_dir: must name a directory".to_string());
            }
            StorageBackend::Local => {}
            StorageBackend::S3 => errors.extend(self.s3.problems()),
        }
        errors
    }
}

impl S3Settings {
    fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        let e = &self.endpoint;
        if !(e.is_empty() || e.starts_with("https://") || e.starts_with("http://")) {
            errors.push(format!("storage.s3.endpoint: {e:?} is not an http(s) URL"));
        }
        if self.region.is_empty() {
            errors.push("storage.s3.region: required with storage.backend = \"s3\"".to_string());
        }
        // S3's bucket naming rules, which every compatible server accepts.
        let b = &self.bucket;
        let valid = (3..=63).contains(&b.len())
            && b.bytes().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-' || c == b'.')
            && b.starts_with(|c: char| c.is_ascii_alphanumeric())
            && b.ends_with(|c: char| c.is_ascii_alphanumeric());
        if !valid {
            errors.push(format!("storage.s3.bucket: {b:?} is not a bucket name (3-63 of a-z, 0-9, '-', '.')"));
        }
        if self.access_key_id.is_empty() || self.secret_access_key.expose().is_empty() {
            errors.push(
                "storage.s3.access_key_id / secret_access_key: required with storage.backend = \"s3\"".to_string(),
            );
        }
        if !(100..=600_000).contains(&self.timeout_ms) {
            errors.push("storage.s3.timeout_ms: must be 100-600000".to_string());
        }
        errors
    }
}

impl EvidenceSettings {
    /// Every problem, one line each, naming the key.
    pub fn problems(&self) -> Vec<String> {
        let mut errors = Vec::new();
        if !(1024..=100 * 1024 * 1024).contains(&self.max_bytes) {
            errors.push("evidence.max_bytes: must be 1 KiB-100 MiB".to_string());
        }
        if self.max_width < 16 || self.max_height < 16 {
            errors.push("evidence.max_width / max_height: must be at least 16".to_string());
        }
        if self.max_decode_bytes < 1024 * 1024 {
            errors.push("evidence.max_decode_bytes: must be at least 1 MiB".to_string());
        }
        if !(64..=8192).contains(&self.display_max_edge) {
            errors.push("evidence.display_max_edge: must be 64-8192".to_string());
        }
        if !(1..=100).contains(&self.display_jpeg_quality) {
            errors.push("evidence.display_jpeg_quality: must be 1-100".to_string());
        }
        if self.capture_time_tolerance_minutes < 1 {
            errors.push("evidence.capture_time_tolerance_minutes: must be at least 1".to_string());
        }
        if !(self.site_distance_tolerance_m.is_finite() && self.site_distance_tolerance_m > 0.0) {
            errors.push("evidence.site_distance_tolerance_m: must be a positive number of metres".to_string());
        }
        if !(-14 * 60..=14 * 60).contains(&self.exif_utc_offset_minutes) {
            errors.push("evidence.exif_utc_offset_minutes: must be -840..840".to_string());
        }
        errors
    }
}

impl Default for EvidenceSettings {
    /// The values `defaults.toml` ships, for code that checks photos without settings.
    fn default() -> Self {
        Self {
            max_bytes: 10 * 1024 * 1024,
            max_width: 12_000,
            max_height: 12_000,
            max_decode_bytes: 256 * 1024 * 1024,
            display_max_edge: 1600,
            display_jpeg_quality: 82,
            capture_time_tolerance_minutes: 60,
            site_distance_tolerance_m: 1000.0,
            exif_utc_offset_minutes: 480,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s3(bucket: &str) -> StorageSettings {
        StorageSettings {
            backend: StorageBackend::S3,
            local_dir: PathBuf::from("data/objects"),
            presign_ttl_seconds: 300,
            s3: S3Settings {
                endpoint: "http://127.0.0.1:9000".into(),
                region: "us-east-1".into(),
                bucket: bucket.into(),
                access_key_id: "k".into(),
                secret_access_key: Secret::new("s".into()),
                path_style: true,
                timeout_ms: 5000,
            },
        }
    }

    #[test]
    fn s3_settings_are_checked_only_when_selected() {
        assert!(s3("zhicha-evidence").problems().is_empty());
        let e = s3("Bad_Bucket").problems();
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("storage.s3.bucket:"));
        let mut local = s3("Bad_Bucket");
        local.backend = StorageBackend::Local;
        assert!(local.problems().is_empty(), "the s3 table is ignored for the local store");
    }

    #[test]
    fn evidence_defaults_are_valid() {
        assert!(EvidenceSettings::default().problems().is_empty());
        let bad = EvidenceSettings { display_jpeg_quality: 0, ..EvidenceSettings::default() };
        assert_eq!(bad.problems().len(), 1);
    }
}
