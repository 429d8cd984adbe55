//! Object stores for real: one scenario (put, get, head, overwrite, delete, presigned
//! upload then head) on local disk and on an S3-compatible server named by
//! `ZHICHA_TEST_S3_URL` (`http://ACCESS_KEY:SECRET_KEY@127.0.0.1:PORT`; `.ci/run` starts
//! s3s-fs). Without it the S3 variant is skipped, except under CI.

use std::time::Duration;

use zhicha_api::config::Secret;
use zhicha_api::platform::storage::{LocalStore, ObjectKey, ObjectStore, S3Settings, S3Store, UploadRule};

const S3_URL_VAR: &str = "ZHICHA_TEST_S3_URL";

fn s3_url() -> Option<String> {
    match std::env::var(S3_URL_VAR) {
        Ok(u) if !u.trim().is_empty() => Some(u.trim().to_string()),
        _ if std::env::var("CI").is_ok_and(|v| v == "true") => {
            panic!("CI requires an S3-compatible server: .ci/run sets {S3_URL_VAR}")
        }
        _ => None,
    }
}

/// Settings for `bucket` on the server of `url`, with the URL's credentials or others.
fn s3_settings(url: &str, bucket: &str, credentials: Option<(&str, &str)>) -> S3Settings {
    let u = reqwest::Url::parse(url).unwrap_or_else(|e| panic!("{S3_URL_VAR}: {e}"));
    let (access, secret) = credentials.unwrap_or((u.username(), u.password().unwrap_or_default()));
    S3Settings {
        endpoint: format!("{}://{}:{}", u.scheme(), u.host_str().unwrap(), u.port_or_known_default().unwrap()),
        region: "us-east-1".into(),
        bucket: bucket.to_string(),
        access_key_id: access.to_string(),
        secret_access_key: Secret::new(secret.to_string()),
        path_style: true,
        timeout_ms: 10_000,
    }
}

fn key(name: &str) -> ObjectKey {
    ObjectKey::new(format!("evidence/1/{}-{name}", uuid::Uuid::new_v4())).unwrap()
}

async fn scenario(store: &dyn ObjectStore) {
    let k = key("photo");
    assert_eq!(store.head(&k).await.unwrap(), None);
    assert_eq!(store.get(&k).await.unwrap(), None);
    assert!(!store.exists(&k).await.unwrap());

    let first: Vec<u8> = (0..200_000u32).map(|i| (i % 251) as u8).collect();
    store.put(&k, first.clone(), "image/jpeg").await.unwrap();
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(first.as_slice()), "byte-exact");
    let meta = store.head(&k).await.unwrap().unwrap();
    assert_eq!(meta.size, first.len() as u64);
    if store.backend() == "s3" {
        assert_eq!(meta.content_type.as_deref(), Some("image/jpeg"));
    }
    store.put(&k, b"replaced".to_vec(), "image/png").await.unwrap();
    assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(&b"replaced"[..]));
    store.delete(&k).await.unwrap();
    store.delete(&k).await.unwrap();
    assert_eq!(store.head(&k).await.unwrap(), None);

    presigned_upload(store).await;
    store.ping().await.unwrap();
}

async fn presigned_upload(store: &dyn ObjectStore) {
    let k = key("direct");
    let body = b"\xFF\xD8\xFF\xE0 pretend this is a photo".to_vec();
    let rule = UploadRule {
        content_type: "image/jpeg".into(),
        content_length: body.len() as u64,
        ttl: Duration::from_secs(120),
    };
    let Some(p) = store.presign_put(&k, &rule).await.unwrap() else {
        assert_eq!(store.backend(), "local", "only the local store has no direct upload");
        return;
    };
    assert_eq!(p.method, "PUT");
    let signed = reqwest::Url::parse(&p.url)
        .unwrap()
        .query_pairs()
        .find(|(k, _)| k == "X-Amz-SignedHeaders")
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    assert!(signed.contains("content-length") && signed.contains("content-type"), "{signed}");
    assert!(p.expires_at > chrono::Utc::now() + chrono::Duration::seconds(100));
    let client = reqwest::Client::new();
    // As a client would: every header given, the body's own length.
    let send = |url: &str, content_type: &str, body: Vec<u8>| {
        let mut req = client.put(url).body(body);
        for (name, value) in &p.headers {
            if name.eq_ignore_ascii_case("content-type") {
                req = req.header(name, content_type);
            } else if !name.eq_ignore_ascii_case("content-length") {
                req = req.header(name, value);
            }
        }
        req.send()
    };

    // Another type or another length than the server allowed: refused, nothing stored.
    let res = send(&p.url, "text/html", body.clone()).await.unwrap();
    assert_eq!(res.status(), 403, "content type is signed: {}", res.text().await.unwrap_or_default());
    let mut longer = body.clone();
    longer.extend_from_slice(&[0; 4096]);
    let res = send(&p.url, "image/jpeg", longer).await.unwrap();
    assert_eq!(res.status(), 403, "content length is signed: {}", res.text().await.unwrap_or_default());
    assert_eq!(store.head(&k).await.unwrap(), None);

    let res = send(&p.url, "image/jpeg", body.clone()).await.unwrap();
    assert!(res.status().is_success(), "{}: {}", res.status(), res.text().await.unwrap_or_default());
    let meta = store.head(&k).await.unwrap().expect("the committed object is there");
    assert_eq!(meta.size, body.len() as u64);
    assert_eq!(store.get(&k).await.unwrap(), Some(body.clone()));

    // The URL writes only its own key, and not after it expires.
    let other = p.url.replace(k.as_str(), key("elsewhere").as_str());
    assert_eq!(send(&other, "image/jpeg", body.clone()).await.unwrap().status(), 403);
    let short = UploadRule { ttl: Duration::from_secs(1), ..rule };
    let p = store.presign_put(&k, &short).await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(2100)).await;
    assert_eq!(send(&p.url, "image/jpeg", body).await.unwrap().status(), 403, "expired");
    store.delete(&k).await.unwrap();
}

#[tokio::test]
async fn local_disk_store() {
    let dir = tempfile::tempdir().unwrap();
    let store = LocalStore::open(dir.path()).unwrap();
    scenario(&store).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn s3_store_on_an_s3_compatible_server() {
    let Some(url) = s3_url() else {
        println!("skipped: S3 (set {S3_URL_VAR}=http://ACCESS_KEY:SECRET_KEY@127.0.0.1:PORT)");
        return;
    };
    // A bucket of its own, made for this test.
    let bucket = format!("zhicha-test-{}", &uuid::Uuid::new_v4().simple().to_string()[..12]);
    let store = S3Store::new(&s3_settings(&url, &bucket, None));
    store.create_bucket_if_missing().await.unwrap_or_else(|e| panic!("{S3_URL_VAR} is set but: {e}"));
    scenario(&store).await;
    // Wrong credentials are an error, not an empty answer.
    let bad = S3Store::new(&s3_settings(&url, &bucket, Some(("nobody", "nothing"))));
    assert!(bad.ping().await.is_err());
    assert!(bad.head(&key("x")).await.is_err(), "refused, not 'absent'");
}
