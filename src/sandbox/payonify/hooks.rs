//! Payonify's test hooks on [`Sandbox`](crate::sandbox::Sandbox) and
//! [`SandboxBuilder`](crate::sandbox::SandboxBuilder).

use super::types::Payonify;
use crate::sandbox::server::Sandbox;
use crate::sandbox::simulator::Simulator;

impl Sandbox {
    /// Payonify's base URL, `http://127.0.0.1:PORT/payonify` (paths `/v1/…`).
    pub fn base_url_payonify(&self) -> String {
        format!("{}{}", self.base_url(), Payonify.prefix())
    }
}
