//! Entry points into the crate's private decoders, for fuzzing and benchmarks.
//!
//! **Not part of the public API and not covered by semantic versioning**: anything here may change
//! or disappear in any release. It exists so that `fuzz/` and the benchmarks can feed raw bytes to
//! exactly the code an adapter runs on a provider's answer, without a network. Enable it with the
//! `internals` feature; applications never need it.
//!
//! - [`decode`]: every adapter's response decoders (create, get, list/find page, refund, token),
//!   its error-body mapping (`map_error(status, body)`), and its webhook/callback parsing.
//!
//! Each function is a thin call into the adapter's own decoding functions (the ones the adapter
//! calls after `HttpClient::send`), so a fuzzer finding here is a finding in the adapter.

pub mod decode;
