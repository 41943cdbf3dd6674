//! Each provider's `Capabilities::callback_url` says what it does with a per-payout callback URL,
//! checked against what the adapter does with and without one, in front of the sandbox.
#![cfg(feature = "sandbox")]

mod e2e_support;

use std::sync::Arc;

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
        (ProviderId::PAYONIFY, CallbackUrlSupport::Refused),
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
