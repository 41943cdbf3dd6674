//! The fault matrix: schedule, expected behaviour, drivers, and the per-provider run that checks
//! the pass criteria from the sandbox's ledger and request log and gathers the figures.
#![allow(dead_code)]

pub mod drive;
pub mod model;
pub mod receiver;
pub mod schedule;

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

use disburse::sandbox::{RequestRecord, Sandbox};
use disburse::{Ambiguity, Error};
use futures_util::StreamExt as _;

use drive::Resolution;
use model::{Expected, Outcome};
use receiver::Receiver;
use schedule::{Kind, Op, PAST_TIMEOUT, Prov, Scenario};

/// Runs in flight at once, per provider: most of a run is spent waiting (timeouts, held answers,
/// `Retry-After`), so a large run goes wider.
fn concurrency(runs: usize) -> usize {
    if runs > 100 { 64 } else { 24 }
}
/// The request log keeps this many records; a run must stay below it to be counted whole.
const LOG_CAP: usize = 10_000;

/// What one provider's matrix found.
#[derive(Debug, Default)]
pub struct Figures {
    pub provider: &'static str,
    pub runs: usize,
    pub runs_per_op: BTreeMap<&'static str, usize>,
    pub injected: BTreeMap<Kind, u32>,
    pub fired: BTreeMap<Kind, u32>,
    pub ok: usize,
    pub unknown: usize,
    pub unknown_committed: usize,
    pub rejected: usize,
    pub rate_limited: usize,
    pub auth: usize,
    pub resolved_found: usize,
    pub resolved_not_found: usize,
    pub resolved_webhook: usize,
    pub resolved_no_webhook: usize,
    pub unresolved: Vec<String>,
    pub max_per_reference: usize,
    pub refused_then_resent: usize,
    pub baseline_requests: usize,
    pub allowance: u32,
    pub requests: usize,
    pub posts: usize,
    pub resolution_requests: usize,
    pub failures: Vec<String>,
    pub elapsed: Duration,
}

impl Figures {
    pub fn budget(&self) -> f64 {
        1.2 * self.baseline_requests as f64 + f64::from(self.allowance)
    }
}

async fn started() -> Sandbox {
    Sandbox::builder()
        .settle_after(Duration::ZERO)
        .start()
        .await
        .expect("sandbox starts")
}

/// Runs `scenarios` against `sandbox`, `concurrency(runs)` at a time, in schedule order.
async fn run_all(
    sandbox: &Sandbox,
    receiver: &Receiver,
    scenarios: &[Scenario],
) -> Vec<Result<String, Error>> {
    let provider = scenarios[0].provider;
    let short = drive::client(sandbox, receiver, provider);
    let patient =
        drive::client_with_timeout(sandbox, receiver, provider, schedule::PATIENT_TIMEOUT);
    let width = concurrency(scenarios.len());
    futures_util::stream::iter(scenarios)
        .map(|s| {
            // A run gives the client a short timeout only when it needs the client to give up;
            // an answer meant to arrive in time gets a wide margin on a starved machine.
            let client = if s.waits_out_the_client() {
                Arc::clone(&short)
            } else {
                Arc::clone(&patient)
            };
            async move { drive::run(sandbox, client.as_ref(), receiver, s).await }
        })
        .buffered(width)
        .collect()
        .await
}

fn check_outcome(s: &Scenario, expected: &Expected, got: &Result<String, Error>) -> Option<String> {
    // A JPay refund is a payout to the customer, sent by the same call; its errors still name
    // the refund.
    let operation = match s.op {
        Op::Payout => "create_payout",
        Op::Refund => "create_refund",
    };
    let fine = match (&expected.outcome, got) {
        (Outcome::Ok, Ok(_)) => true,
        (
            Outcome::Unknown(want),
            Err(Error::OutcomeUnknown {
                reference: Some(r),
                cause,
                operation: op,
                ..
            }),
        ) => r.as_str() == s.reference && cause == want && *op == operation,
        (
            Outcome::RateLimited,
            Err(Error::RateLimited {
                retry_after: Some(wait),
                ..
            }),
        ) => *wait == schedule::RETRY_AFTER,
        (Outcome::Rejected(want), Err(Error::Rejected { status, .. })) => status == want,
        (Outcome::Auth(want), Err(Error::Auth { status, .. })) => *status == Some(*want),
        _ => false,
    };
    (!fine).then(|| {
        format!(
            "{}: faults {:?}: expected {:?}, got {got:?}",
            s.reference,
            s.fault_sequence(),
            expected.outcome
        )
    })
}

fn posts_of<'a>(log: &'a [RequestRecord], s: &Scenario) -> Vec<&'a RequestRecord> {
    let path = s.provider.path(s.op);
    let mut posts: Vec<_> = log
        .iter()
        .filter(|r| {
            r.method == "POST" && r.path == path && r.reference.as_deref() == Some(&s.reference)
        })
        .collect();
    posts.sort_by_key(|r| r.received_at);
    posts
}

/// Criterion 4: after an answer in 4xx other than 408/409/429 no POST of the reference follows,
/// except the one repeat after JPay's first 401 (the token is renewed, the call repeated once).
fn resent_after_refusal(provider: Prov, posts: &[&RequestRecord]) -> bool {
    let mut renewals = 0;
    for (i, post) in posts.iter().enumerate() {
        let Some(status) = post.status else { continue };
        // An answer the client never read whole (held past its timeout, trickled past it, cut
        // short) refused nothing as far as the client knows.
        let unread = post
            .fault
            .as_ref()
            .and_then(Kind::of_fault)
            .is_some_and(|k| {
                matches!(
                    k,
                    Kind::AcceptedThenTimeout | Kind::SlowBodyPastTimeout | Kind::TruncatedBody
                )
            });
        if unread {
            continue;
        }
        if !(400..500).contains(&status) || matches!(status, 408 | 409 | 429) {
            continue;
        }
        let later = posts.len() - i - 1;
        if provider.renews_on_401() && status == 401 && renewals == 0 {
            renewals += 1;
            if later > 0 && posts[i + 1].received_at < post.received_at {
                return true;
            }
            continue;
        }
        if later > 0 {
            return true;
        }
    }
    false
}

/// One provider's whole matrix: baseline, faulted run, resolution, checks.
pub async fn matrix(provider: Prov, runs: usize, seed: u64) -> Figures {
    let began = Instant::now();
    let mut f = Figures {
        provider: provider.name(),
        runs,
        ..Figures::default()
    };
    let receiver = Receiver::start().await;
    let scenarios = schedule::scenarios(provider, runs, seed, "f");

    // The no-fault baseline: the same schedule without faults, on its own sandbox.
    let base_sandbox = started().await;
    drive::fund(&base_sandbox, provider);
    let baseline: Vec<Scenario> = scenarios
        .iter()
        .map(|s| Scenario {
            reference: s.reference.replacen("f-", "b-", 1),
            injections: Vec::new(),
            ..s.clone()
        })
        .collect();
    let base_results = run_all(&base_sandbox, &receiver, &baseline).await;
    for (s, got) in baseline.iter().zip(&base_results) {
        if let Err(e) = got {
            f.failures.push(format!("baseline {}: {e:?}", s.reference));
        }
    }
    f.baseline_requests = base_sandbox.requests().len();

    // The faulted run.
    let sandbox = started().await;
    drive::fund(&sandbox, provider);
    let results = run_all(&sandbox, &receiver, &scenarios).await;
    // Answers held back past the client's timeout are logged when the sandbox sends them.
    tokio::time::sleep(PAST_TIMEOUT + Duration::from_millis(700)).await;
    let log = sandbox.requests();
    sandbox.clear_faults();
    f.requests = log.len();

    let mut by_reference: HashMap<String, Vec<String>> = HashMap::new();
    for entry in sandbox.ledger(drive::id(provider)) {
        if let Some(r) = entry.reference.clone() {
            by_reference.entry(r).or_default().push(entry.id.clone());
        }
    }
    let client =
        drive::client_with_timeout(&sandbox, &receiver, provider, schedule::RESOLVE_TIMEOUT);
    let mut unknown = Vec::new();
    for (s, got) in scenarios.iter().zip(&results) {
        *f.runs_per_op
            .entry(if s.op == Op::Payout {
                "payout"
            } else {
                "refund"
            })
            .or_default() += 1;
        for i in &s.injections {
            *f.injected.entry(i.kind).or_default() += i.times;
        }
        let expected = model::expect(s);
        f.allowance += model::allowance(s);
        let held = by_reference.get(&s.reference).cloned().unwrap_or_default();
        if let Some(problem) = check_outcome(s, &expected, got) {
            f.failures.push(problem);
        }
        match got {
            Ok(id) => {
                f.ok += 1;
                if held != [id.clone()] {
                    f.failures
                        .push(format!("{}: returned {id}, ledger {held:?}", s.reference));
                }
            }
            Err(Error::OutcomeUnknown { .. }) => {
                f.unknown += 1;
                f.unknown_committed += usize::from(!held.is_empty());
                unknown.push(s);
            }
            Err(e) => {
                match e {
                    Error::RateLimited { .. } => f.rate_limited += 1,
                    Error::Rejected { .. } => f.rejected += 1,
                    Error::Auth { .. } => f.auth += 1,
                    _ => {}
                }
                if !held.is_empty() {
                    f.failures.push(format!(
                        "{}: committed {held:?} but reported as {e:?}",
                        s.reference
                    ));
                }
            }
        }
        if held.len() != usize::from(expected.committed) {
            f.failures.push(format!(
                "{}: faults {:?}: ledger {held:?}, expected committed = {}",
                s.reference,
                s.fault_sequence(),
                expected.committed
            ));
        }
        let posts = posts_of(&log, s);
        f.posts += posts.len();
        if posts.len() != expected.posts as usize {
            f.failures.push(format!(
                "{}: faults {:?}: {} POSTs, expected {} (answers {:?})",
                s.reference,
                s.fault_sequence(),
                posts.len(),
                expected.posts,
                posts
                    .iter()
                    .map(|p| (p.status, p.fault.as_ref().and_then(Kind::of_fault)))
                    .collect::<Vec<_>>()
            ));
        }
        if resent_after_refusal(provider, &posts) {
            f.refused_then_resent += 1;
            f.failures
                .push(format!("{}: re-sent after a 4xx: {posts:?}", s.reference));
        }
    }
    for record in &log {
        if let Some(kind) = record.fault.as_ref().and_then(Kind::of_fault) {
            *f.fired.entry(kind).or_default() += 1;
        }
    }

    // Resolution, once the faults are cleared.
    let before = sandbox.requests().len();
    let resolutions: Vec<Resolution> = futures_util::stream::iter(unknown.iter())
        .map(|s| {
            let client = Arc::clone(&client);
            let receiver = &receiver;
            async move { drive::resolve(client.as_ref(), receiver, s).await }
        })
        .buffered(concurrency(runs))
        .collect()
        .await;
    let after = sandbox.requests();
    f.resolution_requests = after.len() - before;
    if after.len() >= LOG_CAP {
        f.failures.push(format!(
            "the request log reached its cap ({LOG_CAP}): counts are partial"
        ));
    }
    for (s, resolution) in unknown.iter().zip(resolutions) {
        let held = by_reference.get(&s.reference).cloned().unwrap_or_default();
        let consistent = match &resolution {
            Resolution::Found(id) => {
                f.resolved_found += 1;
                held == [id.clone()]
            }
            Resolution::NotFound => {
                f.resolved_not_found += 1;
                held.is_empty()
            }
            Resolution::Webhook(id) => {
                f.resolved_webhook += 1;
                held == [id.clone()]
            }
            Resolution::NoWebhook => {
                f.resolved_no_webhook += 1;
                held.is_empty()
            }
            Resolution::Failed(_) => false,
        };
        if !consistent {
            f.unresolved
                .push(format!("{}: {resolution:?}, ledger {held:?}", s.reference));
        }
    }

    // Criterion 1 over both sandboxes and every reference they hold.
    for sb in [&base_sandbox, &sandbox] {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for entry in sb.ledger(drive::id(provider)) {
            if let Some(r) = entry.reference {
                *counts.entry(r).or_default() += 1;
            }
        }
        for s in scenarios.iter().chain(&baseline) {
            let n = sb
                .payouts_for_reference(drive::id(provider), &s.reference)
                .len();
            f.max_per_reference = f.max_per_reference.max(n);
        }
        f.max_per_reference = f
            .max_per_reference
            .max(counts.values().copied().max().unwrap_or(0));
    }
    f.elapsed = began.elapsed();
    f
}

fn percent(part: usize, whole: usize) -> String {
    if whole == 0 {
        return "n/a (none)".to_owned();
    }
    format!("{:.1} %", 100.0 * part as f64 / whole as f64)
}

/// The figures as Markdown, ready for RELIABILITY.md.
pub fn report(seed: u64, all: &[Figures]) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "Fault matrix, seed `{seed:#x}`\n");
    let _ = writeln!(
        out,
        "| provider | runs (payout/refund) | ok | outcome unknown (committed) | rejected / 429 / auth | unknown resolved | how resolved | max payouts per reference | 4xx re-sent | requests (budget = 1.2 × baseline + allowed retries) | resolution requests |"
    );
    let _ = writeln!(out, "|---|---|---|---|---|---|---|---|---|---|---|");
    for f in all {
        let resolved = f.unknown - f.unresolved.len();
        let how = if f.provider == "Vesicash" {
            format!(
                "{} by signed webhook + get_payout; {} not committed (no payout in the ledger, no webhook; find_payout is Unsupported)",
                f.resolved_webhook, f.resolved_no_webhook
            )
        } else {
            format!(
                "{} by find_payout + get_payout; {} find_payout = None (not committed)",
                f.resolved_found, f.resolved_not_found
            )
        };
        let _ = writeln!(
            out,
            "| {} | {} ({}/{}) | {} | {} ({}) | {} / {} / {} | {resolved}/{} = {} | {how} | {} | {} | {} ≤ {:.0} (baseline {}, allowance {}) | {} |",
            f.provider,
            f.runs,
            f.runs_per_op.get("payout").copied().unwrap_or(0),
            f.runs_per_op.get("refund").copied().unwrap_or(0),
            f.ok,
            f.unknown,
            f.unknown_committed,
            f.rejected,
            f.rate_limited,
            f.auth,
            f.unknown,
            percent(resolved, f.unknown),
            f.max_per_reference,
            f.refused_then_resent,
            f.requests,
            f.budget(),
            f.baseline_requests,
            f.allowance,
            f.resolution_requests,
        );
    }
    let _ = writeln!(
        out,
        "\nFaults injected (scheduled times / fired, from the request log):\n"
    );
    let _ = writeln!(
        out,
        "| fault | {} |",
        all.iter()
            .map(|f| f.provider)
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(out, "|---|{}", "---|".repeat(all.len()));
    for kind in Kind::ALL {
        let cells: Vec<String> = all
            .iter()
            .map(|f| {
                format!(
                    "{} / {}",
                    f.injected.get(&kind).copied().unwrap_or(0),
                    f.fired.get(&kind).copied().unwrap_or(0)
                )
            })
            .collect();
        let _ = writeln!(out, "| {} | {} |", kind.label(), cells.join(" | "));
    }
    let _ = writeln!(
        out,
        "\nScheduled times above what a call can meet stay unfired (cleared after the run)."
    );
    for f in all {
        let _ = writeln!(out, "{}: {:.1} s", f.provider, f.elapsed.as_secs_f64());
    }
    out
}

/// The ambiguity a run's cause is, for tallies.
pub fn cause_label(cause: &Ambiguity) -> &'static str {
    match cause {
        Ambiguity::Timeout => "timeout",
        Ambiguity::ConnectionLost => "connection lost",
        Ambiguity::ServerError { .. } => "server error",
        Ambiguity::UndecodableResponse { .. } => "undecodable",
        _ => "other",
    }
}
