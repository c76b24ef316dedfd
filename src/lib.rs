//! The napi binding of s3db-ml: converts JavaScript values into core types and back, moves heavy
//! work off the JavaScript thread, and turns core errors and Rust panics into tagged errors that
//! `lib/errors.js` maps onto the named JavaScript classes. No ML logic lives here.

mod backend;
mod error;
mod model;
mod runtime;
