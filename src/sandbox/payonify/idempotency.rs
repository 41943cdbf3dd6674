//! `Idempotency-Key`: the first successful answer for a key is kept and replayed byte for byte
//! for the same body; a different body under the same key is refused. Requests that fail
//! validation or hit an error are not kept, as nothing was created.

use std::collections::HashMap;

use axum::body::Bytes;
use serde_json::Value;

/// A kept answer.
#[derive(Debug, Clone)]
pub(crate) struct Stored {
    pub(crate) request: Value,
    pub(crate) status: u16,
    pub(crate) body: Bytes,
}

/// What a key means for a new request.
#[derive(Debug)]
pub(crate) enum Lookup {
    /// Never seen: handle the request.
    Fresh,
    /// Seen with the same body: answer this.
    Replay(Stored),
    /// Seen with another body.
    Conflict,
}

#[derive(Debug, Default)]
pub(crate) struct IdempotencyStore {
    kept: HashMap<String, Stored>,
}

impl IdempotencyStore {
    pub(crate) fn lookup(&self, key: &str, request: &Value) -> Lookup {
        match self.kept.get(key) {
            None => Lookup::Fresh,
            Some(stored) if &stored.request == request => Lookup::Replay(stored.clone()),
            Some(_) => Lookup::Conflict,
        }
    }

    pub(crate) fn keep(&mut self, key: String, stored: Stored) {
        self.kept.insert(key, stored);
    }
}
