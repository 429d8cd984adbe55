//! Where rule files come from: a directory on disk, or a set of (relative path, contents)
//! pairs such as the library built into the binary. Loaders name a file by its path
//! relative to the rules root and report problems against [`RuleSource::path`], so a
//! built-in file still reads as `rules/hazards/general/fire.toml:12`.

use std::fmt;
use std::path::{Component, Path, PathBuf};

use crate::rule_error::RuleError;

/// A rule file's path (for messages), its path relative to the rules root, and its text.
pub struct Text {
    pub path: PathBuf,
    /// Relative to the rules root (`hazards/general/electrical.toml`).
    pub rel: PathBuf,
    pub text: String,
}

#[derive(Debug, Clone)]
pub enum RuleSource {
    /// A directory holding `codes/`, `hazards/`, `triggers/`, ...
    Dir(PathBuf),
    /// Files given with their contents; `label` prefixes their paths in messages.
    Files { label: PathBuf, files: &'static [(&'static str, &'static str)] },
}

impl RuleSource {
    /// The path a file is reported at.
    pub fn path(&self, rel: &Path) -> PathBuf {
        match self {
            Self::Dir(dir) => dir.join(rel),
            Self::Files { label, .. } => label.join(rel),
        }
    }

    /// The file at `rel` (relative to the rules root).
    pub fn read(&self, rel: &Path) -> Result<Text, RuleError> {
        let path = self.path(rel);
        let text = match self {
            Self::Dir(_) => std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}")),
            Self::Files { files, .. } => {
                let key = slashed(rel);
                files
                    .iter()
                    .find(|(name, _)| *name == key)
                    .map(|(_, text)| (*text).to_string())
                    .ok_or_else(|| "cannot read: no such built-in file".to_string())
            }
        };
        text.map(|text| Text { path: path.clone(), rel: rel.to_path_buf(), text })
            .map_err(|reason| RuleError::new(&path, 0, reason))
    }

    /// Every file under the folder `rel`, at any depth, as paths relative to the rules
    /// root, sorted (the same order from a directory and from built-in files, since the
    /// libraries' versions hash their files in order). Unreadable folders are reported
    /// in `errors`.
    pub fn list(&self, rel: &Path, errors: &mut Vec<RuleError>) -> Vec<PathBuf> {
        let mut out = Vec::new();
        match self {
            Self::Dir(dir) => walk(dir, rel, &mut out, errors),
            Self::Files { label, files } => {
                let prefix = format!("{}/", slashed(rel));
                out.extend(
                    files.iter().filter(|(name, _)| name.starts_with(&prefix)).map(|(name, _)| PathBuf::from(name)),
                );
                if out.is_empty() {
                    errors.push(RuleError::new(&label.join(rel), 0, "cannot read directory: no such built-in folder"));
                }
            }
        }
        out.sort();
        out
    }
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Dir(dir) => write!(f, "directory {}", dir.display()),
            Self::Files { label, files } => write!(f, "built-in {} ({} files)", label.display(), files.len()),
        }
    }
}

/// `rel` with `/` between its parts, as built-in files are named.
fn slashed(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .filter_map(|c| match c {
            Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect();
    parts.join("/")
}

fn walk(root: &Path, rel: &Path, out: &mut Vec<PathBuf>, errors: &mut Vec<RuleError>) {
    let dir = root.join(rel);
    let entries = match std::fs::read_dir(&dir) {
        Ok(e) => e,
        Err(e) => {
            errors.push(RuleError::new(&dir, 0, format!("cannot read directory: {e}")));
            return;
        }
    };
    for entry in entries.flatten() {
        // As api/build.rs, which builds the library in: names starting with `.` are
        // editor and OS leftovers.
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        let child = rel.join(entry.file_name());
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            walk(root, &child, out, errors);
        } else {
            out.push(child);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    static FILES: &[(&str, &str)] =
        &[("a/x.toml", "x"), ("a/b/y.toml", "y"), ("a/b/z.csv", "z"), ("ab/w.toml", "w"), ("top.toml", "t")];

    fn built_in() -> RuleSource {
        RuleSource::Files { label: PathBuf::from("rules"), files: FILES }
    }

    #[test]
    fn built_in_files_read_and_list_like_a_directory() {
        let s = built_in();
        assert_eq!(s.read(Path::new("a/b/y.toml")).map(|t| t.text).ok().as_deref(), Some("y"));
        let mut errors = Vec::new();
        let listed = s.list(Path::new("a"), &mut errors);
        assert!(errors.is_empty());
        // `ab/` is not under `a/`; sorted as paths, like a directory's listing.
        let want: Vec<PathBuf> = ["a/b/y.toml", "a/b/z.csv", "a/x.toml"].iter().map(PathBuf::from).collect();
        assert_eq!(listed, want);
    }

    #[test]
    fn a_broken_built_in_file_is_reported_at_its_path_and_line() {
        static BROKEN: &[(&str, &str)] = &[
            ("analysis/key_industries.toml", "# version: 1\nversion = = \"1\"\n"),
            ("analysis/new_employment.toml", "# version: 1\nversion = \"1\"\nkeywords = [\"骑手\"]\n"),
        ];
        let source = RuleSource::Files { label: PathBuf::from("rules"), files: BROKEN };
        let e = crate::analysis::rules::load_from(&source).err().map(|e| e.to_string()).unwrap_or_default();
        assert!(e.starts_with("rules/analysis/key_industries.toml:2: "), "{e}");
    }

    #[test]
    fn a_missing_built_in_file_is_reported_at_its_path() {
        let e = built_in().read(Path::new("codes/none.csv")).err().map(|e| e.to_string());
        assert_eq!(e.as_deref(), Some("rules/codes/none.csv: cannot read: no such built-in file"));
        let mut errors = Vec::new();
        assert!(built_in().list(Path::new("triggers"), &mut errors).is_empty());
        assert_eq!(errors.len(), 1);
    }
}
