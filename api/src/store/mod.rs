//! Queries over the generated `entities`, with the caller's scope built in: a row
//! outside the scope is never loaded, so it reads as not found.

pub mod paging;
pub mod scope;
