//! The results file: one line per input row, in input order, written whole to a temporary file
//! and renamed over the old one, so it is never empty or half-written, whenever the run ends.

use std::io::Write as _;
use std::path::{Path, PathBuf};

use disburse::Error;

use crate::args::ProviderName;

/// The results file's columns.
pub const HEADER: [&str; 7] = [
    "line",
    "reference",
    "outcome",
    "payout_id",
    "status",
    "detail",
    "provider",
];

/// The status words that end a payout.
pub fn is_final_status(status: &str) -> bool {
    matches!(status, "succeeded" | "failed")
}

/// One row's result.
#[derive(Debug, Clone)]
pub struct Entry {
    /// The input line (the header is line 1).
    pub line: u64,
    pub reference: String,
    pub provider: Option<ProviderName>,
    /// What this run did: `sent`, `already_done`, `reconciled`, `failed`, `unknown`,
    /// `elsewhere`, `invalid`, `not_sent`, `not_started`.
    pub outcome: &'static str,
    pub payout_id: String,
    /// The payout's latest status at the provider (`pending`, `succeeded`, `failed`, …).
    pub status: String,
    /// The error, or the payout's failure reason.
    pub detail: String,
}

impl Entry {
    /// A row read but not (yet) sent.
    pub fn not_started(line: u64, reference: String, provider: Option<ProviderName>) -> Entry {
        Entry {
            line,
            reference,
            provider,
            outcome: "not_started",
            payout_id: String::new(),
            status: String::new(),
            detail: String::new(),
        }
    }

    /// True when the payout exists at the provider and its status is not final.
    pub fn is_open(&self) -> bool {
        self.provider.is_some() && !self.payout_id.is_empty() && !is_final_status(&self.status)
    }
}

/// Writes every entry, in order, to `path` (through `path.tmp`, renamed).
pub fn write(path: &Path, entries: &[Entry]) -> Result<(), Error> {
    let fail =
        |e: &dyn std::fmt::Display| Error::config(format!("cannot write {}: {e}", path.display()));
    let mut temporary = PathBuf::from(path.as_os_str());
    temporary.as_mut_os_string().push(".tmp");
    {
        let file = std::fs::File::create(&temporary).map_err(|e| fail(&e))?;
        let mut writer = csv::Writer::from_writer(std::io::BufWriter::new(file));
        writer.write_record(HEADER).map_err(|e| fail(&e))?;
        for entry in entries {
            let line = entry.line.to_string();
            let provider = entry
                .provider
                .map(|p| p.id().to_string())
                .unwrap_or_default();
            writer
                .write_record([
                    line.as_str(),
                    &entry.reference,
                    entry.outcome,
                    &entry.payout_id,
                    &entry.status,
                    &entry.detail,
                    &provider,
                ])
                .map_err(|e| fail(&e))?;
        }
        let mut inner = writer.into_inner().map_err(|e| fail(&e))?;
        inner.flush().map_err(|e| fail(&e))?;
        inner.get_ref().sync_all().map_err(|e| fail(&e))?;
    }
    std::fs::rename(&temporary, path).map_err(|e| fail(&e))
}
