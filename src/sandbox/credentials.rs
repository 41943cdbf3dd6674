//! The fixed test credentials each simulated provider accepts.
//!
//! They are constants so a test, an example or a merchant's integration in another language can
//! use them without asking the sandbox. `Debug` shows public identifiers and redacts secrets,
//! like the adapters' configs do.

use std::fmt;

const REDACTED: &str = "** redacted **";

/// Vesicash: the `secret-key` and `public-key` headers, and the webhook signing secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct VesicashCredentials {
    /// The `secret-key` header value.
    pub secret_key: &'static str,
    /// The `public-key` header value (not a secret).
    pub public_key: &'static str,
    /// The secret the sandbox signs `X-Vesicash-Signature` with.
    pub webhook_secret: &'static str,
}

/// JPay: the app key and secret exchanged for tokens, the app code, and a callback secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct JpayCredentials {
    /// `app_key` for `POST /auth/app/token` (not a secret).
    pub app_key: &'static str,
    /// `app_secret` for `POST /auth/app/token`.
    pub app_secret: &'static str,
    /// The app's `app_code`, sent in payout bodies.
    pub app_code: u32,
    /// A secret for the adapter's own signed token in the callback URL. JPay does not sign
    /// callbacks; the sandbox delivers to the URL as given and never reads this value.
    pub callback_secret: &'static str,
}

/// Payonify: the test key pair for HTTP Basic auth and the webhook signing secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct PayonifyCredentials {
    /// The publishable key, the Basic-auth user (not a secret).
    pub publishable_key: &'static str,
    /// The secret key, the Basic-auth password.
    pub secret_key: &'static str,
    /// The `whsec_…` secret the sandbox signs `Payonify-Signature` with.
    pub webhook_secret: &'static str,
}

/// MTN MoMo: the Disbursement subscription key, the API user and key, and a callback secret.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct MtnMomoCredentials {
    /// The `Ocp-Apim-Subscription-Key` of the Disbursement product.
    pub subscription_key: &'static str,
    /// The API user (a UUID; not a secret on its own, but redacted like the key).
    pub api_user: &'static str,
    /// The API key of that user.
    pub api_key: &'static str,
    /// A secret for the adapter's own token in the callback URL. MTN does not sign callbacks;
    /// the sandbox calls the URL as given and never reads this value.
    pub callback_secret: &'static str,
}

/// The credentials the simulated MTN MoMo accepts.
pub const MTN_MOMO_CREDENTIALS: MtnMomoCredentials = MtnMomoCredentials {
    subscription_key: "f1db798c98df4bcf83b538175893bbf0",
    api_user: "0c8a8e3a-5b6f-4f0e-9d43-1b2c3d4e5f60",
    api_key: "b0431db58a9b41faa8f5860230sandbox",
    callback_secret: "mtn_sandbox_callback_secret_51c0",
};

impl fmt::Debug for MtnMomoCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MtnMomoCredentials")
            .field("subscription_key", &REDACTED)
            .field("api_user", &REDACTED)
            .field("api_key", &REDACTED)
            .field("callback_secret", &REDACTED)
            .finish()
    }
}

/// The credentials the simulated Vesicash accepts.
pub const VESICASH_CREDENTIALS: VesicashCredentials = VesicashCredentials {
    secret_key: "v_sandbox_sk_5f2c9e1a7b3d4f60",
    public_key: "v_sandbox_pk_8a41d0c3e2b7f915",
    webhook_secret: "v_sandbox_whsec_3b9f0c27d1e8",
};

/// The credentials the simulated JPay accepts.
pub const JPAY_CREDENTIALS: JpayCredentials = JpayCredentials {
    app_key: "jpay_sandbox_app_key_7c1e02",
    app_secret: "jpay_sandbox_app_secret_94d2b6a1",
    app_code: 12345,
    callback_secret: "jpay_sandbox_callback_secret_e05a7f",
};

/// The credentials the simulated Payonify accepts.
pub const PAYONIFY_CREDENTIALS: PayonifyCredentials = PayonifyCredentials {
    publishable_key: "pk_test_sandbox_51HzQ2sAnDbOx",
    secret_key: "sk_test_sandbox_4eC39HqLyjWDarjtT1zdp7dc",
    webhook_secret: "whsec_sandbox_9f8e7d6c5b4a3f2e",
};

impl fmt::Debug for VesicashCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VesicashCredentials")
            .field("secret_key", &REDACTED)
            .field("public_key", &self.public_key)
            .field("webhook_secret", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for JpayCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("JpayCredentials")
            .field("app_key", &self.app_key)
            .field("app_secret", &REDACTED)
            .field("app_code", &self.app_code)
            .field("callback_secret", &REDACTED)
            .finish()
    }
}

impl fmt::Debug for PayonifyCredentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PayonifyCredentials")
            .field("publishable_key", &self.publishable_key)
            .field("secret_key", &REDACTED)
            .field("webhook_secret", &REDACTED)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_redacts_every_secret() {
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
    }
}
