//! A new user's crate that depends on `disburse` (and tokio) only type-checks against the
//! configuration and webhook APIs: every type it must name is re-exported (`SecretString`, the
//! `http` types, `Bytes`, `Utc`). Writes the crate into a temporary directory and runs
//! `cargo check --offline` on it, with this repository's lock file so no download is needed.

use std::path::{Path, PathBuf};
use std::process::Command;

const MAIN: &str = r#"
use std::sync::Arc;

use disburse::http_types::{HeaderMap, Request, StatusCode};
use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{AuthHeaders, Environment, VesicashClient, VesicashConfig};
use disburse::reconcile::{Evidence, Reconciliation};
use disburse::settle::EventFeed;
use disburse::{Bytes, Error, PayoutProvider, SecretString, Utc, WebhookInbox, WebhookRequest};

#[tokio::main]
async fn main() -> Result<(), Error> {
    let vesicash = VesicashConfig::new(
        SecretString::from("sk"),
        SecretString::from("pk"),
        SecretString::from("whsec"),
        Environment::Sandbox,
    )
    .with_auth_headers(AuthHeaders::sdk());
    let vesicash: Arc<dyn PayoutProvider> = Arc::new(VesicashClient::new(vesicash)?);
    let jpay: Arc<dyn PayoutProvider> = Arc::new(JpayClient::new(JpayConfig::from_env()?)?);
    let payonify: Arc<dyn PayoutProvider> =
        Arc::new(PayonifyClient::new(PayonifyConfig::from_env()?)?);

    let feed = EventFeed::new();
    let inbox = WebhookInbox::builder()
        .provider(vesicash.clone())
        .provider(jpay)
        .provider(payonify)
        .feed(&feed)
        .on_event(|event| async move {
            println!("{:?} is {:?}", event.provider_reference, event.status);
            Ok(())
        })
        .build();
    let request: Request<Bytes> = Request::post("/jpay?disburse_token=x")
        .body(Bytes::from_static(b"{}"))
        .unwrap();
    let status: StatusCode = inbox.handle("jpay", &request).await.status();
    let headers = HeaderMap::new();
    let _ = vesicash.parse_webhook(&WebhookRequest::from_http(&request));
    let _ = WebhookRequest::post("/vesicash", &headers, b"{}");
    let _: Evidence = Evidence::new(Utc::now());
    let _: Option<Reconciliation> = None;
    println!("{status}");
    Ok(())
}
"#;

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// This build's target directory (the test binary is `<target>/<profile>/deps/<name>`).
fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    exe.ancestors()
        .nth(3)
        .map(Path::to_path_buf)
        .unwrap_or_else(|| repo().join("target"))
}

#[test]
fn a_fresh_crate_needs_only_disburse_and_tokio() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = format!(
        r#"[package]
name = "fresh-user"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
disburse = {{ path = {:?} }}
tokio = {{ version = "1", features = ["macros", "rt-multi-thread"] }}

[workspace]
"#,
        repo().display().to_string()
    );
    std::fs::write(dir.path().join("Cargo.toml"), manifest).unwrap();
    std::fs::create_dir(dir.path().join("src")).unwrap();
    std::fs::write(dir.path().join("src/main.rs"), MAIN).unwrap();
    // The same versions as this repository: everything is in the local cache already.
    std::fs::copy(repo().join("Cargo.lock"), dir.path().join("Cargo.lock")).unwrap();

    // Its own directory under this build's target (kept between runs, so only the first is
    // slow); not the running build's own, whose lock `cargo test` may hold.
    let target = target_dir().join("fresh-crate");
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["check", "--offline", "--quiet"])
        .current_dir(dir.path())
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTFLAGS")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "cargo check failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
}
