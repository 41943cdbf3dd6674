//! The client's record of the results Daraja delivered by callback, and the wait for one.
//!
//! Daraja answers B2C, Transaction Status and Account Balance only by callback. Every
//! authenticated callback the merchant hands to
//! [`parse_webhook`](crate::PayoutProvider::parse_webhook) is recorded here under what it
//! answers ([`Key`]); `find_payout` and `balance` send their query and wait here for its answer.
//!
//! A payout's final result is recorded once: the same delivery again (Daraja retries) is
//! accepted unchanged, and a different final result for the same payout (a replayed or forged
//! callback) is refused.

use std::collections::HashMap;
use std::sync::{Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::Notify;

use crate::model::{Balance, Status};
use crate::money::Money;
use crate::raw::RawJson;
use crate::webhook::WebhookError;

/// What a recorded callback answers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum Key {
    /// The B2C result of the payout under this reference.
    Payout(String),
    /// The Transaction Status answer about the payout under this reference.
    Status(String),
    /// The Account Balance answer to the query with this nonce.
    Balance(String),
}

/// One recorded answer.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entry {
    pub status: Status,
    pub conversation_id: Option<String>,
    pub transaction_id: Option<String>,
    pub amount: Option<Money>,
    pub balance: Option<Balance>,
    /// The answer says the transaction was not found.
    pub not_found: bool,
    pub raw: RawJson,
}

/// See the module docs.
#[derive(Debug, Default)]
pub(crate) struct ResultBook {
    entries: Mutex<HashMap<Key, Entry>>,
    changed: Notify,
}

impl ResultBook {
    /// Records `entry` under `key`. A final payout result is kept once: a different final result
    /// later is refused; a non-final entry never replaces a final one.
    pub fn record(&self, key: Key, entry: Entry) -> Result<(), WebhookError> {
        let mut entries = self.entries.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(existing) = entries.get(&key)
            && existing.status.is_final()
        {
            if matches!(key, Key::Payout(_)) && existing.status != entry.status {
                return Err(WebhookError::InvalidBody(format!(
                    "a {} result is already recorded for this payout; a different one ({}) is \
                     refused as replayed or forged",
                    existing.status.word(),
                    entry.status.word()
                )));
            }
            if entry.status == existing.status || !entry.status.is_final() {
                return Ok(());
            }
        }
        entries.insert(key, entry);
        drop(entries);
        self.changed.notify_waiters();
        Ok(())
    }

    /// The entry under `key`.
    pub fn get(&self, key: &Key) -> Option<Entry> {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(key)
            .cloned()
    }

    /// Forgets the answer under `key` (a query is about to be asked again).
    pub fn forget(&self, key: &Key) {
        self.entries
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(key);
    }

    /// Waits up to `timeout` for an entry under one of `keys` that `accept` takes; the first
    /// key wins when several have one.
    pub async fn wait_for(
        &self,
        keys: &[Key],
        timeout: Duration,
        accept: impl Fn(&Key, &Entry) -> bool,
    ) -> Option<(Key, Entry)> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            for key in keys {
                if let Some(entry) = self.get(key)
                    && accept(key, &entry)
                {
                    return Some((key.clone(), entry));
                }
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return None;
            }
        }
    }
}
