//! The raw arm: hand-written `reqwest` code sending the same bytes as the SDK (same method, path,
//! headers in the same order, same body), with a client built like the SDK's (same user agent,
//! connect timeout and per-request timeout, reqwest's default pool), and reading the answer
//! into a small typed struct, as a careful hand-written integration would.

use std::time::Duration;

use base64::Engine as _;
use hmac::{Hmac, Mac};
use reqwest::header::{ACCEPT, AUTHORIZATION, CONTENT_TYPE};
use serde::Deserialize;
use sha2::Sha256;
use tokio::sync::OnceCell;

use crate::inputs::{self, Provider};

/// The SDK's defaults (`HttpConfig::default()`).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
const TIMEOUT: Duration = Duration::from_secs(30);

pub struct RawArm {
    client: reqwest::Client,
    base: String,
    provider: Provider,
    /// JPay's access token, fetched once (concurrent first callers share the fetch).
    token: OnceCell<String>,
    /// Vesicash's `country_id` for Zambia, read once from the countries list.
    country_id: OnceCell<String>,
    payonify_auth: String,
}

#[derive(Deserialize)]
struct JpayToken {
    access: String,
}

#[derive(Deserialize)]
struct IdStatus {
    id: String,
    #[allow(dead_code)]
    status: String,
}

#[derive(Deserialize)]
struct VesicashEnvelope {
    status: String,
    data: VesicashData,
}

#[derive(Deserialize)]
struct VesicashData {
    reference: String,
    #[allow(dead_code)]
    status: String,
}

#[derive(Deserialize)]
struct VesicashCountries {
    data: Vec<VesicashCountry>,
}

#[derive(Deserialize)]
struct VesicashCountry {
    id: serde_json::Value,
    country_code: String,
}

impl RawArm {
    pub fn new(provider: Provider, base_url: &str) -> Result<RawArm, String> {
        let client = reqwest::Client::builder()
            .user_agent(disburse::http::USER_AGENT)
            .connect_timeout(CONNECT_TIMEOUT)
            .build()
            .map_err(|e| e.to_string())?;
        let credentials = format!(
            "{}:{}",
            inputs::PAYONIFY_PUBLISHABLE,
            inputs::PAYONIFY_SECRET
        );
        Ok(RawArm {
            client,
            base: base_url.to_owned(),
            provider,
            token: OnceCell::new(),
            country_id: OnceCell::new(),
            payonify_auth: format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(credentials)
            ),
        })
    }

    async fn jpay_token(&self) -> Result<&String, String> {
        self.token
            .get_or_try_init(|| async {
                let body = format!(
                    r#"{{"app_key":"{}","app_secret":"{}"}}"#,
                    inputs::JPAY_APP_KEY,
                    inputs::JPAY_APP_SECRET
                );
                let response = self
                    .client
                    .post(format!("{}/auth/app/token", self.base))
                    .timeout(TIMEOUT)
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = checked(response).await?;
                let token: JpayToken = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                Ok(token.access)
            })
            .await
    }

    async fn vesicash_country_id(&self) -> Result<&String, String> {
        self.country_id
            .get_or_try_init(|| async {
                let response = self
                    .client
                    .get(format!("{}/v1/countries", self.base))
                    .timeout(TIMEOUT)
                    .header(ACCEPT, "application/json")
                    .header("secret-key", inputs::VESICASH_SECRET_KEY)
                    .header("public-key", inputs::VESICASH_PUBLIC_KEY)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = checked(response).await?;
                let list: VesicashCountries =
                    serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                let zambia = list
                    .data
                    .into_iter()
                    .find(|c| c.country_code == "ZM")
                    .ok_or("no ZM in the countries list")?;
                Ok(match zambia.id {
                    serde_json::Value::String(s) => s,
                    other => other.to_string(),
                })
            })
            .await
    }
}

impl crate::Arm for RawArm {
    async fn send(&self, index: usize) -> Result<(), String> {
        let input = inputs::payout(self.provider, index);
        match self.provider {
            Provider::Jpay => {
                let token = self.jpay_token().await?;
                let mut mac =
                    Hmac::<Sha256>::new_from_slice(inputs::JPAY_CALLBACK_SECRET.as_bytes())
                        .map_err(|e| e.to_string())?;
                mac.update(input.reference.as_bytes());
                let callback_token = hex::encode(mac.finalize().into_bytes());
                let body = format!(
                    r#"{{"payto":"{}","amount":"{}","ref_no":"{}","callback_url":"{}?disburse_token={}","category":"other","narration":"{}","channel":63902,"app_code":12345}}"#,
                    input.phone,
                    input.amount,
                    input.reference,
                    inputs::JPAY_CALLBACK,
                    callback_token,
                    input.narration
                );
                let response = self
                    .client
                    .post(format!("{}/payments/payouts/initiate", self.base))
                    .timeout(TIMEOUT)
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .bearer_auth(token)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = checked(response).await?;
                let payout: IdStatus = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                non_empty(&payout.id)
            }
            Provider::Vesicash => {
                let country_id = self.vesicash_country_id().await?;
                let body = format!(
                    r#"{{"amount":{},"country_id":"{}","transfer_to":"mobile_number","momo_phone_number":"{}","webhook_url":"{}","reason":"{}"}}"#,
                    input.amount,
                    country_id,
                    input.phone.trim_start_matches('+'),
                    inputs::VESICASH_WEBHOOK,
                    input.narration
                );
                let response = self
                    .client
                    .post(format!("{}/v1/payment/payout/process", self.base))
                    .timeout(TIMEOUT)
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .header("secret-key", inputs::VESICASH_SECRET_KEY)
                    .header("public-key", inputs::VESICASH_PUBLIC_KEY)
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = checked(response).await?;
                let envelope: VesicashEnvelope =
                    serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                if envelope.status != "success" {
                    return Err(format!("envelope status {}", envelope.status));
                }
                non_empty(&envelope.data.reference)
            }
            Provider::Payonify => {
                let minor: i64 = input
                    .amount
                    .replace('.', "")
                    .parse()
                    .map_err(|e: std::num::ParseIntError| e.to_string())?;
                let body = format!(
                    r#"{{"amount":{minor},"currency":"usd","destination":{{"mobile_money":{{"ecocash":{{"mobile_number":"{}"}}}}}},"description":"{}","metadata":{{"disburse_reference":"{}"}}}}"#,
                    input.phone.trim_start_matches("+263"),
                    input.narration,
                    input.reference
                );
                let response = self
                    .client
                    .post(format!("{}/v1/payouts", self.base))
                    .timeout(TIMEOUT)
                    .header("idempotency-key", input.reference.as_str())
                    .header(ACCEPT, "application/json")
                    .header(CONTENT_TYPE, "application/json")
                    .body(body)
                    .header(AUTHORIZATION, self.payonify_auth.as_str())
                    .send()
                    .await
                    .map_err(|e| e.to_string())?;
                let bytes = checked(response).await?;
                let payout: IdStatus = serde_json::from_slice(&bytes).map_err(|e| e.to_string())?;
                non_empty(&payout.id)
            }
        }
    }
}

async fn checked(response: reqwest::Response) -> Result<bytes::Bytes, String> {
    let status = response.status();
    let bytes = response.bytes().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("HTTP {status}"));
    }
    Ok(bytes)
}

fn non_empty(id: &str) -> Result<(), String> {
    if id.is_empty() {
        return Err("a payout without an id".into());
    }
    Ok(())
}
