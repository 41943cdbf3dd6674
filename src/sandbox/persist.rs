//! The ledger saved to a JSON file and read back, so a sandbox restarted with the same file
//! (`disburse-sandbox --state FILE`) still knows every payout, refund, balance and payment.
//!
//! The file is written whole to a temporary file beside it, flushed, then renamed over it: a
//! reader (or a sandbox killed mid-write) sees the old state or the new one, never half of one.
//! Amounts are decimal strings. Tokens, faults, idempotency keys and the request and webhook logs
//! are not kept: they belong to one run.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

use super::Sandbox;
use super::control::{entry_kind_name, kind_named, scripted_name};
use super::ledger::{EntryKind, EntryStatus, Ledger, LedgerEntry, Payment};
use super::outcome::ScriptedOutcome;
use super::settle;
use super::simulator::Simulator;
use super::state::Shared;
use crate::error::Error;
use crate::money::{Currency, Money};

/// The version of the file format.
const FORMAT: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
struct StateFile {
    format: u32,
    /// How many times a sandbox has loaded this file: mixed into the id generator's seed so a
    /// restarted sandbox does not hand out the ids it handed out before.
    generation: u64,
    entries: Vec<EntryFile>,
    balances: Vec<BalanceFile>,
    payments: Vec<PaymentFile>,
}

#[derive(Debug, Serialize, Deserialize)]
struct BalanceFile {
    provider: String,
    currency: String,
    amount: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct PaymentFile {
    reference: String,
    amount: String,
    currency: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct EntryFile {
    provider: String,
    kind: String,
    id: String,
    reference: Option<String>,
    amount: String,
    currency: String,
    recipient: String,
    status: StatusFile,
    scripted: Option<String>,
    callback_url: Option<String>,
    payment_reference: Option<String>,
    request_body: String,
    created_at: DateTime<Utc>,
    settled_at: Option<DateTime<Utc>>,
    /// The simulator's own fields, in its own JSON shape.
    details: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
enum StatusFile {
    Pending,
    Succeeded,
    Failed { code: String, message: String },
}

fn status_file(status: &EntryStatus) -> StatusFile {
    match status {
        EntryStatus::Pending => StatusFile::Pending,
        EntryStatus::Succeeded => StatusFile::Succeeded,
        EntryStatus::Failed { code, message } => StatusFile::Failed {
            code: code.clone(),
            message: message.clone(),
        },
    }
}

fn status_of(file: StatusFile) -> EntryStatus {
    match file {
        StatusFile::Pending => EntryStatus::Pending,
        StatusFile::Succeeded => EntryStatus::Succeeded,
        StatusFile::Failed { code, message } => EntryStatus::Failed { code, message },
    }
}

fn kind_of(name: &str) -> Result<&'static dyn Simulator, String> {
    kind_named(name).ok_or_else(|| format!("unknown provider {name:?}"))
}

fn money_of(amount: &str, currency: &str) -> Result<Money, String> {
    let currency: Currency = currency
        .parse()
        .map_err(|_| format!("unknown currency {currency:?}"))?;
    let amount: Decimal = amount
        .parse()
        .map_err(|_| format!("amount {amount:?} is not a decimal"))?;
    Money::new(amount, currency).map_err(|e| format!("amount {amount} {currency}: {e}"))
}

fn entry_file(entry: &LedgerEntry) -> EntryFile {
    EntryFile {
        provider: entry.provider.as_str().to_owned(),
        kind: entry_kind_name(entry.kind).to_owned(),
        id: entry.id.clone(),
        reference: entry.reference.clone(),
        amount: entry.amount.amount().to_string(),
        currency: entry.amount.currency().code().to_owned(),
        recipient: entry.recipient.clone(),
        status: status_file(&entry.status),
        scripted: entry.scripted.map(|s| scripted_name(s).to_owned()),
        callback_url: entry.callback_url.clone(),
        payment_reference: entry.payment_reference.clone(),
        request_body: entry.request_body.clone(),
        created_at: entry.created_at,
        settled_at: entry.settled_at,
        details: entry.details.to_json(),
    }
}

fn entry_of(file: EntryFile) -> Result<LedgerEntry, String> {
    let kind = kind_of(&file.provider)?;
    Ok(LedgerEntry {
        provider: kind.id(),
        kind: match file.kind.as_str() {
            "payout" => EntryKind::Payout,
            "refund" => EntryKind::Refund,
            other => return Err(format!("unknown entry kind {other:?}")),
        },
        amount: money_of(&file.amount, &file.currency)?,
        scripted: file
            .scripted
            .map(|name| {
                ScriptedOutcome::ALL
                    .into_iter()
                    .find(|o| scripted_name(*o) == name)
                    .ok_or_else(|| format!("unknown scripted outcome {name:?}"))
            })
            .transpose()?,
        id: file.id,
        reference: file.reference,
        recipient: file.recipient,
        status: status_of(file.status),
        callback_url: file.callback_url,
        payment_reference: file.payment_reference,
        request_body: file.request_body,
        created_at: file.created_at,
        settled_at: file.settled_at,
        details: kind.details_from_json(file.details)?,
    })
}

fn snapshot(ledger: &Ledger, generation: u64) -> StateFile {
    let mut balances: Vec<BalanceFile> = ledger
        .balances()
        .into_iter()
        .map(|(kind, currency, amount)| BalanceFile {
            provider: kind.as_str().to_owned(),
            currency: currency.code().to_owned(),
            amount: amount.to_string(),
        })
        .collect();
    balances.sort_by(|a, b| (&a.provider, &a.currency).cmp(&(&b.provider, &b.currency)));
    StateFile {
        format: FORMAT,
        generation,
        entries: ledger.all_entries().iter().map(entry_file).collect(),
        balances,
        payments: ledger
            .payments()
            .iter()
            .map(|p| PaymentFile {
                reference: p.reference.clone(),
                amount: p.amount.amount().to_string(),
                currency: p.amount.currency().code().to_owned(),
            })
            .collect(),
    }
}

fn ledger_of(file: StateFile) -> Result<Ledger, String> {
    if file.format != FORMAT {
        return Err(format!(
            "format {} is not the one this sandbox writes ({FORMAT})",
            file.format
        ));
    }
    let entries = file
        .entries
        .into_iter()
        .map(entry_of)
        .collect::<Result<Vec<_>, _>>()?;
    let balances = file
        .balances
        .into_iter()
        .map(|b| {
            let money = money_of(&b.amount, &b.currency)?;
            Ok((kind_of(&b.provider)?.id(), money.currency(), money.amount()))
        })
        .collect::<Result<Vec<_>, String>>()?;
    let payments = file
        .payments
        .into_iter()
        .map(|p| {
            Ok(Payment {
                amount: money_of(&p.amount, &p.currency)?,
                reference: p.reference,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Ledger::restore(entries, balances, payments))
}

fn state_error(
    path: &Path,
    what: &str,
    source: Option<Box<dyn std::error::Error + Send + Sync>>,
) -> Error {
    Error::Config {
        message: format!("sandbox state file {}: {what}", path.display()),
        source,
    }
}

/// Writes `bytes` to `path` atomically: a temporary file beside it, flushed, then renamed.
fn write_atomically(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut temp: PathBuf = path.to_path_buf();
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_else(|| "state".to_owned());
    temp.set_file_name(format!(".{name}.tmp-{}", std::process::id()));
    let mut file = std::fs::File::create(&temp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&temp, path)
}

/// The ledger as the state file's bytes.
fn encode(shared: &Shared, generation: u64) -> Vec<u8> {
    let state = snapshot(&shared.lock().ledger, generation);
    serde_json::to_vec_pretty(&state).unwrap_or_default()
}

/// Keeps the ledger in a state file: see [`Sandbox::keep_state`].
#[derive(Debug)]
pub(crate) struct StateKeeper {
    path: PathBuf,
    generation: u64,
    last: std::sync::Mutex<Vec<u8>>,
}

impl StateKeeper {
    /// Writes the state when it changed since the last write.
    fn save_if_changed(&self, shared: &Shared) -> std::io::Result<bool> {
        let bytes = encode(shared, self.generation);
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        if *last == bytes {
            return Ok(false);
        }
        write_atomically(&self.path, &bytes)?;
        *last = bytes;
        Ok(true)
    }
}

/// How often [`Sandbox::keep_state`] looks for a change to write.
pub const STATE_SAVE_INTERVAL: Duration = Duration::from_millis(100);

impl Sandbox {
    /// Loads the ledger from `path` (when the file exists), then keeps the file up to date:
    /// within [`STATE_SAVE_INTERVAL`] of any change, and at once on [`Sandbox::save_state`].
    /// Pending payouts read back settle again after the settle delay.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file exists but cannot be read or is not a state file, or when
    /// the first write fails (a directory that does not exist, no permission).
    pub fn keep_state(&self, path: impl Into<PathBuf>) -> Result<(), Error> {
        let path = path.into();
        let mut generation = 0;
        match std::fs::read(&path) {
            Ok(bytes) => {
                let file: StateFile = serde_json::from_slice(&bytes).map_err(|e| {
                    state_error(&path, "is not a sandbox state file", Some(Box::new(e)))
                })?;
                generation = file.generation + 1;
                let ledger = ledger_of(file).map_err(|m| state_error(&path, &m, None))?;
                let pending: Vec<(&'static dyn Simulator, String)> = ledger
                    .all_entries()
                    .iter()
                    .filter(|e| !e.status.is_final())
                    .filter_map(|e| kind_named(e.provider.as_str()).map(|k| (k, e.id.clone())))
                    .collect();
                {
                    let mut inner = self.shared().lock();
                    inner.ledger = ledger;
                    let seed = inner.rng.u64(..);
                    inner.rng = fastrand::Rng::with_seed(
                        seed ^ generation.wrapping_mul(0x9E37_79B9_7F4A_7C15),
                    );
                }
                for (kind, id) in pending {
                    settle::schedule(self.shared(), kind, id);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(state_error(&path, "cannot be read", Some(Box::new(e)))),
        }
        let keeper = Arc::new(StateKeeper {
            path,
            generation,
            last: std::sync::Mutex::new(Vec::new()),
        });
        keeper
            .save_if_changed(self.shared())
            .map_err(|e| state_error(&keeper.path, "cannot be written", Some(Box::new(e))))?;
        let shared = Arc::clone(self.shared());
        let job = Arc::clone(&keeper);
        self.shared().spawn(async move {
            loop {
                tokio::time::sleep(STATE_SAVE_INTERVAL).await;
                if let Err(e) = job.save_if_changed(&shared) {
                    tracing::warn!(error = %e, path = %job.path.display(), "sandbox state not saved");
                }
            }
        });
        *self.state.lock().unwrap_or_else(|p| p.into_inner()) = Some(keeper);
        Ok(())
    }

    /// Writes the state file now, if [`Sandbox::keep_state`] named one (a no-op otherwise).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the file cannot be written.
    pub fn save_state(&self) -> Result<(), Error> {
        let keeper = self.state.lock().unwrap_or_else(|p| p.into_inner()).clone();
        match keeper {
            Some(k) => k
                .save_if_changed(self.shared())
                .map(|_| ())
                .map_err(|e| state_error(&k.path, "cannot be written", Some(Box::new(e)))),
            None => Ok(()),
        }
    }
}
