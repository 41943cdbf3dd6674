//! The exit codes, one per way a run can end, documented in `--help` and the README.

use std::process::ExitCode;

/// Every row (or the payout) has a definite, good answer: paid, or accepted and not failed
/// (without `--wait`, accepted payouts may still be pending at the provider).
pub const OK: u8 = 0;
/// Some payouts failed: refused by the provider, or failed after settling. Final; nothing to
/// resend under the same reference.
pub const FAILED: u8 = 1;
/// Bad usage or configuration: bad arguments, unreadable file, missing credentials, a store
/// that cannot be opened. Nothing was sent.
pub const USAGE: u8 = 2;
/// Some rows are invalid (nothing sent for them): fix them and run the file again.
pub const INVALID: u8 = 3;
/// Some outcomes are unknown (money may have moved): run `disburse reconcile`.
pub const UNKNOWN: u8 = 4;
/// Some payouts are not final yet (still pending after `--wait`, not sent, or held by another
/// worker): run the file again, or `disburse status --batch`.
pub const PENDING: u8 = 5;
/// Interrupted (Ctrl-C, SIGTERM): the results and the store are flushed; run the file again to
/// resume.
pub const INTERRUPTED: u8 = 130;

/// The exit codes, for `--help`.
pub const HELP: &str = "Exit codes (the first that applies):
  130  interrupted (SIGINT/SIGTERM): results and store flushed; run again to resume
    4  some outcomes unknown (money may have moved): run `disburse reconcile`
    3  some rows invalid (nothing sent for them): fix them and run again
    1  some payouts failed (refused, or failed after settling)
    5  some payouts not final yet (pending, not sent, held by another worker)
    2  bad usage or configuration; nothing sent
    0  every payout accepted and none failed (with --wait: every payout paid)";

/// What a run saw, for its exit code.
#[derive(Debug, Default, Clone, Copy)]
pub struct Tally {
    pub interrupted: bool,
    pub unknown: u64,
    pub invalid: u64,
    pub failed: u64,
    pub pending: u64,
}

impl Tally {
    /// The code of the most urgent thing the run saw.
    pub fn code(&self) -> ExitCode {
        ExitCode::from(if self.interrupted {
            INTERRUPTED
        } else if self.unknown > 0 {
            UNKNOWN
        } else if self.invalid > 0 {
            INVALID
        } else if self.failed > 0 {
            FAILED
        } else if self.pending > 0 {
            PENDING
        } else {
            OK
        })
    }
}
