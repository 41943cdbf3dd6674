//! Where the CLI keeps its payout store when `--store` and `DISBURSE_STORE` say nothing.

use std::path::PathBuf;

use disburse::Error;

/// The default store: one SQLite file per user, whatever the CSV file is called.
pub fn default_store() -> Result<String, Error> {
    let base = std::env::var_os("XDG_DATA_HOME")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .ok_or_else(|| Error::config("no --store, DISBURSE_STORE, XDG_DATA_HOME or HOME"))?;
    let dir = base.join("disburse");
    std::fs::create_dir_all(&dir)
        .map_err(|e| Error::config(format!("cannot create {}: {e}", dir.display())))?;
    Ok(format!("sqlite://{}", dir.join("payouts.db").display()))
}
