//! MTN MoMo's configuration: credentials, target environment and its currency, base URL,
//! callback host, payout mode; `from_env`.

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use crate::config::Environment;
use crate::config::{ClientSettings, EnvVars, ProviderUrls};
use crate::error::Error;
use crate::money::Currency;
use crate::phone::Country;

/// MTN's sandbox host.
pub const SANDBOX_URL: &str = "https://sandbox.momodeveloper.mtn.com";
/// MTN's production host for most markets (Rwanda has its own, `https://proxy.momoapi.mtn.co.rw`:
/// use [`Environment::Custom`]).
pub const LIVE_URL: &str = "https://proxy.momoapi.mtn.com";
/// MTN MoMo's sandbox and production hosts.
pub const URLS: ProviderUrls = ProviderUrls {
    sandbox: SANDBOX_URL,
    live: LIVE_URL,
};

/// MTN renews a token ten minutes before its hour is up (MTN's advice).
pub const DEFAULT_REFRESH_MARGIN: Duration = Duration::from_secs(10 * 60);

/// The `X-Target-Environment`: the wallet platform that processes a request, and with it the
/// currency the account pays out in.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TargetEnvironment {
    /// `sandbox`, EUR.
    Sandbox,
    /// `mtnuganda`, UGX.
    Uganda,
    /// `mtnghana`, GHS.
    Ghana,
    /// `mtnivorycoast`, XOF.
    IvoryCoast,
    /// `mtnzambia`, ZMW.
    Zambia,
    /// `mtncameroon`, XAF.
    Cameroon,
    /// `mtnbenin`, XOF.
    Benin,
    /// `mtncongo`, XAF.
    Congo,
    /// `mtnswaziland`, SZL.
    Eswatini,
    /// `mtnguineaconakry`, GNF.
    Guinea,
    /// `mtnsouthafrica`, ZAR.
    SouthAfrica,
    /// `mtnliberia`, LRD.
    Liberia,
    /// Any other value MTN gives an account (e.g. `mtnrwanda`, which no source confirms), with
    /// its currency.
    Other {
        /// The header value.
        name: String,
        /// The account's currency.
        currency: Currency,
    },
}

impl TargetEnvironment {
    /// Every named environment.
    pub const NAMED: [TargetEnvironment; 12] = [
        TargetEnvironment::Sandbox,
        TargetEnvironment::Uganda,
        TargetEnvironment::Ghana,
        TargetEnvironment::IvoryCoast,
        TargetEnvironment::Zambia,
        TargetEnvironment::Cameroon,
        TargetEnvironment::Benin,
        TargetEnvironment::Congo,
        TargetEnvironment::Eswatini,
        TargetEnvironment::Guinea,
        TargetEnvironment::SouthAfrica,
        TargetEnvironment::Liberia,
    ];

    /// The header value (`mtnuganda`).
    pub fn as_str(&self) -> &str {
        match self {
            TargetEnvironment::Sandbox => "sandbox",
            TargetEnvironment::Uganda => "mtnuganda",
            TargetEnvironment::Ghana => "mtnghana",
            TargetEnvironment::IvoryCoast => "mtnivorycoast",
            TargetEnvironment::Zambia => "mtnzambia",
            TargetEnvironment::Cameroon => "mtncameroon",
            TargetEnvironment::Benin => "mtnbenin",
            TargetEnvironment::Congo => "mtncongo",
            TargetEnvironment::Eswatini => "mtnswaziland",
            TargetEnvironment::Guinea => "mtnguineaconakry",
            TargetEnvironment::SouthAfrica => "mtnsouthafrica",
            TargetEnvironment::Liberia => "mtnliberia",
            TargetEnvironment::Other { name, .. } => name,
        }
    }

    /// The currency payouts are sent in.
    pub fn currency(&self) -> Currency {
        match self {
            TargetEnvironment::Sandbox => Currency::EUR,
            TargetEnvironment::Uganda => Currency::UGX,
            TargetEnvironment::Ghana => Currency::GHS,
            TargetEnvironment::IvoryCoast | TargetEnvironment::Benin => Currency::XOF,
            TargetEnvironment::Zambia => Currency::ZMW,
            TargetEnvironment::Cameroon | TargetEnvironment::Congo => Currency::XAF,
            TargetEnvironment::Eswatini => Currency::SZL,
            TargetEnvironment::Guinea => Currency::GNF,
            TargetEnvironment::SouthAfrica => Currency::ZAR,
            TargetEnvironment::Liberia => Currency::LRD,
            TargetEnvironment::Other { currency, .. } => *currency,
        }
    }

    /// The international calling code of the market's numbers (`"256"`); `None` for the sandbox
    /// (whose test numbers are Swedish, `46733123450`) and for [`TargetEnvironment::Other`].
    pub fn calling_code(&self) -> Option<&'static str> {
        Some(match self {
            TargetEnvironment::Sandbox | TargetEnvironment::Other { .. } => return None,
            TargetEnvironment::Uganda => "256",
            TargetEnvironment::Ghana => "233",
            TargetEnvironment::IvoryCoast => "225",
            TargetEnvironment::Zambia => "260",
            TargetEnvironment::Cameroon => "237",
            TargetEnvironment::Benin => "229",
            TargetEnvironment::Congo => "242",
            TargetEnvironment::Eswatini => "268",
            TargetEnvironment::Guinea => "224",
            TargetEnvironment::SouthAfrica => "27",
            TargetEnvironment::Liberia => "231",
        })
    }

    /// The market's country, where this crate has numbering rules for it.
    pub fn country(&self) -> Option<Country> {
        match self {
            TargetEnvironment::Uganda => Some(Country::Uganda),
            TargetEnvironment::Ghana => Some(Country::Ghana),
            TargetEnvironment::Zambia => Some(Country::Zambia),
            _ => None,
        }
    }

    /// Reads a header value (any case); an unknown value needs its currency
    /// ([`TargetEnvironment::Other`]), so it is `None` here.
    pub fn parse(text: &str) -> Option<TargetEnvironment> {
        let text = text.trim();
        TargetEnvironment::NAMED
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(text))
    }
}

impl fmt::Display for TargetEnvironment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which Disbursement operation sends a payout. All take the same body and answer `202`; MTN
/// documents no other difference than the callback method (see the module docs).
#[non_exhaustive]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum PayoutMode {
    /// `POST /disbursement/v1_0/transfer`, read at `GET /disbursement/v1_0/transfer/{id}`.
    #[default]
    Transfer,
    /// `POST /disbursement/v1_0/deposit`, read at `GET /disbursement/v1_0/deposit/{id}`.
    DepositV1,
    /// `POST /disbursement/v2_0/deposit`, read at `GET /disbursement/v1_0/deposit/{id}`.
    DepositV2,
}

impl PayoutMode {
    /// The path of the POST.
    pub fn create_path(self) -> &'static str {
        match self {
            PayoutMode::Transfer => "/disbursement/v1_0/transfer",
            PayoutMode::DepositV1 => "/disbursement/v1_0/deposit",
            PayoutMode::DepositV2 => "/disbursement/v2_0/deposit",
        }
    }

    /// The path a payout is read under, without its id.
    pub fn status_path(self) -> &'static str {
        match self {
            PayoutMode::Transfer => "/disbursement/v1_0/transfer",
            PayoutMode::DepositV1 | PayoutMode::DepositV2 => "/disbursement/v1_0/deposit",
        }
    }

    /// Reads `transfer`, `deposit-v1` or `deposit-v2` (any case, `_` for `-`).
    pub fn parse(text: &str) -> Option<PayoutMode> {
        match text.trim().to_ascii_lowercase().replace('_', "-").as_str() {
            "transfer" => Some(PayoutMode::Transfer),
            "deposit-v1" | "deposit" => Some(PayoutMode::DepositV1),
            "deposit-v2" => Some(PayoutMode::DepositV2),
            _ => None,
        }
    }
}

/// Everything an [`MtnMomoClient`](super::MtnMomoClient) needs.
#[non_exhaustive]
#[derive(Clone)]
pub struct MtnMomoConfig {
    /// The Disbursement product's subscription key (`Ocp-Apim-Subscription-Key`); the Collection
    /// and Remittance keys do not work here.
    pub subscription_key: SecretString,
    /// The API user (a UUID; sandbox: made with the provisioning API; production: from the
    /// partner portal). It is part of every payout's `X-Reference-Id`: keep it stable.
    pub api_user: SecretString,
    /// The API key of that user.
    pub api_key: SecretString,
    /// The `X-Target-Environment`.
    pub target: TargetEnvironment,
    /// The currency payouts are sent in; [`TargetEnvironment::currency`] unless set.
    pub currency: Option<Currency>,
    /// What every adapter's config shares: sandbox host, production host or another base URL;
    /// timeouts; the clock token expiry is measured on; and the webhook secret, which for MTN
    /// MoMo is the secret the per-payout callback tokens are made with (any string only this
    /// merchant knows; earlier ones are still accepted during a rotation).
    pub settings: ClientSettings,
    /// The callback host registered for the API user (`providerCallbackHost`); a payout whose
    /// callback URL has another host is refused before sending. `None` checks nothing.
    pub callback_host: Option<String>,
    /// Transfer (the default) or deposit.
    pub payout_mode: PayoutMode,
    /// A token is renewed when less than this is left of it.
    pub refresh_margin: Duration,
    /// When on, [`PayoutProvider::parse_webhook`](crate::PayoutProvider::parse_webhook) refuses
    /// and callbacks must go through
    /// [`MtnMomoClient::parse_webhook_confirmed`](super::MtnMomoClient::parse_webhook_confirmed),
    /// which reads the outcome from MTN.
    pub confirm_callbacks: bool,
}

crate::redact::redacted_debug! { MtnMomoConfig, |c| {
    subscription_key: SECRET, api_user: SECRET, api_key: SECRET, target: c.target,
    currency: c.currency, settings: c.settings, callback_host: c.callback_host,
    payout_mode: c.payout_mode, refresh_margin: c.refresh_margin,
    confirm_callbacks: c.confirm_callbacks,
}}

impl MtnMomoConfig {
    /// A sandbox configuration (target `sandbox`, EUR, MTN's sandbox host, transfers).
    pub fn new(
        subscription_key: SecretString,
        api_user: SecretString,
        api_key: SecretString,
        callback_secret: SecretString,
    ) -> MtnMomoConfig {
        MtnMomoConfig {
            subscription_key,
            api_user,
            api_key,
            target: TargetEnvironment::Sandbox,
            currency: None,
            settings: ClientSettings::new(callback_secret, Environment::Sandbox),
            callback_host: None,
            payout_mode: PayoutMode::Transfer,
            refresh_margin: DEFAULT_REFRESH_MARGIN,
            confirm_callbacks: false,
        }
    }

    fn from_vars(env: &EnvVars<'_>) -> Result<MtnMomoConfig, Error> {
        let ([subscription_key, api_user, api_key], settings) =
            env.secrets_and_settings(["SUBSCRIPTION_KEY", "API_USER", "API_KEY"])?;
        let mut config = MtnMomoConfig::new(
            subscription_key,
            api_user,
            api_key,
            settings.webhook_secret.clone(),
        );
        config.settings = settings;
        let currency = env
            .optional("CURRENCY")?
            .map(|c| {
                c.parse::<Currency>().map_err(|e| Error::Config {
                    message: "MTN_MOMO_CURRENCY is not a currency this crate knows".into(),
                    source: Some(Box::new(e)),
                })
            })
            .transpose()?;
        config.currency = currency;
        if let Some(target) = env.optional("TARGET_ENVIRONMENT")? {
            config.target = match (TargetEnvironment::parse(&target), currency) {
                (Some(named), _) => named,
                (None, Some(currency)) => TargetEnvironment::Other {
                    name: target,
                    currency,
                },
                (None, None) => {
                    return Err(Error::config(format!(
                        "MTN_MOMO_TARGET_ENVIRONMENT {target:?} is not one this crate names: \
                         set MTN_MOMO_CURRENCY too"
                    )));
                }
            };
        }
        config.callback_host = env.optional("CALLBACK_HOST")?;
        if let Some(mode) = env.optional("PAYOUT_MODE")? {
            config.payout_mode = PayoutMode::parse(&mode).ok_or_else(|| {
                Error::config(format!(
                    "MTN_MOMO_PAYOUT_MODE must be transfer, deposit-v1 or deposit-v2, got {mode:?}"
                ))
            })?;
        }
        Ok(config)
    }

    /// The currency payouts are sent in.
    pub fn payout_currency(&self) -> Currency {
        self.currency.unwrap_or_else(|| self.target.currency())
    }

    /// Refuses empty secrets, an API user that is not a UUID, and a sandbox target on the
    /// production host (or a production target on the sandbox host).
    pub(super) fn check(&self) -> Result<(), Error> {
        crate::config::check_secrets! { self, "mtn_momo": subscription_key, api_user, api_key }?;
        if !super::reference_id::is_uuid(self.api_user.expose_secret().trim()) {
            return Err(Error::config("mtn_momo: api_user must be a UUID"));
        }
        let base = self.settings.base_url(&URLS);
        let sandbox_target = self.target == TargetEnvironment::Sandbox;
        if sandbox_target && base == LIVE_URL {
            return Err(Error::config(
                "mtn_momo: target environment `sandbox` on the production host",
            ));
        }
        if !sandbox_target && base == SANDBOX_URL {
            return Err(Error::config(format!(
                "mtn_momo: target environment `{}` on the sandbox host",
                self.target
            )));
        }
        if self.refresh_margin >= Duration::from_secs(3600) {
            return Err(Error::config(
                "mtn_momo: the refresh margin must be shorter than the 60-minute token lifetime",
            ));
        }
        Ok(())
    }
}

crate::config::setters! { MtnMomoConfig {
    /// Sets the target environment.
    with_target(target: TargetEnvironment) => target = target;
    /// Sets the currency (instead of the target environment's).
    with_currency(currency: Currency) => currency = Some(currency);
    /// Sets the registered callback host.
    with_callback_host(host: impl Into<String>) => callback_host = Some(host.into());
    /// Sets the payout mode.
    with_payout_mode(mode: PayoutMode) => payout_mode = mode;
}}

crate::config::from_env! {
/// Reads `MTN_MOMO_SUBSCRIPTION_KEY`, `MTN_MOMO_API_USER`, `MTN_MOMO_API_KEY` (required);
/// `MTN_MOMO_TARGET_ENVIRONMENT` (`sandbox` when unset), `MTN_MOMO_CURRENCY` (required for a
/// target this crate does not name), `MTN_MOMO_CALLBACK_HOST`, `MTN_MOMO_PAYOUT_MODE`
/// (`transfer`, `deposit-v1`, `deposit-v2`), and the variables every adapter reads
/// ([`crate::config`]): `MTN_MOMO_WEBHOOK_SECRET` (required; the callback-token secret, also
/// read as `MTN_MOMO_CALLBACK_SECRET`), `MTN_MOMO_PREVIOUS_WEBHOOK_SECRET`,
/// `MTN_MOMO_BASE_URL` (`sandbox`, `live`/`production` or a URL; the sandbox when unset),
/// `MTN_MOMO_TIMEOUT_SECS`, `MTN_MOMO_STRICT_CALLBACK_URL`.
    MtnMomoConfig, "MTN_MOMO"
}

crate::config::client_settings_builders!(MtnMomoConfig);
crate::config::refresh_margin_builder!(MtnMomoConfig);
crate::config::confirm_callbacks_builder!(MtnMomoConfig);
