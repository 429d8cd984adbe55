//! Object keys: relative, `/`-separated, of a safe alphabet, so the same key is a file
//! path under the local root (never outside it) and an S3 key that needs no escaping.

use std::fmt;

const MAX_LEN: usize = 512;

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct ObjectKey(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("object key {key:?}: {reason}")]
pub struct KeyError {
    pub key: String,
    pub reason: &'static str,
}

impl ObjectKey {
    /// Segments of `A-Z a-z 0-9 . _ -`, none empty or starting with a dot (which also
    /// excludes `.` and `..`, and keeps the local store's `.tmp` apart from keys).
    pub fn new(key: impl Into<String>) -> Result<Self, KeyError> {
        let key = key.into();
        let refuse = |reason| Err(KeyError { key: key.clone(), reason });
        if key.is_empty() || key.len() > MAX_LEN {
            return refuse("must be 1-512 characters");
        }
        for segment in key.split('/') {
            if segment.is_empty() {
                return refuse("has an empty segment (leading, trailing or doubled '/')");
            }
            if segment.starts_with('.') {
                return refuse("a segment starts with '.'");
            }
            if !segment.bytes().all(|c| c.is_ascii_alphanumeric() || matches!(c, b'.' | b'_' | b'-')) {
                return refuse("only A-Z, a-z, 0-9, '.', '_', '-' and '/' are allowed");
            }
        }
        Ok(Self(key))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn segments(&self) -> impl Iterator<Item = &str> {
        self.0.split('/')
    }
}

impl fmt::Display for ObjectKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::str::FromStr for ObjectKey {
    type Err = KeyError;

    fn from_str(s: &str) -> Result<Self, KeyError> {
        Self::new(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_keys_pass() {
        for k in ["a", "evidence/42/0b6f-11aa.display.jpg", "A_b-c.d/e"] {
            assert_eq!(ObjectKey::new(k).map(|k| k.to_string()), Ok(k.to_string()));
        }
    }

    #[test]
    fn traversal_and_odd_keys_are_refused() {
        let long = "a".repeat(513);
        for k in [
            "",
            "/etc/passwd",
            "../x",
            "a/../../x",
            "a/./b",
            "a//b",
            "a/",
            ".tmp/x",
            ".hidden",
            "a\\..\\b",
            "a b",
            "a\0b",
            "é",
            "C:x",
            long.as_str(),
        ] {
            assert!(ObjectKey::new(k).is_err(), "{k:?} accepted");
        }
    }
}
