//! The payonify adapter (not built yet).
