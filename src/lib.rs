//! The napi binding of s3db-ml: converts JavaScript values into core types and back, moves heavy
//! work off the JavaScript thread, and turns core errors and Rust panics into tagged errors that
//! `lib/errors.js` maps onto the named JavaScript classes. No ML logic lives here.

// In `cargo test` the #[napi] exports have no caller.
#![cfg_attr(test, allow(dead_code))]

mod backend;
mod error;
mod model;
mod runtime;
mod store;
