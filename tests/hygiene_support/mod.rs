//! The hygiene suite's tools: a tracing capture into a shared buffer, a collector of rendered
//! values (`Debug`, `{:#?}`, `Display`, error source chains), and a scanner that names each
//! needle found and the output line it was found in.
#![allow(dead_code)]

use std::fmt;
use std::io::{self, Write};
use std::sync::{Arc, Mutex, OnceLock};

use disburse::{Error, Msisdn};
use tracing_subscriber::fmt::MakeWriter;

/// A buffer every tracing event is written to.
#[derive(Clone, Default)]
pub struct Capture {
    buffer: Arc<Mutex<Vec<u8>>>,
}

/// One writer handed out by [`Capture`]; appends to the shared buffer.
pub struct CaptureWriter {
    buffer: Arc<Mutex<Vec<u8>>>,
}

impl Write for CaptureWriter {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.buffer
            .lock()
            .map_err(|_| io::Error::other("capture buffer poisoned"))?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> MakeWriter<'a> for Capture {
    type Writer = CaptureWriter;

    fn make_writer(&'a self) -> Self::Writer {
        CaptureWriter {
            buffer: Arc::clone(&self.buffer),
        }
    }
}

impl Capture {
    /// Everything captured so far, as text.
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.buffer.lock().expect("capture lock")).into_owned()
    }

    /// A subscriber writing every event and span field at TRACE into this capture, without
    /// colours.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync + 'static {
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_target(true)
            .with_writer(self.clone())
            .finish()
    }
}

/// The process-wide capture, installed once as the global default subscriber (with the `log`
/// bridge, so reqwest's and hyper's `log` records land here too).
///
/// Global, not per-thread: the sandbox server, the webhook receiver and the clients run on tokio
/// worker threads a thread-local default would not see.
pub fn global_capture() -> &'static Capture {
    static CAPTURE: OnceLock<Capture> = OnceLock::new();
    CAPTURE.get_or_init(|| {
        let capture = Capture::default();
        tracing_subscriber::fmt()
            .with_max_level(tracing::Level::TRACE)
            .with_ansi(false)
            .with_target(true)
            .with_writer(capture.clone())
            .try_init()
            .expect("the hygiene test installs the only global subscriber");
        capture
    })
}

/// A value that must never be shown, with a label saying what it is.
#[derive(Debug, Clone)]
pub struct Needle {
    pub label: String,
    pub text: String,
}

/// Everything that must never appear.
#[derive(Debug, Default, Clone)]
pub struct Needles(Vec<Needle>);

impl Needles {
    /// Adds one needle (ignored when empty, which would match everything).
    pub fn add(&mut self, label: impl Into<String>, text: impl Into<String>) {
        let text = text.into();
        if !text.is_empty() {
            self.0.push(Needle {
                label: label.into(),
                text,
            });
        }
    }

    /// Adds every full form of a phone number: E.164 with `+`, digits only, national with the
    /// trunk `0`, and the bare national number (which every other form contains).
    pub fn add_phone(&mut self, number: &Msisdn) {
        let e164 = number.e164();
        self.add(format!("phone {e164} (E.164)"), e164.clone());
        self.add(format!("phone {e164} (digits)"), number.digits());
        self.add(
            format!("phone {e164} (national 0…)"),
            format!("0{}", number.national_number()),
        );
        self.add(
            format!("phone {e164} (national number)"),
            number.national_number(),
        );
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }
}

/// One needle found in one line of one output.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    pub needle: String,
    pub output: String,
    pub line_number: usize,
    pub line: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} found in {} line {}: {}",
            self.needle, self.output, self.line_number, self.line
        )
    }
}

/// Every rendered value of a run, by label.
#[derive(Default)]
pub struct Outputs {
    entries: Vec<(String, String)>,
}

impl Outputs {
    /// Records a text under a label.
    pub fn text(&mut self, label: impl Into<String>, text: impl Into<String>) {
        self.entries.push((label.into(), text.into()));
    }

    /// Records `{:?}` and `{:#?}`.
    pub fn debug(&mut self, label: &str, value: &impl fmt::Debug) {
        self.text(format!("{label} {{:?}}"), format!("{value:?}"));
        self.text(format!("{label} {{:#?}}"), format!("{value:#?}"));
    }

    /// Records `Display`.
    pub fn display(&mut self, label: &str, value: &impl fmt::Display) {
        self.text(format!("{label} {{}}"), value.to_string());
    }

    /// Records an error's `{:?}`, `{:#?}`, `Display`, and the `Display` and `Debug` of every
    /// source in its chain.
    pub fn error(&mut self, label: &str, error: &Error) {
        self.debug(label, error);
        self.display(label, error);
        let mut source = std::error::Error::source(error);
        let mut depth = 1;
        while let Some(cause) = source {
            self.text(format!("{label} source#{depth} {{}}"), cause.to_string());
            self.text(
                format!("{label} source#{depth} {{:?}}"),
                format!("{cause:?}"),
            );
            source = cause.source();
            depth += 1;
        }
    }

    /// Records a result: the value's Debug or the error's renderings.
    pub fn result<T: fmt::Debug>(&mut self, label: &str, result: &Result<T, Error>) {
        match result {
            Ok(value) => self.debug(label, value),
            Err(error) => self.error(label, error),
        }
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Whether any output contains `text`.
    pub fn contains(&self, text: &str) -> bool {
        self.entries.iter().any(|(_, t)| t.contains(text))
    }

    /// Every needle in every line of every output.
    pub fn scan(&self, needles: &Needles) -> Vec<Finding> {
        self.entries
            .iter()
            .flat_map(|(label, text)| scan(needles, label, text))
            .collect()
    }
}

/// Every needle in every line of one output.
pub fn scan(needles: &Needles, output: &str, text: &str) -> Vec<Finding> {
    let mut found = Vec::new();
    for (index, line) in text.lines().enumerate() {
        for needle in &needles.0 {
            if line.contains(&needle.text) {
                found.push(Finding {
                    needle: format!("{} ({:?})", needle.label, needle.text),
                    output: output.to_owned(),
                    line_number: index + 1,
                    line: line.to_owned(),
                });
            }
        }
    }
    found
}

/// The failure message for `findings`, one per line; `None` when there are none.
pub fn report(findings: &[Finding]) -> Option<String> {
    if findings.is_empty() {
        return None;
    }
    let lines: Vec<String> = findings.iter().map(Finding::to_string).collect();
    Some(format!(
        "{} secret or personal value(s) found in output:\n{}",
        findings.len(),
        lines.join("\n")
    ))
}

/// Fails the test listing every finding, one per line.
pub fn assert_clean(findings: &[Finding]) {
    if let Some(message) = report(findings) {
        panic!("{message}");
    }
}
