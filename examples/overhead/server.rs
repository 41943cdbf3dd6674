//! A minimal local HTTP/1.1 server answering every route with a canned provider response.
//!
//! Keep-alive (one task per connection, requests read one after another), `Content-Length`
//! bodies only (what reqwest sends). It counts connections accepted, requests and JPay token
//! requests, and keeps the bytes of the first request of each route (for payouts: payout 0's), so the two arms' wire
//! bytes can be compared.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// What the server saw since the last [`Server::take_counts`].
#[derive(Debug, Default, Clone)]
pub struct Counts {
    pub connections: u64,
    pub requests: u64,
    pub token_requests: u64,
    /// The first request of each `METHOD path`, head and body, byte for byte.
    pub first_requests: HashMap<String, Vec<u8>>,
}

#[derive(Default)]
struct Shared {
    connections: AtomicU64,
    requests: AtomicU64,
    token_requests: AtomicU64,
    first_requests: Mutex<HashMap<String, Vec<u8>>>,
}

pub struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
}

impl Server {
    pub async fn start() -> std::io::Result<Server> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared::default());
        let accepted = Arc::clone(&shared);
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                accepted.connections.fetch_add(1, Ordering::Relaxed);
                let _ = stream.set_nodelay(true);
                tokio::spawn(serve(stream, Arc::clone(&accepted)));
            }
        });
        Ok(Server { addr, shared })
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The counts so far, and zero them (call it between arms, with no traffic running).
    pub fn take_counts(&self) -> Counts {
        let first = std::mem::take(
            &mut *self
                .shared
                .first_requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        );
        Counts {
            connections: self.shared.connections.swap(0, Ordering::Relaxed),
            requests: self.shared.requests.swap(0, Ordering::Relaxed),
            token_requests: self.shared.token_requests.swap(0, Ordering::Relaxed),
            first_requests: first,
        }
    }
}

fn fixture(path: &str) -> &'static [u8] {
    match path {
        "jpay-token" => include_bytes!("../../fixtures/jpay/token.json"),
        "jpay-payout" => include_bytes!("../../fixtures/jpay/payout-response-mpesa.json"),
        "vesicash-countries" => include_bytes!("../../fixtures/vesicash/countries.json"),
        "vesicash-payout" => include_bytes!("../../fixtures/vesicash/payout_mobile_response.json"),
        "payonify-payout" => include_bytes!("../../fixtures/payonify/payout_created.json"),
        _ => b"{\"detail\":\"not found\"}",
    }
}

/// The canned answer for a route: (status line, body).
fn route(method: &str, path: &str) -> (&'static str, &'static [u8]) {
    let path = path.split('?').next().unwrap_or(path);
    let name = match (method, path) {
        ("POST", "/auth/app/token") => "jpay-token",
        ("POST", "/payments/payouts/initiate") => "jpay-payout",
        ("GET", "/v1/countries") => "vesicash-countries",
        ("POST", "/v1/payment/payout/process") => "vesicash-payout",
        ("POST", "/v1/payouts") => "payonify-payout",
        _ => return ("HTTP/1.1 404 Not Found", fixture("")),
    };
    ("HTTP/1.1 200 OK", fixture(name))
}

async fn serve(mut stream: TcpStream, shared: Arc<Shared>) {
    let mut buf: Vec<u8> = Vec::with_capacity(4096);
    let mut out: Vec<u8> = Vec::with_capacity(1024);
    loop {
        // Read until the end of the head.
        let head_end = loop {
            if let Some(pos) = find(&buf, b"\r\n\r\n") {
                break pos + 4;
            }
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        };
        let head = String::from_utf8_lossy(&buf[..head_end]).into_owned();
        let mut request_line = head.lines().next().unwrap_or("").split(' ');
        let method = request_line.next().unwrap_or("").to_owned();
        let path = request_line.next().unwrap_or("").to_owned();
        let length: usize = head
            .lines()
            .filter_map(|line| line.split_once(':'))
            .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
            .and_then(|(_, value)| value.trim().parse().ok())
            .unwrap_or(0);
        while buf.len() < head_end + length {
            let mut chunk = [0u8; 4096];
            match stream.read(&mut chunk).await {
                Ok(0) | Err(_) => return,
                Ok(n) => buf.extend_from_slice(&chunk[..n]),
            }
        }
        let request_end = head_end + length;
        shared.requests.fetch_add(1, Ordering::Relaxed);
        if path == "/auth/app/token" {
            shared.token_requests.fetch_add(1, Ordering::Relaxed);
        }
        // Keep the first request of each route; of the payouts that carry the merchant
        // reference (JPay, Payonify), payout 0's (Vesicash's bodies carry none and are alike).
        let body = &buf[head_end..request_end];
        let is_payout = method == "POST" && path != "/auth/app/token";
        let numbered = find(body, b"bench-").is_some();
        if !is_payout
            || !numbered
            || find(body, crate::inputs::FIRST_REFERENCE.as_bytes()).is_some()
        {
            let key = format!("{method} {}", path.split('?').next().unwrap_or(&path));
            let mut first = shared
                .first_requests
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            first
                .entry(key)
                .or_insert_with(|| buf[..request_end].to_vec());
        }
        let (status, body) = route(&method, &path);
        out.clear();
        out.extend_from_slice(status.as_bytes());
        out.extend_from_slice(b"\r\ncontent-type: application/json\r\ncontent-length: ");
        out.extend_from_slice(body.len().to_string().as_bytes());
        out.extend_from_slice(b"\r\n\r\n");
        out.extend_from_slice(body);
        if stream.write_all(&out).await.is_err() {
            return;
        }
        buf.drain(..request_end);
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}
