//! Types every context shares, with no behaviour that needs I/O: who is calling,
//! where the request came from, the rules input is checked by at the edge, and the
//! time a use case stamps on its writes.

pub mod caller;
pub mod clock;
pub mod input;
pub mod origin;

pub use caller::{Caller, Role, Scope};
pub use origin::Origin;
