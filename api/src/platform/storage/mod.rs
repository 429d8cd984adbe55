//! Object storage for photo evidence: one trait, a local-disk store (the default, for a
//! single instance) and an S3-compatible store (shared by every instance).
//!
//! Both stores replace an object whole: a reader sees the old bytes or the new ones,
//! never part of either, and a crash mid-write leaves the old object (or none).
//!
//! Direct uploads: `presign_put` gives the client a short-lived URL for one server-chosen
//! key, bound to the declared content type and length where the backend checks them
//! (S3 signs both headers). The local store has no URL a client could reach and answers
//! `None`: clients upload through the API (multipart) instead.

mod key;
mod local;
mod s3;

use std::fmt::Debug;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use chrono::{DateTime, Utc};

pub use crate::config::{EvidenceSettings, S3Settings, StorageBackend, StorageSettings};
pub use key::{KeyError, ObjectKey};
pub use local::LocalStore;
pub use s3::{BucketState, S3Store};

/// What `head` knows about a stored object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    pub size: u64,
    /// As given to `put` (S3); the local store keeps no metadata and answers `None`.
    pub content_type: Option<String>,
}

/// What a presigned upload may carry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UploadRule {
    pub content_type: String,
    pub content_length: u64,
    pub ttl: Duration,
}

/// A request the client sends as is: `method` to `url` with every header in `headers`
/// (they are signed; a different value is refused by the server).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresignedPut {
    pub method: String,
    pub url: String,
    pub headers: Vec<(String, String)>,
    pub expires_at: DateTime<Utc>,
}

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(transparent)]
    Key(#[from] KeyError),
    #[error("object store: {op} {key}: {source}")]
    Io {
        op: &'static str,
        key: String,
        #[source]
        source: std::io::Error,
    },
    #[error("object store: {op} {key}: {message}")]
    Backend { op: &'static str, key: String, message: String },
}

#[async_trait::async_trait]
pub trait ObjectStore: Send + Sync + Debug {
    /// `local` or `s3`, for logs and the health report.
    fn backend(&self) -> &'static str;

    /// Stores `bytes` under `key`, replacing any object there; durable when it returns.
    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError>;

    /// The whole object, or `None` when there is none.
    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError>;

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError>;

    async fn exists(&self, key: &ObjectKey) -> Result<bool, StoreError> {
        Ok(self.head(key).await?.is_some())
    }

    /// Removes the object; removing one that is not there is not an error.
    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError>;

    /// A URL the client can PUT the object to directly, or `None` when this backend
    /// offers none (upload through the API instead).
    async fn presign_put(&self, key: &ObjectKey, rule: &UploadRule) -> Result<Option<PresignedPut>, StoreError>;

    /// Whether the store answers (S3: the bucket exists and the credentials work).
    async fn ping(&self) -> Result<(), StoreError>;

    /// At start-up: makes the store ready or says why it cannot be (S3: the bucket is
    /// created when missing and the credentials allow; else the error names it).
    async fn prepare(&self) -> Result<(), StoreError> {
        self.ping().await
    }
}

/// The store the settings select. Creates the local root; S3 is not contacted here
/// (call `ping` to check it at start-up).
pub fn open(settings: &StorageSettings) -> anyhow::Result<Arc<dyn ObjectStore>> {
    let problems = settings.problems();
    if !problems.is_empty() {
        anyhow::bail!("invalid storage settings: {}", problems.join("; "));
    }
    Ok(match settings.backend {
        StorageBackend::Local => Arc::new(
            LocalStore::open(&settings.local_dir)
                .with_context(|| format!("storage.local_dir {}", settings.local_dir.display()))?,
        ),
        StorageBackend::S3 => Arc::new(S3Store::new(&settings.s3)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_selects_the_backend_and_refuses_bad_settings() {
        let dir = tempfile::tempdir().unwrap();
        let mut s = StorageSettings {
            backend: StorageBackend::Local,
            local_dir: dir.path().join("objects"),
            presign_ttl_seconds: 300,
            s3: S3Settings {
                endpoint: String::new(),
                region: "us-east-1".into(),
                bucket: "zhicha".into(),
                access_key_id: "k".into(),
                secret_access_key: crate::config::Secret::new("s".into()),
                path_style: true,
                timeout_ms: 5000,
            },
        };
        assert_eq!(open(&s).unwrap().backend(), "local");
        assert!(dir.path().join("objects").is_dir());
        s.backend = StorageBackend::S3;
        assert_eq!(open(&s).unwrap().backend(), "s3");
        s.s3.bucket = "No".into();
        let e = open(&s).unwrap_err().to_string();
        assert!(e.contains("storage.s3.bucket"), "{e}");
    }
}
