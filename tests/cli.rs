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
use disburse::sandbox::{Fault, PAYONIFY_CREDENTIALS, Route, Sandbox, VESICASH_CREDENTIALS};

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
    status: String,
    detail: String,
}

fn read_results(path: &Path) -> Vec<ResultRow> {
    let text = std::fs::read_to_string(path).expect("results file");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("line,reference,outcome,payout_id,status,detail,provider")
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
                status: r[4].to_owned(),
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
    // Malformed rows need a person: exit 3 (invalid), but every other row was sent.
    assert_eq!(
        output.status.code(),
        Some(3),
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
    // A payout that failed: exit 1.
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    let json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    assert_eq!(json["status"], "failed");
}

/// M-Pesa Daraja through the CLI's embedded sandbox: its results arrive only by callback, and
/// the CLI's loopback receiver hands them to the same client, so `--wait` reaches the end; a
/// scripted number (last four digits 0001) fails with result code 1; a decimal amount is
/// refused before sending.
#[test]
fn an_mpesa_daraja_payout_is_sent_and_awaited_through_its_callback() {
    let daraja = |reference: &str, amount: &str, to: &str| {
        run(&[
            "payout",
            "--provider",
            "mpesa-daraja",
            "--sandbox",
            "--reference",
            reference,
            "--amount",
            amount,
            "--currency",
            "KES",
            "--to",
            to,
            "--narration",
            "Invoice 1001",
            "--wait",
            "30",
        ])
    };
    let output = daraja("cli-daraja-1", "150", "+254708374149");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(0), "{out}\n{}", stderr(&output));
    let mut json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    // The M-Pesa receipt is the simulator's: ten upper-case letters and digits.
    let receipt = json["provider_reference"].take();
    let receipt = receipt.as_str().expect("a TransactionID");
    assert!(
        receipt.len() == 10
            && receipt
                .chars()
                .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()),
        "{receipt}"
    );
    assert_eq!(
        json,
        serde_json::json!({
            "amount": "150",
            "created_at": null,
            "currency": "KES",
            "detail": null,
            "id": "600997_cli-daraja-1",
            "provider": "mpesa_daraja",
            "provider_reference": null,
            "reference": "cli-daraja-1",
            "status": "succeeded",
        })
    );

    let output = daraja("cli-daraja-2", "150", "+254708370001");
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(1), "{out}\n{}", stderr(&output));
    let mut json: serde_json::Value = serde_json::from_str(out.trim()).expect("one JSON object");
    json["provider_reference"].take();
    assert_eq!(
        json,
        serde_json::json!({
            "amount": null,
            "created_at": null,
            "currency": null,
            "detail": "insufficient_funds: 1: The balance is insufficient for the transaction.",
            "id": "600997_cli-daraja-2",
            "provider": "mpesa_daraja",
            "provider_reference": null,
            "reference": "cli-daraja-2",
            "status": "failed",
        })
    );

    // Refused by the adapter's own check: the CLI's exit code for a refused payout.
    let output = daraja("cli-daraja-3", "150.50", "+254708374149");
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(stdout(&output), "");
    assert_eq!(
        stderr(&output),
        "disburse: invalid request: `amount` M-Pesa B2C pays whole shillings only, got 150.50\n"
    );

    // A reference Daraja does not know: the status query's callback says so (result 2032).
    let output = run(&[
        "status",
        "--provider",
        "mpesa-daraja",
        "--sandbox",
        "--reference",
        "cli-daraja-none",
    ]);
    assert_eq!(output.status.code(), Some(1), "{}", stderr(&output));
    assert_eq!(
        stderr(&output),
        "disburse: no payout under that reference\n"
    );

    // A batch whose provider column names mpesa_daraja beside jpay, followed to the end.
    let dir = workdir("daraja-batch");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "provider,reference,amount,currency,msisdn\n\
         mpesa_daraja,daraja-b-1,150,KES,+254708374149\n\
         jpay,daraja-b-2,150.00,KES,+254712345678\n\
         mpesa_daraja,daraja-b-3,200,KES,+254708370001\n\
         mpesa_daraja,daraja-b-4,10.50,KES,+254708374149\n",
    )
    .unwrap();
    let store = store_url(&dir);
    let output = run(&[
        "batch",
        csv.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--sandbox",
        "--quiet",
        "--wait",
        "60",
    ]);
    // The decimal amount is refused (invalid) before the failure counts: exit 3.
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let rows: Vec<[String; 5]> = read_results(&dir.join("payouts.csv.results.csv"))
        .into_iter()
        .map(|r| [r.line, r.reference, r.outcome, r.payout_id, r.status])
        .collect();
    let row = |cells: [&str; 5]| cells.map(str::to_owned);
    assert_eq!(
        rows[0],
        row(["2", "daraja-b-1", "sent", "600997_daraja-b-1", "succeeded"])
    );
    assert_eq!(rows[1][..3], row(["3", "daraja-b-2", "sent", "", ""])[..3]);
    assert_eq!(rows[1][4], "succeeded");
    assert_eq!(
        rows[2],
        row(["4", "daraja-b-3", "sent", "600997_daraja-b-3", "failed"])
    );
    assert_eq!(
        rows[3][..3],
        row(["5", "daraja-b-4", "invalid", "", ""])[..3]
    );
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

/// Runs `disburse batch FILE` with the embedded sandbox and a store in `dir`.
fn batch_in(dir: &Path, file: &Path) -> Output {
    let store = store_url(dir);
    run(&[
        "batch",
        file.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--provider",
        "payonify",
        "--sandbox",
        "--quiet",
    ])
}

/// A whole-file problem: exit 2, and exactly this message on stderr.
fn assert_refused(output: &Output, message: &str) {
    assert_eq!(output.status.code(), Some(2), "{}", stderr(output));
    assert_eq!(stderr(output), format!("disburse: {message}\n"));
    assert_eq!(stdout(output), "");
}

#[test]
fn an_empty_file_is_refused_with_its_own_message() {
    let dir = workdir("msg-empty");
    let csv = dir.join("empty.csv");
    std::fs::write(&csv, "").unwrap();
    assert_refused(
        &batch_in(&dir, &csv),
        &format!(
            "{} is empty: expected a header row naming the columns \
             (reference,amount,currency,msisdn) and one payout per row",
            csv.display()
        ),
    );
}

#[test]
fn a_file_without_a_header_is_refused_with_its_own_message() {
    let dir = workdir("msg-no-header");
    let csv = dir.join("payouts.csv");
    std::fs::write(&csv, "row-1,10.00,USD,+263771234569\n").unwrap();
    assert_refused(
        &batch_in(&dir, &csv),
        &format!(
            "{}: the first line is not a header (`row-1,10.00,USD,+263771234569`); the first \
             line must name the columns: reference, amount, currency, and msisdn or bank_code, \
             account_number, country",
            csv.display()
        ),
    );
}

#[test]
fn a_file_with_another_delimiter_is_refused_with_its_own_message() {
    let dir = workdir("msg-delimiter");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "reference;amount;currency;msisdn\nrow-1;10.00;USD;+263771234569\n",
    )
    .unwrap();
    assert_refused(
        &batch_in(&dir, &csv),
        &format!(
            "{}: the header is a single column; fields must be separated by commas, and this \
             file seems to use `;`",
            csv.display()
        ),
    );
}

#[test]
fn a_missing_file_is_refused_with_the_os_error() {
    let dir = workdir("msg-missing");
    let csv = dir.join("nowhere.csv");
    assert_refused(
        &batch_in(&dir, &csv),
        &format!(
            "cannot open {}: No such file or directory (os error 2)",
            csv.display()
        ),
    );
}

#[test]
fn an_unknown_currency_is_reported_with_its_value() {
    let dir = workdir("msg-currency");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "reference,amount,currency,msisdn\ncur-1,10.00,XYZ,+263771234569\n",
    )
    .unwrap();
    let output = batch_in(&dir, &csv);
    assert_eq!(output.status.code(), Some(3), "{}", stderr(&output));
    let message = "`currency` \"XYZ\" is not a supported ISO 4217 code";
    assert_eq!(stderr(&output), format!("line 2: {message}\n"));
    let results = read_results(&dir.join("payouts.csv.results.csv"));
    assert_eq!(results.len(), 1);
    assert_eq!(results[0].outcome, "invalid");
    assert_eq!(results[0].detail, message);

    // The same in a single payout.
    let output = run(&[
        "payout",
        "--provider",
        "payonify",
        "--sandbox",
        "--reference",
        "cur-2",
        "--amount",
        "10",
        "--currency",
        "XYZ",
        "--to",
        "+263771234569",
    ]);
    assert_refused(
        &output,
        "invalid request: `currency` \"XYZ\" is not a supported ISO 4217 code",
    );
}

/// A provider that cannot be reached: the message names the provider, the call and the
/// operating system's reason; in a batch the row is `not_sent` (the next run sends it).
#[test]
fn a_connection_failure_says_its_cause() {
    // A port nobody listens on: bound, then released.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let env = [
        (
            "PAYONIFY_PUBLISHABLE_KEY",
            PAYONIFY_CREDENTIALS.publishable_key.to_owned(),
        ),
        (
            "PAYONIFY_SECRET_KEY",
            PAYONIFY_CREDENTIALS.secret_key.to_owned(),
        ),
        (
            "PAYONIFY_WEBHOOK_SECRET",
            PAYONIFY_CREDENTIALS.webhook_secret.to_owned(),
        ),
        ("PAYONIFY_BASE_URL", format!("http://127.0.0.1:{port}")),
    ];
    let message = "payonify: create_payout was not sent: could not connect: Connection refused \
                   (os error 111)";
    let output = Command::new(BIN)
        .args([
            "payout",
            "--provider",
            "payonify",
            "--reference",
            "conn-1",
            "--amount",
            "10",
            "--currency",
            "USD",
            "--to",
            "+263771234569",
        ])
        .envs(env.clone())
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert_eq!(stderr(&output), format!("disburse: {message}\n"));

    let dir = workdir("msg-connection");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "reference,amount,currency,msisdn\nconn-2,10.00,USD,+263771234569\n",
    )
    .unwrap();
    let output = Command::new(BIN)
        .args([
            "batch",
            csv.to_str().unwrap(),
            "--provider",
            "payonify",
            "--store",
            &store_url(&dir),
            "--quiet",
        ])
        .envs(env)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(5), "{}", stderr(&output));
    assert_eq!(stderr(&output), format!("disburse: {message}\n"));
    let results = read_results(&dir.join("payouts.csv.results.csv"));
    assert_eq!(results[0].outcome, "not_sent");
    assert_eq!(results[0].detail, message);
}

/// A row refused before sending is not final: fixed and run again, it is sent. Both kinds: a
/// row the CLI cannot read, and a row the adapter refuses (JPay cannot tell the network of a
/// Kenyan number outside the known ranges).
#[test]
fn an_invalid_row_fixed_and_run_again_is_sent() {
    let dir = workdir("invalid-fixed");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "provider,reference,amount,currency,msisdn\n\
         payonify,fix-1,10.00,XYZ,+263771234569\n\
         jpay,fix-2,150.00,KES,+254744012345\n\
         payonify,fix-3,5.00,USD,+263771234579\n",
    )
    .unwrap();
    let store = store_url(&dir);
    let args = [
        "batch",
        csv.to_str().unwrap(),
        "--store",
        store.as_str(),
        "--sandbox",
        "--quiet",
        "--wait",
        "60",
    ];
    let output = run(&args);
    assert_eq!(output.status.code(), Some(3), "{}", stdout(&output));
    let outcomes = |path: &Path| -> Vec<(String, String)> {
        read_results(path)
            .into_iter()
            .map(|r| (r.reference, r.outcome))
            .collect()
    };
    let results_path = dir.join("payouts.csv.results.csv");
    assert_eq!(
        outcomes(&results_path),
        [
            ("fix-1".to_owned(), "invalid".to_owned()),
            ("fix-2".to_owned(), "invalid".to_owned()),
            ("fix-3".to_owned(), "sent".to_owned()),
        ]
    );

    std::fs::write(
        &csv,
        "provider,reference,amount,currency,msisdn\n\
         payonify,fix-1,10.00,USD,+263771234569\n\
         jpay,fix-2,150.00,KES,+254712345678\n\
         payonify,fix-3,5.00,USD,+263771234579\n",
    )
    .unwrap();
    let output = run(&args);
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        outcomes(&results_path),
        [
            ("fix-1".to_owned(), "sent".to_owned()),
            ("fix-2".to_owned(), "sent".to_owned()),
            ("fix-3".to_owned(), "already_done".to_owned()),
        ]
    );
    assert!(
        read_results(&results_path)
            .iter()
            .all(|r| r.status == "succeeded"),
        "{}",
        stdout(&output)
    );
}

#[test]
fn the_exit_codes_are_in_the_help() {
    for args in [&["--help"][..], &["batch", "--help"][..]] {
        let output = run(args);
        let out = stdout(&output);
        for line in [
            "130  interrupted (SIGINT/SIGTERM): results and store flushed; run again to resume",
            "4  some outcomes unknown (money may have moved): run `disburse reconcile`",
            "3  some rows invalid (nothing sent for them): fix them and run again",
            "1  some payouts failed (refused, or failed after settling)",
            "5  some payouts not final yet (pending, not sent, held by another worker)",
            "0  every payout accepted and none failed (with --wait: every payout paid)",
        ] {
            assert!(out.contains(line), "{args:?}: {line}\n{out}");
        }
    }
}

/// Environment variables pointing the CLI at an in-process sandbox as if it were the real
/// Payonify and Vesicash.
fn sandbox_env(sandbox: &Sandbox) -> Vec<(&'static str, String)> {
    let (p, v) = (PAYONIFY_CREDENTIALS, VESICASH_CREDENTIALS);
    vec![
        ("PAYONIFY_PUBLISHABLE_KEY", p.publishable_key.to_owned()),
        ("PAYONIFY_SECRET_KEY", p.secret_key.to_owned()),
        ("PAYONIFY_WEBHOOK_SECRET", p.webhook_secret.to_owned()),
        ("PAYONIFY_BASE_URL", sandbox.base_url_payonify()),
        ("VESICASH_SECRET_KEY", v.secret_key.to_owned()),
        ("VESICASH_PUBLIC_KEY", v.public_key.to_owned()),
        ("VESICASH_WEBHOOK_SECRET", v.webhook_secret.to_owned()),
        ("VESICASH_BASE_URL", sandbox.base_url_vesicash()),
    ]
}

async fn cli(args: Vec<String>, env: Vec<(&'static str, String)>) -> Output {
    tokio::task::spawn_blocking(move || Command::new(BIN).args(args).envs(env).output())
        .await
        .unwrap()
        .unwrap()
}

/// Answers lost on the way back (the payouts were made): Payonify's is retried safely under
/// its idempotency key by the HTTP layer; Vesicash's (no deduplication) is unknown, so the
/// batch exits 4. A Payonify 500 (nothing recorded) is unknown too. `disburse reconcile` finds
/// no Payonify payout (recorded not sent: the next run sends it) and lists the Vesicash one for
/// an operator (Vesicash cannot look a payout up by reference), with what the operator needs;
/// `status --batch` then refreshes the batch from the providers.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn reconcile_resolves_unknown_outcomes_and_lists_what_needs_an_operator() {
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .unwrap();
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::CommitThenDrop,
        1,
    );
    sandbox.inject(
        ProviderId::VESICASH,
        Route::post("/v1/payment/payout/process"),
        Fault::CommitThenDrop,
        1,
    );
    let dir = workdir("reconcile");
    let csv = dir.join("payouts.csv");
    std::fs::write(
        &csv,
        "provider,reference,amount,currency,msisdn\n\
         payonify,rec-1,10.00,USD,+263771234569\n\
         vesicash,rec-2,25.00,ZMW,+260977123456\n\
         payonify,rec-3,5.00,USD,+263771234579\n\
         payonify,rec-4,666.66,USD,+263771234589\n",
    )
    .unwrap();
    let store = store_url(&dir);
    let env = sandbox_env(&sandbox);
    let batch: Vec<String> = ["batch", csv.to_str().unwrap(), "--store", &store, "--quiet"]
        .map(String::from)
        .to_vec();
    let output = cli(batch, env.clone()).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(4), "{out}\n{}", stderr(&output));
    assert!(
        out.contains(
            "needs reconciliation (2 rows; run `disburse reconcile --batch payouts.csv`):"
        ),
        "{out}"
    );

    let reconcile: Vec<String> = ["reconcile", "--batch", "payouts.csv", "--store", &store]
        .map(String::from)
        .to_vec();
    let output = cli(reconcile, env.clone()).await;
    let out = stdout(&output);
    assert_eq!(output.status.code(), Some(4), "{out}\n{}", stderr(&output));
    assert!(
        out.contains(
            "batch payouts.csv: 2 unknown; found 0 (recorded as paid), not found 1 (the next run \
             sends them), needs an operator 1"
        ),
        "{out}"
    );
    assert!(
        out.contains("needs an operator (do not send these references again until settled):"),
        "{out}"
    );
    assert!(
        out.contains("vesicash rec-2 (batch payouts.csv, row 1): 25.00 ZMW to +2609*****456"),
        "{out}"
    );
    assert!(
        out.contains("vesicash cannot look a payout up by merchant reference"),
        "{out}"
    );
    assert!(
        out.contains("look in the vesicash dashboard for a payout of"),
        "{out}"
    );
    assert!(!out.contains("977123456"), "the number is masked: {out}");

    let status: Vec<String> = ["status", "--batch", "payouts.csv", "--store", &store]
        .map(String::from)
        .to_vec();
    let output = cli(status, env).await;
    let out = stdout(&output);
    assert!(out.contains("payonify,0,rec-1,sent,po_"), "{out}");
    assert!(out.contains("vesicash,1,rec-2,unknown,"), "{out}");
    // Payonify answered 500 (nothing recorded): not found, so the next run sends it.
    assert!(out.contains("payonify,3,rec-4,not_sent,,,"), "{out}");
    assert!(out.contains(",succeeded,"), "{out}");
    assert!(
        out.contains("batch payouts.csv: 4 payouts; failed 0, unknown 1, not final 1"),
        "{out}"
    );
    assert_eq!(output.status.code(), Some(4), "{out}");
    // Each reference was paid once.
    assert_eq!(sandbox.ledger(ProviderId::PAYONIFY).len(), 2);
    assert_eq!(sandbox.ledger(ProviderId::VESICASH).len(), 1);
    sandbox.shutdown().await;
}

/// A second Ctrl-C aborts: the run exits 130 at once with every row in the results (what was in
/// flight says unknown, the rest not started), and the next run reconciles what was in flight
/// before sending anything: every row paid exactly once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_interrupt_aborts_and_the_next_run_pays_everyone_once() {
    use std::io::BufRead;
    let sandbox = Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .unwrap();
    // Slow answers, so that requests are in flight at the abort.
    sandbox.inject(
        ProviderId::PAYONIFY,
        Route::post("/v1/payouts"),
        Fault::Latency(Duration::from_millis(300)),
        u32::MAX,
    );
    let dir = workdir("abort");
    let csv = dir.join("payouts.csv");
    let valid = write_csv(&csv, 200, &HashMap::new());
    let store = store_url(&dir);
    let args: Vec<String> = [
        "batch",
        csv.to_str().unwrap(),
        "--store",
        &store,
        "--provider",
        "payonify",
        "--concurrency",
        "8",
        "--quiet",
    ]
    .map(String::from)
    .to_vec();
    let env = sandbox_env(&sandbox);
    let mut first = Command::new(BIN)
        .args(&args)
        .envs(env.clone())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let deadline = std::time::Instant::now() + Duration::from_secs(120);
    while sandbox.ledger(ProviderId::PAYONIFY).len() < 16 {
        assert!(std::time::Instant::now() < deadline, "no progress");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let pid = first.id().to_string();
    let interrupt = || {
        assert!(
            Command::new("kill")
                .args(["-INT", &pid])
                .status()
                .unwrap()
                .success()
        );
    };
    interrupt();
    // The second interrupt once the first is taken (signals sent together may merge).
    let mut errors = std::io::BufReader::new(first.stderr.take().unwrap()).lines();
    let said = tokio::task::spawn_blocking(move || {
        let first_line = errors.next().and_then(Result::ok).unwrap_or_default();
        (first_line, errors)
    });
    let (first_line, errors) = said.await.unwrap();
    assert!(
        first_line.starts_with("disburse: interrupted: no new rows"),
        "{first_line}"
    );
    interrupt();
    let (status, rest) = tokio::task::spawn_blocking(move || {
        let rest: Vec<String> = errors.map_while(Result::ok).collect();
        (first.wait().unwrap(), rest)
    })
    .await
    .unwrap();
    assert_eq!(status.code(), Some(130), "{rest:?}");
    assert!(
        rest.iter().any(
            |l| l == "disburse: aborted: the requests in flight are reconciled by the next run"
        ),
        "{rest:?}"
    );
    let results = read_results(&dir.join("payouts.csv.results.csv"));
    assert_eq!(results.len(), 200, "every row, aborted or not");
    assert!(results.iter().any(|r| r.outcome == "not_started"));

    let second = cli(args, env).await;
    assert_eq!(
        second.status.code(),
        Some(0),
        "{}\n{}",
        stdout(&second),
        stderr(&second)
    );
    for reference in &valid {
        assert_eq!(
            sandbox
                .payouts_for_reference(ProviderId::PAYONIFY, reference)
                .len(),
            1,
            "{reference}"
        );
    }
    sandbox.shutdown().await;
}
