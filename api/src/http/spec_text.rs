//! The text rule in the spec: every string a client sends (request bodies, the schemas
//! they reach, query parameters) publishes that it holds no control character, as the
//! edge enforces (`domain::input::is_refused_control`). Without it a client generator or
//! a fuzzer would take `"a\u0000b"` for valid input that the server then refuses.

use utoipa::openapi::schema::{SchemaType, Type};
use utoipa::openapi::{OpenApi, RefOr, Schema};

use super::docs::AllOf;
use crate::domain::input::{CONTROL_FREE, NOT_BLANK_CONTROL_FREE, TWO_VISIBLE_CONTROL_FREE};

/// Rewrites the patterns of every string a client sends.
pub(super) fn publish(doc: &mut OpenApi) {
    for item in doc.paths.paths.values_mut() {
        let operations = [&mut item.get, &mut item.put, &mut item.post, &mut item.delete, &mut item.patch];
        for op in operations.into_iter().flatten() {
            for p in op.parameters.iter_mut().flatten() {
                if let RefOr::T(p) = p
                    && let Some(schema) = &mut p.schema
                {
                    strings(schema);
                }
            }
        }
    }
    let names = super::docs::request_schemas(doc, strings);
    let Some(components) = doc.components.as_mut() else { return };
    for name in names {
        if let Some(schema) = components.schemas.get_mut(&name) {
            strings(schema);
        }
    }
}

fn is_string(t: &SchemaType) -> bool {
    match t {
        SchemaType::Type(t) => *t == Type::String,
        SchemaType::Array(ts) => ts.contains(&Type::String),
        SchemaType::AnyValue => false,
    }
}

/// The pattern a string keeps or gets: free text gets the rule; the two not-blank
/// patterns get their control-free forms; strings with a format, enumerated values or
/// any other pattern already exclude control characters and stay as they are.
fn pattern_for(current: Option<&str>) -> Option<&'static str> {
    match current {
        None => Some(CONTROL_FREE),
        Some("\\S") => Some(NOT_BLANK_CONTROL_FREE),
        Some("\\S[\\s\\S]*\\S") => Some(TWO_VISIBLE_CONTROL_FREE),
        Some(_) => None,
    }
}

fn strings(schema: &mut RefOr<Schema>) {
    super::docs::each_object(schema, AllOf::Enter, &mut |o| {
        if is_string(&o.schema_type)
            && o.format.is_none()
            && o.enum_values.is_none()
            && let Some(p) = pattern_for(o.pattern.as_deref())
        {
            o.pattern = Some(p.to_string());
        }
    });
}
