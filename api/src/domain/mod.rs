//! Types every context shares, with no behaviour that needs I/O: who is calling and
//! where the request came from.

pub mod caller;
pub mod origin;

pub use caller::{Caller, Role, Scope};
pub use origin::Origin;
