//! Each provider's `Capabilities::callback_url` says what it does with a per-payout callback URL,
//! checked against what the adapter does with and without one, in front of the sandbox.
#![cfg(feature = "sandbox")]

mod e2e_support;

use std::sync::{Arc, Mutex};

use disburse::providers::jpay::JpayClient;
use disburse::providers::mtn_momo::MtnMomoClient;
use disburse::providers::payonify::PayonifyClient;
use disburse::providers::vesicash::VesicashClient;
use disburse::sandbox::Sandbox;
use disburse::{
    CallbackUrl, CallbackUrlSupport, Currency, Destination, Error, Money, Msisdn, PayoutProvider,
    PayoutRequest, ProviderId,
};
use e2e_support::{reference, sandbox};

/// A payout each provider takes: its country's wallet, its currency.
fn payout(provider: ProviderId, reference_text: &str) -> PayoutRequest {
    let (amount, currency, number) = match provider {
        ProviderId::JPAY => ("150.00", Currency::KES, "+254712345678"),
        ProviderId::PAYONIFY => ("10.00", Currency::USD, "+263771234567"),
        ProviderId::MTN_MOMO => ("10.00", Currency::EUR, "+46733123999"),
        _ => ("150.00", Currency::ZMW, "+260977123456"),
    };
    PayoutRequest::new(
        reference(reference_text),
        Money::parse(amount, currency).expect("amount"),
        Destination::mobile(Msisdn::parse(number).expect("mobile number")),
    )
}

fn clients(sandbox: &Sandbox) -> [Arc<dyn PayoutProvider>; 4] {
    [
        Arc::new(sandbox.jpay_client().expect("JPay client")),
        Arc::new(sandbox.payonify_client().expect("Payonify client")),
        Arc::new(sandbox.vesicash_client().expect("Vesicash client")),
        Arc::new(sandbox.mtn_momo_client().expect("MTN MoMo client")),
    ]
}

fn posts(sandbox: &Sandbox) -> usize {
    sandbox
        .requests()
        .iter()
        .filter(|r| r.method == "POST")
        .count()
}

fn refused_for_the_callback(result: &Result<disburse::Payout, Error>) -> bool {
    matches!(
        result,
        Err(Error::InvalidRequest {
            field: "callback_url",
            ..
        })
    )
}

#[tokio::test]
async fn the_callback_url_capability_says_what_each_provider_does_with_one() {
    let sandbox = sandbox().await;
    let callback = CallbackUrl::parse(&format!("http://{}/hooks", sandbox.addr())).expect("url");
    let expected = [
        (ProviderId::JPAY, CallbackUrlSupport::Required),
        (ProviderId::PAYONIFY, CallbackUrlSupport::Ignored),
        (ProviderId::VESICASH, CallbackUrlSupport::Optional),
        (ProviderId::MTN_MOMO, CallbackUrlSupport::Optional),
    ];

    for (client, (id, support)) in clients(&sandbox).iter().zip(expected) {
        let provider = client.id();
        assert_eq!(provider, id);
        assert_eq!(client.capabilities().callback_url, support, "{provider}");

        let before = posts(&sandbox);
        let without = client
            .create_payout(&payout(provider, &format!("cb-without-{provider}")))
            .await;
        let sent_without = posts(&sandbox) - before;
        let before = posts(&sandbox);
        let with = client
            .create_payout(
                &payout(provider, &format!("cb-with-{provider}"))
                    .with_callback_url(callback.clone()),
            )
            .await;
        let sent_with = posts(&sandbox) - before;

        match support {
            CallbackUrlSupport::Required => {
                assert!(
                    refused_for_the_callback(&without),
                    "{provider}: {without:?}"
                );
                assert_eq!(sent_without, 0, "{provider}: refused before sending");
                assert!(with.is_ok(), "{provider}: {with:?}");
            }
            CallbackUrlSupport::Ignored => {
                assert!(without.is_ok(), "{provider}: {without:?}");
                assert!(with.is_ok(), "{provider}: {with:?}");
                assert_eq!(sent_with, 1, "{provider}: accepted and sent once");
            }
            CallbackUrlSupport::Refused => {
                assert!(without.is_ok(), "{provider}: {without:?}");
                assert!(refused_for_the_callback(&with), "{provider}: {with:?}");
                assert_eq!(sent_with, 0, "{provider}: refused before sending");
            }
            CallbackUrlSupport::Optional => {
                assert!(without.is_ok(), "{provider}: {without:?}");
                assert!(with.is_ok(), "{provider}: {with:?}");
            }
            other => panic!("{provider}: a new kind of support, {other:?}: add it here"),
        }
    }
}

/// A client built strict (`with_strict_callback_url(true)`) refuses, before sending anything, a
/// callback URL its provider could only ignore (Payonify: `Refused`, `InvalidRequest` on
/// `callback_url`); every provider that honours per-payout URLs is unchanged by the flag.
#[tokio::test]
async fn a_strict_client_refuses_a_callback_url_it_could_only_ignore() {
    let sandbox = sandbox().await;
    let callback = CallbackUrl::parse(&format!("http://{}/hooks", sandbox.addr())).expect("url");
    let strict: [Arc<dyn PayoutProvider>; 4] = [
        Arc::new(
            JpayClient::new(sandbox.jpay_config().with_strict_callback_url(true)).expect("JPay"),
        ),
        Arc::new(
            PayonifyClient::new(sandbox.payonify_config().with_strict_callback_url(true))
                .expect("Payonify"),
        ),
        Arc::new(
            VesicashClient::new(sandbox.vesicash_config().with_strict_callback_url(true))
                .expect("Vesicash"),
        ),
        Arc::new(
            MtnMomoClient::new(sandbox.mtn_momo_config().with_strict_callback_url(true))
                .expect("MTN MoMo"),
        ),
    ];
    for (client, lenient) in strict.iter().zip(clients(&sandbox)) {
        let provider = client.id();
        let support = client.capabilities().callback_url;
        if provider == ProviderId::PAYONIFY {
            assert_eq!(support, CallbackUrlSupport::Refused);
            let before = posts(&sandbox);
            let with = client
                .create_payout(&payout(provider, "strict-with").with_callback_url(callback.clone()))
                .await;
            assert!(refused_for_the_callback(&with), "{with:?}");
            assert_eq!(posts(&sandbox) - before, 0, "refused before sending");
            let without = client
                .create_payout(&payout(provider, "strict-without"))
                .await;
            assert!(without.is_ok(), "{without:?}");
        } else {
            assert_eq!(support, lenient.capabilities().callback_url, "{provider}");
            let with = client
                .create_payout(
                    &payout(provider, &format!("strict-{provider}"))
                        .with_callback_url(callback.clone()),
                )
                .await;
            assert!(with.is_ok(), "{provider}: {with:?}");
        }
    }
}

/// Payonify drops a callback URL with a `WARN` event naming the provider and the reference
/// (and never the URL's query, which may carry a token).
#[tokio::test]
async fn a_dropped_callback_url_is_a_warn_event() {
    let capture = Capture::default();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(capture.clone())
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);

    let sandbox = sandbox().await;
    let client = sandbox.payonify_client().expect("Payonify client");
    let callback =
        CallbackUrl::parse(&format!("http://{}/hooks?token=s3cr3t", sandbox.addr())).expect("url");
    client
        .create_payout(&payout(ProviderId::PAYONIFY, "dropped-1").with_callback_url(callback))
        .await
        .expect("accepted");
    client
        .create_payout(&payout(ProviderId::PAYONIFY, "kept-none"))
        .await
        .expect("accepted");

    let text = capture.text();
    let dropped: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("disburse::callback_url"))
        .collect();
    assert_eq!(dropped.len(), 1, "{text}");
    let line = dropped[0];
    assert!(line.contains("WARN"), "{line}");
    assert!(line.contains("provider=payonify"), "{line}");
    assert!(line.contains("reference=\"dropped-1\""), "{line}");
    assert!(line.contains("callback URL not sent"), "{line}");
    assert!(!line.contains("s3cr3t"), "{line}");
}

/// Every tracing event, written as text.
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().expect("capture")).into_owned()
    }
}

impl std::io::Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("capture").extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;

    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}
