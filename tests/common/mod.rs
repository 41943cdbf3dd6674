//! Helpers shared by the integration tests.
#![allow(dead_code)]

use wiremock::matchers::any;
use wiremock::{Mock, MockServer, ResponseTemplate};

/// Mounts, at the lowest priority, a mock that answers any request no other mock matched with a
/// 599 and expects to be called zero times: an unexpected request fails the test when the server
/// is dropped (and the 599 makes the call itself fail loudly).
pub async fn catch_all(server: &MockServer) {
    Mock::given(any())
        .respond_with(ResponseTemplate::new(599).set_body_string("unexpected request"))
        .with_priority(u8::MAX)
        .named("catch-all: no request other than the mocked ones")
        .expect(0)
        .mount(server)
        .await;
}

/// Reads a fixture file under `fixtures/` as text.
pub fn fixture(path: &str) -> String {
    let full = format!("{}/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("fixture {full}: {e}"))
}

/// Reads a fixture file under `fixtures/` as JSON.
pub fn fixture_json(path: &str) -> serde_json::Value {
    serde_json::from_str(&fixture(path)).unwrap_or_else(|e| panic!("fixture {path}: {e}"))
}
