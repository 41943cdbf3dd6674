//! The jpay adapter (not built yet).
