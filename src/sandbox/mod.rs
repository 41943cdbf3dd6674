//! An in-process simulator of Vesicash, JPay, Payonify, MTN MoMo and M-Pesa Daraja (feature
//! `sandbox`).
//!
//! [`Sandbox::start`] serves every provider on one loopback port, each under its own prefix,
//! with the documented paths, auth checks, validation messages (word for word), response shapes
//! and status words. It keeps a ledger (balances that payouts debit, payouts that settle after a
//! delay, refunds limited to what was paid), delivers signed webhooks, and can inject faults. The
//! `disburse-sandbox` binary serves the same thing on a fixed port for integrations in any
//! language.
//!
//! ```no_run
//! # async fn demo() -> Result<(), disburse::Error> {
//! use std::time::Duration;
//! use disburse::ProviderId;
//! use disburse::sandbox::{Fault, Route, Sandbox};
//!
//! let sandbox = Sandbox::builder().settle_after(Duration::ZERO).start().await?;
//! let base = sandbox.base_url_payonify(); // point the Payonify client here
//! sandbox.inject(ProviderId::PAYONIFY, Route::post("/v1/payouts"), Fault::CommitThenDrop, 1);
//! // … drive the client, then inspect:
//! let paid_once = sandbox.payouts_for_reference(ProviderId::PAYONIFY, "order-42").len() == 1;
//! # let _ = (base, paid_once); Ok(()) }
//! ```
//!
//! # Base URLs and credentials
//!
//! | provider | base URL | credentials |
//! |---|---|---|
//! | Vesicash | [`Sandbox::base_url_vesicash`] `http://127.0.0.1:PORT/vesicash` | [`VESICASH_CREDENTIALS`]: `secret-key`, `public-key` headers; webhook secret |
//! | JPay | [`Sandbox::base_url_jpay`] `http://127.0.0.1:PORT/jpay/api/v1` | [`JPAY_CREDENTIALS`]: `app_key`, `app_secret`, `app_code` 12345 |
//! | Payonify | [`Sandbox::base_url_payonify`] `http://127.0.0.1:PORT/payonify` | [`PAYONIFY_CREDENTIALS`]: `pk_test_…`:`sk_test_…` (Basic); `whsec_…` |
//! | MTN MoMo | [`Sandbox::base_url_mtn_momo`] `http://127.0.0.1:PORT/mtn_momo` | [`MTN_MOMO_CREDENTIALS`]: subscription key, API user and key (Basic on the token call) |
//! | M-Pesa Daraja | [`Sandbox::base_url_mpesa_daraja`] `http://127.0.0.1:PORT/mpesa_daraja` | [`MPESA_DARAJA_CREDENTIALS`]: consumer key and secret (Basic on the token call), shortcode `600997`, initiator `testapi` and its password, the certificate to encrypt it under |
//!
//! # Routes
//!
//! Paths are relative to the base URL; [`routes`] returns the same list.
//!
//! Each provider is one folder implementing the crate-private `Simulator` trait
//! (`src/sandbox/simulator.rs`), listed once in `src/sandbox/registry.rs`; the shared modules
//! know no provider.
//!
//! | provider | method and path | answer |
//! |---|---|---|
//! | Vesicash | `GET /v1/countries` (public key only) | `data: [{id, name, country_code, currency_code}]`; ids `"1"` NG, `"2"` GH, `"3"` KE, `"4"` ZM, `"5"` UG, `"6"` TZ, `"7"` RW |
//! | Vesicash | `GET /v1/banks?country_id=` (or `country=`; none: all) | `data: [{id, name, code, country_id}]` |
//! | Vesicash | `POST /v1/payment/payout/process` and `POST /v1/payment/payouts/process` | `data: {reference: "PY_…", status: "processing", amount}` |
//! | Vesicash | `POST /v1/payment/refunds/process` | `data: {reference: "RF_…", status: "processing", amount, payment_reference}` |
//! | Vesicash | `GET /v1/payment/payout/status/{reference}` and `GET /v1/payment/{reference}` | the same `data` with the current status and, when failed, `reason` (the failure code); a test payment gives `{reference, status: "successful", amount, currency, refunded_amount}` |
//! | JPay | `POST /auth/app/token`, `POST /auth/refresh` | `{access, refresh, merchant_id, app_code, products}`; `{access, refresh}` |
//! | JPay | `POST /payments/payouts/initiate` | the documented payout object |
//! | JPay | `GET /payments/payouts/{id}` | the payout object plus `narration`, `result_code`, `result_description`, `trans_id` (null until final) |
//! | JPay | `GET /payments/payouts?ref_no=&status=&page=&page_size=` | `{items: [payout…], pagination: {page, page_size, total, pages}}`, newest first |
//! | JPay | `GET /channels?type=&active_only=&page=&page_size=` | `{items: [{code, name, type, type_display, is_active}], pagination}` |
//! | JPay | `GET /wallets/balance` | `{collection_wallet_balance, payout_wallet_balance, total_balance}` |
//! | Payonify | `POST /v1/payouts/validate` | `{valid, recipient?: {first_name, last_name, account_status, mobile_number}}` |
//! | Payonify | `POST /v1/payouts` | the payout object |
//! | Payonify | `GET /v1/payouts/{id}` | the payout object, or 404 `resource_missing` |
//! | Payonify | `GET /v1/payouts?limit&first&after&last&before&status&currency&start_date&end_date` | `{object: "list", data, paging: {has_previous_page, has_next_page, start_cursor, end_cursor, page_size}}`, newest first; cursors are payout ids |
//! | MTN MoMo | `POST /disbursement/token/` (Basic, no body) | `{access_token, token_type: "access_token", expires_in}` ([`SandboxBuilder::mtn_momo_token_lifetime`]) |
//! | MTN MoMo | `POST /disbursement/v1_0/transfer`, `v1_0/deposit`, `v2_0/deposit`, `v1_0/refund`, `v2_0/refund` (`X-Reference-Id` a v4-form UUID; `X-Target-Environment` any named target, the body's currency its own) | `202`, no body; a reused id `409 RESOURCE_ALREADY_EXIST`; a refund's `referenceIdToRefund` is a payment of [`Sandbox::mtn_momo_create_payment`] |
//! | MTN MoMo | `GET /disbursement/v1_0/transfer/{id}`, `v1_0/deposit/{id}`, `v1_0/refund/{id}` | `{amount, currency, financialTransactionId (once paid), externalId, payee, payerMessage, payeeNote, status: PENDING/SUCCESSFUL/FAILED, reason: {code, message}}`; unknown id `404 RESOURCE_NOT_FOUND` |
//! | MTN MoMo | `GET /disbursement/v1_0/account/balance[/{currency}]`, `GET …/accountholder/msisdn/{msisdn}/active`, `…/basicuserinfo` | `{availableBalance, currency}`; `{result}`; MTN's sandbox user info |
//! | M-Pesa Daraja | `GET /oauth/v1/generate?grant_type=client_credentials` (Basic) | `{access_token, expires_in: "3599"}`; `400.008.01`/`400.008.02` refusals; [`Sandbox::mpesa_daraja_single_token`] makes a new token invalidate the last |
//! | M-Pesa Daraja | `POST /mpesa/b2c/v3/paymentrequest` | `{ConversationID, OriginatorConversationID, ResponseCode: "0", ResponseDescription}`; a reused `OriginatorConversationID` `500` `500.002.1001`; a bad field `400.002.02` `Bad Request - Invalid <Field>`; the result goes to the `ResultURL` |
//! | M-Pesa Daraja | `POST /mpesa/transactionstatus/v1/query`, `POST /mpesa/accountbalance/v1/query` | the acknowledgement; the `Result` (`TransactionStatus`, or `AccountBalance` with the KES balance as the Utility Account) POSTed to the query's `ResultURL`; an unknown id `ResultCode 2032` |
//!
//! Daraja's errors are `{requestId, errorCode, errorMessage}`; a missing or refused token is `404`
//! `404.001.03` "Invalid Access Token". A `SecurityCredential` that is not the initiator password
//! under the sandbox certificate is accepted and fails with result `2001`, as Daraja does; a
//! balance that cannot cover the payout fails with result `1`. Amounts are whole shillings
//! 1–150,000, so the provider-error amount does not apply to Daraja.
//!
//! MTN's own sandbox numbers (`46733123450`–`63`) end as MTN's "Sandbox Use Cases" name them;
//! the table, and how each surfaces (MTN does not say), is in `src/sandbox/mtn_momo/scenario.rs`.
//!
//! # Scripted outcomes
//!
//! Like card-network test numbers, these recipients and amounts end a known way in every
//! provider. The recipient is the phone number (Vesicash `momo_phone_number`, JPay `payto`,
//! Payonify `mobile_number`) or the account number; only its last four digits count.
//!
//! | trigger | outcome | Vesicash `reason` | JPay `result_code`: `result_description` | Payonify `failure_code` | Daraja `ResultCode` (`PartyB`) |
//! |---|---|---|---|---|---|
//! | ends in `0001` | fails after settling | `INSUFFICIENT_FUNDS` | `1`: The balance is insufficient for the transaction. | `insufficient_funds` | `1` |
//! | ends in `0002` | fails after settling | `ACCOUNT_NOT_FOUND` | `2040`: The recipient account was not found. | `account_not_found` (validate: `valid: false`) | `SFC_IC0003` |
//! | ends in `0003` | fails after settling | `ACCOUNT_BLOCKED` | `2041`: The recipient account is blocked. | `account_blocked` (validate: `valid: false`) | `2040` |
//! | ends in `0004` | stays pending forever, no webhook | `processing` | `pending` | `pending` | no result |
//! | ends in `0005` | fails after settling | `DECLINED_TRANSACTION` | `2042`: The transaction was declined by the recipient's provider. | `declined` | `8` |
//! | amount `666.66` (Payonify `66666`) | HTTP 500, nothing recorded | `{status: "error", code: 500, message: "internal server error"}` | `{"detail": "Internal server error"}` | `api_error` | n/a |
//! | anything else | succeeds after settling | `successful` | `completed`, `0` | `paid` | `0` |
//!
//! A failed payout (or refund) gives its amount back to the balance.
//!
//! # Documented errors (word for word)
//!
//! | provider | HTTP | message | when |
//! |---|---|---|---|
//! | Vesicash | 400 | `payout amount is less that 0` | payout amount missing, not a number, zero, negative, or with more decimals than the currency |
//! | Vesicash | 400 | `payment not found` | refund `payment_reference` unknown or missing; status lookup of an unknown reference |
//! | Vesicash | 400 | `Refund amount exceeds the remaining refundable balance` | refund amount invalid, zero, negative, or above the payment less earlier refunds (failed ones do not count) |
//! | Vesicash | 400 | `Insufficient funds or wallet error preventing refund processing` | the balance cannot cover a payout or refund |
//! | Vesicash | 400 | `Payout Provider service returned an error` | `momo_phone_number` not digits-only E.164 of the payout's country |
//! | Vesicash | 400 | `Refund Provider service returned an error` | refund `momo_phone_number` not digits-only E.164 |
//! | JPay | 401 | `Invalid or expired token` | missing, unknown or expired Bearer token; unknown refresh token |
//! | JPay | 400 | `Invalid phone number` | `payto` missing, not `+254…` Kenyan mobile E.164, or digits with a mobile channel |
//! | JPay | 400 | `Invalid amount` | `amount` not a string with exactly two decimals from `1.00` to `999999.99` |
//! | JPay | 400 | `Insufficient balance in payout wallet` | the payout wallet cannot cover it |
//! | JPay | 400 | `Invalid channel code: N` | unknown or inactive `channel` (N as sent) |
//! | JPay | 400 | `Channel is required for bank account payouts` | digits-only `payto` without `channel` |
//! | JPay | 400 | `Duplicate ref_no: a payout with ref_no <ref> already exists` | `ref_no` used before (agreed wording; not in the docs) |
//! | JPay | 404 | `App not found` | `app_code` other than the sandbox app's |
//! | JPay | 403 | the four documented refusals ([`JpayRefusal`]) | switched on by [`Sandbox::jpay_refuse`] |
//! | Payonify | 401 | `authentication_error` | missing or wrong Basic credentials |
//! | Payonify | 400 | `invalid_request_error` / `parameter_invalid`, `param` named | amount < 100 or not an integer, currency not `usd`/`zwg`, number not Econet 77/78/79, description > 150, metadata > 5 keys, key > 40, value > 500 or not a string |
//! | Payonify | 400 | `invalid_request_error` / `parameter_missing` | `amount`, `currency`, `destination` or the EcoCash number absent |
//! | Payonify | 400 | `idempotency_error` | an `Idempotency-Key` reused with a different body |
//! | Payonify | 400 | `invalid_request_error` / `balance_insufficient` | the balance cannot cover it |
//! | Payonify | 404 | `invalid_request_error` / `resource_missing` | unknown payout id |
//!
//! # Choices where the docs are silent
//!
//! - **Vesicash**: the payout path is served under both spellings. The status lookup is served
//!   at `GET /v1/payment/payout/status/{reference}` and `GET /v1/payment/{reference}`, both with
//!   the payout envelope (the docs name no status endpoint). `data.amount` echoes the request's
//!   JSON token as received (number stays number, string stays string). Messages for undocumented
//!   failures: `invalid public key` / `invalid secret key` (401), `invalid request body`,
//!   `country_id is required`, `country not found`, `transfer_to is required`,
//!   `transfer_to must be one of mobile_number, bank`, `bank_id is required`, `bank not found`,
//!   `account_number is required`, `invalid account number`, `webhook_url must be a valid URL`
//!   (400). `webhook_url` is optional (the dashboard default of [`Sandbox::set_webhook_url`] is
//!   used) and may be http. The merchant reference is the `reason` (else `narration`); there is
//!   no idempotency. Refunds debit the balance; [`Sandbox::vesicash_create_payment`] credits it.
//! - **JPay**: `created_at` is UTC. `app_code` may be omitted (the docs' curl example omits it).
//!   A refresh issues a new pair and leaves the old refresh token valid until it expires. The
//!   mobile channel is inferred from the carrier (Safaricom 63902, Airtel 63903, Telkom 63907,
//!   unknown → M-Pesa). A page past the end is empty; `page_size` is capped at 100. Callbacks
//!   go to `callback_url` exactly as given and are not signed; only final events
//!   (`transaction.completed`, `transaction.failed`) are sent.
//! - **Payonify**: the webhook endpoint is the dashboard one ([`Sandbox::set_webhook_url`]), as
//!   the API has no per-request URL. The EcoCash number is accepted as `771111111`,
//!   `0771111111`, `263771111111` or `+263771111111` and echoed in its 9-digit form.
//!   `destination_details` is `{type: "mobile_money", mobile_money: {brand: "ecocash",
//!   reference, recipient_number, recipient_name, channel_number, network: "econet"}}`, the
//!   fields Payonify's official Node SDK types (`reference` set once paid; `recipient_name` the
//!   name validate gives; `channel_number` the sandbox merchant's `263770000000`). A destination
//!   other than EcoCash (OneMoney, a bank) is `parameter_invalid` "Unsupported destination: …"
//!   naming it, as Payonify's docs say only EcoCash is available yet. Only a successful create is kept
//!   under its `Idempotency-Key`; a replay carries `Idempotent-Replayed: true` and the first
//!   body byte for byte. The merchant reference is the `Idempotency-Key` (or any metadata value).
//!
//! # Webhooks
//!
//! When an entry becomes final the provider's payload is POSTed to the request's callback URL
//! (else the dashboard URL), retried up to 4 times with a doubling 50 ms backoff on anything but
//! a 2xx; [`Sandbox::webhooks`] logs each delivery.
//!
//! | provider | body | signature |
//! |---|---|---|
//! | Vesicash | `{event: "payout.successful"/"payout.failed"/"refund.successful"/"refund.failed", data: {reference, status, amount, reason?, payment_reference?}}` | `X-Vesicash-Signature: hex(HMAC-SHA256(webhook secret, body))` |
//! | JPay | `{notification: {type: "payout", event}, data: {result_code, result_description, amount, ref_no, beneficiary: {account, kyc: null}, transaction_date, external_ref, trans_id}}` | none (the callback URL carries the adapter's token) |
//! | Payonify | `{id: "evt_…", object: "event", type: "payout.succeeded"/"payout.failed", created, livemode: false, data: {object: <payout>}}` | `Payonify-Signature: t=<unix>,v1=hex(HMAC-SHA256(whsec, "{t}.{body}"))`, signed afresh per attempt |
//! | MTN MoMo | the status body of `GET …/{id}`, PUT for v2 deposits and refunds, POST otherwise | none (the callback URL carries the adapter's token) |
//! | M-Pesa Daraja | `{Result: {ResultType, ResultCode, ResultDesc, OriginatorConversationID, ConversationID, TransactionID, ResultParameters (success only), ReferenceData}}` to the `ResultURL` | none (the URLs carry the adapter's token) |
//!
//! # Fault injection
//!
//! [`Sandbox::inject`] makes the next N requests of a provider matching a [`Route`] suffer a
//! [`Fault`]:
//!
//! | fault | committed? | what the client sees |
//! |---|---|---|
//! | [`Fault::Latency`] | yes | the normal answer, late |
//! | [`Fault::Status`] | no | that status with the provider's error body |
//! | [`Fault::TooManyRequests`] | no | 429, `Retry-After`, the provider's rate-limit body |
//! | [`Fault::CommitThenDrop`] | yes | the connection closes with no answer |
//! | [`Fault::CommitThenDelay`] | yes | the normal answer after the delay (past the client's timeout) |
//! | [`Fault::MalformedJson`] | yes | the normal status, `application/json`, half the body |
//! | [`Fault::TruncatedBody`] | yes | the normal status and `Content-Length`, half the body, then a closed connection |
//! | [`Fault::HtmlErrorPage`] | no | 502 with an nginx-style HTML page |
//! | [`Fault::SlowBody`] | yes | the normal status and headers at once, the body trickled over the given time (a timeout mid-body when that is past the client's timeout) |
//!
//! [`Route::for_reference`] limits an injection to the requests naming one merchant reference,
//! so concurrent tests on one sandbox fault only their own payouts; [`RequestRecord::reference`]
//! logs the reference each request named.
//!
//! Ids and tokens come from a generator seeded by [`SandboxBuilder::seed`] (a fixed default), so
//! runs are reproducible.

// Handlers end early with the provider's error answer (`Result<_, Response>`, 128 bytes): boxing
// it would only add noise to a simulator whose error path is the whole point.
#![allow(
    clippy::result_large_err,
    reason = "the early-return value is a complete HTTP answer"
)]

mod app;
mod clients;
mod control;
mod ctx;
mod deliver;
mod details;
mod fault;
mod fault_mark;
mod inject;
mod jpay;
mod ledger;
mod log;
mod mpesa_daraja;
mod mtn_momo;
mod outcome;
mod payonify;
mod persist;
mod provider_ports;
mod record;
mod reference;
mod registry;
mod respond;
mod routes;
mod server;
mod settle;
mod simulator;
mod state;
mod vesicash;

pub use clients::sandbox_http_config;
pub use fault::{Fault, Route};
pub use jpay::refusal::JpayRefusal;
pub use jpay::types::{DEFAULT_JPAY_TOKEN_LIFETIME, JPAY_REFRESH_LIFETIME};
pub use jpay::types::{JPAY_CREDENTIALS, JpayCredentials};
pub use ledger::{EntryKind, EntryStatus, LedgerEntry};
pub use log::{RequestRecord, WebhookDelivery};
pub use mpesa_daraja::types::{
    DEFAULT_MPESA_DARAJA_TOKEN_LIFETIME, MPESA_DARAJA_CREDENTIALS, MpesaDarajaCredentials,
};
pub use mtn_momo::types::DEFAULT_MTN_MOMO_TOKEN_LIFETIME;
pub use mtn_momo::types::{MTN_MOMO_CREDENTIALS, MtnMomoCredentials};
pub use outcome::ScriptedOutcome;
pub use payonify::types::{PAYONIFY_CREDENTIALS, PayonifyCredentials};
pub use persist::STATE_SAVE_INTERVAL;
pub use routes::Endpoint;
pub use server::{DEFAULT_SEED, DEFAULT_SETTLE_AFTER, Sandbox, SandboxBuilder, routes};
pub use vesicash::types::{VESICASH_CREDENTIALS, VesicashCredentials};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_debug_redacts_every_secret() {
        assert_eq!(
            format!("{VESICASH_CREDENTIALS:?}"),
            "VesicashCredentials { secret_key: \"** redacted **\", public_key: \
             \"v_sandbox_pk_8a41d0c3e2b7f915\", webhook_secret: \"** redacted **\" }"
        );
        assert_eq!(
            format!("{JPAY_CREDENTIALS:?}"),
            "JpayCredentials { app_key: \"jpay_sandbox_app_key_7c1e02\", app_secret: \
             \"** redacted **\", app_code: 12345, callback_secret: \"** redacted **\" }"
        );
        assert_eq!(
            format!("{PAYONIFY_CREDENTIALS:?}"),
            "PayonifyCredentials { publishable_key: \"pk_test_sandbox_51HzQ2sAnDbOx\", \
             secret_key: \"** redacted **\", webhook_secret: \"** redacted **\" }"
        );
        assert_eq!(
            format!("{MTN_MOMO_CREDENTIALS:?}"),
            "MtnMomoCredentials { subscription_key: \"** redacted **\", api_user: \
             \"** redacted **\", api_key: \"** redacted **\", callback_secret: \"** redacted **\" }"
        );
    }
}
