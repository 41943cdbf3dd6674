//! `disburse-sandbox`: the simulator of Vesicash, JPay and Payonify on a fixed port, for
//! integrations in any language.
//!
//! ```text
//! disburse-sandbox [--port 8787] [--host 127.0.0.1] [--settle-ms 300] [--seed N]
//!                  [--payonify-webhook-url URL] [--vesicash-webhook-url URL]
//! ```
//!
//! The port also comes from `DISBURSE_SANDBOX_PORT`. It prints the three base URLs and the test
//! credentials, then serves until Ctrl-C.

use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use disburse::ProviderId;
use disburse::sandbox::{
    DEFAULT_SEED, JPAY_CREDENTIALS, PAYONIFY_CREDENTIALS, Sandbox, VESICASH_CREDENTIALS,
};

const DEFAULT_PORT: u16 = 8787;

const USAGE: &str = "usage: disburse-sandbox [OPTIONS]
  --port N                    port to listen on (default 8787, or DISBURSE_SANDBOX_PORT)
  --host ADDR                 address to listen on (default 127.0.0.1)
  --settle-ms N               how long payouts stay pending, in milliseconds (default 300)
  --seed N                    seed of the generator behind ids and tokens
  --payonify-webhook-url URL  Payonify's dashboard webhook endpoint (none by default)
  --vesicash-webhook-url URL  Vesicash's dashboard webhook URL, used when a request has none";

struct Options {
    port: u16,
    host: IpAddr,
    settle: Duration,
    seed: u64,
    payonify_webhook: Option<String>,
    vesicash_webhook: Option<String>,
}

fn parse_args() -> Result<Options, String> {
    let mut options = Options {
        port: match std::env::var("DISBURSE_SANDBOX_PORT") {
            Ok(p) => p
                .parse()
                .map_err(|_| format!("DISBURSE_SANDBOX_PORT is not a port: {p:?}"))?,
            Err(_) => DEFAULT_PORT,
        },
        host: IpAddr::V4(Ipv4Addr::LOCALHOST),
        settle: Duration::from_millis(300),
        seed: DEFAULT_SEED,
        payonify_webhook: None,
        vesicash_webhook: None,
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        if flag == "--help" || flag == "-h" {
            return Err(String::new());
        }
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = |what: &str| format!("{flag}: not {what}: {value:?}");
        match flag.as_str() {
            "--port" => options.port = value.parse().map_err(|_| bad("a port"))?,
            "--host" => options.host = value.parse().map_err(|_| bad("an IP address"))?,
            "--settle-ms" => {
                options.settle = Duration::from_millis(value.parse().map_err(|_| bad("a number"))?);
            }
            "--seed" => options.seed = value.parse().map_err(|_| bad("a number"))?,
            "--payonify-webhook-url" => options.payonify_webhook = Some(value),
            "--vesicash-webhook-url" => options.vesicash_webhook = Some(value),
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    Ok(options)
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse_args() {
        Ok(o) => o,
        Err(message) => {
            if !message.is_empty() {
                eprintln!("{message}");
            }
            eprintln!("{USAGE}");
            return if message.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let sandbox = match Sandbox::builder()
        .bind(SocketAddr::new(options.host, options.port))
        .settle_after(options.settle)
        .seed(options.seed)
        .start()
        .await
    {
        Ok(s) => s,
        Err(e) => {
            eprintln!("disburse-sandbox: {e}");
            if let Some(source) = std::error::Error::source(&e) {
                eprintln!("  caused by: {source}");
            }
            return ExitCode::FAILURE;
        }
    };
    sandbox.set_webhook_url(ProviderId::PAYONIFY, options.payonify_webhook.as_deref());
    sandbox.set_webhook_url(ProviderId::VESICASH, options.vesicash_webhook.as_deref());
    let v = VESICASH_CREDENTIALS;
    let j = JPAY_CREDENTIALS;
    let p = PAYONIFY_CREDENTIALS;
    println!("disburse-sandbox listening on {}", sandbox.addr());
    println!();
    println!("Vesicash  {}", sandbox.base_url_vesicash());
    println!("  secret-key      {}", v.secret_key);
    println!("  public-key      {}", v.public_key);
    println!("  webhook secret  {}", v.webhook_secret);
    println!("JPay      {}", sandbox.base_url_jpay());
    println!("  app_key         {}", j.app_key);
    println!("  app_secret      {}", j.app_secret);
    println!("  app_code        {}", j.app_code);
    println!("Payonify  {}", sandbox.base_url_payonify());
    println!("  publishable key {}", p.publishable_key);
    println!("  secret key      {}", p.secret_key);
    println!("  webhook secret  {}", p.webhook_secret);
    println!();
    println!(
        "Scripted recipients: ...0001 insufficient funds, ...0002 invalid account, ...0003 \
         blocked, ...0004 stays pending, ...0005 declined; amount 666.66 -> HTTP 500."
    );
    match &options.payonify_webhook {
        Some(url) => println!("Payonify webhooks go to {url}."),
        None => println!("Payonify webhooks go nowhere: pass --payonify-webhook-url URL."),
    }
    println!("Ctrl-C stops.");
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("disburse-sandbox: cannot wait for Ctrl-C: {e}");
    }
    sandbox.shutdown().await;
    ExitCode::SUCCESS
}
