//! MTN MoMo's access token: `POST /disbursement/token/` with Basic auth, cached, shared by
//! concurrent callers, renewed ahead of expiry and once after a 401.
//!
//! - Caching, the single flight (a burst of 100 payouts makes one token request), the published
//!   snapshot and renewal after a 401 are the shared token cache's ([`crate::access_token`]);
//!   this module is MTN's [`TokenSource`]: which request to make and how to read the answer.
//! - A token lives `expires_in` seconds (3600 documented; 3600 when absent), measured on the
//!   configured clock from the moment the request was sent, and is renewed when less than the
//!   margin is left (MTN advises ten minutes; at most half the lifetime).
//! - After a 401 on a call, the token is renewed once, unless another caller renewed it since
//!   the refused call was signed: then the call is repeated with the current token.
//! - The token is a sensitive header value; no `Debug`, log or error shows it (a token answer
//!   that fails to decode gives an error without a body snippet).

use std::time::Duration;

use reqwest::header::{AUTHORIZATION, HeaderName, HeaderValue};
use secrecy::{ExposeSecret, SecretString};

use super::wire::{self, TokenResponse};
use super::{PROVIDER, SUBSCRIPTION_KEY_HEADER};
use crate::access_token::{self, BearerSource, TokenCallHooks};
use crate::error::{AuthFailure, Error};
use crate::http::{Call, Idempotency, Reply, basic_auth};

/// The documented token lifetime, used when the answer has no `expires_in`.
pub(super) const DEFAULT_LIFETIME: Duration = Duration::from_secs(3600);
/// The token path (the trailing slash is in every official sample).
pub(super) const TOKEN_PATH: &str = "/disbursement/token/";

/// How MTN issues a token: `POST` with Basic auth (the API user and key) and the subscription
/// key (`subscription`); a 401 is an auth failure.
pub(super) fn source(
    api_user: &SecretString,
    api_key: &SecretString,
    subscription: HeaderValue,
) -> Result<BearerSource, Error> {
    let basic = basic_auth(api_user.expose_secret().trim(), api_key.expose_secret())
        .ok_or_else(|| Error::config("mtn_momo: the API user or key cannot be sent in a header"))?;
    let subscription_key = HeaderName::from_static(SUBSCRIPTION_KEY_HEADER);
    Ok(BearerSource {
        label: "MTN MoMo",
        // A token request moves no money and may be repeated freely: a read for the retry policy.
        call: || Call::post_empty("issue_token", TOKEN_PATH, Idempotency::Read),
        hooks: TokenCallHooks {
            provider: PROVIDER,
            headers: vec![(AUTHORIZATION, basic), (subscription_key, subscription)],
            // `{"error": "..."}`: the API user, the key or the subscription key is wrong.
            refusals: &[401],
            kind: AuthFailure::InvalidCredentials,
            message: |body| wire::error_body(body).message,
            fallback: wire::map_error,
        },
        read,
    })
}

/// The access token and its lifetime (`expires_in`, else the documented hour) from a 2xx
/// answer, without ever putting its body into an error.
fn read(call: &Call, reply: &Reply) -> Result<(String, Duration), Error> {
    let response =
        access_token::decode::<TokenResponse>(PROVIDER, call, reply.status, &reply.body)?;
    let lifetime = response
        .expires_in
        .map_or(DEFAULT_LIFETIME, Duration::from_secs);
    Ok((response.access_token, lifetime))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::StatusCode;

    fn token_answer(
        body: &[u8],
        sent: i64,
        margin: Duration,
    ) -> Result<access_token::Token<()>, Error> {
        let call = Call::post_empty("issue_token", TOKEN_PATH, Idempotency::Read);
        let reply = Reply {
            status: StatusCode::OK,
            headers: Default::default(),
            body: body.to_vec(),
            attempts: 1,
        };
        access_token::bearer_token(PROVIDER, &call, &reply, sent, margin, read)
    }

    #[test]
    fn token_answers_are_read_without_showing_the_token() {
        let token = token_answer(
            br#"{"access_token":"eyJ0.abc","token_type":"access_token","expires_in":3600}"#,
            100,
            Duration::from_secs(600),
        )
        .unwrap();
        let authorization = token.authorization.unwrap();
        assert_eq!(authorization, "Bearer eyJ0.abc");
        assert!(authorization.is_sensitive());
        assert_eq!(token.renew_at, 100 + 3000);
        for body in [
            &b"<html>"[..],
            br#"{"access_token":""}"#,
            br#"{"access_token":"s3cret","expires_in":"x"}"#,
        ] {
            let err = token_answer(body, 0, Duration::ZERO).err().unwrap();
            assert!(
                matches!(&err, Error::Decode { snippet, .. } if snippet == "(token response withheld)"),
                "{err:?}"
            );
            assert!(!format!("{err:?}").contains("s3cret"));
        }
    }
}
