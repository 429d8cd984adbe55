//! The hazard library (隐患库) under `rules/hazards/`: declarative TOML items, each a
//! concrete on-site check with its applicability, accident codes, legal basis and
//! rectification guidance, loaded and validated as a whole.
//!
//! Layout: `vocabulary.toml` (areas, process conditions, equipment, jobs),
//! `sources.toml` (cited documents), and item files in subdirectories, each with a
//! `version`, a `title`, an `id_prefix`, optional `[defaults]` and `[[item]]` tables.
//! Call [`load`] with the rules directory and the [`Catalog`](crate::Catalog).

mod dedup;
pub mod import;
pub mod industry_pattern;
pub mod lint;
mod load;
pub mod model;
mod raw;
mod validate;
pub mod vocabulary;

#[cfg(test)]
mod tests;

pub use dedup::{NEAR_DUPLICATE, normalise};
pub use industry_pattern::IndustryPattern;
pub use load::{Text, from_texts, load, load_from};
pub use model::{Applicability, Grade, HazardItem, HazardLibrary, LegalBasis, Origin, Rectification, Status};
pub use vocabulary::{Source, SourceKind, Sources, Term, Vocabulary};
