//! Objects as files under one root directory. A write goes to `.tmp/`, is synced, then
//! renamed into place and the directory synced: a crash leaves the old object or the
//! new one, and at worst a stray temporary file, which `open` sweeps.

use std::fs::{self, File};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use super::{ObjectKey, ObjectMeta, ObjectStore, PresignedPut, StoreError, UploadRule};

const TMP: &str = ".tmp";
/// Temporary files older than this belong to a write that died with its process.
const STALE_TMP: Duration = Duration::from_secs(3600);

#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// Creates the root if needed and removes temporary files left by a crash.
    pub fn open(root: &Path) -> io::Result<Self> {
        fs::create_dir_all(root.join(TMP))?;
        let now = SystemTime::now();
        for entry in fs::read_dir(root.join(TMP))? {
            let entry = entry?;
            let modified = entry.metadata().and_then(|m| m.modified()).unwrap_or(now);
            if now.duration_since(modified).is_ok_and(|age| age > STALE_TMP) {
                // Best effort: a file that cannot be removed now is tried at the next start.
                let _ = fs::remove_file(entry.path());
            }
        }
        Ok(Self { root: root.to_path_buf() })
    }

    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The file of `key`; key validation keeps it under the root.
    fn path(&self, key: &ObjectKey) -> PathBuf {
        let mut p = self.root.clone();
        p.extend(key.segments());
        p
    }

    /// Runs blocking file work off the async workers.
    async fn blocking<T: Send + 'static>(
        op: &'static str,
        key: &ObjectKey,
        f: impl FnOnce() -> io::Result<T> + Send + 'static,
    ) -> Result<T, StoreError> {
        let io_err = |source| StoreError::Io { op, key: key.to_string(), source };
        match tokio::task::spawn_blocking(f).await {
            Ok(r) => r.map_err(io_err),
            Err(e) => Err(io_err(io::Error::other(e))),
        }
    }
}

fn write_atomically(root: &Path, target: &Path, bytes: &[u8]) -> io::Result<()> {
    let parent = target.parent().ok_or_else(|| io::Error::other("object path has no parent"))?;
    let created = missing_ancestors(parent, root);
    fs::create_dir_all(parent)?;
    let tmp = root.join(TMP).join(uuid::Uuid::new_v4().simple().to_string());
    let result = (|| {
        let mut f = File::create_new(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        drop(f);
        fs::rename(&tmp, target)?;
        sync_dir(parent)?;
        // New directories are durable only once their own parents are synced too.
        for dir in created.iter().filter_map(|d| d.parent()) {
            sync_dir(dir)?;
        }
        Ok(())
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

/// `dir` and its ancestors below `root` that do not exist yet, deepest first.
fn missing_ancestors(dir: &Path, root: &Path) -> Vec<PathBuf> {
    dir.ancestors().take_while(|d| *d != root && !d.exists()).map(Path::to_path_buf).collect()
}

fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

fn not_found_as_none<T>(r: io::Result<T>) -> io::Result<Option<T>> {
    match r {
        Ok(v) => Ok(Some(v)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

#[async_trait::async_trait]
impl ObjectStore for LocalStore {
    fn backend(&self) -> &'static str {
        "local"
    }

    async fn put(&self, key: &ObjectKey, bytes: Vec<u8>, _content_type: &str) -> Result<(), StoreError> {
        let (root, target) = (self.root.clone(), self.path(key));
        Self::blocking("put", key, move || write_atomically(&root, &target, &bytes)).await
    }

    async fn get(&self, key: &ObjectKey) -> Result<Option<Vec<u8>>, StoreError> {
        let path = self.path(key);
        Self::blocking("get", key, move || not_found_as_none(fs::read(path))).await
    }

    async fn head(&self, key: &ObjectKey) -> Result<Option<ObjectMeta>, StoreError> {
        let path = self.path(key);
        let meta = Self::blocking("head", key, move || not_found_as_none(fs::metadata(path))).await?;
        Ok(meta.filter(|m| m.is_file()).map(|m| ObjectMeta { size: m.len(), content_type: None }))
    }

    async fn delete(&self, key: &ObjectKey) -> Result<(), StoreError> {
        let path = self.path(key);
        Self::blocking("delete", key, move || {
            if not_found_as_none(fs::remove_file(&path))?.is_some()
                && let Some(parent) = path.parent()
            {
                sync_dir(parent)?;
            }
            Ok(())
        })
        .await
    }

    async fn presign_put(&self, _key: &ObjectKey, _rule: &UploadRule) -> Result<Option<PresignedPut>, StoreError> {
        Ok(None)
    }

    async fn ping(&self) -> Result<(), StoreError> {
        let tmp = self.root.join(TMP);
        let key = ObjectKey::new("ping")?;
        Self::blocking("ping", &key, move || {
            if fs::metadata(&tmp)?.is_dir() { Ok(()) } else { Err(io::Error::other(".tmp is not a directory")) }
        })
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(k: &str) -> ObjectKey {
        ObjectKey::new(k).unwrap()
    }

    #[tokio::test]
    async fn put_get_head_overwrite_delete() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let k = key("evidence/7/abc");
        assert_eq!(store.get(&k).await.unwrap(), None);
        assert_eq!(store.head(&k).await.unwrap(), None);
        store.put(&k, b"first".to_vec(), "image/jpeg").await.unwrap();
        assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(&b"first"[..]));
        store.put(&k, b"second, longer".to_vec(), "image/jpeg").await.unwrap();
        assert_eq!(store.get(&k).await.unwrap().as_deref(), Some(&b"second, longer"[..]));
        assert_eq!(store.head(&k).await.unwrap(), Some(ObjectMeta { size: 14, content_type: None }));
        assert!(store.exists(&k).await.unwrap());
        store.delete(&k).await.unwrap();
        store.delete(&k).await.unwrap();
        assert!(!store.exists(&k).await.unwrap());
        assert!(store.presign_put(&k, &rule()).await.unwrap().is_none(), "no direct uploads to disk");
        store.ping().await.unwrap();
    }

    fn rule() -> UploadRule {
        UploadRule { content_type: "image/jpeg".into(), content_length: 5, ttl: Duration::from_secs(60) }
    }

    #[tokio::test]
    async fn a_directory_is_not_an_object() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        store.put(&key("a/b"), b"x".to_vec(), "image/png").await.unwrap();
        assert_eq!(store.head(&key("a")).await.unwrap(), None);
        assert!(store.get(&key("a")).await.is_err(), "reading a directory fails rather than answering bytes");
    }

    #[tokio::test]
    async fn writes_land_whole_and_leave_no_temporary_files() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        let k = key("big");
        let (a, b) = (vec![b'a'; 3 << 20], vec![b'b'; 2 << 20]);
        store.put(&k, a.clone(), "image/png").await.unwrap();
        // Readers racing a rewrite see one version whole, never a mix or a prefix.
        let writer = {
            let (store, k, b) = (store.clone(), k.clone(), b.clone());
            tokio::spawn(async move {
                for _ in 0..5 {
                    store.put(&k, b.clone(), "image/png").await.unwrap();
                }
            })
        };
        for _ in 0..20 {
            let got = store.get(&k).await.unwrap().unwrap();
            assert!(got == a || got == b, "torn read of {} bytes", got.len());
        }
        writer.await.unwrap();
        assert_eq!(fs::read_dir(dir.path().join(TMP)).unwrap().count(), 0);
    }

    #[tokio::test]
    async fn a_failed_write_keeps_the_old_object_and_cleans_up() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(dir.path()).unwrap();
        store.put(&key("x/y"), b"old".to_vec(), "image/png").await.unwrap();
        // A directory where the object should go: the rename fails after the data is written.
        fs::create_dir_all(dir.path().join("x/y2/z")).unwrap();
        assert!(store.put(&key("x/y2"), b"new".to_vec(), "image/png").await.is_err());
        assert_eq!(store.get(&key("x/y")).await.unwrap().as_deref(), Some(&b"old"[..]));
        assert_eq!(fs::read_dir(dir.path().join(TMP)).unwrap().count(), 0, "temporary file removed");
    }

    #[tokio::test]
    async fn stale_temporary_files_are_swept_at_open() {
        let dir = tempfile::tempdir().unwrap();
        LocalStore::open(dir.path()).unwrap();
        let stale = dir.path().join(TMP).join("dead-writer");
        let fresh = dir.path().join(TMP).join("live-writer");
        fs::write(&stale, b"half").unwrap();
        fs::write(&fresh, b"half").unwrap();
        File::options().write(true).open(&stale).unwrap().set_modified(SystemTime::now() - 2 * STALE_TMP).unwrap();
        LocalStore::open(dir.path()).unwrap();
        assert!(!stale.exists());
        assert!(fresh.exists(), "another writer's file may still be in use");
    }

    #[tokio::test]
    async fn keys_stay_under_the_root() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalStore::open(&dir.path().join("root")).unwrap();
        fs::write(dir.path().join("secret"), b"outside").unwrap();
        assert!(ObjectKey::new("../secret").is_err());
        let k = key("a/b.c");
        assert!(store.path(&k).starts_with(store.root()));
        assert_eq!(store.get(&key("secret")).await.unwrap(), None);
    }
}
