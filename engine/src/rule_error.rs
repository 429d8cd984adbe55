//! Problems found in rule files, each with the file and line at fault.

use std::fmt;
use std::path::{Path, PathBuf};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleError {
    pub file: PathBuf,
    /// 1-based; 0 when the problem is the file as a whole.
    pub line: usize,
    pub reason: String,
}

impl RuleError {
    pub fn new(file: &Path, line: usize, reason: impl Into<String>) -> Self {
        Self { file: file.to_path_buf(), line, reason: reason.into() }
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}: {}", self.file.display(), self.reason)
        } else {
            write!(f, "{}:{}: {}", self.file.display(), self.line, self.reason)
        }
    }
}

/// Every problem of a rules directory; loading reports them all at once.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuleErrors(pub Vec<RuleError>);

impl fmt::Display for RuleErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RuleErrors {}

/// 1-based line of a byte offset in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes().iter().take(offset).filter(|&&b| b == b'\n').count() + 1
}

/// A TOML syntax or shape error as a [`RuleError`] at its line.
pub fn toml_error(file: &Path, text: &str, e: &toml::de::Error) -> RuleError {
    let line = e.span().map_or(0, |s| line_of(text, s.start));
    // The toml crate gives some syntax errors (a lone carriage return in a comment) no
    // message; a file:line with nothing after it would tell the editor nothing.
    let reason = match e.message().trim() {
        "" => "invalid TOML syntax (a stray control character, such as a carriage return without a line feed?)",
        m => m,
    };
    RuleError::new(file, line, reason.to_string())
}

/// A non-empty `version`, agreeing with the `# version:` comment on top when there is one.
pub fn version_header(file: &Path, text: &str, version: &toml::Spanned<String>) -> Result<String, RuleError> {
    let v = version.get_ref().trim();
    if v.is_empty() {
        return Err(RuleError::new(file, line_of(text, version.span().start), "empty `version`"));
    }
    if let Some(top) = text.lines().next().and_then(|l| l.strip_prefix("# version:"))
        && top.trim() != v
    {
        return Err(RuleError::new(file, 1, format!("`# version:` {:?} differs from `version`", top.trim())));
    }
    Ok(v.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_toml_error_always_has_a_reason() {
        // Found by the rules fuzz target: a lone CR inside a comment.
        let text = "version = \"1\"\n# a comment\rwith a carriage return\nx = 1\n";
        let e = toml::from_str::<toml::Value>(text).err().map(|e| toml_error(Path::new("f.toml"), text, &e));
        let e = e.expect("a lone CR in a comment is not TOML");
        assert_eq!(e.line, 2);
        assert!(!e.reason.trim().is_empty(), "{e:?}");
    }
}
