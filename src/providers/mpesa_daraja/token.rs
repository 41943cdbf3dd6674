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

use async_trait::async_trait;
use reqwest::header::AUTHORIZATION;
use secrecy::{ExposeSecret, SecretString};

use super::PROVIDER;
use super::wire::{self, TokenAnswer};
use crate::access_token::{self, Token, TokenCallHooks, TokenRequester, TokenSource};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, basic_auth};

/// The path of the token call.
pub(crate) const TOKEN_PATH: &str = "/oauth/v1/generate";

/// Daraja's tokens, cached by the shared manager.
pub(crate) type TokenManager = access_token::TokenManager<DarajaTokens>;

/// How Daraja issues a token: Basic auth with the consumer key and secret; a 400, 401 or 403 is
/// an auth failure.
pub(crate) struct DarajaTokens {
    hooks: TokenCallHooks,
}

impl DarajaTokens {
    /// The token source of the consumer key and secret.
    pub(crate) fn new(
        consumer_key: &SecretString,
        consumer_secret: &SecretString,
    ) -> Result<DarajaTokens, Error> {
        let basic = basic_auth(
            consumer_key.expose_secret(),
            consumer_secret.expose_secret(),
        )
        .ok_or_else(|| Error::config("mpesa_daraja: the consumer key or secret is not valid"))?;
        Ok(DarajaTokens {
            hooks: TokenCallHooks {
                provider: PROVIDER,
                headers: vec![(AUTHORIZATION, basic)],
                refusals: &[400, 401, 403],
                kind: AuthFailure::InvalidCredentials,
                message: |body| wire::error_text(body).1,
                fallback: wire::map_error,
            },
        })
    }
}

#[async_trait]
impl TokenSource for DarajaTokens {
    type Extra = ();
    const LABEL: &'static str = "Daraja";

    async fn request(
        &self,
        requester: &TokenRequester<'_>,
        _current: Option<&Token<()>>,
    ) -> Result<Token<()>, Error> {
        let call = Call::get("issue_token", TOKEN_PATH).query("grant_type", "client_credentials");
        let (reply, sent) = requester.send(&self.hooks, &call).await?;
        let answer =
            access_token::decode::<TokenAnswer>(PROVIDER, &call, reply.status, &reply.body)?;
        let lifetime = answer.expires_in.as_str().parse::<u64>().map_err(|_| {
            access_token::withheld(
                PROVIDER,
                reply.status,
                "expires_in is not a whole number of seconds",
            )
        })?;
        let authorization = access_token::bearer(PROVIDER, reply.status, &answer.access_token)?;
        Ok(Token {
            authorization: Some(authorization),
            renew_at: access_token::renewal_point(
                sent,
                Duration::from_secs(lifetime),
                requester.margin(),
            ),
            extra: (),
        })
    }
}
