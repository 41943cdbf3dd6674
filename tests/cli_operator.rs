//! An operator session, end to end, with real processes and real signals: a 1,000-row payroll
//! CSV across Vesicash, JPay and Payonify (with recipients scripted to fail) runs against a
//! `disburse-sandbox` process, is interrupted with SIGINT, resumed, and finished with `--wait`.
//! The results file lists every row in input order with a final status that matches the
//! sandbox's ledger, and the exit code says failures occurred.
//!
//! The CLI reaches the sandbox the way an operator's shell does: through the variables the
//! sandbox prints (`export NAME=value` lines). The ledger is read from the sandbox's control
//! endpoint (`$DISBURSE_SANDBOX_CONTROL_URL/ledger`).
#![cfg(all(feature = "cli", feature = "sandbox"))]

use std::collections::HashMap;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use disburse::sandbox::{JPAY_CREDENTIALS, PAYONIFY_CREDENTIALS, VESICASH_CREDENTIALS};

const CLI: &str = env!("CARGO_BIN_EXE_disburse");
const SANDBOX: &str = env!("CARGO_BIN_EXE_disburse-sandbox");

/// The sandbox under test and how to reach it.
struct Target {
    env: HashMap<String, String>,
    process: Option<Child>,
}

/// One payout as the sandbox's ledger holds it.
#[derive(Debug)]
struct Paid {
    status: String,
}

impl Target {
    /// Starts `disburse-sandbox` on free ports and reads the variables it prints.
    async fn start() -> Target {
        let mut child = Command::new(SANDBOX)
            .args(["--port", "0", "--settle-ms", "50"])
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start disburse-sandbox");
        let stdout = child.stdout.take().expect("its stdout");
        let env = tokio::task::spawn_blocking(move || read_environment(stdout))
            .await
            .unwrap();
        assert!(
            env.contains_key("DISBURSE_SANDBOX_CONTROL_URL"),
            "disburse-sandbox prints its control URL: {env:?}"
        );
        Target {
            env,
            process: Some(child),
        }
    }

    /// The payouts the sandbox holds, by (provider, payout id).
    async fn ledger(&self) -> HashMap<(String, String), Vec<Paid>> {
        let mut ledger: HashMap<(String, String), Vec<Paid>> = HashMap::new();
        let url = format!("{}/ledger", self.env["DISBURSE_SANDBOX_CONTROL_URL"]);
        let body: serde_json::Value = reqwest::get(&url)
            .await
            .expect("GET the ledger")
            .json()
            .await
            .expect("the ledger as JSON");
        for entry in body["entries"].as_array().expect("entries") {
            if entry["kind"].as_str().is_some_and(|k| k != "payout") {
                continue;
            }
            ledger
                .entry((
                    entry["provider"].as_str().unwrap_or_default().to_owned(),
                    entry["id"].as_str().unwrap_or_default().to_owned(),
                ))
                .or_default()
                .push(Paid {
                    status: entry["status"].as_str().unwrap_or_default().to_owned(),
                });
        }
        ledger
    }

    async fn stop(mut self) {
        if let Some(mut child) = self.process.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// Reads `export NAME=value` (or `NAME=value`) lines until the sandbox says it is ready; an
/// older sandbox's `Vesicash  URL`-style lines give the base URLs. Credentials it does not
/// print come from the crate's constants.
fn read_environment(stdout: std::process::ChildStdout) -> HashMap<String, String> {
    let mut env = HashMap::new();
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line.expect("a line from disburse-sandbox");
        let trimmed = line.trim();
        let assignment = trimmed.strip_prefix("export ").unwrap_or(trimmed);
        if let Some((name, value)) = assignment.split_once('=')
            && !name.is_empty()
            && name
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_')
        {
            let value = value.trim();
            let value = value
                .strip_prefix('\'')
                .and_then(|v| v.strip_suffix('\''))
                .or_else(|| value.strip_prefix('"').and_then(|v| v.strip_suffix('"')))
                .unwrap_or(value);
            env.insert(name.to_owned(), value.to_owned());
        } else if let Some((label, url)) = trimmed.split_once(char::is_whitespace) {
            let name = match label {
                "Vesicash" => "VESICASH_BASE_URL",
                "JPay" => "JPAY_BASE_URL",
                "Payonify" => "PAYONIFY_BASE_URL",
                _ => "",
            };
            let url = url.trim();
            if !name.is_empty() && url.starts_with("http") {
                env.insert(name.to_owned(), url.to_owned());
            }
        }
        let lower = trimmed.to_ascii_lowercase();
        if lower.contains("ready") || lower.contains("ctrl-c stops") {
            break;
        }
    }
    // Keep draining the pipe so the sandbox never blocks on a full one.
    std::thread::spawn(move || for _ in lines {});
    with_credentials(env)
}

/// Fills in the credentials a sandbox did not print.
fn with_credentials(mut env: HashMap<String, String>) -> HashMap<String, String> {
    let (v, j, p) = (VESICASH_CREDENTIALS, JPAY_CREDENTIALS, PAYONIFY_CREDENTIALS);
    let defaults = [
        ("VESICASH_SECRET_KEY", v.secret_key.to_owned()),
        ("VESICASH_PUBLIC_KEY", v.public_key.to_owned()),
        ("VESICASH_WEBHOOK_SECRET", v.webhook_secret.to_owned()),
        ("JPAY_APP_KEY", j.app_key.to_owned()),
        ("JPAY_APP_SECRET", j.app_secret.to_owned()),
        ("JPAY_APP_CODE", j.app_code.to_string()),
        ("JPAY_CALLBACK_SECRET", "operator-session".to_owned()),
        ("PAYONIFY_PUBLISHABLE_KEY", p.publishable_key.to_owned()),
        ("PAYONIFY_SECRET_KEY", p.secret_key.to_owned()),
        ("PAYONIFY_WEBHOOK_SECRET", p.webhook_secret.to_owned()),
    ];
    for (name, value) in defaults {
        env.entry(name.to_owned()).or_insert(value);
    }
    env
}

/// One CSV row: provider, reference, and whether it is scripted to fail.
struct Planned {
    provider: &'static str,
    reference: String,
    fails: bool,
}

/// 1,000 rows, the providers interleaved; every 25th recipient of each provider ends in a
/// scripted failure (0001, 0002, 0003 or 0005; never 0004, which stays pending forever).
fn write_payroll(path: &Path) -> Vec<Planned> {
    let mut text = String::from("provider,reference,amount,currency,msisdn,narration\n");
    let mut planned = Vec::new();
    for i in 0..1_000usize {
        let fails = i % 25 == 7;
        let suffix = if fails {
            ["0001", "0002", "0003", "0005"][(i / 25) % 4].to_owned()
        } else {
            format!("{:04}", 1_000 + i % 8_000)
        };
        let n = 100 + i % 800;
        let (provider, amount, currency, msisdn) = match i % 3 {
            0 => (
                "vesicash",
                format!("{}.00", 10 + i % 90),
                "ZMW",
                format!("+26097{n:03}{suffix}"),
            ),
            1 => (
                "jpay",
                format!("{}.00", 100 + i % 400),
                "KES",
                format!("+25471{n:03}{suffix}"),
            ),
            _ => (
                "payonify",
                format!("{}.{:02}", 1 + i % 9, i % 100),
                "USD",
                format!("+26377{n:03}{suffix}"),
            ),
        };
        let reference = format!("pay-{i:04}");
        text.push_str(&format!(
            "{provider},{reference},{amount},{currency},{msisdn},salary {i}\n"
        ));
        planned.push(Planned {
            provider,
            reference,
            fails,
        });
    }
    std::fs::write(path, text).expect("write the payroll");
    planned
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-operator-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the work dir");
    dir
}

struct ResultRow {
    line: String,
    reference: String,
    outcome: String,
    payout_id: String,
    status: String,
    detail: String,
    provider: String,
}

fn read_results(path: &Path) -> Vec<ResultRow> {
    let mut reader = csv::Reader::from_path(path).expect("the results file");
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "line",
            "reference",
            "outcome",
            "payout_id",
            "status",
            "detail",
            "provider"
        ]
    );
    reader
        .records()
        .map(|r| {
            let r = r.expect("a results row");
            ResultRow {
                line: r[0].to_owned(),
                reference: r[1].to_owned(),
                outcome: r[2].to_owned(),
                payout_id: r[3].to_owned(),
                status: r[4].to_owned(),
                detail: r[5].to_owned(),
                provider: r[6].to_owned(),
            }
        })
        .collect()
}

fn text(output: &Output) -> String {
    format!(
        "stdout:\n{}\nstderr:\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_runs_a_payroll_across_three_providers_interrupts_resumes_and_settles_it() {
    let target = Target::start().await;
    let dir = workdir("payroll");
    let csv = dir.join("payroll.csv");
    let planned = write_payroll(&csv);
    let store = format!("sqlite://{}", dir.join("payouts.db").display());
    let results_path = dir.join("payroll.csv.results.csv");
    let command = |extra: &[&str]| {
        let mut command = Command::new(CLI);
        command
            .args(["batch", csv.to_str().unwrap(), "--store", &store, "--quiet"])
            .args(["--concurrency", "4", "--rate", "40"])
            .args(extra)
            .envs(&target.env)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };

    // First run: interrupted with SIGINT once about a fifth of the payroll is at the providers.
    let first = command(&[]).spawn().expect("start the batch");
    let deadline = Instant::now() + Duration::from_secs(300);
    loop {
        let paid: usize = target.ledger().await.values().map(Vec::len).sum();
        if paid >= 200 {
            break;
        }
        assert!(Instant::now() < deadline, "the batch made no progress");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let status = Command::new("kill")
        .args(["-INT", &first.id().to_string()])
        .status()
        .expect("kill -INT");
    assert!(status.success());
    let first = tokio::task::spawn_blocking(move || first.wait_with_output())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.status.code(), Some(130), "{}", text(&first));
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(
        stderr.contains("disburse: interrupted: no new rows; the requests already sent finish"),
        "{stderr}"
    );
    assert!(
        String::from_utf8_lossy(&first.stdout)
            .contains("interrupted: run the same command again to resume"),
        "{}",
        text(&first)
    );
    // Every row is in the results, in input order; what was in flight finished (nothing is
    // unknown), and the rest is marked not started.
    let interrupted = read_results(&results_path);
    assert_eq!(interrupted.len(), 1_000);
    for (i, row) in interrupted.iter().enumerate() {
        assert_eq!(row.line, (i + 2).to_string());
        assert_eq!(row.reference, planned[i].reference);
    }
    let count =
        |rows: &[ResultRow], outcome: &str| rows.iter().filter(|r| r.outcome == outcome).count();
    assert_eq!(
        count(&interrupted, "unknown"),
        0,
        "in-flight requests finished"
    );
    assert!(
        count(&interrupted, "not_started") > 0,
        "interrupted before the end"
    );
    assert_eq!(
        count(&interrupted, "sent") + count(&interrupted, "not_started"),
        1_000,
        "{}",
        text(&first)
    );
    let sent_first = count(&interrupted, "sent");

    // Resumed and finished with --wait: exit 1, some payouts failed.
    let second = tokio::task::spawn_blocking({
        let mut command = command(&["--wait", "300"]);
        move || command.output()
    })
    .await
    .unwrap()
    .unwrap();
    assert_eq!(second.status.code(), Some(1), "{}", text(&second));

    let results = read_results(&results_path);
    assert_eq!(results.len(), 1_000);
    assert_eq!(
        count(&results, "already_done"),
        sent_first,
        "{}",
        text(&second)
    );
    assert_eq!(count(&results, "sent"), 1_000 - sent_first);
    let ledger = target.ledger().await;
    for (i, row) in results.iter().enumerate() {
        let plan = &planned[i];
        assert_eq!(row.line, (i + 2).to_string(), "input order");
        assert_eq!(row.reference, plan.reference, "input order");
        assert_eq!(row.provider, plan.provider);
        let expected = if plan.fails { "failed" } else { "succeeded" };
        assert_eq!(row.status, expected, "{}: {}", row.reference, row.detail);
        if plan.fails {
            assert!(
                !row.detail.is_empty(),
                "{} has its failure reason",
                row.reference
            );
        }
        let paid = ledger
            .get(&(plan.provider.to_owned(), row.payout_id.clone()))
            .unwrap_or_else(|| panic!("{} {} not in the ledger", plan.provider, row.payout_id));
        assert_eq!(paid.len(), 1, "{} is one payout", row.payout_id);
        assert_eq!(
            paid[0].status, row.status,
            "{} as the ledger says",
            plan.reference
        );
    }
    // One payout per row, no more: as many ledger entries per provider as rows, each the
    // payout of a distinct row.
    for provider in ["vesicash", "jpay", "payonify"] {
        let rows = planned.iter().filter(|p| p.provider == provider).count();
        let in_ledger: usize = ledger
            .iter()
            .filter(|((p, _), _)| p == provider)
            .map(|(_, paid)| paid.len())
            .sum();
        assert_eq!(in_ledger, rows, "{provider}: one payout per row");
    }
    let ids: std::collections::HashSet<(&str, &str)> = results
        .iter()
        .map(|r| (r.provider.as_str(), r.payout_id.as_str()))
        .collect();
    assert_eq!(ids.len(), 1_000, "a distinct payout per row");
    let stdout = String::from_utf8_lossy(&second.stdout);
    let failures = planned.iter().filter(|p| p.fails).count();
    assert!(
        stdout.contains(&format!(
            "payouts: succeeded {}, failed {failures}, not final 0",
            1_000 - failures
        )),
        "{stdout}"
    );
    target.stop().await;
}
