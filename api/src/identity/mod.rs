//! Identity: password sign-in, opaque rotating tokens, the caller's role and scope,
//! and the policy that decides what each role may do.

pub mod audit_trail;
pub mod binding;
pub mod caller;
pub mod credentials;
pub mod gate;
pub mod password;
pub mod password_policy;
pub mod people;
pub mod policy;
pub mod service;
pub mod staff;
pub mod tokens;
pub mod totp;
pub mod wechat_login;

pub use caller::{Caller, Role, Scope};
pub use policy::Function;
