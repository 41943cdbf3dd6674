//! The Vesicash client's configuration: keys, environment, paths and the webhook scheme.
//!
//! Every path and header name the documentation leaves open is a constant here and a field of
//! [`VesicashConfig`], so a documented alternative is one setter away.

use secrecy::SecretString;

pub use crate::config::Environment;
use crate::config::{ClientSettings, EnvVars, ProviderUrls};
use crate::error::Error;
use crate::model::CallbackUrl;
use crate::webhook::{SignatureEncoding, WebhookScheme};

/// The sandbox base URL (official SDKs).
pub const SANDBOX_BASE_URL: &str = "https://sandbox.api.vesicash.com";
/// The live base URL (official SDKs).
pub const LIVE_BASE_URL: &str = "https://api.vesicash.com";

/// The payout path of the spec text. The docs' heading shows `/v1/payment/payouts/process`;
/// select it with [`VesicashConfig::with_payout_path`].
pub const PAYOUT_PATH: &str = "/v1/payment/payout/process";
/// The refund path.
pub const REFUND_PATH: &str = "/v1/payment/refunds/process";
/// The countries list.
pub const COUNTRIES_PATH: &str = "/v1/countries";
/// The banks list.
pub const BANKS_PATH: &str = "/v1/banks";
/// The query parameter naming the country on [`BANKS_PATH`] (the spec's name; docs revisions
/// disagree, see [`VesicashConfig::with_banks_country_param`]).
pub const BANKS_COUNTRY_PARAM: &str = "country_id";
/// The status lookup, with `{reference}` standing for the Vesicash reference (`PY_…`).
///
/// Vesicash documents no payout status endpoint; this is the one lookup by reference its docs
/// show (for payments). Override it with [`VesicashConfig::with_status_path`].
pub const STATUS_PATH: &str = "/v1/payment/{reference}";
/// The placeholder in a status path template.
pub const REFERENCE_PLACEHOLDER: &str = "{reference}";

/// The webhook signature header of the spec.
pub const SIGNATURE_HEADER: &str = "X-Vesicash-Signature";
/// The webhook signature header of the public docs.
pub const DOCS_SIGNATURE_HEADER: &str = "mor-signature";
/// The timestamp header used when the signed message is `timestamp + "." + body` (undocumented:
/// set the real name with [`SignedMessage::TimestampDotBody`](crate::webhook::SignedMessage)).
pub const TIMESTAMP_HEADER: &str = "X-Vesicash-Timestamp";

/// The secret key's header name of the spec ([`AuthHeaders::spec`], the default).
pub const SECRET_KEY_HEADER: &str = "secret-key";
/// The public key's header name of the spec.
pub const PUBLIC_KEY_HEADER: &str = "public-key";
/// The secret key's header name of Vesicash's official Node, Python and PHP SDKs
/// ([`AuthHeaders::sdk`]).
pub const SDK_SECRET_KEY_HEADER: &str = "V-Private-Key";
/// The public key's header name of Vesicash's official Node SDK.
pub const SDK_PUBLIC_KEY_HEADER: &str = "V-Public-Key";

/// Vesicash's sandbox and live base URLs.
pub const URLS: ProviderUrls = ProviderUrls {
    sandbox: SANDBOX_BASE_URL,
    live: LIVE_BASE_URL,
};

/// Vesicash's webhook scheme: hex HMAC-SHA256 of the raw body in `X-Vesicash-Signature`, else
/// the docs' `mor-signature`. The other docs revision signs `timestamp + "." + body`:
/// `webhook_scheme().with_signed_message(SignedMessage::timestamp_dot_body(TIMESTAMP_HEADER))`.
pub fn webhook_scheme() -> WebhookScheme {
    WebhookScheme::hmac_body(
        [SIGNATURE_HEADER, DOCS_SIGNATURE_HEADER],
        SignatureEncoding::Hex,
    )
}

/// The header names the keys are sent under: an open point (see the module docs).
///
/// The spec says `secret-key` and `public-key` (the default, [`AuthHeaders::spec`]); Vesicash's
/// official SDKs send `V-Private-Key`, and the Node SDK also `V-Public-Key`
/// ([`AuthHeaders::sdk`]). The public key's header may be left out
/// ([`AuthHeaders::without_public_key`]), as the Python and PHP SDKs do.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuthHeaders {
    /// The header carrying the secret key.
    pub secret_key: String,
    /// The header carrying the public key; `None` sends no public key.
    pub public_key: Option<String>,
}

impl Default for AuthHeaders {
    fn default() -> Self {
        AuthHeaders::spec()
    }
}

impl AuthHeaders {
    /// The spec's `secret-key` and `public-key`.
    pub fn spec() -> AuthHeaders {
        AuthHeaders::new(SECRET_KEY_HEADER, Some(PUBLIC_KEY_HEADER))
    }

    /// The official SDKs' `V-Private-Key` and `V-Public-Key`.
    pub fn sdk() -> AuthHeaders {
        AuthHeaders::new(SDK_SECRET_KEY_HEADER, Some(SDK_PUBLIC_KEY_HEADER))
    }

    /// Any names (checked as header names when the client is built).
    pub fn new(secret_key: impl Into<String>, public_key: Option<&str>) -> AuthHeaders {
        AuthHeaders {
            secret_key: secret_key.into(),
            public_key: public_key.map(str::to_owned),
        }
    }

    /// The same, sending no public key.
    #[must_use]
    pub fn without_public_key(mut self) -> AuthHeaders {
        self.public_key = None;
        self
    }
}

/// Everything a [`super::VesicashClient`] needs.
///
/// `Debug` never prints a key or secret.
#[non_exhaustive]
#[derive(Clone)]
pub struct VesicashConfig {
    /// The secret key, sent as the `secret-key` header ([`VesicashConfig::auth_headers`]).
    pub secret_key: SecretString,
    /// The public key, sent as the `public-key` header ([`VesicashConfig::auth_headers`]).
    pub public_key: SecretString,
    /// The header names the keys are sent under ([`AuthHeaders::spec`] by default).
    pub auth_headers: AuthHeaders,
    /// What every adapter's config shares: which Vesicash, timeouts, the webhook secret
    /// signatures are checked with and earlier ones during a rotation, the clock.
    pub settings: ClientSettings,
    /// The payout path ([`PAYOUT_PATH`]).
    pub payout_path: String,
    /// The refund path ([`REFUND_PATH`]).
    pub refund_path: String,
    /// The status path template ([`STATUS_PATH`]), holding `{reference}`.
    pub status_path: String,
    /// The banks list's country query parameter ([`BANKS_COUNTRY_PARAM`]).
    pub banks_country_param: String,
    /// The `webhook_url` sent when a request names none. `None` sends no `webhook_url`, and
    /// Vesicash uses the dashboard's.
    pub default_webhook_url: Option<CallbackUrl>,
    /// How webhooks are authenticated.
    pub webhook: WebhookScheme,
}

crate::redact::redacted_debug! { VesicashConfig, |c| {
    secret_key: SECRET, public_key: SECRET, auth_headers: c.auth_headers, settings: c.settings,
    payout_path: c.payout_path, refund_path: c.refund_path, status_path: c.status_path,
    banks_country_param: c.banks_country_param,
    default_webhook_url: url(c.default_webhook_url.as_ref().map(CallbackUrl::as_str)),
    webhook: c.webhook,
}}

impl VesicashConfig {
    /// A configuration for `environment` with the documented defaults.
    pub fn new(
        secret_key: SecretString,
        public_key: SecretString,
        webhook_secret: SecretString,
        environment: Environment,
    ) -> VesicashConfig {
        VesicashConfig {
            secret_key,
            public_key,
            auth_headers: AuthHeaders::spec(),
            settings: ClientSettings::new(webhook_secret, environment),
            payout_path: PAYOUT_PATH.to_owned(),
            refund_path: REFUND_PATH.to_owned(),
            status_path: STATUS_PATH.to_owned(),
            banks_country_param: BANKS_COUNTRY_PARAM.to_owned(),
            default_webhook_url: None,
            webhook: webhook_scheme(),
        }
    }

    fn from_vars(env: &EnvVars<'_>) -> Result<VesicashConfig, Error> {
        let ([secret_key, public_key], settings) =
            env.secrets_and_settings(["SECRET_KEY", "PUBLIC_KEY"])?;
        let mut config = VesicashConfig::new(
            secret_key,
            public_key,
            settings.webhook_secret.clone(),
            Environment::Sandbox,
        );
        config.settings = settings;
        Ok(config)
    }

    /// Checks what can be checked without the network.
    pub(crate) fn validate(&self) -> Result<(), Error> {
        use secrecy::ExposeSecret as _;
        for (name, value) in [
            ("secret key", &self.secret_key),
            ("public key", &self.public_key),
        ] {
            let text = value.expose_secret();
            if text.trim().is_empty() {
                return Err(Error::config(format!("vesicash: the {name} is empty")));
            }
            if reqwest::header::HeaderValue::from_str(text).is_err() {
                return Err(Error::config(format!(
                    "vesicash: the {name} is not a valid header value"
                )));
            }
        }
        let key_headers =
            std::iter::once(&self.auth_headers.secret_key).chain(&self.auth_headers.public_key);
        for name in key_headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(Error::config(format!(
                    "vesicash: {name:?} is not a valid header name for a key"
                )));
            }
        }
        for (name, path) in [
            ("payout path", &self.payout_path),
            ("refund path", &self.refund_path),
            ("status path", &self.status_path),
        ] {
            if !path.starts_with('/') {
                return Err(Error::config(format!(
                    "vesicash: the {name} must start with '/', got {path:?}"
                )));
            }
        }
        if !self.status_path.contains(REFERENCE_PLACEHOLDER) {
            return Err(Error::config(format!(
                "vesicash: the status path must hold {REFERENCE_PLACEHOLDER}, got {:?}",
                self.status_path
            )));
        }
        if self.banks_country_param.trim().is_empty() {
            return Err(Error::config(
                "vesicash: the banks country parameter is empty",
            ));
        }
        if self.webhook.signature_headers.is_empty() {
            return Err(Error::config(
                "vesicash: at least one webhook signature header is needed",
            ));
        }
        for name in &self.webhook.signature_headers {
            if reqwest::header::HeaderName::from_bytes(name.as_bytes()).is_err() {
                return Err(Error::config(format!(
                    "vesicash: {name:?} is not a valid header name"
                )));
            }
        }
        Ok(())
    }
}

crate::config::setters! { VesicashConfig {
    /// Sets the header names the keys are sent under (e.g. [`AuthHeaders::sdk`]).
    with_auth_headers(headers: AuthHeaders) => auth_headers = headers;
    /// Sets the payout path (e.g. the docs' `/v1/payment/payouts/process`).
    with_payout_path(path: impl Into<String>) => payout_path = path.into();
    /// Sets the refund path.
    with_refund_path(path: impl Into<String>) => refund_path = path.into();
    /// Sets the status path template; it must hold `{reference}`.
    with_status_path(template: impl Into<String>) => status_path = template.into();
    /// Sets the banks list's country query parameter.
    with_banks_country_param(name: impl Into<String>) => banks_country_param = name.into();
    /// Sets the `webhook_url` sent when a request names none.
    with_default_webhook_url(url: CallbackUrl) => default_webhook_url = Some(url);
    /// Sets how webhooks are authenticated.
    with_webhook_scheme(scheme: WebhookScheme) => webhook = scheme;
}}

crate::config::from_env! {
/// Reads `VESICASH_SECRET_KEY`, `VESICASH_PUBLIC_KEY` (required) and the variables every
/// adapter reads ([`crate::config`]): `VESICASH_WEBHOOK_SECRET` (required),
/// `VESICASH_PREVIOUS_WEBHOOK_SECRET`, `VESICASH_BASE_URL` (`sandbox`, `live` or a URL;
/// unset means the sandbox, so a missing variable never moves real money),
/// `VESICASH_TIMEOUT_SECS`, `VESICASH_STRICT_CALLBACK_URL`.
    VesicashConfig, "VESICASH"
}

crate::config::client_settings_builders!(VesicashConfig);

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> VesicashConfig {
        VesicashConfig::new(
            SecretString::from("sk_live_very_secret"),
            SecretString::from("pk_live_public"),
            SecretString::from("whsec_hidden"),
            Environment::Sandbox,
        )
    }

    #[test]
    fn debug_redacts_every_secret_exactly() {
        let config = config().with_previous_webhook_secret(SecretString::from("old_hidden"));
        let text = format!("{config:?}");
        let http = format!("{:?}", crate::http::HttpConfig::default());
        let webhook = format!("{:?}", webhook_scheme());
        assert_eq!(
            text,
            format!(
                "VesicashConfig {{ secret_key: ** redacted **, public_key: ** redacted **, \
                 auth_headers: AuthHeaders {{ secret_key: \"secret-key\", public_key: \
                 Some(\"public-key\") }}, \
                 settings: ClientSettings {{ environment: Sandbox, http: {http}, \
                 http_client: None, webhook_secret: ** redacted **, \
                 previous_webhook_secrets: [1 redacted], clock: SystemClock, strict_callback_url: false }}, payout_path: \"/v1/payment/payout/process\", \
                 refund_path: \"/v1/payment/refunds/process\", status_path: \
                 \"/v1/payment/{{reference}}\", banks_country_param: \"country_id\", \
                 default_webhook_url: None, webhook: {webhook} }}"
            )
        );
        for secret in ["very_secret", "pk_live_public", "hidden"] {
            assert!(!text.contains(secret), "{secret} leaked");
        }
    }

    #[test]
    fn environments_have_the_documented_base_urls() {
        assert_eq!(
            Environment::Sandbox.base_url(&URLS),
            "https://sandbox.api.vesicash.com"
        );
        assert_eq!(
            Environment::Live.base_url(&URLS),
            "https://api.vesicash.com"
        );
        assert_eq!(Environment::parse("LIVE"), Environment::Live);
        assert_eq!(
            Environment::parse("http://127.0.0.1:9"),
            Environment::Custom("http://127.0.0.1:9".into())
        );
    }

    #[test]
    fn validate_refuses_empty_keys_and_bad_paths() {
        let mut c = config();
        c.secret_key = SecretString::from("  ");
        assert!(matches!(c.validate(), Err(Error::Config { .. })));
        let c = config().with_status_path("/v1/payment/status");
        assert!(matches!(c.validate(), Err(Error::Config { .. })));
        let c = config().with_payout_path("v1/payment/payout/process");
        assert!(matches!(c.validate(), Err(Error::Config { .. })));
        let c =
            config().with_webhook_scheme(webhook_scheme().with_signature_headers(["bad header"]));
        assert!(matches!(c.validate(), Err(Error::Config { .. })));
        let c = config().with_auth_headers(AuthHeaders::new("V Private Key", None));
        assert!(matches!(c.validate(), Err(Error::Config { .. })));
        assert!(config().validate().is_ok());
    }
}
