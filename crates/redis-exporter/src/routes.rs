//! `/`, `/health` and `/-/reload` (re-reads the password file), as upstream.

use exporter_kit::Handler;
use exporter_kit::http::{Body, text_response};
use hyper::body::Incoming;
use hyper::{Request, Response, StatusCode};

use crate::conn::PasswordMap;

pub struct Health;

#[async_trait::async_trait]
impl Handler for Health {
    async fn handle(&self, _req: Request<Incoming>) -> Response<Body> {
        text_response(StatusCode::OK, "ok")
    }
}

pub struct Reload {
    pub passwords: PasswordMap,
}

#[async_trait::async_trait]
impl Handler for Reload {
    async fn handle(&self, _req: Request<Incoming>) -> Response<Body> {
        if !self.passwords.is_configured() {
            return text_response(StatusCode::BAD_REQUEST, "There is no pwd file specified");
        }
        match self.passwords.reload() {
            Ok(()) => text_response(StatusCode::OK, "ok"),
            Err(e) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("failed to reload passwords file: {e}"),
            ),
        }
    }
}

/// Upstream's landing page, which its tests read (`<head><title>Redis
/// Exporter <version>`).
pub fn landing_page(telemetry_path: &str) -> String {
    let version = exporter_kit::build_info::VERSION;
    let path = telemetry_path
        .replace('&', "&amp;")
        .replace('\'', "&#39;")
        .replace('<', "&lt;");
    format!(
        "<html>\n<head><title>Redis Exporter {version}</title></head>\n<body>\n<h1>Redis Exporter {version}</h1>\n<p><a href='{path}'>Metrics</a></p>\n</body>\n</html>\n"
    )
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_landing_page_links_the_telemetry_path() {
        let page = super::landing_page("/m'<x");
        assert!(
            page.starts_with("<html>\n<head><title>Redis Exporter "),
            "{page}"
        );
        assert!(
            page.contains("<a href='/m&#39;&lt;x'>Metrics</a>"),
            "{page}"
        );
    }
}
