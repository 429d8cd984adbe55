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
}
