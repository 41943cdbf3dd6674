//! Daraja's OAuth token: `GET /oauth/v1/generate?grant_type=client_credentials` with Basic auth
//! (consumer key and secret) → `{access_token, expires_in}`.
//!
//! - `expires_in` is read as a number or a numeric string (the SDKs disagree; see `wire::Code`).
//! - One token per client, in the shared token cache ([`crate::access_token`]): concurrent
//!   callers on a cold or expiring client wait for the first one's request and share its token
//!   (100 simultaneous payouts, one token request). The portal says a new token invalidates the
//!   previous one, so a token is never fetched while the current one is good. This module is
//!   Daraja's [`TokenSource`]: which request to make and how to read the answer.
//! - It is renewed when less than the refresh margin (at most half its lifetime) is left,
//!   measured on the configured clock from the moment the request was sent.
//! - After a refusal (`404.001.03` and its siblings, or a 401), it is renewed once, unless
//!   another caller renewed it since the refused call was signed: then the call is repeated
//!   with the current token.
//! - The token is a `SecretString`; no `Debug`, log or error shows it.

use std::time::Duration;

use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};

use super::PROVIDER;
use super::wire::{self, TokenAnswer};
use crate::access_token::{self, BearerSource, TokenCallHooks};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, Reply, basic_auth};

/// The path of the token call.
pub(crate) const TOKEN_PATH: &str = "/oauth/v1/generate";

/// How Daraja issues a token: `GET` with Basic auth (the consumer key and secret); a 400, 401 or
/// 403 is an auth failure.
pub(crate) fn source(
    consumer_key: &SecretString,
    consumer_secret: &SecretString,
) -> Result<BearerSource, Error> {
    let basic = basic_auth(
        consumer_key.expose_secret(),
        consumer_secret.expose_secret(),
    )
    .ok_or_else(|| Error::config("mpesa_daraja: the consumer key or secret is not valid"))?;
    Ok(BearerSource {
        label: "Daraja",
        call: || Call::get("issue_token", TOKEN_PATH).query("grant_type", "client_credentials"),
        hooks: TokenCallHooks {
            provider: PROVIDER,
            headers: vec![(AUTHORIZATION, basic)],
            refusals: &[400, 401, 403],
            kind: AuthFailure::InvalidCredentials,
            message: |body| wire::error_text(body).1,
            fallback: wire::map_error,
        },
        read,
    })
}

/// The access token and its lifetime (`expires_in`, a number or a numeric string) from a 2xx
/// answer, without ever putting its body into an error.
fn read(call: &Call, reply: &Reply) -> Result<(String, Duration), Error> {
    let answer = access_token::decode::<TokenAnswer>(PROVIDER, call, reply.status, &reply.body)?;
    let lifetime = answer.expires_in.as_str().parse::<u64>().map_err(|_| {
        access_token::withheld(
            PROVIDER,
            reply.status,
            "expires_in is not a whole number of seconds",
        )
    })?;
    Ok((answer.access_token, Duration::from_secs(lifetime)))
}
