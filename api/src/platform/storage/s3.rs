//! Objects in an S3-compatible bucket through aws-sdk-s3, over the same TLS stack as
//! the rest of the service (rustls with ring). A PUT is atomic on S3's side: an object
//! appears whole or not at all.

use std::time::Duration;

use aws_sdk_s3::Client;
use aws_sdk_s3::config::{
    BehaviorVersion, Credentials, Region, RequestChecksumCalculation, ResponseChecksumValidation,
    timeout::TimeoutConfig,
};
use aws_sdk_s3::error::DisplayErrorContext;
use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{BucketLocationConstraint, CreateBucketConfiguration};
use aws_smithy_http_client::tls::{Provider, rustls_provider::CryptoMode};
use chrono::Utc;

use super::{ObjectKey, ObjectMeta, ObjectStore, PresignedPut, S3Settings, StoreError, UploadRule};

#[derive(Debug, Clone)]
pub struct S3Store {
    client: Client,
    bucket: String,
    /// The region when the endpoint is AWS's own (a bucket created there names it).
    aws_region: Option<String>,
}

/// What [`S3Store::ensure_bucket`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BucketState {
    Existed,
    Created,
}

impl S3Store {
    /// A client for `settings.bucket`; nothing is sent until the first request.
    pub fn new(settings: &S3Settings) -> Self {
        let http =
            aws_smithy_http_client::Builder::new().tls_provider(Provider::Rustls(CryptoMode::Ring)).build_https();
        let timeout = Duration::from_millis(settings.timeout_ms);
        let mut config = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .http_client(http)
            .region(Region::new(settings.region.clone()))
            .credentials_provider(Credentials::new(
                settings.access_key_id.clone(),
                settings.secret_access_key.expose().clone(),
                None,
                None,
                "zhicha settings",
            ))
            .force_path_style(settings.path_style)
            // `timeout_ms` bounds the whole call, retries included: an upload to a storage
            // that stopped or crawls answers 503 in that time instead of hanging.
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(timeout)
                    .operation_attempt_timeout(timeout)
                    .operation_timeout(timeout)
                    .build(),
            )
            // Checksums only where S3 requires them: S3-compatible servers differ in which
            // of the newer checksum headers they know, and a presigned PUT must not carry one.
            .request_checksum_calculation(RequestChecksumCalculation::WhenRequired)
            .response_checksum_validation(ResponseChecksumValidation::WhenRequired);
        if !settings.endpoint.is_empty() {
            config = config.endpoint_url(settings.endpoint.trim_end_matches('/'));
        }
        let aws_region = settings.endpoint.is_empty().then(|| settings.region.clone());
        Self { client: Client::from_conf(config.build()), bucket: settings.bucket.clone(), aws_region }
    }

    pub fn bucket(&self) -> &str {
        &self.bucket
    }

    /// Creates the bucket unless it is there already (tests and set-up).
    pub async fn create_bucket_if_missing(&self) -> Result<(), StoreError> {
        self.ensure_bucket().await.map(|_| ())
    }

    /// At start-up: the bucket is there (HeadBucket), or it is created now. A bucket
    /// that is missing and cannot be created, or that does not answer, is an error
    /// naming it and saying what to do.
    pub async fn ensure_bucket(&self) -> Result<BucketState, StoreError> {
        let head = match self.client.head_bucket().bucket(&self.bucket).send().await {
            Ok(_) => return Ok(BucketState::Existed),
            Err(e) => e,
        };
        if !head.as_service_error().is_some_and(|s| s.is_not_found()) {
            let message = format!(
                "{}; storage.s3.bucket {:?} does not answer: check storage.s3.endpoint and that these credentials \
                 may read it (s3:ListBucket)",
                DisplayErrorContext(head),
                self.bucket
            );
            return Err(StoreError::Backend { op: "check", key: format!("bucket {}", self.bucket), message });
        }
        let mut create = self.client.create_bucket().bucket(&self.bucket);
        // AWS's own endpoint wants the region named outside us-east-1; self-hosted
        // servers take their own default (and some refuse a constraint they do not know).
        if self.aws_region.as_deref().is_some_and(|r| r != "us-east-1") {
            let region = self.aws_region.clone().unwrap_or_default();
            create = create.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region.as_str()))
                    .build(),
            );
        }
        match create.send().await {
            Ok(_) => {
                tracing::info!(bucket = %self.bucket, "created the object storage bucket");
                Ok(BucketState::Created)
            }
            Err(e)
                if e.as_service_error()
                    .is_some_and(|s| s.is_bucket_already_owned_by_you() || s.is_bucket_already_exists()) =>
            {
                // Another instance created it in between.
                Ok(BucketState::Existed)
            }
            Err(e) => {
                let message = format!(
                    "{}; storage.s3.bucket {:?} does not exist and these credentials could not create it: create the \
                     bucket, or grant them s3:CreateBucket, then start again",
                    DisplayErrorContext(e),
                    self.bucket
                );
                Err(StoreError::Backend { op: "create", key: format!("bucket {}", self.bucket), message })
            }
        }
    }

    fn fail(&self, op: &'static str, key: Option<&ObjectKey>, e: impl std::error::Error) -> StoreError {
        let key = key.map_or_else(|| format!("bucket {}", self.bucket), |k| k.to_string());
        StoreError::Backend { op, key, message: DisplayErrorContext(e).to_string() }
    }
}

#[async_trait::async_trait]
impl ObjectStore for S3Store {
    fn backend(&self) -> &'static str {
        "s3"
    }

    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, content_type: &str) -> Result<(), StoreError> {
        self.client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(content_type)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| self.fail("put", Some(key), e))?;
        Ok(())
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError> {
        let out = match self.client.get_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => out,
            Err(e) if e.as_service_error().is_some_and(|s| s.is_no_such_key()) => return Ok(None),
            Err(e) => return Err(self.fail("get", Some(key), e)),
        };
        let body = out.body.collect().await.map_err(|e| self.fail("get", Some(key), e))?;
        Ok(Some(body.into_bytes().to_vec()))
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        match self.client.head_object().bucket(&self.bucket).key(key.as_str()).send().await {
            Ok(out) => Ok(Some(ObjectMeta {
                size: out.content_length().and_then(|n| u64::try_from(n).ok()).unwrap_or(0),
                content_type: out.content_type().map(str::to_string),
            })),
            Err(e) if e.as_service_error().is_some_and(|s| s.is_not_found()) => Ok(None),
            Err(e) => Err(self.fail("head", Some(key), e)),
        }
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        self.client
            .delete_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .send()
            .await
            .map_err(|e| self.fail("delete", Some(key), e))?;
        Ok(())
    }

    async fn presign_put(&self, key: &ObjectKey, rule: &UploadRule) -> Result<Option<PresignedPut>, StoreError> {
        let config = PresigningConfig::expires_in(rule.ttl).map_err(|e| self.fail("presign", Some(key), e))?;
        let length = i64::try_from(rule.content_length).map_err(|e| self.fail("presign", Some(key), e))?;
        let expires_at = Utc::now() + rule.ttl;
        // Content-Type and Content-Length become signed headers: S3 refuses a PUT
        // whose type or length differs from what the server allowed.
        let request = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .key(key.as_str())
            .content_type(&rule.content_type)
            .content_length(length)
            .presigned(config)
            .await
            .map_err(|e| self.fail("presign", Some(key), e))?;
        Ok(Some(PresignedPut {
            method: request.method().to_string(),
            url: request.uri().to_string(),
            headers: request.headers().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            expires_at,
        }))
    }

    async fn prepare(&self) -> Result<(), StoreError> {
        self.ensure_bucket().await.map(|_| ())
    }

    async fn ping(&self) -> Result<(), StoreError> {
        self.client.head_bucket().bucket(&self.bucket).send().await.map_err(|e| self.fail("ping", None, e))?;
        Ok(())
    }
}
