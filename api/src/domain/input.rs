//! Rules for input checked at the edge: the request types derive `validator::Validate`
//! with these, and publish the same rule in the spec beside it (`#[schema(...)]`), so a
//! client can check before sending and the server refuses with the field's exact path.

use serde::Deserialize;
use utoipa::ToSchema;
use validator::ValidationError;
use zhicha_engine::hazards::Grade;

/// Text that is more than white space (`pattern = "\\S"` in the spec).
pub fn not_blank(s: &str) -> Result<(), ValidationError> {
    if s.trim().is_empty() {
        return Err(ValidationError::new("blank").with_message("must not be blank".into()));
    }
    Ok(())
}

/// Characters no text of the API holds: the C0 controls other than tab, line feed and
/// carriage return, and DEL. PostgreSQL refuses U+0000 in text outright (it was a 500
/// there and stored on SQLite); the others have no place in what people type and break
/// logs, CSV exports and the report PDF. Refused at the edge, in every JSON string and
/// query value, with the published patterns below.
pub fn is_refused_control(c: char) -> bool {
    matches!(c, '\u{0}'..='\u{8}' | '\u{b}' | '\u{c}' | '\u{e}'..='\u{1f}' | '\u{7f}')
}

/// The spec's pattern for free text: no refused control character.
pub const CONTROL_FREE: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$";

/// The spec's pattern for text that is more than white space (`not_blank`) and holds no
/// refused control character.
pub const NOT_BLANK_CONTROL_FREE: &str =
    r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$";

/// As [`NOT_BLANK_CONTROL_FREE`], with at least two characters that are not white space.
pub const TWO_VISIBLE_CONTROL_FREE: &str = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*[^\s\x00-\x1F\x7F][^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$";

/// The path (`answers[3].reason`) of the first string or key in `value` holding a
/// refused control character; `.` for the value itself.
pub fn control_in(value: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    fn walk(v: &Value, path: &mut String) -> bool {
        let bad = |s: &str| s.chars().any(is_refused_control);
        match v {
            Value::String(s) => bad(s),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(fields) => fields.iter().any(|(k, item)| {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(k);
                let found = bad(k) || walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            _ => false,
        }
    }
    let mut path = String::new();
    walk(value, &mut path).then(|| if path.is_empty() { ".".to_string() } else { path })
}

/// The first query parameter (its name) whose name or value, percent-decoded, holds a
/// refused control character. Works on the raw query so nothing is decoded twice.
pub fn control_in_query(raw: &str) -> Option<String> {
    raw.split('&').find_map(|pair| {
        let name = pair.split('=').next().unwrap_or_default();
        has_encoded_control(pair).then(|| {
            let shown: String = name.chars().filter(|c| !c.is_control()).take(64).collect();
            if has_encoded_control(name) || shown.is_empty() { "query".to_string() } else { shown }
        })
    })
}

/// Whether `raw`, percent-decoded, holds a refused control character (raw or as `%XX`).
pub fn has_encoded_control(raw: &str) -> bool {
    // Bytes of a multi-byte character are all 0x80 or above: never a refused control.
    percent_encoding::percent_decode_str(raw).any(|b| is_refused_control(char::from(b)))
}

/// The phone's own id for a thing it creates: 8-64 visible ASCII characters, a UUID in
/// practice (`pattern = "^[!-~]{8,64}$"` in the spec).
pub fn client_id(s: &str) -> Result<(), ValidationError> {
    if (8..=64).contains(&s.len()) && s.bytes().all(|b| b.is_ascii_graphic()) {
        return Ok(());
    }
    Err(ValidationError::new("client_id").with_message("8-64 visible ASCII characters (a UUID)".into()))
}

/// A hazard's grade as a client sends it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = HazardGrade)]
pub enum GradeInput {
    General,
    Major,
}

impl From<GradeInput> for Grade {
    fn from(g: GradeInput) -> Self {
        match g {
            GradeInput::General => Grade::General,
            GradeInput::Major => Grade::Major,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_text_and_odd_client_ids_are_refused() {
        assert!(not_blank(" \t\u{3000}").is_err());
        assert!(not_blank(" 二车间 ").is_ok());
        assert!(client_id("3f0c9a2e-1b7d-4c55-9e0a-6b1f2d3c4e5f").is_ok());
        assert!(client_id("short").is_err());
        assert!(client_id("has space in it").is_err());
    }

    #[test]
    fn control_characters_are_found_with_their_path() {
        let v = serde_json::json!({ "a": "ok\tline\nnext\r", "answers": [{ "reason": "x" }, { "reason": "a\u{0}b" }] });
        assert_eq!(control_in(&v).as_deref(), Some("answers[1].reason"));
        assert_eq!(control_in(&serde_json::json!({ "k\u{1f}": 1 })).as_deref(), Some("k\u{1f}"));
        assert_eq!(control_in(&serde_json::json!("\u{7f}")).as_deref(), Some("."));
        assert_eq!(control_in(&serde_json::json!({ "t": "二车间\t东侧 é \u{80}" })), None);
        assert_eq!(control_in_query("page=1&q=a%00b").as_deref(), Some("q"));
        assert_eq!(control_in_query("q=%2500&x=%0a%09%0D"), None);
        assert_eq!(control_in_query("q=%1F").as_deref(), Some("q"));
        assert_eq!(control_in_query("q=%7f").as_deref(), Some("q"));
        assert_eq!(control_in_query("page=1"), None);
    }

    #[test]
    fn the_published_patterns_agree_with_the_rule() {
        let free = regex::Regex::new(CONTROL_FREE).unwrap();
        let visible = regex::Regex::new(NOT_BLANK_CONTROL_FREE).unwrap();
        let two = regex::Regex::new(TWO_VISIBLE_CONTROL_FREE).unwrap();
        for c in (0..0x3001u32).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            assert_eq!(free.is_match(&text), !is_refused_control(c), "{c:?}");
            assert_eq!(visible.is_match(&text), !is_refused_control(c), "{c:?}");
            assert_eq!(two.is_match(&text), !is_refused_control(c), "{c:?}");
        }
        assert!(free.is_match("") && free.is_match(" \t\n"));
        assert!(!visible.is_match(" \t\u{3000}") && visible.is_match(" 二 "));
        assert!(!two.is_match(" 二 ") && two.is_match("二车间"));
    }
}
