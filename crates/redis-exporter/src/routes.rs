//! `/health` and `/-/reload` (re-reads the password file), as upstream.

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
