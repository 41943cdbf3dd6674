//! The `disburse-sandbox` binary as a separate process, for the tests that drive it: started on
//! the arguments given, its printed `export NAME=value` lines read up to `# ready` (every line
//! checked to be one a shell can source), and SIGKILLed when dropped.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

/// The crate's sandbox binary.
pub const BIN: &str = env!("CARGO_BIN_EXE_disburse-sandbox");

/// A running `disburse-sandbox` and the variables it printed; killed when dropped.
pub struct Running {
    pub child: Child,
    /// Every `export NAME=value` it printed, unquoted.
    pub env: BTreeMap<String, String>,
    /// Every line it printed up to and including `# ready`.
    pub lines: Vec<String>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    /// The printed variable `name`; panics, with what was printed, when it was not.
    pub fn var(&self, name: &str) -> &str {
        self.env
            .get(name)
            .unwrap_or_else(|| panic!("{name} not printed: {:?}", self.lines))
    }

    /// The URL of the control endpoint `path` (`/ledger`, `/faults`, …).
    pub fn control(&self, path: &str) -> String {
        format!("{}{path}", self.var("DISBURSE_SANDBOX_CONTROL_URL"))
    }
}

/// Starts the binary with `args` and reads its standard output up to `# ready` (blocking: it
/// waits for the condition, the sandbox saying every port serves, however long the build
/// machine takes).
pub fn start(args: &[&str]) -> Running {
    let mut child = Command::new(BIN)
        .args(args)
        .env_remove("DISBURSE_SANDBOX_PORT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start disburse-sandbox");
    let stdout = child.stdout.take().expect("stdout");
    let mut running = Running {
        child,
        env: BTreeMap::new(),
        lines: Vec::new(),
    };
    for line in BufReader::new(stdout).lines() {
        let line = line.expect("read a line");
        running.lines.push(line.clone());
        if line.starts_with("# ready") {
            return running;
        }
        if let Some(rest) = line.strip_prefix("export ") {
            let (name, value) = rest.split_once('=').expect("NAME=value");
            // A single-quoted word (no `'` inside: none of the printed values has one).
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .unwrap_or(value);
            running.env.insert(name.to_owned(), value.to_owned());
        } else {
            assert!(
                line.is_empty() || line.starts_with('#'),
                "a line a shell cannot source: {line:?}"
            );
        }
    }
    panic!(
        "disburse-sandbox ended before `# ready`: {:?}",
        running.lines
    );
}
