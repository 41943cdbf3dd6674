//! The file journal the payout store replaced, kept here (and only here) so the benchmark can
//! run it against the store in the same process: an append-only JSON Lines file, one fsynced
//! line per intent and per outcome with group commit (a writer whose line a sibling's fsync
//! covered returns without its own), writes on tokio's blocking pool, and what it knows held in
//! memory. As before, it enforces nothing across processes and grows with the batch.

use std::collections::HashMap;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use async_trait::async_trait;
use disburse::store::{
    Applied, Claim, ClaimedItem, DeferredItem, ItemRecord, ItemState, NewItem, PayoutStore,
    StatusChange, WorkerId,
};
use disburse::{Error, ProviderId, Reference};

pub struct FileJournal {
    inner: Arc<Inner>,
}

struct Inner {
    writer: Mutex<File>,
    written: AtomicU64,
    sync: Mutex<(File, u64)>,
    /// Reference → (fingerprint, state), as the old engine's index and loaded state.
    known: Mutex<HashMap<String, (String, ItemState)>>,
}

impl std::fmt::Debug for FileJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FileJournal")
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

impl FileJournal {
    pub fn create(path: &Path) -> std::io::Result<FileJournal> {
        let file = OpenOptions::new().create(true).append(true).open(path)?;
        let sync = file.try_clone()?;
        Ok(FileJournal {
            inner: Arc::new(Inner {
                writer: Mutex::new(file),
                written: AtomicU64::new(0),
                sync: Mutex::new((sync, 0)),
                known: Mutex::new(HashMap::new()),
            }),
        })
    }

    async fn append(&self, line: String) -> Result<(), Error> {
        let inner = Arc::clone(&self.inner);
        tokio::task::spawn_blocking(move || inner.append(line.as_bytes()))
            .await
            .map_err(|e| Error::store_with_source("the journal call did not finish", e))?
    }
}

impl Inner {
    fn append(&self, line: &[u8]) -> Result<(), Error> {
        let io = |e: std::io::Error| Error::store_with_source("journal", e);
        let seq = {
            let mut file = lock(&self.writer);
            file.write_all(line).map_err(io)?;
            self.written.fetch_add(1, Ordering::SeqCst) + 1
        };
        let mut sync = lock(&self.sync);
        if sync.1 >= seq {
            return Ok(());
        }
        let target = self.written.load(Ordering::SeqCst);
        sync.0.sync_data().map_err(io)?;
        sync.1 = target;
        Ok(())
    }
}

#[async_trait]
impl PayoutStore for FileJournal {
    fn lease(&self) -> Duration {
        Duration::from_secs(30)
    }
    async fn register_worker(&self, _: &WorkerId) -> Result<(), Error> {
        Ok(())
    }
    async fn heartbeat(&self, _: &WorkerId) -> Result<(), Error> {
        Ok(())
    }
    async fn retire_worker(&self, _: &WorkerId) -> Result<(), Error> {
        Ok(())
    }
    async fn claim(&self, _: &WorkerId, item: NewItem<'_>) -> Result<Claim, Error> {
        let mut known = lock(&self.inner.known);
        let reference = item.request.reference.as_str();
        Ok(match known.get(reference) {
            None => {
                known.insert(
                    reference.to_owned(),
                    (item.fingerprint.to_owned(), ItemState::Pending),
                );
                Claim::Send
            }
            Some(_) => Claim::Repeat,
        })
    }
    async fn claim_abandoned(
        &self,
        _: &WorkerId,
        _: &str,
        _: ProviderId,
        _: u32,
    ) -> Result<Vec<ClaimedItem>, Error> {
        Ok(Vec::new())
    }
    async fn take_deferred(
        &self,
        _: &WorkerId,
        _: &str,
        _: ProviderId,
        _: u32,
    ) -> Result<Vec<DeferredItem>, Error> {
        Ok(Vec::new())
    }
    async fn held_elsewhere(&self, _: &WorkerId, _: &str, _: ProviderId) -> Result<u64, Error> {
        Ok(0)
    }
    async fn record_intent(
        &self,
        _: &WorkerId,
        _: ProviderId,
        reference: &Reference,
    ) -> Result<(), Error> {
        let fingerprint = lock(&self.inner.known)
            .get(reference.as_str())
            .map(|k| k.0.clone())
            .unwrap_or_default();
        let line = format!(
            "{{\"event\":\"intent\",\"reference\":{},\"fingerprint\":\"{fingerprint}\",\"at\":\"{}\"}}\n",
            serde_json::to_string(reference.as_str()).unwrap_or_default(),
            chrono::Utc::now().to_rfc3339()
        );
        self.append(line).await
    }
    async fn record_outcome(
        &self,
        _: &WorkerId,
        _: ProviderId,
        reference: &Reference,
        record: &ItemRecord,
    ) -> Result<(), Error> {
        if let Some(known) = lock(&self.inner.known).get_mut(reference.as_str()) {
            known.1 = record.state;
        }
        let line = format!(
            "{{\"event\":\"outcome\",\"reference\":{},\"outcome\":\"{}\",\"payout_id\":{},\"status\":{},\"at\":\"{}\"}}\n",
            serde_json::to_string(reference.as_str()).unwrap_or_default(),
            record.state,
            serde_json::to_string(&record.payout_id).unwrap_or_default(),
            serde_json::to_string(&record.status).unwrap_or_default(),
            chrono::Utc::now().to_rfc3339()
        );
        self.append(line).await
    }
    async fn record_status(&self, _: &StatusChange) -> Result<Applied, Error> {
        Ok(Applied::Applied { matched: false })
    }
}
