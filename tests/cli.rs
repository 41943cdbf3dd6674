//! The `disburse` command line, run as a separate process: a 10,000-row CSV batch against the
//! embedded sandbox (malformed rows reported by line, the batch goes on), resume from the
//! store, a `kill -9` halfway through a batch against a sandbox the test owns (every payout
//! exactly once in its ledger), and single payouts.
#![cfg(feature = "cli")]

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use disburse::ProviderId;
use disburse::sandbox::{Fault, PAYONIFY_CREDENTIALS, Route, Sandbox};

const BIN: &str = env!("CARGO_BIN_EXE_disburse");

/// A fresh directory under the target dir for one test's files.
fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cli-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the work dir");
    dir
}

/// A Zimbabwe EcoCash number that never ends in a scripted suffix (…0001 to …0005).
fn msisdn(i: usize) -> String {
    format!("+26377{:06}9", i)
}

/// Writes `rows` valid Payonify rows, with the given lines (1-based, the header is line 1)
/// replaced by malformed ones. Returns the references of the valid rows.
fn write_csv(path: &Path, rows: usize, malformed: &HashMap<u64, String>) -> Vec<String> {
    let mut text = String::from("reference,amount,currency,msisdn,narration\n");
    let mut valid = Vec::new();
    for i in 0..rows {
        let line = i as u64 + 2;
        if let Some(bad) = malformed.get(&line) {
            text.push_str(bad);
        } else {
            let reference = format!("row-{i:05}");
            text.push_str(&format!(
                "{reference},{}.{:02},USD,{},salary {i}",
                1 + i % 50,
                i % 100,
                msisdn(i)
            ));
            valid.push(reference);
        }
        text.push('\n');
    }
    std::fs::write(path, text).expect("write the CSV");
    valid
}

struct ResultRow {
    line: String,
    reference: String,
    outcome: String,
    payout_id: String,
    detail: String,
}

fn read_results(path: &Path) -> Vec<ResultRow> {
    let text = std::fs::read_to_string(path).expect("results file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("line,reference,outcome,payout_id,status,detail")
    );
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .from_path(path)
        .expect("results CSV");
    reader
        .records()
        .map(|r| {
            let r = r.expect("a results row");
            ResultRow {
                line: r[0].to_owned(),
                reference: r[1].to_owned(),
                outcome: r[2].to_owned(),
                payout_id: r[3].to_owned(),
                detail: r[5].to_owned(),
            }
        })
        .collect()
}

/// The payout store of a test: an SQLite file in its work dir (never the user's default).
fn store_url(dir: &Path) -> String {
    format!("sqlite://{}", dir.join("payouts.db").display())
}

fn run(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .output()
        .expect("run the disburse binary")
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn a_10000_row_batch_against_the_sandbox_writes_a_correct_results_file() {
    let dir = workdir("batch-10k");
    let store = store_url(&dir);
    let csv = dir.join("payouts.csv");
    let malformed: HashMap<u64, String> = [
        (
            17,
            "row-bad-amount,12.345,USD,+263771234569,too precise".to_owned(),
        ),
        (
            4_242,
            "row-bad-phone,5.00,USD,+26377,short number".to_owned(),
        ),
        (
            7_001,
            "row-bad-currency,5.00,XYZ,+263771234569,no such currency".to_owned(),
        ),
        (9_999, ",5.00,USD,+263771234569,no reference".to_owned()),
    ]
    .into_iter()
    .collect();
    let valid = write_csv(&csv, 10_000, &malformed);
    assert_eq!(valid.len(), 9_996);

    let output = run(&[
        "batch",
        csv.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--provider",
        "payonify",
        "--sandbox",
        "--concurrency",
        "32",
        "--quiet",
    ]);
    let (out, err) = (stdout(&output), stderr(&output));
    // Malformed rows need a person: exit 1, but every other row was sent.
    assert_eq!(
        output.status.code(),
        Some(1),
        "stdout: {out}\nstderr: {err}"
    );
    assert!(
        out.contains(
            "10000 rows: sent 9996, already done 0, reconciled 0, failed 0, unknown 0, invalid 4"
        ),
        "{out}"
    );
    assert!(
        out.contains(
            "sandbox ledger: 9996 payouts, 9996 references, at most 1 payout per reference"
        ),
        "{out}"
    );
    for line in [17, 4_242, 7_001, 9_999] {
        assert!(
            err.contains(&format!("line {line}: ")),
            "line {line} not reported: {err}"
        );
    }

    let results = read_results(&dir.join("payouts.csv.results.csv"));
    assert_eq!(results.len(), 10_000);
    let invalid: HashMap<&str, &ResultRow> = results
        .iter()
        .filter(|r| r.outcome == "invalid")
        .map(|r| (r.line.as_str(), r))
        .collect();
    assert_eq!(invalid.len(), 4);
    assert!(
        invalid["17"].detail.contains("amount"),
        "{}",
        invalid["17"].detail
    );
    assert!(
        invalid["4242"].detail.contains("msisdn"),
        "{}",
        invalid["4242"].detail
    );
    assert!(
        invalid["7001"].detail.contains("currency"),
        "{}",
        invalid["7001"].detail
    );
    assert!(
        invalid["9999"].detail.contains("reference"),
        "{}",
        invalid["9999"].detail
    );
    assert_eq!(invalid["17"].reference, "row-bad-amount");

    let sent: Vec<&ResultRow> = results.iter().filter(|r| r.outcome == "sent").collect();
    assert_eq!(sent.len(), 9_996);
    let references: HashSet<&str> = sent.iter().map(|r| r.reference.as_str()).collect();
    assert_eq!(references, valid.iter().map(String::as_str).collect());
    let ids: HashSet<&str> = sent.iter().map(|r| r.payout_id.as_str()).collect();
    assert_eq!(ids.len(), 9_996, "one distinct payout id per row");
    assert!(ids.iter().all(|id| id.starts_with("po_")));
    for row in &sent {
        // Each result carries the line its row came from.
        let i: u64 = row.reference["row-".len()..].parse().unwrap();
        assert_eq!(row.line, (i + 2).to_string());
    }

    // The same file again with the same store sends nothing (a fresh sandbox sees 0 payouts).
    let again = run(&[
        "batch",
        csv.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--provider",
        "payonify",
        "--sandbox",
        "--concurrency",
        "32",
        "--quiet",
    ]);
    let out = stdout(&again);
    assert!(
        out.contains(
            "10000 rows: sent 0, already done 9996, reconciled 0, failed 0, unknown 0, invalid 4"
        ),
        "{out}\n{}",
        stderr(&again)
    );
    assert!(out.contains("sandbox ledger: 0 payouts"), "{out}");
}

/// Kills the CLI with SIGKILL in the middle of a batch against a sandbox this test owns (the CLI
/// sees it as the real Payonify, through `PAYONIFY_*` variables), runs it again, and counts the
/// ledger: every payout exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_batch_killed_halfway_resumes_and_pays_everyone_exactly_once() {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .unwrap();
    sandbox.set_balance(
        ProviderId::PAYONIFY,
        disburse::Money::parse("1000000", disburse::Currency::USD).unwrap(),
    );
    // Slow enough that the kill lands while payouts are in flight.
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::Latency(Duration::from_millis(40)),
        u32::MAX,
    );
    let dir = workdir("kill-resume");
    let store = store_url(&dir);
    let csv = dir.join("payouts.csv");
    let valid = write_csv(&csv, 400, &HashMap::new());

    let (file, base_url) = (
        csv.to_str().unwrap().to_owned(),
        sandbox.base_url_payonify(),
    );
    let command = move || {
        let mut command = Command::new(BIN);
        command
            .args([
                "batch",
                file.as_str(),
                "--store",
                store.as_str(),
                "--provider",
                "payonify",
                "--concurrency",
                "8",
                "--quiet",
            ])
            .env(
                "PAYONIFY_PUBLISHABLE_KEY",
                PAYONIFY_CREDENTIALS.publishable_key,
            )
            .env("PAYONIFY_SECRET_KEY", PAYONIFY_CREDENTIALS.secret_key)
            .env(
                "PAYONIFY_WEBHOOK_SECRET",
                PAYONIFY_CREDENTIALS.webhook_secret,
            )
            .env("PAYONIFY_BASE_URL", &base_url)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    };

    let mut first = command().spawn().expect("start the batch");
    // Wait until about a quarter of the payouts are in the ledger, then kill -9.
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sandbox.ledger(ProviderId::PAYONIFY).len() < 100 {
        assert!(
            std::time::Instant::now() < deadline,
            "the batch made no progress"
        );
        assert!(
            first.try_wait().unwrap().is_none(),
            "the batch ended before the kill"
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    first.kill().expect("SIGKILL");
    first.wait().unwrap();
    // Requests the killed process had already sent may still land after this snapshot (the
    // sandbox finishes what it received), so the snapshot is a lower bound of what the first run
    // paid, and the requests in flight at the kill are at most the concurrency.
    let ledger_at_kill = sandbox.ledger(ProviderId::PAYONIFY);
    let paid_before: HashSet<&String> = valid
        .iter()
        .filter(|reference| {
            ledger_at_kill
                .iter()
                .any(|e| e.matches_reference(reference))
        })
        .collect();
    assert_eq!(
        paid_before.len(),
        ledger_at_kill.len(),
        "only the CSV's payouts"
    );
    assert!(
        paid_before.len() < valid.len(),
        "killed halfway, not at the end"
    );
    assert!(dir.join("payouts.db").exists(), "the store file");

    let second = tokio::task::spawn_blocking(move || command().output())
        .await
        .unwrap()
        .unwrap();
    let out = stdout(&second);
    assert_eq!(second.status.code(), Some(0), "{out}\n{}", stderr(&second));

    let ledger = sandbox.ledger(ProviderId::PAYONIFY);
    assert_eq!(ledger.len(), valid.len(), "one payout per row, no more");
    for reference in &valid {
        assert_eq!(
            sandbox
                .payouts_for_reference(ProviderId::PAYONIFY, reference)
                .len(),
            1,
            "{reference}"
        );
    }
    // The re-run skipped what was done, reconciled what was in flight, and sent the rest.
    let results = read_results(&dir.join("payouts.csv.results.csv"));
    assert_eq!(results.len(), valid.len());
    let count = |o: &str| results.iter().filter(|r| r.outcome == o).count();
    assert_eq!(
        count("already_done") + count("reconciled") + count("sent"),
        valid.len()
    );
    assert!(count("already_done") > 0, "{out}");
    // Nothing the first run paid was sent again: each one was skipped or reconciled.
    for row in results
        .iter()
        .filter(|r| paid_before.contains(&r.reference))
    {
        assert!(
            row.outcome == "already_done" || row.outcome == "reconciled",
            "{} was paid before the kill but the re-run says {}",
            row.reference,
            row.outcome
        );
    }
    // The re-run sent the rest, less the (at most 8) requests that were in flight at the kill.
    let unpaid_at_kill = valid.len() - paid_before.len();
    assert!(
        (unpaid_at_kill.saturating_sub(8)..=unpaid_at_kill).contains(&count("sent")),
        "sent {} of the {unpaid_at_kill} unpaid at the kill\n{out}",
        count("sent")
    );
    sandbox.shutdown().await;
}

#[test]
fn one_payout_is_sent_and_awaited() {
    let output = run(&[
        "payout",
        "--provider",
        "jpay",
        "--sandbox",
        "--reference",
        "cli-one-1",
        "--amount",
        "150",
        "--currency",
        "KES",
        "--to",
        "0712345678",
        "--country",
        "KE",
        "--wait",
        "30",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(json["provider"], "jpay");
    assert_eq!(json["reference"], "cli-one-1");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["amount"], "150.00");
    assert_eq!(json["currency"], "KES");
    assert!(
        !out.contains("712345678"),
        "no phone number on stdout: {out}"
    );
}

#[test]
fn an_mtn_momo_payout_is_sent_and_awaited_and_a_scripted_number_fails() {
    let output = run(&[
        "payout",
        "--provider",
        "mtn-momo",
        "--sandbox",
        "--reference",
        "cli-mtn-1",
        "--amount",
        "12.50",
        "--currency",
        "EUR",
        "--to",
        "+46733123999",
        "--narration",
        "Invoice 1001",
        "--wait",
        "30",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(json["provider"], "mtn_momo");
    assert_eq!(json["reference"], "cli-mtn-1");
    assert_eq!(json["status"], "succeeded");
    assert_eq!(json["amount"], "12.50");
    assert_eq!(json["currency"], "EUR");

    // MTN's documented sandbox number for "payee not found".
    let output = run(&[
        "payout",
        "--provider",
        "mtn-momo",
        "--sandbox",
        "--reference",
        "cli-mtn-2",
        "--amount",
        "5",
        "--currency",
        "EUR",
        "--to",
        "+46733123457",
        "--wait",
        "30",
    ]);
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(json["status"], "failed");
}

#[test]
fn bad_input_is_refused_before_anything_is_sent() {
    let output = run(&[
        "payout",
        "--provider",
        "payonify",
        "--sandbox",
        "--reference",
        "cli-bad-1",
        "--amount",
        "0.999",
        "--currency",
        "USD",
        "--to",
        "+263771234569",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("invalid request: `amount`"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn a_file_without_the_required_columns_is_refused_whole() {
    let dir = workdir("bad-header");
    let store = store_url(&dir);
    let csv = dir.join("payouts.csv");
    std::fs::write(&csv, "ref,amount,currency,msisdn\nx,1,USD,+263771234569\n").unwrap();
    let output = run(&[
        "batch",
        csv.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--provider",
        "payonify",
        "--sandbox",
    ]);
    assert_eq!(output.status.code(), Some(2));
    assert!(
        stderr(&output).contains("the header has no `reference` column"),
        "{}",
        stderr(&output)
    );
}

/// A reference repeated in the CSV: the repeat is refused at once while the first occurrence is
/// still at the provider, and each result lands on its own line of the results file.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeated_reference_is_reported_on_the_repeats_line() {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .unwrap();
    sandbox.set_balance(
        ProviderId::PAYONIFY,
        disburse::Money::parse("1000", disburse::Currency::USD).unwrap(),
    );
    // The first occurrence takes a while; the repeat is refused without a request.
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::Latency(Duration::from_millis(200)),
        u32::MAX,
    );
    let dir = workdir("repeated-reference");
    let store = store_url(&dir);
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "reference,amount,currency,msisdn,narration\n\
         dup-1,10.00,USD,+263771234569,first\n\
         dup-1,20.00,USD,+263771234579,second\n\
         other-1,5.00,USD,+263771234589,third\n",
    )
    .unwrap();
    let (file, base_url) = (
        csv.to_str().unwrap().to_owned(),
        sandbox.base_url_payonify(),
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new(BIN)
            .args([
                "batch",
                file.as_str(),
                "--store",
                store.as_str(),
                "--provider",
                "payonify",
                "--concurrency",
                "8",
                "--quiet",
            ])
            .env(
                "PAYONIFY_PUBLISHABLE_KEY",
                PAYONIFY_CREDENTIALS.publishable_key,
            )
            .env("PAYONIFY_SECRET_KEY", PAYONIFY_CREDENTIALS.secret_key)
            .env(
                "PAYONIFY_WEBHOOK_SECRET",
                PAYONIFY_CREDENTIALS.webhook_secret,
            )
            .env("PAYONIFY_BASE_URL", &base_url)
            .output()
    })
    .await
    .unwrap()
    .unwrap();
    let out = stdout(&output);

    let mut results = read_results(&dir.join("payouts.csv.results.csv"));
    results.sort_by(|a, b| a.line.cmp(&b.line));
    let rows: Vec<(&str, &str, &str)> = results
        .iter()
        .map(|r| (r.line.as_str(), r.reference.as_str(), r.outcome.as_str()))
        .collect();
    assert_eq!(
        rows,
        [
            ("2", "dup-1", "sent"),
            ("3", "dup-1", "failed"),
            ("4", "other-1", "sent")
        ],
        "{out}"
    );
    assert!(
        results[1]
            .detail
            .starts_with("invalid request: `reference` dup-1 appears more than once in this batch"),
        "{}",
        results[1].detail
    );
    let paid = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "dup-1");
    assert_eq!(paid.len(), 1);
    assert_eq!(paid[0].id, results[0].payout_id);
    sandbox.shutdown().await;
}
