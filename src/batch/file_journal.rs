//! The default journal: an append-only JSON Lines file (documented on [`FileJournal`]).

use std::fmt;
use std::fs::{File, OpenOptions, TryLockError};
use std::io::{BufRead, BufReader, ErrorKind, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::journal::{Journal, JournalRecord, JournalState};
use crate::error::Error;
use crate::model::Reference;

/// A half-written last line found (and dropped) when the journal was opened.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TornLine {
    /// Its line number, from 1.
    pub line: u64,
    /// Its byte offset in the file (where the file now ends).
    pub offset: u64,
    /// How many bytes were dropped.
    pub bytes: u64,
}

/// The default journal: an append-only JSON Lines file, one line per event, fsynced.
///
/// ```text
/// {"event":"intent","reference":"pay-1","fingerprint":"9f2c…","at":"2026-11-21T00:10:00Z"}
/// {"event":"outcome","reference":"pay-1","outcome":"sent","payout_id":"PY_1","status":"pending","at":"…"}
/// ```
///
/// A crash can leave the last line half-written. Such a line was never acknowledged (a write is
/// acknowledged only after its fsync), so the engine never acted on it: [`FileJournal::open`]
/// drops it, truncates the file back to the last whole line, logs a warning and reports it in
/// [`FileJournal::torn_tail`]. A malformed line anywhere else is corruption, and the journal
/// refuses to open ([`Error::Journal`]).
///
/// Concurrent writers share fsyncs (group commit): a writer whose line a sibling's fsync already
/// covered returns without one of its own.
///
/// One journal has one writer: [`FileJournal::open`] takes an exclusive advisory lock on the file
/// (`flock` on Unix, `LockFileEx` on Windows) for as long as the journal lives, and refuses with
/// [`Error::Journal`] while another process, or another `FileJournal` in this one, holds it. Two
/// runs of one batch at once would each see the other's items as not yet sent. Where the file
/// system reports locks as unsupported it opens with a warning instead; any other lock error
/// (such as `ENOLCK` on an NFS mount without its lock service) refuses to open. On NFS, Linux
/// emulates `flock` with per-process locks, so there two opens within one process are not told
/// apart. Dropping a batch stream does not release the lock at once: journal writes it had
/// started finish on the blocking pool first, and a reopen in the same process meanwhile is
/// refused (retry after a moment).
pub struct FileJournal {
    path: PathBuf,
    writer: Mutex<File>,
    /// Lines written so far (a sequence number for group commit).
    written: AtomicU64,
    sync: Mutex<SyncState>,
    /// The state read at open, handed to the first `load` so the file is read once per run.
    preloaded: Mutex<Option<JournalState>>,
    torn: Option<TornLine>,
}

struct SyncState {
    file: File,
    synced: u64,
}

impl fmt::Debug for FileJournal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FileJournal")
            .field("path", &self.path)
            .field("torn_tail", &self.torn)
            .finish()
    }
}

#[derive(Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum LineIn {
    Intent {
        reference: Reference,
        fingerprint: String,
    },
    Outcome {
        reference: Reference,
        #[serde(flatten)]
        record: JournalRecord,
    },
}

#[derive(Serialize)]
#[serde(tag = "event", rename_all = "snake_case")]
enum LineOut<'a> {
    Intent {
        reference: &'a Reference,
        fingerprint: &'a str,
        at: DateTime<Utc>,
    },
    Outcome {
        reference: &'a Reference,
        #[serde(flatten)]
        record: &'a JournalRecord,
        at: DateTime<Utc>,
    },
}

/// Takes the journal's exclusive lock, or says who cannot have it.
fn lock_exclusively(path: &Path, file: &File) -> Result<(), Error> {
    match file.try_lock() {
        Ok(()) => Ok(()),
        Err(TryLockError::WouldBlock) => Err(Error::journal(format!(
            "{}: in use by another run (locked); two runs of one batch at once could pay twice, \
             so wait for it to finish",
            path.display()
        ))),
        Err(TryLockError::Error(e)) if e.kind() == ErrorKind::Unsupported => {
            tracing::warn!(
                path = %path.display(),
                "journal: the file system cannot lock files; make sure one run at a time uses it"
            );
            Ok(())
        }
        Err(TryLockError::Error(e)) => Err(Error::journal_with_source(
            format!("{}: cannot lock", path.display()),
            e,
        )),
    }
}

fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

impl FileJournal {
    /// Opens (or creates) the journal at `path`, reads what earlier runs recorded, and drops a
    /// torn last line (see [`FileJournal`]).
    pub fn open(path: impl AsRef<Path>) -> Result<FileJournal, Error> {
        let path = path.as_ref().to_path_buf();
        let io = |what: &str, e: std::io::Error| {
            Error::journal_with_source(format!("{}: {what}", path.display()), e)
        };
        let existed = path.exists();
        let mut file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)
            .map_err(|e| io("cannot open", e))?;
        if !existed {
            sync_parent_dir(&path).map_err(|e| io("cannot sync the new file's directory", e))?;
        }
        lock_exclusively(&path, &file)?;
        let scan = scan(&path, &mut file)?;
        if let Some(torn) = &scan.torn {
            tracing::warn!(
                path = %path.display(),
                line = torn.line,
                bytes = torn.bytes,
                "journal: dropping a torn last line left by a crash"
            );
            file.set_len(torn.offset)
                .map_err(|e| io("cannot truncate the torn last line", e))?;
            file.sync_all()
                .map_err(|e| io("cannot sync after truncating", e))?;
        }
        let sync_handle = file.try_clone().map_err(|e| io("cannot clone handle", e))?;
        Ok(FileJournal {
            path,
            writer: Mutex::new(file),
            written: AtomicU64::new(0),
            sync: Mutex::new(SyncState {
                file: sync_handle,
                synced: 0,
            }),
            preloaded: Mutex::new(Some(scan.state)),
            torn: scan.torn,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The half-written last line dropped at open, if there was one.
    pub fn torn_tail(&self) -> Option<&TornLine> {
        self.torn.as_ref()
    }

    /// Appends one line and returns once it (and any line before it) is on disk.
    fn append(&self, line: &LineOut<'_>) -> Result<(), Error> {
        let mut bytes = serde_json::to_vec(line)
            .map_err(|e| Error::journal_with_source("cannot encode an event", e))?;
        bytes.push(b'\n');
        let seq = {
            let mut file = lock(&self.writer);
            file.write_all(&bytes).map_err(|e| {
                Error::journal_with_source(format!("{}: cannot write", self.path.display()), e)
            })?;
            self.written.fetch_add(1, Ordering::SeqCst) + 1
        };
        let mut sync = lock(&self.sync);
        if sync.synced >= seq {
            return Ok(());
        }
        // Every line numbered up to `target` is already written: one fsync covers them all.
        let target = self.written.load(Ordering::SeqCst);
        sync.file.sync_data().map_err(|e| {
            Error::journal_with_source(format!("{}: cannot sync", self.path.display()), e)
        })?;
        sync.synced = target;
        Ok(())
    }
}

/// Makes a new file's directory entry durable, so a crash cannot lose the file itself.
#[cfg(unix)]
fn sync_parent_dir(path: &Path) -> std::io::Result<()> {
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    File::open(parent)?.sync_all()
}

/// Directories cannot be opened for syncing here; the file's own syncs are what is available.
#[cfg(not(unix))]
fn sync_parent_dir(_path: &Path) -> std::io::Result<()> {
    Ok(())
}

struct Scan {
    state: JournalState,
    torn: Option<TornLine>,
}

/// Reads every line from the start; the file position is left at the end.
fn scan(path: &Path, file: &mut File) -> Result<Scan, Error> {
    let io = |what: &str, e: std::io::Error| {
        Error::journal_with_source(format!("{}: {what}", path.display()), e)
    };
    file.seek(SeekFrom::Start(0))
        .map_err(|e| io("cannot seek", e))?;
    let mut reader = BufReader::new(&*file);
    let mut state = JournalState::new();
    let mut line = Vec::new();
    let mut offset = 0u64;
    let mut number = 0u64;
    loop {
        line.clear();
        let read = reader
            .read_until(b'\n', &mut line)
            .map_err(|e| io("cannot read", e))?;
        if read == 0 {
            return Ok(Scan { state, torn: None });
        }
        number += 1;
        if line.last() != Some(&b'\n') {
            // The last bytes of the file and no newline: a write cut short by a crash.
            return Ok(Scan {
                state,
                torn: Some(TornLine {
                    line: number,
                    offset,
                    bytes: read as u64,
                }),
            });
        }
        offset += read as u64;
        let text = &line[..line.len() - 1];
        if text.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match serde_json::from_slice::<LineIn>(text) {
            Ok(LineIn::Intent {
                reference,
                fingerprint,
            }) => state.apply_intent(&reference, &fingerprint),
            Ok(LineIn::Outcome { reference, record }) => state.apply_outcome(&reference, record),
            Err(e) => {
                return Err(Error::journal_with_source(
                    format!(
                        "{}: line {number} is not a journal event (the file is corrupt)",
                        path.display()
                    ),
                    e,
                ));
            }
        }
    }
}

impl Journal for FileJournal {
    fn load(&self) -> Result<JournalState, Error> {
        if let Some(state) = lock(&self.preloaded).take() {
            return Ok(state);
        }
        // Hold the writer so no line is half-appended while reading.
        let mut file = lock(&self.writer);
        let state = scan(&self.path, &mut file)?.state;
        Ok(state)
    }

    fn record_intent(&self, reference: &Reference, fingerprint: &str) -> Result<(), Error> {
        self.append(&LineOut::Intent {
            reference,
            fingerprint,
            at: Utc::now(),
        })
    }

    fn record_outcome(&self, reference: &Reference, record: &JournalRecord) -> Result<(), Error> {
        self.append(&LineOut::Outcome {
            reference,
            record,
            at: Utc::now(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::batch::journal::RecordedOutcome;

    fn r(text: &str) -> Reference {
        Reference::new(text).expect("reference")
    }

    #[test]
    fn events_survive_reopening_and_a_second_load_rereads_the_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j.jsonl");
        let journal = FileJournal::open(&path).expect("open");
        assert!(journal.load().expect("load").is_empty());
        journal.record_intent(&r("a"), "fp-a").expect("intent");
        journal.record_intent(&r("b"), "fp-b").expect("intent");
        journal
            .record_outcome(&r("a"), &JournalRecord::new(RecordedOutcome::Sent))
            .expect("outcome");

        let again = journal.load().expect("second load reads the file");
        assert!(format!("{journal:?}").contains("j.jsonl"));
        drop(journal);
        let reopened = FileJournal::open(&path)
            .expect("reopen once closed")
            .load()
            .expect("load");
        assert_eq!(again, reopened);
        assert_eq!(
            again.record(&r("a")).map(|x| x.outcome),
            Some(RecordedOutcome::Sent)
        );
        assert!(again.is_in_flight(&r("b")));
        assert_eq!(again.len(), 2);
    }

    #[test]
    fn lines_are_json_with_the_event_kind_first() {
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("j.jsonl");
        let journal = FileJournal::open(&path).expect("open");
        journal.record_intent(&r("a"), "fp-a").expect("intent");
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(
            text.starts_with(r#"{"event":"intent","reference":"a","fingerprint":"fp-a","at":""#),
            "{text}"
        );
        assert!(text.ends_with("\n"));
    }
}
