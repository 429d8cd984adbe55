//! Types every context shares, with no behaviour that needs I/O: who is calling,
//! where the request came from, and the rules input is checked by at the edge.

pub mod caller;
pub mod input;
pub mod origin;

pub use caller::{Caller, Role, Scope};
pub use origin::Origin;
