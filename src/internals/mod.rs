//! Thin doors into private steps of the adapters, for the benchmarks in `benches/` (feature
//! `internals`). Not a stable API: hidden from the docs and free to change in any release.

pub mod encode;
pub mod verify;
