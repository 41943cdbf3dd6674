//! A provider served alone on a port of its own, at the root: for clients that build their URLs
//! from the host and drop any base path (Payonify's Node SDK does `new URL('/v1' + path, base)`),
//! which cannot reach a provider nested under a prefix on the main port.

use std::net::SocketAddr;

use super::Sandbox;
use super::app::provider_router;
use super::registry;
use crate::error::Error;
use crate::model::ProviderId;

impl Sandbox {
    /// Serves `provider` alone at the root of `addr` (port 0: a free one), beside the main port
    /// where it stays under its prefix. Both share one ledger, one fault table and one request
    /// log. Returns the provider's base URL there (`http://127.0.0.1:PORT`, no path). The port
    /// closes when the sandbox stops.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a provider the sandbox does not simulate, or an address it cannot
    /// listen on.
    pub async fn serve_provider(
        &self,
        provider: ProviderId,
        addr: SocketAddr,
    ) -> Result<String, Error> {
        let kind = registry::by_id(provider)
            .ok_or_else(|| Error::config(format!("the sandbox does not simulate {provider}")))?;
        let listener = tokio::net::TcpListener::bind(addr)
            .await
            .map_err(|e| Error::Config {
                message: format!("the sandbox could not listen on {addr} for {provider}"),
                source: Some(Box::new(e)),
            })?;
        let bound = listener.local_addr().map_err(|e| Error::Config {
            message: "the sandbox could not read its own address".to_owned(),
            source: Some(Box::new(e)),
        })?;
        let router = provider_router(self.shared(), kind);
        self.shared().spawn(async move {
            if let Err(e) = axum::serve(listener, router).await {
                tracing::warn!(error = %e, "sandbox provider port stopped");
            }
        });
        let host = self
            .base_url()
            .rsplit_once(':')
            .map(|(host, _)| host.to_owned())
            .unwrap_or_default();
        Ok(format!("{host}:{}", bound.port()))
    }
}
