//! `disburse-sandbox`: the simulator of Vesicash, JPay, Payonify, MTN MoMo and M-Pesa Daraja on
//! fixed ports, for integrations in any language.
//!
//! ```text
//! disburse-sandbox [--port 8787] [--host 127.0.0.1] [--settle-ms 300] [--seed N]
//!                  [--state FILE] [--payonify-webhook-url URL] [--vesicash-webhook-url URL]
//! ```
//!
//! The main port serves every provider under its prefix and the control endpoints under
//! `/_sandbox`; each provider is also served alone at the root of a port of its own (the main
//! port + 1, … + 5; free ports when the main port is 0), for clients that drop a base
//! URL's path. Everything printed on standard output is a shell line: `export NAME=value` for
//! every variable the `disburse` CLI and the providers' `from_env` read, `#` comments otherwise,
//! and `# ready` last, once every port is serving. Daraja's certificate (for
//! `MPESA_DARAJA_CERTIFICATE`, a file path) is written to a directory under the system's temporary
//! directory, removed on SIGINT/SIGTERM. The docs are in docs/SANDBOX.md.

use std::fmt::Write as _;
use std::net::{IpAddr, Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use clap::Parser;
use disburse::ProviderId;
use disburse::sandbox::{
    DEFAULT_SEED, JPAY_CREDENTIALS, MPESA_DARAJA_CREDENTIALS, MTN_MOMO_CREDENTIALS,
    PAYONIFY_CREDENTIALS, Sandbox, VESICASH_CREDENTIALS,
};

/// The simulator of Vesicash, JPay, Payonify, MTN MoMo and M-Pesa Daraja, for integrations in
/// any language.
///
/// Prints `export NAME=value` lines (and `#` comments) a shell can source, then `# ready`, and
/// serves until SIGINT or SIGTERM.
#[derive(Debug, Parser)]
#[command(name = "disburse-sandbox", version, about)]
struct Options {
    /// The main port: every provider under its prefix and the control endpoints under
    /// /_sandbox. Vesicash, JPay, Payonify, MTN MoMo and M-Pesa Daraja each get the next port,
    /// in that order, served at the root; with 0, every port is a free one.
    #[arg(long, env = "DISBURSE_SANDBOX_PORT", default_value_t = 8787)]
    port: u16,
    /// The address to listen on.
    #[arg(long, default_value_t = IpAddr::V4(Ipv4Addr::LOCALHOST))]
    host: IpAddr,
    /// How long payouts stay pending, in milliseconds (POST /_sandbox/settle settles at once).
    #[arg(long, default_value_t = 300)]
    settle_ms: u64,
    /// The seed of the generator behind ids and tokens.
    #[arg(long, default_value_t = DEFAULT_SEED)]
    seed: u64,
    /// A JSON file that keeps the ledger across restarts (read at start when it exists,
    /// rewritten atomically within 100 ms of every change and on SIGINT/SIGTERM).
    #[arg(long, value_name = "FILE")]
    state: Option<PathBuf>,
    /// Payonify's dashboard webhook endpoint (none by default).
    #[arg(long, value_name = "URL")]
    payonify_webhook_url: Option<String>,
    /// Vesicash's dashboard webhook URL, used when a request names none.
    #[arg(long, value_name = "URL")]
    vesicash_webhook_url: Option<String>,
}

/// The simulated providers in port order: the main port + 1, + 2, …
const PROVIDERS: [ProviderId; 5] = [
    ProviderId::VESICASH,
    ProviderId::JPAY,
    ProviderId::PAYONIFY,
    ProviderId::MTN_MOMO,
    ProviderId::MPESA_DARAJA,
];

/// `value` as one shell word: as is when it holds only safe characters, else single-quoted.
fn shell_word(value: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "_-.:/@%+=,".contains(c);
    if !value.is_empty() && value.chars().all(safe) {
        value.to_owned()
    } else {
        format!("'{}'", value.replace('\'', r"'\''"))
    }
}

fn export(out: &mut String, name: &str, value: &str) {
    let _ = writeln!(out, "export {name}={}", shell_word(value));
}

/// What the sandbox prints: the variables every client needs, as shell lines.
fn environment(sandbox: &Sandbox, ports: &[String; 5], certificate: &Path) -> String {
    let (v, j, p, m) = (
        VESICASH_CREDENTIALS,
        JPAY_CREDENTIALS,
        PAYONIFY_CREDENTIALS,
        MTN_MOMO_CREDENTIALS,
    );
    let main = sandbox.base_url();
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# disburse-sandbox {}: source these lines in a shell (set -a is not needed).",
        env!("CARGO_PKG_VERSION")
    );
    let _ = writeln!(
        out,
        "# Main port: every provider under its prefix ({main}/payonify, …); control: \
         {main}/_sandbox (docs/SANDBOX.md)."
    );
    export(&mut out, "DISBURSE_SANDBOX_URL", &main);
    export(
        &mut out,
        "DISBURSE_SANDBOX_CONTROL_URL",
        &format!("{main}/_sandbox"),
    );
    let _ = writeln!(out, "# Vesicash, alone at the root of its own port");
    export(&mut out, "VESICASH_BASE_URL", &ports[0]);
    export(&mut out, "VESICASH_SECRET_KEY", v.secret_key);
    export(&mut out, "VESICASH_PUBLIC_KEY", v.public_key);
    export(&mut out, "VESICASH_WEBHOOK_SECRET", v.webhook_secret);
    let _ = writeln!(out, "# JPay");
    export(&mut out, "JPAY_BASE_URL", &ports[1]);
    export(&mut out, "JPAY_APP_KEY", j.app_key);
    export(&mut out, "JPAY_APP_SECRET", j.app_secret);
    export(&mut out, "JPAY_APP_CODE", &j.app_code.to_string());
    export(&mut out, "JPAY_CALLBACK_SECRET", j.callback_secret);
    // JPay needs a callback URL per payout: the control port's sink, which answers 200.
    export(
        &mut out,
        "JPAY_NOTIFICATION_URL",
        &format!("{main}/_sandbox/callbacks/jpay"),
    );
    let _ = writeln!(out, "# Payonify");
    export(&mut out, "PAYONIFY_BASE_URL", &ports[2]);
    export(&mut out, "PAYONIFY_PUBLISHABLE_KEY", p.publishable_key);
    export(&mut out, "PAYONIFY_SECRET_KEY", p.secret_key);
    export(&mut out, "PAYONIFY_WEBHOOK_SECRET", p.webhook_secret);
    let _ = writeln!(out, "# MTN MoMo (target environment sandbox: EUR)");
    export(&mut out, "MTN_MOMO_BASE_URL", &ports[3]);
    export(&mut out, "MTN_MOMO_SUBSCRIPTION_KEY", m.subscription_key);
    export(&mut out, "MTN_MOMO_API_USER", m.api_user);
    export(&mut out, "MTN_MOMO_API_KEY", m.api_key);
    export(&mut out, "MTN_MOMO_CALLBACK_SECRET", m.callback_secret);
    export(&mut out, "MTN_MOMO_TARGET_ENVIRONMENT", "sandbox");
    let d = MPESA_DARAJA_CREDENTIALS;
    let _ = writeln!(
        out,
        "# M-Pesa Daraja (B2C, KES). Results arrive only by callback: these URLs are the control \
         port's sink, which keeps nothing; point them at your own receiver to learn outcomes."
    );
    export(&mut out, "MPESA_DARAJA_BASE_URL", &ports[4]);
    export(&mut out, "MPESA_DARAJA_CONSUMER_KEY", d.consumer_key);
    export(&mut out, "MPESA_DARAJA_CONSUMER_SECRET", d.consumer_secret);
    export(&mut out, "MPESA_DARAJA_SHORTCODE", d.shortcode);
    export(&mut out, "MPESA_DARAJA_INITIATOR_NAME", d.initiator_name);
    export(
        &mut out,
        "MPESA_DARAJA_INITIATOR_PASSWORD",
        d.initiator_password,
    );
    export(&mut out, "MPESA_DARAJA_CALLBACK_SECRET", d.callback_secret);
    let (result_url, timeout_url) = sandbox.mpesa_daraja_sink_urls();
    export(&mut out, "MPESA_DARAJA_RESULT_URL", &result_url);
    export(&mut out, "MPESA_DARAJA_TIMEOUT_URL", &timeout_url);
    export(
        &mut out,
        "MPESA_DARAJA_CERTIFICATE",
        &certificate.display().to_string(),
    );
    let _ = writeln!(
        out,
        "# Scripted recipients (last four digits): 0001 insufficient funds, 0002 invalid \
         account, 0003 blocked, 0004 stays pending, 0005 declined; amount 666.66 -> HTTP 500."
    );
    out
}

/// Writes the sandbox's Daraja certificate to a fresh directory under the temporary directory;
/// returns the file's path.
fn write_certificate() -> Result<PathBuf, disburse::Error> {
    let dir = std::env::temp_dir().join(format!("disburse-sandbox-{}", std::process::id()));
    let path = dir.join("mpesa_daraja_certificate.pem");
    std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(&path, MPESA_DARAJA_CREDENTIALS.certificate_pem))
        .map_err(|e| disburse::Error::Config {
            message: format!("cannot write Daraja's certificate to {}", path.display()),
            source: Some(Box::new(e)),
        })?;
    Ok(path)
}

async fn run(options: Options) -> Result<(Sandbox, PathBuf), disburse::Error> {
    let sandbox = Sandbox::builder()
        .bind(SocketAddr::new(options.host, options.port))
        .settle_after(Duration::from_millis(options.settle_ms))
        .seed(options.seed)
        .start()
        .await?;
    sandbox.set_webhook_url(
        ProviderId::PAYONIFY,
        options.payonify_webhook_url.as_deref(),
    );
    sandbox.set_webhook_url(
        ProviderId::VESICASH,
        options.vesicash_webhook_url.as_deref(),
    );
    if let Some(path) = &options.state {
        sandbox.keep_state(path.clone())?;
    }
    let mut ports: [String; 5] = Default::default();
    for (offset, (provider, slot)) in PROVIDERS.iter().zip(ports.iter_mut()).enumerate() {
        let port = match options.port {
            0 => 0,
            main => u16::try_from(usize::from(main) + offset + 1).map_err(|_| {
                disburse::Error::config(format!(
                    "--port {main}: the provider ports above it do not fit under 65536"
                ))
            })?,
        };
        *slot = sandbox
            .serve_provider(*provider, SocketAddr::new(options.host, port))
            .await?;
    }
    let certificate = write_certificate()?;
    print!("{}", environment(&sandbox, &ports, &certificate));
    println!("# ready: SIGINT (Ctrl-C) or SIGTERM stops");
    Ok((sandbox, certificate))
}

/// Waits for SIGINT or SIGTERM.
async fn stopped() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    if let Err(e) = tokio::signal::ctrl_c().await {
        eprintln!("disburse-sandbox: cannot wait for Ctrl-C: {e}");
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = Options::parse();
    let (sandbox, certificate) = match run(options).await {
        Ok(s) => s,
        Err(e) => {
            eprintln!("disburse-sandbox: {e}");
            let mut source = std::error::Error::source(&e);
            while let Some(cause) = source {
                eprintln!("  caused by: {cause}");
                source = cause.source();
            }
            return ExitCode::FAILURE;
        }
    };
    stopped().await;
    let saved = sandbox.save_state();
    sandbox.shutdown().await;
    if let Some(dir) = certificate.parent() {
        let _ = std::fs::remove_dir_all(dir);
    }
    if let Err(e) = saved {
        eprintln!("disburse-sandbox: {e}");
        return ExitCode::FAILURE;
    }
    ExitCode::SUCCESS
}
