//! `http_server_config.headers`: extra response headers, limited to the
//! security headers exporter-toolkit allows, so a config file cannot
//! override what the exporter itself must set.

use std::collections::BTreeMap;

use hyper::header::{HeaderName, HeaderValue};

const ALLOWED: &[&str] = &[
    "strict-transport-security",
    "x-content-type-options",
    "x-frame-options",
    "x-xss-protection",
    "content-security-policy",
];

#[derive(Debug, Default, Clone)]
pub struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    pub fn new(map: &BTreeMap<String, String>) -> Result<Headers, String> {
        let mut out = Vec::new();
        for (name, value) in map {
            let lower = name.to_ascii_lowercase();
            if !ALLOWED.contains(&lower.as_str()) {
                return Err(format!(
                    "http_server_config.headers: {name:?} cannot be set (allowed: {})",
                    ALLOWED.join(", ")
                ));
            }
            if lower == "x-content-type-options" && value != "nosniff" {
                return Err(format!(
                    "http_server_config.headers: {name} only accepts \"nosniff\""
                ));
            }
            let header_name = HeaderName::from_bytes(lower.as_bytes())
                .map_err(|e| format!("http_server_config.headers: {name:?}: {e}"))?;
            let header_value = HeaderValue::from_str(value)
                .map_err(|_| format!("http_server_config.headers: {name}: value has characters not allowed in a header"))?;
            out.push((header_name, header_value));
        }
        Ok(Headers(out))
    }

    pub fn apply(&self, headers: &mut hyper::HeaderMap) {
        for (name, value) in &self.0 {
            headers.insert(name.clone(), value.clone());
        }
    }
}
