//! Every config's `from_env` reads the same shared variables, `<PREFIX>_WEBHOOK_SECRET`,
//! `<PREFIX>_PREVIOUS_WEBHOOK_SECRET`, `<PREFIX>_BASE_URL`, `<PREFIX>_TIMEOUT_SECS` and
//! `<PREFIX>_STRICT_CALLBACK_URL`, through one mechanism (`disburse::config`).
//!
//! The crate forbids `unsafe` (so no `std::env::set_var` here): the test runs this binary again
//! as a child process, once per scenario, with exactly the scenario's environment, and the child
//! makes the assertions.

use std::process::Command;
use std::time::Duration;

use disburse::config::{ClientSettings, Environment};
use disburse::providers::jpay::JpayConfig;
use disburse::providers::mpesa_daraja::DarajaConfig;
use disburse::providers::mtn_momo::MtnMomoConfig;
use disburse::providers::payonify::PayonifyConfig;
use disburse::providers::vesicash::VesicashConfig;
use disburse::{Error, ExposeSecret};

const PREFIXES: [&str; 5] = ["VESICASH", "JPAY", "PAYONIFY", "MTN_MOMO", "MPESA_DARAJA"];
const SCENARIO: &str = "DISBURSE_CONFIG_ENV_SCENARIO";

/// Each provider's own required variables.
const OWN: &[(&str, &str)] = &[
    ("VESICASH_SECRET_KEY", "sk"),
    ("VESICASH_PUBLIC_KEY", "pk"),
    ("JPAY_APP_KEY", "key"),
    ("JPAY_APP_SECRET", "secret"),
    ("PAYONIFY_PUBLISHABLE_KEY", "pk_test_x"),
    ("PAYONIFY_SECRET_KEY", "sk_test_x"),
    ("MTN_MOMO_SUBSCRIPTION_KEY", "sub"),
    ("MTN_MOMO_API_USER", "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60"),
    ("MTN_MOMO_API_KEY", "key"),
    ("MPESA_DARAJA_CONSUMER_KEY", "ck"),
    ("MPESA_DARAJA_CONSUMER_SECRET", "cs"),
    ("MPESA_DARAJA_SHORTCODE", "600997"),
    ("MPESA_DARAJA_INITIATOR_NAME", "testapi"),
    ("MPESA_DARAJA_INITIATOR_PASSWORD", "pw"),
    ("MPESA_DARAJA_RESULT_URL", "https://shop.example/result"),
    ("MPESA_DARAJA_TIMEOUT_URL", "https://shop.example/timeout"),
];

/// The environment of each scenario: each provider's own variables, plus the shared ones.
fn scenario_env(scenario: &str) -> Vec<(String, String)> {
    let mut vars: Vec<(String, String)> = OWN
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    for prefix in PREFIXES {
        let lower = prefix.to_ascii_lowercase();
        let mut shared = |name: &str, value: String| vars.push((format!("{prefix}_{name}"), value));
        match scenario {
            "all-set" => {
                shared("WEBHOOK_SECRET", format!("{lower}-current"));
                shared("PREVIOUS_WEBHOOK_SECRET", format!("{lower}-previous"));
                shared("BASE_URL", format!("http://127.0.0.1:9/{lower}/"));
                shared("TIMEOUT_SECS", "2.5".into());
                shared("STRICT_CALLBACK_URL", "true".into());
            }
            "older-name" => shared("CALLBACK_SECRET", "older-name".into()),
            "no-secret" => {}
            "bad-timeout" => {
                shared("WEBHOOK_SECRET", "s".into());
                shared("TIMEOUT_SECS", "-1".into());
            }
            other => panic!("no scenario {other}"),
        }
    }
    vars
}

fn all_settings() -> Result<Vec<(&'static str, ClientSettings)>, Error> {
    Ok(vec![
        ("VESICASH", VesicashConfig::from_env()?.settings),
        ("JPAY", JpayConfig::from_env()?.settings),
        ("PAYONIFY", PayonifyConfig::from_env()?.settings),
        ("MTN_MOMO", MtnMomoConfig::from_env()?.settings),
        ("MPESA_DARAJA", DarajaConfig::from_env()?.settings),
    ])
}

#[test]
fn every_from_env_reads_the_same_shared_variables() {
    if let Ok(scenario) = std::env::var(SCENARIO) {
        return check(&scenario);
    }
    let exe = std::env::current_exe().expect("this test binary");
    for scenario in ["all-set", "older-name", "no-secret", "bad-timeout"] {
        let output = Command::new(&exe)
            .args([
                "--exact",
                "every_from_env_reads_the_same_shared_variables",
                "--nocapture",
                "--test-threads=1",
            ])
            .env_clear()
            .envs(scenario_env(scenario))
            .env(SCENARIO, scenario)
            .output()
            .expect("the child runs");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.status.success(), "{scenario}: {text}");
        assert!(
            text.contains("1 passed"),
            "{scenario}: the child ran the test: {text}"
        );
    }
}

/// The child's assertions for `scenario`.
fn check(scenario: &str) {
    match scenario {
        "all-set" => {
            for (prefix, settings) in all_settings().expect("every config reads") {
                let lower = prefix.to_ascii_lowercase();
                assert_eq!(
                    settings.environment,
                    Environment::Custom(format!("http://127.0.0.1:9/{lower}")),
                    "{prefix}"
                );
                assert_eq!(
                    settings.webhook_secret.expose_secret(),
                    format!("{lower}-current")
                );
                let previous: Vec<&str> = settings
                    .previous_webhook_secrets
                    .iter()
                    .map(ExposeSecret::expose_secret)
                    .collect();
                assert_eq!(previous, [format!("{lower}-previous")], "{prefix}");
                assert_eq!(
                    settings.http.timeout,
                    Duration::from_millis(2500),
                    "{prefix}"
                );
                assert!(settings.strict_callback_url, "{prefix}");
            }
        }
        // Unset shared variables: the sandbox, the default timeout, lenient; the older
        // `<PREFIX>_CALLBACK_SECRET` name is read when `<PREFIX>_WEBHOOK_SECRET` is unset.
        "older-name" => {
            let default_timeout = disburse::http::HttpConfig::default().timeout;
            for (prefix, settings) in all_settings().expect("every config reads") {
                assert_eq!(settings.environment, Environment::Sandbox, "{prefix}");
                assert_eq!(settings.webhook_secret.expose_secret(), "older-name");
                assert!(settings.previous_webhook_secrets.is_empty(), "{prefix}");
                assert_eq!(settings.http.timeout, default_timeout, "{prefix}");
                assert!(!settings.strict_callback_url, "{prefix}");
            }
        }
        "no-secret" => {
            for (prefix, result) in PREFIXES.iter().zip(each_config()) {
                match result {
                    Err(Error::Config { message, .. }) => assert_eq!(
                        message,
                        format!("environment variable {prefix}_WEBHOOK_SECRET is not set")
                    ),
                    other => panic!("{prefix}: {other:?}"),
                }
            }
        }
        "bad-timeout" => {
            for (prefix, result) in PREFIXES.iter().zip(each_config()) {
                match result {
                    Err(Error::Config { message, .. }) => assert_eq!(
                        message,
                        format!(
                            "{prefix}_TIMEOUT_SECS must be a positive number of seconds, got \"-1\""
                        )
                    ),
                    other => panic!("{prefix}: {other:?}"),
                }
            }
        }
        other => panic!("no scenario {other}"),
    }
}

fn each_config() -> [Result<(), Error>; 5] {
    [
        VesicashConfig::from_env().map(|_| ()),
        JpayConfig::from_env().map(|_| ()),
        PayonifyConfig::from_env().map(|_| ()),
        MtnMomoConfig::from_env().map(|_| ()),
        DarajaConfig::from_env().map(|_| ()),
    ]
}
