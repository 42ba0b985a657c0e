//! Multi-target exporters' probe route (`/probe`, `/scrape`): the target
//! and module come from the URL, the deadline from the scraper.

use std::time::Instant;

use bytes::Bytes;

use crate::emit::Emitter;

/// One probe request.
#[derive(Debug, Clone)]
pub struct ProbeRequest {
    pub target: String,
    /// `module` (blackbox) or whatever the exporter's handler reads from
    /// `params` (`auth_module` for mysqld_exporter).
    pub module: Option<String>,
    /// Every query parameter, decoded, in order.
    pub params: Vec<(String, String)>,
    pub deadline: Instant,
}

impl ProbeRequest {
    pub fn param(&self, name: &str) -> Option<&str> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

/// A probe request that cannot be served: answered 400 with the message,
/// as upstream exporters do for an unknown module or a missing target.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ProbeError(pub String);

/// What a probe answers besides its metrics (blackbox's `debug=true`).
pub struct RawResponse {
    pub content_type: &'static str,
    pub body: Bytes,
}

#[async_trait::async_trait]
pub trait ProbeHandler: Send + Sync + 'static {
    /// Probes `req.target`, writing families into `out`. Must return by
    /// `req.deadline`: past it the kit cancels the probe and answers 503.
    /// `Ok(Some(raw))` replaces the metrics with another body.
    async fn probe(
        &self,
        req: &ProbeRequest,
        out: &mut Emitter,
    ) -> Result<Option<RawResponse>, ProbeError>;

    /// Told when the kit answers 400 without probing (no `target`), for
    /// exporters that count bad requests (redis_exporter does).
    fn refused(&self) {}
}
