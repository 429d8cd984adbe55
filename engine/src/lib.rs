//! zhicha's pure domain: code systems and crosswalks, parsed identifiers, name
//! resolution, and (in later modules) risk models and trigger rules. No HTTP, no
//! database, no I/O beyond reading rule files.

pub mod analysis;
pub mod catalog;
pub mod codes;
pub mod credit_code;
mod csv_file;
pub mod findings;
pub mod hazards;
pub mod industry_code;
pub mod mapping;
pub mod names;
pub mod narrative_jobs;
pub mod recommend;
pub mod region_code;
pub mod risk;
pub mod rule_error;
pub mod rule_source;
pub mod severity;
pub mod triggers;

pub use catalog::Catalog;
pub use codes::CodeSystem;
pub use credit_code::CreditCode;
pub use industry_code::IndustryCode;
pub use region_code::RegionCode;
pub use rule_error::{RuleError, RuleErrors};
pub use rule_source::RuleSource;
pub use severity::Severity;
