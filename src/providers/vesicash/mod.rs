//! The vesicash adapter (not built yet).
