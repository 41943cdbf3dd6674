//! The randomized schedule: which provider, operation, faults (and how many times) and recipient
//! each run gets, from one fixed seed.

use std::time::Duration;

use disburse::sandbox::Fault;

/// The seed of the schedule when `DISBURSE_FAULT_SEED` is not set.
pub const DEFAULT_SEED: u64 = 0xFA17_5EED_2024;

/// The client's per-attempt timeout in a run that needs the client to give up (an answer held
/// past it).
pub const CLIENT_TIMEOUT: Duration = Duration::from_secs(2);
/// The timeout of the client that reconciles once the faults are cleared (a reconciler has no
/// reason to be impatient).
pub const RESOLVE_TIMEOUT: Duration = Duration::from_secs(10);
/// How long an accepted-then-timeout answer (and a slow body past the timeout) is held back:
/// far past [`CLIENT_TIMEOUT`], so that a machine stalled for a few seconds cannot let the held
/// answer beat the client's timer (the sandbox and the clients share this test's runtime).
pub const PAST_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a slow body within the timeout takes.
pub const WITHIN_TIMEOUT: Duration = Duration::from_millis(200);
/// The client's per-attempt timeout in a run where no answer is held past the timeout: far past
/// [`WITHIN_TIMEOUT`] (and an answer's ordinary time), so that a machine stalled for a few
/// seconds cannot make an answer that is meant to arrive in time arrive late. Only runs that
/// need the client to give up ([`Scenario::waits_out_the_client`]) use the short
/// [`CLIENT_TIMEOUT`].
pub const PATIENT_TIMEOUT: Duration = Duration::from_secs(10);
/// The `Retry-After` of a 429: the sandbox announces whole seconds, rounding up, so one second is
/// the shortest real wait.
pub const RETRY_AFTER: Duration = Duration::from_secs(1);

/// The providers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Prov {
    Vesicash,
    Jpay,
    Payonify,
    MtnMomo,
    MpesaDaraja,
}

impl Prov {
    pub const ALL: [Prov; 5] = [
        Prov::Vesicash,
        Prov::Jpay,
        Prov::Payonify,
        Prov::MtnMomo,
        Prov::MpesaDaraja,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Prov::Vesicash => "Vesicash",
            Prov::Jpay => "JPay",
            Prov::Payonify => "Payonify",
            Prov::MtnMomo => "MTN MoMo",
            Prov::MpesaDaraja => "M-Pesa Daraja",
        }
    }

    /// A 401 renews the token and repeats the call once (JPay, MTN MoMo, M-Pesa Daraja).
    pub fn renews_on_401(self) -> bool {
        matches!(self, Prov::Jpay | Prov::MtnMomo | Prov::MpesaDaraja)
    }

    /// A re-send refused as a duplicate is resolved by a lookup of the existing payout (JPay's
    /// duplicate `ref_no`, MTN MoMo's 409 on its `X-Reference-Id`, Daraja's `500.002.1001` on
    /// its `OriginatorConversationID`, answered by a Transaction Status query's callback).
    pub fn looks_up_duplicates(self) -> bool {
        matches!(self, Prov::Jpay | Prov::MtnMomo | Prov::MpesaDaraja)
    }

    /// Creates deduplicated by the provider (re-sent by the core) or not.
    pub fn keyed(self) -> bool {
        !matches!(self, Prov::Vesicash)
    }

    /// The operations that move money through this crate.
    pub fn ops(self) -> &'static [Op] {
        match self {
            Prov::Vesicash | Prov::Jpay => &[Op::Payout, Op::Refund],
            // An MTN MoMo refund is reconciled by MtnMomoClient::find_refund, which the trait
            // has no door for: transfers only.
            // Daraja's create_refund is Unsupported (Reversal is not documented for B2C).
            Prov::Payonify | Prov::MtnMomo | Prov::MpesaDaraja => &[Op::Payout],
        }
    }

    /// The path a payout or refund is POSTed to.
    pub fn path(self, op: Op) -> &'static str {
        match (self, op) {
            (Prov::Vesicash, Op::Payout) => "/v1/payment/payout/process",
            (Prov::Vesicash, Op::Refund) => "/v1/payment/refunds/process",
            (Prov::Jpay, _) => "/payments/payouts/initiate",
            (Prov::Payonify, _) => "/v1/payouts",
            (Prov::MtnMomo, _) => "/disbursement/v1_0/transfer",
            (Prov::MpesaDaraja, _) => "/mpesa/b2c/v3/paymentrequest",
        }
    }

    /// The recipient endings scripted to fail after settling (and, where the outcome can still be
    /// learned, to stay pending). Vesicash never sends a webhook for a payout stuck pending, so
    /// with no lookup by merchant reference an ambiguous one could not be resolved: left out.
    pub fn scripted_endings(self) -> &'static [u16] {
        match self {
            Prov::Vesicash => &[1, 2, 3, 5],
            Prov::Jpay | Prov::Payonify | Prov::MtnMomo | Prov::MpesaDaraja => &[1, 2, 3, 4, 5],
        }
    }
}

/// A money-moving operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Op {
    Payout,
    Refund,
}

/// One kind of fault, as the suite names it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Kind {
    AcceptedThenTimeout,
    AcceptedThenReset,
    ServerError(u16),
    TooManyRequests,
    TruncatedBody,
    HtmlBadGateway,
    MalformedJson,
    SlowBodyPastTimeout,
    SlowBodyWithinTimeout,
    ClientError(u16),
}

impl Kind {
    /// Every kind, each 4xx and 5xx status once.
    pub const ALL: [Kind; 15] = [
        Kind::AcceptedThenTimeout,
        Kind::AcceptedThenReset,
        Kind::ServerError(500),
        Kind::ServerError(503),
        Kind::ServerError(504),
        Kind::TooManyRequests,
        Kind::TruncatedBody,
        Kind::HtmlBadGateway,
        Kind::MalformedJson,
        Kind::SlowBodyPastTimeout,
        Kind::SlowBodyWithinTimeout,
        Kind::ClientError(400),
        Kind::ClientError(401),
        Kind::ClientError(404),
        Kind::ClientError(422),
    ];

    pub fn fault(self) -> Fault {
        match self {
            Kind::AcceptedThenTimeout => Fault::CommitThenDelay(PAST_TIMEOUT),
            Kind::AcceptedThenReset => Fault::CommitThenDrop,
            Kind::ServerError(s) | Kind::ClientError(s) => Fault::Status(s),
            Kind::TooManyRequests => Fault::TooManyRequests {
                retry_after: RETRY_AFTER,
            },
            Kind::TruncatedBody => Fault::TruncatedBody,
            Kind::HtmlBadGateway => Fault::HtmlErrorPage,
            Kind::MalformedJson => Fault::MalformedJson,
            Kind::SlowBodyPastTimeout => Fault::SlowBody(PAST_TIMEOUT),
            Kind::SlowBodyWithinTimeout => Fault::SlowBody(WITHIN_TIMEOUT),
        }
    }

    /// The kind a fault seen in the request log was injected as.
    pub fn of_fault(fault: &Fault) -> Option<Kind> {
        Kind::ALL.into_iter().find(|k| k.fault() == *fault)
    }

    pub fn label(self) -> String {
        match self {
            Kind::AcceptedThenTimeout => "accepted, then timeout".into(),
            Kind::AcceptedThenReset => "accepted, then connection reset".into(),
            Kind::ServerError(s) => format!("HTTP {s}"),
            Kind::TooManyRequests => "429 + Retry-After: 1".into(),
            Kind::TruncatedBody => "truncated body".into(),
            Kind::HtmlBadGateway => "HTML 502 page".into(),
            Kind::MalformedJson => "malformed JSON".into(),
            Kind::SlowBodyPastTimeout => "slow body, past the timeout".into(),
            Kind::SlowBodyWithinTimeout => "slow body, within the timeout".into(),
            Kind::ClientError(s) => format!("HTTP {s} (provider error body)"),
        }
    }
}

/// One injection: a kind, for the next `times` matching requests.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Injection {
    pub kind: Kind,
    pub times: u32,
}

/// One run: one money-moving call under its own merchant reference, with its faults.
#[derive(Debug, Clone)]
pub struct Scenario {
    pub provider: Prov,
    pub op: Op,
    pub reference: String,
    pub injections: Vec<Injection>,
    /// The last four digits of the recipient.
    pub ending: u16,
    /// The amount in whole major units.
    pub units: u32,
}

impl Scenario {
    /// The faults the requests meet, in order (the sandbox fires the oldest injection first).
    pub fn fault_sequence(&self) -> Vec<Kind> {
        self.injections
            .iter()
            .flat_map(|i| std::iter::repeat_n(i.kind, i.times as usize))
            .collect()
    }

    /// Whether a fault of this run holds an answer past the client's timeout, so that the run
    /// needs the short [`CLIENT_TIMEOUT`] (any other run gets the [`PATIENT_TIMEOUT`]).
    pub fn waits_out_the_client(&self) -> bool {
        self.injections.iter().any(|i| {
            matches!(
                i.kind,
                Kind::AcceptedThenTimeout | Kind::SlowBodyPastTimeout
            )
        })
    }
}

/// `runs` scenarios for `provider`: first every operation with every kind once (so even a short
/// run covers the whole matrix), then random ones.
pub fn scenarios(provider: Prov, runs: usize, seed: u64, tag: &str) -> Vec<Scenario> {
    let mut rng = fastrand::Rng::with_seed(seed ^ (provider as u64 + 1).wrapping_mul(0x9E37_79B9));
    let mut out = Vec::with_capacity(runs);
    let covering: Vec<(Op, Kind)> = provider
        .ops()
        .iter()
        .flat_map(|op| Kind::ALL.into_iter().map(move |k| (*op, k)))
        .collect();
    for index in 0..runs {
        let (op, injections) = match covering.get(index) {
            Some(&(op, kind)) => (
                op,
                vec![Injection {
                    kind,
                    times: rng.u32(1..=4),
                }],
            ),
            None => {
                let op = provider.ops()[rng.usize(..provider.ops().len())];
                let count = if rng.u8(0..10) < 3 { 2 } else { 1 };
                let injections = (0..count)
                    .map(|_| Injection {
                        kind: Kind::ALL[rng.usize(..Kind::ALL.len())],
                        times: rng.u32(1..=4),
                    })
                    .collect();
                (op, injections)
            }
        };
        let ending = if rng.u8(0..10) < 2 {
            let endings = provider.scripted_endings();
            endings[rng.usize(..endings.len())]
        } else {
            rng.u16(1000..=9999)
        };
        out.push(Scenario {
            provider,
            op,
            reference: format!("{tag}-{}-{index:05}", &provider.name()[..1].to_lowercase()),
            injections,
            ending,
            units: rng.u32(2..=90),
        });
    }
    out
}
