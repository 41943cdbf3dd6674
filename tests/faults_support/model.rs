//! What the retry policy (src/http.rs, module docs) says must happen to one run: the result the
//! caller gets, how many times the create is POSTed, and whether the provider committed it.

use disburse::Ambiguity;

use super::schedule::{Kind, Prov, Scenario};

/// Attempts in all ([`disburse::RetryPolicy`]'s default, which the sandbox clients keep).
pub const MAX_ATTEMPTS: u32 = 3;

/// What the caller gets back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Unknown(Ambiguity),
    RateLimited,
    Rejected(u16),
    Auth(u16),
}

/// The prediction for one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expected {
    pub outcome: Outcome,
    /// POSTs of the create under the run's reference.
    pub posts: u32,
    /// Whether the provider holds the payout (or refund) afterwards.
    pub committed: bool,
}

/// The status a successful create answers with (what a malformed copy of it keeps).
const CREATED_STATUS: u16 = 200;

pub fn expect(scenario: &Scenario) -> Expected {
    let provider = scenario.provider;
    let keyed = provider.keyed();
    let mut faults = scenario.fault_sequence().into_iter();
    let mut committed = false;
    // The latest attempt that may have been processed without the caller learning the outcome.
    let mut ambiguity: Option<Ambiguity> = None;
    let mut posts = 0;
    let mut attempt = 0;
    let mut renewed = false;
    // A conclusive refusal, unless an earlier attempt may have gone through.
    let refusal = |outcome: Outcome, ambiguity: &Option<Ambiguity>| match ambiguity {
        Some(cause) => Outcome::Unknown(cause.clone()),
        None => outcome,
    };
    loop {
        attempt += 1;
        posts += 1;
        let can_retry = attempt < MAX_ATTEMPTS;
        let fault = faults.next();
        let outcome = match fault {
            None | Some(Kind::SlowBodyWithinTimeout)
                if provider == Prov::MpesaDaraja && committed =>
            {
                // Daraja refuses the reused OriginatorConversationID with an HTTP 500
                // (500.002.1001), which the core re-sends like any 5xx of a keyed call, each
                // refused again; the adapter resolves the last refusal with a Transaction Status
                // query answered by callback, and returns the original.
                ambiguity = Some(Ambiguity::ServerError { status: 500 });
                if can_retry {
                    continue;
                }
                if matches!(scenario.ending, 1 | 2 | 3 | 5) {
                    // A failed result carries no amount, so the adapter cannot tell the original
                    // is this payout: the refusal stands as an unknown outcome (find_payout
                    // resolves it).
                    Outcome::Unknown(Ambiguity::ServerError { status: 500 })
                } else {
                    Outcome::Ok
                }
            }
            Some(Kind::MalformedJson) if provider == Prov::MpesaDaraja && committed => {
                // Half of Daraja's duplicate refusal: an unreadable 500, re-sent like any 5xx;
                // what it refused cannot be read.
                let cause = Ambiguity::ServerError { status: 500 };
                ambiguity = Some(cause.clone());
                if can_retry {
                    continue;
                }
                Outcome::Unknown(cause)
            }
            None | Some(Kind::SlowBodyWithinTimeout) => {
                // JPay answers a repeated ref_no with its duplicate error; the adapter finds the
                // payout by ref_no and returns it. Payonify replays the first answer.
                committed = true;
                Outcome::Ok
            }
            Some(Kind::MalformedJson) if provider == Prov::MtnMomo => {
                // MTN's 202 has no body, and the adapter reads none: half of it is still a
                // 202. Half of a 409 after an earlier commit is still a 409: the adapter reads
                // the transfer it names.
                committed = true;
                Outcome::Ok
            }
            Some(Kind::SlowBodyPastTimeout) if provider == Prov::MtnMomo && !committed => {
                // An empty body trickled is an empty body at once.
                committed = true;
                Outcome::Ok
            }
            Some(
                kind @ (Kind::AcceptedThenTimeout
                | Kind::AcceptedThenReset
                | Kind::TruncatedBody
                | Kind::SlowBodyPastTimeout),
            ) => {
                committed = true;
                let cause = match kind {
                    Kind::AcceptedThenTimeout | Kind::SlowBodyPastTimeout => Ambiguity::Timeout,
                    _ => Ambiguity::ConnectionLost,
                };
                ambiguity = Some(cause.clone());
                if keyed && can_retry {
                    continue;
                }
                Outcome::Unknown(cause)
            }
            Some(Kind::MalformedJson) => {
                if provider == Prov::Jpay && committed {
                    // Half of JPay's duplicate answer (a 400) still names the duplicate ref_no:
                    // the adapter finds the payout and returns it.
                    Outcome::Ok
                } else {
                    committed = true;
                    Outcome::Unknown(Ambiguity::UndecodableResponse {
                        status: CREATED_STATUS,
                    })
                }
            }
            Some(kind @ (Kind::ServerError(_) | Kind::HtmlBadGateway)) => {
                let status = match kind {
                    Kind::ServerError(s) => s,
                    _ => 502,
                };
                let cause = Ambiguity::ServerError { status };
                ambiguity = Some(cause.clone());
                if keyed && can_retry {
                    continue;
                }
                Outcome::Unknown(cause)
            }
            Some(Kind::TooManyRequests) => {
                if can_retry {
                    continue;
                }
                refusal(Outcome::RateLimited, &ambiguity)
            }
            Some(Kind::ClientError(401)) => {
                if provider.renews_on_401() && !renewed {
                    // The token is renewed and the call repeated once, not counted as an attempt.
                    renewed = true;
                    attempt -= 1;
                    continue;
                }
                refusal(Outcome::Auth(401), &ambiguity)
            }
            Some(Kind::ClientError(status)) => refusal(Outcome::Rejected(status), &ambiguity),
        };
        return Expected {
            outcome,
            posts,
            committed,
        };
    }
}

/// The extra requests the policy allows for a run's injected faults, over a fault-free run:
/// one retry per retryable fault up to `MAX_ATTEMPTS - 1`, JPay's token renewal and repeat after
/// a 401, and JPay's lookup of a payout its duplicate answer names.
pub fn allowance(scenario: &Scenario) -> u32 {
    let keyed = scenario.provider.keyed();
    let faults = scenario.fault_sequence();
    let retryable = faults
        .iter()
        .filter(|k| match k {
            Kind::TooManyRequests => true,
            Kind::AcceptedThenTimeout
            | Kind::AcceptedThenReset
            | Kind::TruncatedBody
            | Kind::SlowBodyPastTimeout
            | Kind::ServerError(_)
            | Kind::HtmlBadGateway => keyed,
            _ => false,
        })
        .count() as u32;
    let mut allowed = retryable.min(MAX_ATTEMPTS - 1);
    if scenario.provider.renews_on_401() && faults.contains(&Kind::ClientError(401)) {
        allowed += 2;
    }
    if scenario.provider.looks_up_duplicates() && faults.iter().any(|k| k.fault().commits()) {
        allowed += 1;
    }
    allowed
}
