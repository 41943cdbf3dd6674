//! Building each provider's client and request, running one scenario, and resolving an unknown
//! outcome once the faults are cleared.

use std::sync::Arc;
use std::time::Duration;

use disburse::sandbox::{Route, Sandbox, sandbox_http_config};
use disburse::{
    Currency, Destination, Error, Money, Msisdn, PayoutProvider, PayoutRequest, ProviderId,
    Reference, RefundRequest,
};

use super::receiver::Receiver;
use super::schedule::{CLIENT_TIMEOUT, Op, Prov, Scenario};

pub fn id(provider: Prov) -> ProviderId {
    match provider {
        Prov::Vesicash => ProviderId::VESICASH,
        Prov::Jpay => ProviderId::JPAY,
        Prov::Payonify => ProviderId::PAYONIFY,
        Prov::MtnMomo => ProviderId::MTN_MOMO,
        Prov::MpesaDaraja => ProviderId::MPESA_DARAJA,
    }
}

fn currency(provider: Prov) -> Currency {
    match provider {
        Prov::Vesicash => Currency::ZMW,
        Prov::Jpay => Currency::KES,
        Prov::Payonify => Currency::USD,
        Prov::MtnMomo => Currency::EUR,
        Prov::MpesaDaraja => Currency::KES,
    }
}

/// A client with the sandbox's credentials and retry policy and this suite's short timeout.
pub fn client(sandbox: &Sandbox, receiver: &Receiver, provider: Prov) -> Arc<dyn PayoutProvider> {
    client_with_timeout(sandbox, receiver, provider, CLIENT_TIMEOUT)
}

/// Where Daraja's status-query results go (a payout's own result goes to its run's hook path).
pub const DARAJA_RESULTS: &str = "/daraja/results";

/// The same client with another per-attempt timeout.
pub fn client_with_timeout(
    sandbox: &Sandbox,
    receiver: &Receiver,
    provider: Prov,
    timeout: Duration,
) -> Arc<dyn PayoutProvider> {
    let http = sandbox_http_config().with_timeout(timeout);
    match provider {
        Prov::MpesaDaraja => {
            // Daraja answers a status query (how a duplicate or an unknown outcome is resolved)
            // only by callback: the receiver hands every delivery to this client's
            // parse_webhook, which records it where find_payout waits for it.
            let url = receiver.callback(DARAJA_RESULTS);
            let client: Arc<dyn PayoutProvider> = Arc::new(
                disburse::providers::mpesa_daraja::DarajaClient::new(
                    sandbox
                        .mpesa_daraja_config(url.clone(), url)
                        .with_http(http),
                )
                .expect("daraja client"),
            );
            receiver.forward_to(Arc::clone(&client));
            client
        }
        Prov::Vesicash => Arc::new(
            disburse::providers::vesicash::VesicashClient::new(
                sandbox.vesicash_config().with_http(http),
            )
            .expect("vesicash client"),
        ),
        Prov::Jpay => Arc::new(
            disburse::providers::jpay::JpayClient::new(sandbox.jpay_config().with_http(http))
                .expect("jpay client"),
        ),
        Prov::Payonify => Arc::new(
            disburse::providers::payonify::PayonifyClient::new(
                sandbox.payonify_config().with_http(http),
            )
            .expect("payonify client"),
        ),
        Prov::MtnMomo => Arc::new(
            disburse::providers::mtn_momo::MtnMomoClient::new(
                sandbox.mtn_momo_config().with_http(http),
            )
            .expect("mtn momo client"),
        ),
    }
}

/// Balances no run can exhaust, so only injected faults make a create fail.
pub fn fund(sandbox: &Sandbox, provider: Prov) {
    let amount = Money::parse("100000000", currency(provider)).expect("amount");
    sandbox.set_balance(id(provider), amount);
}

fn wallet(provider: Prov, ending: u16) -> Destination {
    let number = match provider {
        Prov::Vesicash => format!("+26097712{ending:04}"),
        Prov::Jpay => format!("+25471200{ending:04}"),
        Prov::Payonify => format!("+26377100{ending:04}"),
        // Clear of MTN's documented sandbox numbers (46733123450-63).
        Prov::MtnMomo => format!("+4673399{ending:04}"),
        // A Safaricom number.
        Prov::MpesaDaraja => format!("+25470837{ending:04}"),
    };
    Destination::mobile(Msisdn::parse(&number).expect("mobile number"))
}

/// Where a run's webhooks go: one path per reference.
pub fn hook_path(reference: &str) -> String {
    format!("/hooks/{reference}")
}

/// Injects the scenario's faults (for its reference only) and makes the call: the provider's id
/// of what was created, or the error.
pub async fn run(
    sandbox: &Sandbox,
    client: &dyn PayoutProvider,
    receiver: &Receiver,
    s: &Scenario,
) -> Result<String, Error> {
    for injection in &s.injections {
        sandbox.inject(
            id(s.provider),
            Route::post(s.provider.path(s.op)).for_reference(&s.reference),
            injection.kind.fault(),
            injection.times,
        );
    }
    let reference = Reference::new(&s.reference).expect("reference");
    let amount = Money::parse(&s.units.to_string(), currency(s.provider)).expect("amount");
    let callback = receiver.callback(&hook_path(&s.reference));
    match s.op {
        Op::Payout => {
            let mut request = PayoutRequest::new(reference, amount, wallet(s.provider, s.ending))
                // Vesicash sends the narration as `reason`, the one place its ledger keeps the
                // merchant reference.
                .with_narration(s.reference.clone());
            // Payonify takes no per-payout callback (its webhooks go to the dashboard URL).
            if s.provider != Prov::Payonify {
                request = request.with_callback_url(callback);
            }
            client.create_payout(&request).await.map(|p| p.id)
        }
        Op::Refund => {
            let payment = match s.provider {
                Prov::Vesicash => sandbox.vesicash_create_payment(amount),
                _ => format!("PAY-{}", s.reference),
            };
            let request =
                RefundRequest::new(reference, payment, amount, wallet(s.provider, s.ending))
                    .with_reason(s.reference.clone())
                    .with_callback_url(callback);
            client.create_refund(&request).await.map(|r| r.id)
        }
    }
}

/// How an unknown outcome was resolved once the faults were cleared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolution {
    /// `find_payout` found it and `get_payout` returned the same id.
    Found(String),
    /// `find_payout` answered `None`.
    NotFound,
    /// The signed webhook named it and `get_payout` returned the same id (Vesicash).
    Webhook(String),
    /// No webhook came (Vesicash): nothing to look up.
    NoWebhook,
    /// The lookup failed; the outcome stays unknown.
    Failed(String),
}

/// How long a Vesicash resolution waits for its webhook (they settle at once in this sandbox, so
/// any webhook is long there by the time resolution starts).
const WEBHOOK_WAIT: Duration = Duration::from_secs(3);

pub async fn resolve(client: &dyn PayoutProvider, receiver: &Receiver, s: &Scenario) -> Resolution {
    if s.provider == Prov::Vesicash {
        let Some(delivery) = receiver
            .wait_at(&hook_path(&s.reference), WEBHOOK_WAIT)
            .await
        else {
            return Resolution::NoWebhook;
        };
        let event = match client.parse_webhook(&delivery.request()) {
            Ok(event) => event,
            Err(e) => return Resolution::Failed(format!("webhook refused: {e}")),
        };
        let Some(id) = event.provider_reference else {
            return Resolution::Failed("webhook without a reference".into());
        };
        return match client.get_payout(&id).await {
            Ok(p) if p.id == id => Resolution::Webhook(id),
            Ok(p) => Resolution::Failed(format!("get_payout({id}) answered {}", p.id)),
            Err(e) => Resolution::Failed(format!("get_payout({id}): {e}")),
        };
    }
    let reference = Reference::new(&s.reference).expect("reference");
    match client.find_payout(&reference).await {
        Ok(Some(found)) => match client.get_payout(&found.id).await {
            Ok(p) if p.id == found.id => Resolution::Found(found.id),
            Ok(p) => Resolution::Failed(format!("get_payout({}) answered {}", found.id, p.id)),
            Err(e) => Resolution::Failed(format!("get_payout({}): {e}", found.id)),
        },
        Ok(None) => Resolution::NotFound,
        Err(e) => Resolution::Failed(format!("find_payout: {e}")),
    }
}
