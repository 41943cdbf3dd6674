//! The `disburse-sandbox` binary as a separate process: its arguments, the shell lines it
//! prints (every variable the CLI and the providers' `from_env` read), a provider per port for
//! clients that drop base paths, every `/_sandbox` control endpoint, and `--state FILE` across a
//! SIGKILL and a restart.
#![cfg(feature = "sandbox")]

mod sandbox_process;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use disburse::sandbox::{
    JPAY_CREDENTIALS, MPESA_DARAJA_CREDENTIALS, MTN_MOMO_CREDENTIALS, PAYONIFY_CREDENTIALS,
    VESICASH_CREDENTIALS,
};
use sandbox_process::{BIN, Running, start};
use serde_json::{Value, json};

fn http() -> reqwest::Client {
    reqwest::Client::builder()
        .no_proxy()
        .timeout(Duration::from_secs(10))
        .build()
        .expect("client")
}

async fn send(request: reqwest::RequestBuilder) -> (u16, Value) {
    let response = request.send().await.expect("an answer");
    let status = response.status().as_u16();
    let text = response.text().await.expect("a body");
    let body = serde_json::from_str(&text).unwrap_or(Value::String(text));
    (status, body)
}

async fn post(url: &str, body: Value) -> (u16, Value) {
    send(http().post(url).json(&body)).await
}

async fn get(url: &str) -> (u16, Value) {
    send(http().get(url)).await
}

fn payonify(
    running: &Running,
    method: reqwest::Method,
    base: &str,
    path: &str,
) -> reqwest::RequestBuilder {
    http().request(method, format!("{base}{path}")).basic_auth(
        running.var("PAYONIFY_PUBLISHABLE_KEY"),
        Some(running.var("PAYONIFY_SECRET_KEY")),
    )
}

fn payonify_body(amount: i64, number: &str) -> Value {
    json!({
        "amount": amount,
        "currency": "usd",
        "destination": {"mobile_money": {"ecocash": {"mobile_number": number}}},
    })
}

/// Waits for a condition, up to 20 seconds.
async fn eventually<T>(what: &str, mut check: impl AsyncFnMut() -> Option<T>) -> T {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(value) = check().await {
            return value;
        }
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

fn workdir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sandbox-binary-{name}"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create the work dir");
    dir
}

#[test]
fn help_and_version_come_from_clap() {
    let version = Command::new(BIN).arg("--version").output().expect("run");
    assert!(version.status.success());
    assert_eq!(
        String::from_utf8_lossy(&version.stdout),
        format!("disburse-sandbox {}\n", env!("CARGO_PKG_VERSION"))
    );
    let help = Command::new(BIN).arg("--help").output().expect("run");
    assert!(help.status.success());
    let help = String::from_utf8_lossy(&help.stdout);
    for flag in [
        "--port <PORT>",
        "--state <FILE>",
        "--settle-ms",
        "--version",
    ] {
        assert!(help.contains(flag), "{flag} missing from:\n{help}");
    }
    let bad = Command::new(BIN).arg("--port=x").output().expect("run");
    assert_eq!(bad.status.code(), Some(2));
    assert!(
        String::from_utf8_lossy(&bad.stderr).contains("invalid value 'x' for '--port <PORT>'"),
        "{}",
        String::from_utf8_lossy(&bad.stderr)
    );
}

#[tokio::test]
async fn it_prints_every_variable_the_configs_read_as_shell_lines() {
    let running = start(&["--port", "0"]);
    let main = running.var("DISBURSE_SANDBOX_URL").to_owned();
    let port = |name: &str| {
        let url = running.var(name);
        assert!(url.starts_with("http://127.0.0.1:"), "{name}={url}");
        url.rsplit(':').next().unwrap().parse::<u16>().unwrap()
    };
    let ports: Vec<u16> = [
        "DISBURSE_SANDBOX_URL",
        "VESICASH_BASE_URL",
        "JPAY_BASE_URL",
        "PAYONIFY_BASE_URL",
        "MTN_MOMO_BASE_URL",
        "MPESA_DARAJA_BASE_URL",
    ]
    .iter()
    .map(|n| port(n))
    .collect();
    let mut distinct = ports.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), 6, "one port each: {ports:?}");
    let v = VESICASH_CREDENTIALS;
    let j = JPAY_CREDENTIALS;
    let p = PAYONIFY_CREDENTIALS;
    let m = MTN_MOMO_CREDENTIALS;
    let d = MPESA_DARAJA_CREDENTIALS;
    let base = |name: &str| running.var(name).to_owned();
    // Daraja's certificate is a file (from_env reads a path), written for this process.
    let certificate = base("MPESA_DARAJA_CERTIFICATE");
    assert_eq!(
        std::fs::read_to_string(&certificate).expect("the certificate file"),
        d.certificate_pem
    );
    let expected: BTreeMap<String, String> = [
        ("DISBURSE_SANDBOX_URL", main.clone()),
        ("DISBURSE_SANDBOX_CONTROL_URL", format!("{main}/_sandbox")),
        ("VESICASH_BASE_URL", base("VESICASH_BASE_URL")),
        ("VESICASH_SECRET_KEY", v.secret_key.to_owned()),
        ("VESICASH_PUBLIC_KEY", v.public_key.to_owned()),
        ("VESICASH_WEBHOOK_SECRET", v.webhook_secret.to_owned()),
        ("JPAY_BASE_URL", base("JPAY_BASE_URL")),
        ("JPAY_APP_KEY", j.app_key.to_owned()),
        ("JPAY_APP_SECRET", j.app_secret.to_owned()),
        ("JPAY_APP_CODE", j.app_code.to_string()),
        ("JPAY_CALLBACK_SECRET", j.callback_secret.to_owned()),
        (
            "JPAY_NOTIFICATION_URL",
            format!("{main}/_sandbox/callbacks/jpay"),
        ),
        ("PAYONIFY_BASE_URL", base("PAYONIFY_BASE_URL")),
        ("PAYONIFY_PUBLISHABLE_KEY", p.publishable_key.to_owned()),
        ("PAYONIFY_SECRET_KEY", p.secret_key.to_owned()),
        ("PAYONIFY_WEBHOOK_SECRET", p.webhook_secret.to_owned()),
        ("MTN_MOMO_BASE_URL", base("MTN_MOMO_BASE_URL")),
        ("MTN_MOMO_SUBSCRIPTION_KEY", m.subscription_key.to_owned()),
        ("MTN_MOMO_API_USER", m.api_user.to_owned()),
        ("MTN_MOMO_API_KEY", m.api_key.to_owned()),
        ("MTN_MOMO_CALLBACK_SECRET", m.callback_secret.to_owned()),
        ("MTN_MOMO_TARGET_ENVIRONMENT", "sandbox".to_owned()),
        ("MPESA_DARAJA_BASE_URL", base("MPESA_DARAJA_BASE_URL")),
        ("MPESA_DARAJA_CONSUMER_KEY", d.consumer_key.to_owned()),
        ("MPESA_DARAJA_CONSUMER_SECRET", d.consumer_secret.to_owned()),
        ("MPESA_DARAJA_SHORTCODE", d.shortcode.to_owned()),
        ("MPESA_DARAJA_INITIATOR_NAME", d.initiator_name.to_owned()),
        (
            "MPESA_DARAJA_INITIATOR_PASSWORD",
            d.initiator_password.to_owned(),
        ),
        ("MPESA_DARAJA_CALLBACK_SECRET", d.callback_secret.to_owned()),
        (
            "MPESA_DARAJA_RESULT_URL",
            format!("{main}/_sandbox/callbacks/mpesa_daraja/result"),
        ),
        (
            "MPESA_DARAJA_TIMEOUT_URL",
            format!("{main}/_sandbox/callbacks/mpesa_daraja/timeout"),
        ),
        ("MPESA_DARAJA_CERTIFICATE", certificate.clone()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    assert_eq!(running.env, expected);

    // A shell sources the whole output as printed.
    let text = running.lines.join("\n");
    let sourced = Command::new("bash")
        .args([
            "-c",
            "source /dev/stdin; echo \"$JPAY_CALLBACK_SECRET $PAYONIFY_BASE_URL \
             $MPESA_DARAJA_INITIATOR_PASSWORD\"",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(text.as_bytes())?;
            child.wait_with_output()
        })
        .expect("bash");
    assert_eq!(
        String::from_utf8_lossy(&sourced.stdout),
        format!(
            "{} {} {}\n",
            j.callback_secret,
            base("PAYONIFY_BASE_URL"),
            d.initiator_password
        )
    );

    // Payonify at the root of its own port (where a client that drops base paths goes) and
    // under its prefix on the main port: one ledger behind both.
    let own = base("PAYONIFY_BASE_URL");
    let (status, created) = send(
        payonify(&running, reqwest::Method::POST, &own, "/v1/payouts")
            .json(&payonify_body(1000, "771234569")),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let id = created["id"].as_str().unwrap();
    for url in [own.clone(), format!("{main}/payonify")] {
        let (status, body) = send(payonify(
            &running,
            reqwest::Method::GET,
            &url,
            &format!("/v1/payouts/{id}"),
        ))
        .await;
        assert_eq!((status, &body["id"]), (200, &json!(id)), "{url}");
    }
    // The main port's root is no provider's.
    let (status, _) = get(&format!("{main}/v1/payouts")).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn faults_are_injected_listed_and_cleared_over_http() {
    let running = start(&["--port", "0"]);
    let own = running.var("PAYONIFY_BASE_URL").to_owned();
    let (status, body) = post(
        &running.control("/faults"),
        json!({"provider": "payonify", "fault": "status", "status": 503,
               "method": "post", "path": "/v1/payouts", "times": 2}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"provider": "payonify", "fault": "status", "method": "POST",
                   "path": "/v1/payouts", "reference": null, "times": 2})
        )
    );
    let create = || {
        send(
            payonify(&running, reqwest::Method::POST, &own, "/v1/payouts")
                .json(&payonify_body(1000, "771234569")),
        )
    };
    let (status, body) = create().await;
    assert_eq!(
        (status, body),
        (
            503,
            json!({"type": "api_error", "code": null,
                   "message": "An unexpected error occurred on Payonify's end. Please try again later.",
                   "param": null, "doc_url": "https://docs.payonify.com/api/errors"})
        )
    );
    let (status, body) = send(http().delete(running.control("/faults"))).await;
    assert_eq!((status, body), (200, json!({"cleared": true})));
    assert_eq!(create().await.0, 200, "the second injection was cleared");

    // A fault scoped to one reference (Payonify: the Idempotency-Key) and a commit-then-drop:
    // the payout is kept, the client sees no answer.
    let (status, _) = post(
        &running.control("/faults"),
        json!({"provider": "payonify", "fault": "commit_then_drop", "reference": "order-9"}),
    )
    .await;
    assert_eq!(status, 201);
    let dropped = payonify(&running, reqwest::Method::POST, &own, "/v1/payouts")
        .header("Idempotency-Key", "order-9")
        .json(&payonify_body(2500, "771234569"))
        .send()
        .await;
    assert!(dropped.is_err(), "{dropped:?}");
    let (status, ledger) = get(&running.control("/ledger?reference=order-9")).await;
    assert_eq!(status, 200);
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 1, "{ledger}");
    assert_eq!(ledger["entries"][0]["amount"], "25.00");

    for (body, message) in [
        (
            json!({"fault": "status", "status": 503}),
            "provider is required",
        ),
        (
            json!({"provider": "mpesa", "fault": "status"}),
            "unknown provider \"mpesa\": one of vesicash, jpay, payonify, mtn_momo, mpesa_daraja",
        ),
        (
            json!({"provider": "jpay", "fault": "explode"}),
            "unknown fault \"explode\": one of latency, status, too_many_requests, \
             commit_then_drop, commit_then_delay, malformed_json, truncated_body, \
             html_error_page, slow_body",
        ),
        (
            json!({"provider": "jpay", "fault": "latency"}),
            "fault latency needs ms",
        ),
        (
            json!({"provider": "jpay", "fault": "status", "status": 1000}),
            "fault status needs status, an HTTP status (100-599)",
        ),
        (
            json!({"provider": "jpay", "fault": "html_error_page", "path": "/x"}),
            "method and path go together: give both or neither",
        ),
    ] {
        let (status, answer) = post(&running.control("/faults"), body.clone()).await;
        assert_eq!((status, answer), (400, json!({"error": message})), "{body}");
    }
    let (status, answer) = get(&running.control("/nothing")).await;
    assert_eq!(
        (status, answer),
        (
            404,
            json!({"error": "not a control endpoint: see docs/SANDBOX.md"})
        )
    );
}

/// `"times": "always"` fires for every matching request until the faults are cleared, and
/// `/ledger/count` counts what `/ledger` would list.
#[tokio::test]
async fn a_fault_for_always_fires_until_cleared_and_the_ledger_counts_entries() {
    let running = start(&["--port", "0"]);
    let own = running.var("PAYONIFY_BASE_URL").to_owned();
    let (status, body) = post(
        &running.control("/faults"),
        json!({"provider": "payonify", "fault": "status", "status": 503,
               "method": "POST", "path": "/v1/payouts", "times": "always"}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            201,
            json!({"provider": "payonify", "fault": "status", "method": "POST",
                   "path": "/v1/payouts", "reference": null, "times": "always"})
        )
    );
    let create = || {
        send(
            payonify(&running, reqwest::Method::POST, &own, "/v1/payouts")
                .json(&payonify_body(1000, "771234569")),
        )
    };
    for attempt in 0..5 {
        assert_eq!(create().await.0, 503, "attempt {attempt}");
    }
    let (status, body) = get(&running.control("/ledger/count")).await;
    assert_eq!((status, body), (200, json!({"count": 0})));
    let (status, _) = send(http().delete(running.control("/faults"))).await;
    assert_eq!(status, 200);
    let mut ids = Vec::new();
    for _ in 0..3 {
        let (status, created) = create().await;
        assert_eq!(status, 200, "cleared: {created}");
        ids.push(created["id"].as_str().expect("an id").to_owned());
    }

    for (query, count) in [
        ("", 3),
        ("?provider=payonify", 3),
        ("?provider=jpay", 0),
        (&*format!("?reference={}", ids[1]), 1),
        (&*format!("?provider=vesicash&reference={}", ids[1]), 0),
    ] {
        let (status, body) = get(&running.control(&format!("/ledger/count{query}"))).await;
        assert_eq!((status, body), (200, json!({"count": count})), "{query}");
        let (_, listed) = get(&running.control(&format!("/ledger{query}"))).await;
        assert_eq!(listed["entries"].as_array().map(Vec::len), Some(count));
    }
    let (status, body) = get(&running.control("/ledger/count?provider=mpesa")).await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "unknown provider \"mpesa\": one of vesicash, jpay, payonify, mtn_momo, mpesa_daraja"})
        )
    );
    for times in [json!(0), json!("never"), json!(-1), json!(1.5)] {
        let (status, body) = post(
            &running.control("/faults"),
            json!({"provider": "jpay", "fault": "html_error_page", "times": times}),
        )
        .await;
        assert_eq!(
            (status, body),
            (
                400,
                json!({"error": "times must be a whole number from 1 or \"always\""})
            ),
            "times {times}"
        );
    }
}

#[tokio::test]
async fn settle_now_ledger_balances_tokens_reset_and_the_callback_sink() {
    // An hour's settle delay: only the control endpoint settles.
    let running = start(&["--port", "0", "--settle-ms", "3600000"]);
    let own = running.var("PAYONIFY_BASE_URL").to_owned();
    let mut ids = Vec::new();
    for number in ["771234569", "771230001"] {
        let (status, created) = send(
            payonify(&running, reqwest::Method::POST, &own, "/v1/payouts")
                .json(&payonify_body(1050, number)),
        )
        .await;
        assert_eq!(status, 200, "{created}");
        ids.push(created["id"].as_str().unwrap().to_owned());
    }
    let (status, ledger) = get(&running.control("/ledger?provider=payonify")).await;
    assert_eq!(status, 200);
    let entry = &ledger["entries"][0];
    assert_eq!(
        entry,
        &json!({
            "provider": "payonify", "kind": "payout", "id": ids[0], "reference": null,
            "amount": "10.50", "currency": "USD", "recipient": "771234569", "status": "pending",
            "failure_code": null, "failure_message": null, "scripted": null,
            "payment_reference": null, "created_at": entry["created_at"], "settled_at": null,
        })
    );
    assert_eq!(ledger["entries"][1]["scripted"], "insufficient_funds");
    assert_eq!(
        ledger["balances"],
        json!([
            {"provider": "payonify", "currency": "USD", "amount": "9979.00"},
            {"provider": "payonify", "currency": "ZWG", "amount": "250000"},
        ])
    );

    let (status, settled) = post(
        &running.control("/settle"),
        json!({"provider": "payonify", "id": ids[0]}),
    )
    .await;
    assert_eq!(status, 200);
    let settled = settled["settled"].as_array().unwrap().clone();
    assert_eq!(settled.len(), 1);
    assert_eq!(
        (&settled[0]["id"], &settled[0]["status"]),
        (&json!(ids[0]), &json!("succeeded"))
    );
    let (_, paid) = send(payonify(
        &running,
        reqwest::Method::GET,
        &own,
        &format!("/v1/payouts/{}", ids[0]),
    ))
    .await;
    assert_eq!(paid["status"], "paid");
    // Everything else still pending: the scripted failure fails and gives the money back.
    let (_, settled) = post(&running.control("/settle"), json!({})).await;
    assert_eq!(
        settled["settled"][0]["failure_code"], "insufficient_funds",
        "{settled}"
    );
    let (_, ledger) = get(&running.control("/ledger?provider=payonify")).await;
    assert_eq!(
        ledger["balances"][0],
        json!({"provider": "payonify", "currency": "USD", "amount": "9989.50"})
    );

    // Balances are set with decimal strings, never numbers.
    let (status, body) = send(
        http()
            .put(running.control("/balances"))
            .json(&json!({"provider": "jpay", "currency": "KES", "amount": "1500.25"})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"provider": "jpay", "currency": "KES", "amount": "1500.25"})
        )
    );
    let (status, body) = send(
        http()
            .put(running.control("/balances"))
            .json(&json!({"provider": "jpay", "currency": "KES", "amount": 1500.25})),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "amount must be a decimal string such as \"100.00\", never a JSON number"})
        )
    );

    // Tokens: a JPay token works, then is expired over HTTP.
    let jpay = running.var("JPAY_BASE_URL").to_owned();
    let (status, token) = post(
        &format!("{jpay}/auth/app/token"),
        json!({"app_key": JPAY_CREDENTIALS.app_key, "app_secret": JPAY_CREDENTIALS.app_secret}),
    )
    .await;
    assert_eq!(status, 200, "{token}");
    let access = token["access"].as_str().unwrap().to_owned();
    let balance = || {
        send(
            http()
                .get(format!("{jpay}/wallets/balance"))
                .bearer_auth(&access),
        )
    };
    let (status, wallet) = balance().await;
    assert_eq!(
        (status, &wallet["payout_wallet_balance"]),
        (200, &json!("1500.25"))
    );
    let (status, body) = post(
        &running.control("/tokens/expire"),
        json!({"provider": "jpay"}),
    )
    .await;
    assert_eq!((status, body), (200, json!({"expired": ["jpay"]})));
    let (status, body) = balance().await;
    assert_eq!(
        (status, body),
        (401, json!({"detail": "Invalid or expired token"}))
    );
    let (status, body) = post(&running.control("/tokens/expire"), json!({})).await;
    assert_eq!(
        (status, body),
        (
            200,
            json!({"expired": ["jpay", "mtn_momo", "mpesa_daraja"]})
        )
    );
    let (status, body) = post(
        &running.control("/tokens/expire"),
        json!({"provider": "payonify"}),
    )
    .await;
    assert_eq!(
        (status, body),
        (
            400,
            json!({"error": "payonify issues no tokens (it signs every call with fixed keys)"})
        )
    );

    // The callback sink answers anything.
    let (status, body) = post(running.var("JPAY_NOTIFICATION_URL"), json!({"anything": 1})).await;
    assert_eq!((status, body), (200, json!({"received": true})));

    // Reset: no entries, the opening balances.
    let (status, body) = post(&running.control("/reset"), json!(null)).await;
    assert_eq!((status, body), (200, json!({"reset": true})));
    let (_, ledger) = get(&running.control("/ledger?provider=payonify")).await;
    assert_eq!(ledger["entries"], json!([]));
    assert_eq!(
        ledger["balances"][0],
        json!({"provider": "payonify", "currency": "USD", "amount": "10000"})
    );
    let (_, ledger) = get(&running.control("/ledger?provider=jpay")).await;
    assert_eq!(
        ledger["balances"],
        json!([{"provider": "jpay", "currency": "KES", "amount": "1000000"}])
    );
}

#[tokio::test]
async fn state_survives_a_sigkill_and_a_restart() {
    let dir = workdir("state");
    let file = dir.join("ledger.json");
    let path = file.to_str().unwrap();
    let first = start(&["--port", "0", "--settle-ms", "3600000", "--state", path]);
    let own = first.var("PAYONIFY_BASE_URL").to_owned();
    let (status, created) = send(
        payonify(&first, reqwest::Method::POST, &own, "/v1/payouts")
            .header("Idempotency-Key", "keep-1")
            .json(&payonify_body(1234, "771234569")),
    )
    .await;
    assert_eq!(status, 200);
    let id = created["id"].as_str().unwrap().to_owned();
    let (_, before) = get(&first.control("/ledger?provider=payonify")).await;
    // Written within the save interval: wait for the file to name the payout, then SIGKILL.
    eventually("the state file to hold the payout", async || {
        let text = std::fs::read_to_string(&file).ok()?;
        text.contains(&id).then_some(())
    })
    .await;
    let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).unwrap()).unwrap();
    assert_eq!(saved["entries"][0]["amount"], "12.34");
    assert_eq!(saved["entries"][0]["currency"], "USD");
    drop(first); // SIGKILL

    let second = start(&["--port", "0", "--settle-ms", "3600000", "--state", path]);
    let (_, after) = get(&second.control("/ledger?provider=payonify")).await;
    assert_eq!(after, before, "the ledger came back as it was");
    let own = second.var("PAYONIFY_BASE_URL").to_owned();
    let (status, body) = send(payonify(
        &second,
        reqwest::Method::GET,
        &own,
        &format!("/v1/payouts/{id}"),
    ))
    .await;
    assert_eq!((status, &body["amount"]["value"]), (200, &json!(1234)));
    // A new payout gets an id of its own, not one the first run handed out.
    let (_, next) = send(
        payonify(&second, reqwest::Method::POST, &own, "/v1/payouts")
            .json(&payonify_body(100, "771234569")),
    )
    .await;
    assert_ne!(next["id"], json!(id));
    // Settled in the second run, saved, and still settled in a third.
    let (_, settled) = post(&second.control("/settle"), json!({"id": id})).await;
    assert_eq!(settled["settled"][0]["status"], "succeeded");
    eventually("the settled state on disk", async || {
        let saved: Value = serde_json::from_str(&std::fs::read_to_string(&file).ok()?).ok()?;
        (saved["entries"][0]["status"]["state"] == "succeeded").then_some(())
    })
    .await;
    drop(second);
    let third = start(&["--port", "0", "--settle-ms", "3600000", "--state", path]);
    let (_, ledger) = get(&third.control("/ledger?provider=payonify")).await;
    assert_eq!(ledger["entries"][0]["status"], "succeeded");
    assert_eq!(ledger["entries"].as_array().unwrap().len(), 2);

    // A file that is not a state file is refused with its path.
    std::fs::write(&file, "not json").unwrap();
    let out = Command::new(BIN)
        .args(["--port", "0", "--state", path])
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr).lines().next().unwrap(),
        format!(
            "disburse-sandbox: configuration error: sandbox state file {path}: is not a sandbox \
             state file"
        )
    );
}

/// The `disburse` CLI, with nothing in its environment but what the sandbox printed, pays
/// through each of the five providers: the printed variables are all `from_env` needs (Daraja's
/// certificate is read from the file the sandbox wrote).
#[cfg(feature = "cli")]
#[tokio::test]
async fn the_cli_pays_through_every_provider_with_only_the_printed_variables() {
    let running = start(&["--port", "0"]);
    let cases: [(&str, &str, &[&str]); 5] = [
        (
            "vesicash",
            "cli-env-v",
            &[
                "--amount",
                "1000",
                "--currency",
                "KES",
                "--to",
                "+254712345678",
                "--country",
                "KE",
            ],
        ),
        (
            "jpay",
            "cli-env-j",
            &[
                "--amount",
                "150",
                "--currency",
                "KES",
                "--to",
                "0712345678",
                "--country",
                "KE",
            ],
        ),
        (
            "payonify",
            "cli-env-p",
            &[
                "--amount",
                "12.50",
                "--currency",
                "USD",
                "--to",
                "+263771234569",
            ],
        ),
        (
            "mtn-momo",
            "cli-env-m",
            &[
                "--amount",
                "12.50",
                "--currency",
                "EUR",
                "--to",
                "+46733123999",
            ],
        ),
        (
            "mpesa-daraja",
            "cli-env-d",
            &[
                "--amount",
                "150",
                "--currency",
                "KES",
                "--to",
                "+254708374149",
            ],
        ),
    ];
    for (provider, reference, rest) in cases {
        let out = Command::new(env!("CARGO_BIN_EXE_disburse"))
            .args(["payout", "--provider", provider, "--reference", reference])
            .args(rest)
            .env_clear()
            .envs(&running.env)
            .output()
            .expect("run disburse");
        assert!(
            out.status.success(),
            "{provider}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Value = serde_json::from_slice(&out.stdout).expect("a JSON payout");
        assert_eq!(
            (&printed["reference"], &printed["status"]),
            (&json!(reference), &json!("pending")),
            "{provider}"
        );
        // Found by the provider's id (Vesicash carries no merchant reference on the wire).
        let id = printed["id"].as_str().expect("an id");
        let (_, ledger) = get(&running.control(&format!("/ledger?reference={id}"))).await;
        let provider_id = provider.replace('-', "_");
        assert_eq!(
            ledger["entries"][0]["provider"],
            json!(provider_id),
            "{ledger}"
        );
        assert_eq!(ledger["entries"].as_array().unwrap().len(), 1, "{ledger}");
    }
}
