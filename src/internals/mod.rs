//! Entry points into the crate's private adapter steps, for fuzzing and benchmarks.
//!
//! **Not part of the public API and not covered by semantic versioning**: anything here may change
//! or disappear in any release. It exists so that `fuzz/` and `benches/` can feed raw bytes to
//! exactly the code an adapter runs, without a network. Enable it with the `internals` feature;
//! applications never need it.
//!
//! - [`decode`]: every adapter's response decoders (create, get, list/find page, refund, token),
//!   its error-body mapping (`map_error(status, body)`), and its webhook/callback parsing.
//! - [`encode`]: every adapter's payout request encoding (the body bytes it would send).
//! - [`verify`]: every adapter's webhook signature check alone, without parsing the event.
//!
//! Each function is a thin call into the adapter's own functions, so a fuzzer finding or a
//! benchmark figure here is one for the adapter.

pub mod decode;
pub mod encode;
pub mod verify;
