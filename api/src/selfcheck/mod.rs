//! The enterprise's self-inspection loop (智查自纠): recommended checklists, inspection
//! rounds, findings through rectification, photo evidence, the self-inspection report,
//! and the programme's targets and progress figures they move.

pub mod coverage;
pub mod evidence;
pub mod findings;
pub mod inspections;
pub mod progress;
pub mod recommendations;
pub mod reports;
pub mod sync;
pub mod targets;
pub mod uploads;
