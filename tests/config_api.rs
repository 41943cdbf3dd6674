//! One way to configure every provider: the five configs expose the same builder names (each
//! called below on each config, so a config missing one fails to compile), and a caller's
//! `reqwest::Client` is the one requests go through.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use disburse::config::{ClientSettings, Environment};
use disburse::http::{HttpConfig, RetryPolicy};
use disburse::providers::jpay::{JpayClient, JpayConfig};
use disburse::providers::mpesa_daraja::{DarajaClient, DarajaConfig, DarajaCredentials};
use disburse::providers::mtn_momo::{MtnMomoClient, MtnMomoConfig};
use disburse::providers::payonify::{PayonifyClient, PayonifyConfig};
use disburse::providers::vesicash::{VesicashClient, VesicashConfig};
use disburse::webhook::Clock;
use disburse::{CallbackUrl, ExposeSecret, PayoutProvider, ProviderId, SecretString};
use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// The builder names every config has (the table in `disburse::config`'s docs).
const SHARED_BUILDERS: [&str; 9] = [
    "with_environment",
    "with_base_url",
    "with_http",
    "with_timeout",
    "with_http_client",
    "with_webhook_secret",
    "with_previous_webhook_secret",
    "with_clock",
    "with_strict_callback_url",
];

fn secret(text: &str) -> SecretString {
    SecretString::from(text.to_owned())
}

fn vesicash() -> VesicashConfig {
    VesicashConfig::new(
        secret("sk_v"),
        secret("pk_v"),
        secret("wh_v"),
        Environment::Sandbox,
    )
}

fn jpay() -> JpayConfig {
    JpayConfig::new(secret("app-key"), secret("app-secret"), secret("wh_j"))
}

fn payonify() -> PayonifyConfig {
    PayonifyConfig::new(secret("pk_test_abc"), secret("sk_test_abc"), secret("wh_p"))
}

fn mtn_momo() -> MtnMomoConfig {
    MtnMomoConfig::new(
        secret("f1db798c98df4bcf83b538175893bbf0"),
        secret("0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60"),
        secret("b0431db58a9b41faa8f5860230xxxxxx"),
        secret("wh_m"),
    )
}

fn daraja() -> DarajaConfig {
    DarajaConfig::new(
        DarajaCredentials::new(
            secret("ck"),
            secret("cs"),
            "600997",
            "testapi",
            secret("Safaricom999!*!"),
            secret("wh_d"),
        ),
        CallbackUrl::parse("https://shop.example/daraja/result").expect("url"),
        CallbackUrl::parse("https://shop.example/daraja/timeout").expect("url"),
    )
}

#[derive(Debug)]
struct FixedClock(AtomicI64);

impl Clock for FixedClock {
    fn now_unix(&self) -> i64 {
        self.0.load(Ordering::SeqCst)
    }
}

/// Calls every shared builder on `$config` and returns its `settings` afterwards.
macro_rules! every_shared_builder {
    ($config:expr, $client:expr) => {{
        let clock: Arc<dyn Clock> = Arc::new(FixedClock(AtomicI64::new(1_700_000_000)));
        let config = $config
            .with_environment(Environment::Live)
            .with_http(HttpConfig::default().with_retry(RetryPolicy::none()))
            .with_base_url("http://127.0.0.1:9/api/")
            .with_timeout(Duration::from_millis(2500))
            .with_http_client($client)
            .with_webhook_secret(secret("current"))
            .with_previous_webhook_secret(secret("previous"))
            .with_clock(clock)
            .with_strict_callback_url(true);
        config.settings
    }};
}

fn check(name: &str, settings: &ClientSettings) {
    assert_eq!(
        settings.environment,
        Environment::Custom("http://127.0.0.1:9/api".into()),
        "{name}"
    );
    assert_eq!(settings.http.timeout, Duration::from_millis(2500), "{name}");
    assert_eq!(settings.http.retry.max_attempts, 1, "{name}");
    assert!(settings.http_client.is_some(), "{name}");
    assert_eq!(settings.webhook_secret.expose_secret(), "current", "{name}");
    let previous: Vec<&str> = settings
        .previous_webhook_secrets
        .iter()
        .map(ExposeSecret::expose_secret)
        .collect();
    assert_eq!(previous, ["previous"], "{name}");
    assert_eq!(settings.clock.now_unix(), 1_700_000_000, "{name}");
    assert!(settings.strict_callback_url, "{name}");
}

#[test]
fn every_config_has_the_same_builder_names_with_the_same_effect() {
    let client = reqwest::Client::new();
    let all = [
        (
            "VesicashConfig",
            every_shared_builder!(vesicash(), client.clone()),
        ),
        ("JpayConfig", every_shared_builder!(jpay(), client.clone())),
        (
            "PayonifyConfig",
            every_shared_builder!(payonify(), client.clone()),
        ),
        (
            "MtnMomoConfig",
            every_shared_builder!(mtn_momo(), client.clone()),
        ),
        (
            "DarajaConfig",
            every_shared_builder!(daraja(), client.clone()),
        ),
    ];
    for (name, settings) in &all {
        check(name, settings);
    }
    // The macro above calls exactly the names the docs list.
    let called = include_str!("config_api.rs")
        .split("macro_rules! every_shared_builder")
        .nth(1)
        .and_then(|rest| rest.split("config.settings").next())
        .expect("the macro");
    for name in SHARED_BUILDERS {
        assert!(called.contains(&format!(".{name}(")), "{name} not called");
    }
    let docs = include_str!("../src/config.rs");
    for name in SHARED_BUILDERS {
        assert!(
            docs.contains(&format!("| `{name}(")),
            "{name} not in the docs' table"
        );
    }
}

/// A `reqwest::Client` with a default header and a proxy pointed at a loopback recorder: the
/// base URLs name hosts that do not exist (`.invalid`), so a request can only reach the
/// recorder through the injected client. Each adapter's first request (a token call, or a read)
/// arrives there, addressed to its own host and carrying the client's header.
#[tokio::test]
async fn requests_go_through_the_injected_reqwest_client() {
    let recorder = MockServer::start().await;
    Mock::given(any())
        .respond_with(ResponseTemplate::new(503))
        .mount(&recorder)
        .await;
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-egress", "allow-listed".parse().expect("header"));
    let injected = reqwest::Client::builder()
        .proxy(reqwest::Proxy::all(recorder.uri()).expect("proxy"))
        .default_headers(headers)
        .build()
        .expect("client");
    let no_retry = HttpConfig::default().with_retry(RetryPolicy::none());

    // (client, its host, the first path it requests, whether it is read with `balance()`)
    let providers: Vec<(Arc<dyn PayoutProvider>, &str, &str, bool)> = vec![
        (
            Arc::new(
                VesicashClient::new(
                    vesicash()
                        .with_base_url("http://vesicash.invalid")
                        .with_http(no_retry.clone())
                        .with_http_client(injected.clone()),
                )
                .expect("Vesicash"),
            ),
            "vesicash.invalid",
            "/v1/payment/PY_1",
            false,
        ),
        (
            Arc::new(
                JpayClient::new(
                    jpay()
                        .with_base_url("http://jpay.invalid")
                        .with_http(no_retry.clone())
                        .with_http_client(injected.clone()),
                )
                .expect("JPay"),
            ),
            "jpay.invalid",
            "/auth/app/token",
            true,
        ),
        (
            Arc::new(
                PayonifyClient::new(
                    payonify()
                        .with_base_url("http://payonify.invalid")
                        .with_http(no_retry.clone())
                        .with_http_client(injected.clone()),
                )
                .expect("Payonify"),
            ),
            "payonify.invalid",
            "/v1/payouts/PY_1",
            false,
        ),
        (
            Arc::new(
                MtnMomoClient::new(
                    mtn_momo()
                        .with_base_url("http://mtn-momo.invalid")
                        .with_http(no_retry.clone())
                        .with_http_client(injected.clone()),
                )
                .expect("MTN MoMo"),
            ),
            "mtn-momo.invalid",
            "/disbursement/token/",
            true,
        ),
        (
            Arc::new(
                DarajaClient::new(
                    daraja()
                        .with_base_url("http://mpesa-daraja.invalid")
                        .with_http(no_retry.clone())
                        .with_http_client(injected.clone()),
                )
                .expect("Daraja"),
            ),
            "mpesa-daraja.invalid",
            "/oauth/v1/generate",
            true,
        ),
    ];

    for (provider, host, first_path, balance) in providers {
        let id: ProviderId = provider.id();
        let before = recorder.received_requests().await.expect("recorded").len();
        // The recorder answers 503: an error, after the request went out through the proxy.
        let result = if balance {
            provider.balance().await.map(|_| ())
        } else {
            provider.get_payout("PY_1").await.map(|_| ())
        };
        assert!(result.is_err(), "{id}: {result:?}");
        let received = recorder.received_requests().await.expect("recorded");
        let first = received
            .get(before)
            .unwrap_or_else(|| panic!("{id}: nothing reached the recorder"));
        assert_eq!(first.headers["host"].to_str().ok(), Some(host), "{id}");
        assert_eq!(first.url.path(), first_path, "{id}");
        assert_eq!(first.headers["x-egress"], "allow-listed", "{id}");
    }
}

/// Every config's `settings` comes from the same place: `from_env`'s shared variables are
/// exercised in `tests/config_env.rs` (its own process, since it sets the environment).
#[test]
fn shared_settings_debug_redacts_the_secrets() {
    let settings = every_shared_builder!(jpay(), reqwest::Client::new());
    let text = format!("{settings:?}");
    assert!(
        !text.contains("current") && !text.contains("previous\""),
        "{text}"
    );
    assert!(text.contains("strict_callback_url: true"), "{text}");
}

/// The token providers (JPay, MTN MoMo, M-Pesa Daraja) share `with_refresh_margin`, and the two
/// that confirm callbacks (JPay, MTN MoMo) share `with_confirm_callbacks`: each is written once,
/// in `disburse::config`, and sets the same field on each config.
#[test]
fn token_providers_share_the_refresh_and_confirm_builders() {
    let margin = Duration::from_secs(42);
    let jpay = jpay()
        .with_refresh_margin(margin)
        .with_confirm_callbacks(true);
    assert_eq!(jpay.refresh_margin, margin);
    assert!(jpay.confirm_callbacks);
    let mtn = mtn_momo()
        .with_refresh_margin(margin)
        .with_confirm_callbacks(true);
    assert_eq!(mtn.refresh_margin, margin);
    assert!(mtn.confirm_callbacks);
    assert_eq!(daraja().with_refresh_margin(margin).refresh_margin, margin);
}
