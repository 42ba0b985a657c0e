//! `http_server_config.headers`: extra response headers, limited to the
//! security headers exporter-toolkit allows, so a config file cannot
//! override what the exporter itself must set.

use std::collections::BTreeMap;

use hyper::header::{HeaderName, HeaderValue};

/// exporter-toolkit's list, with the values it allows where the header
/// is an enumeration (an empty list: any value).
const ALLOWED: &[(&str, &[&str])] = &[
    ("Strict-Transport-Security", &[]),
    ("X-Content-Type-Options", &["nosniff"]),
    ("X-Frame-Options", &["deny", "sameorigin"]),
    ("X-XSS-Protection", &[]),
    ("Content-Security-Policy", &[]),
];

#[derive(Debug, Default, Clone)]
pub struct Headers(Vec<(HeaderName, HeaderValue)>);

impl Headers {
    pub fn new(map: &BTreeMap<String, String>) -> Result<Headers, String> {
        let mut out = Vec::new();
        for (name, value) in map {
            let lower = name.to_ascii_lowercase();
            let Some((canonical, values)) = ALLOWED
                .iter()
                .find(|(allowed, _)| allowed.eq_ignore_ascii_case(name))
            else {
                return Err(format!(
                    "http_server_config.headers: HTTP header {name:?} can not be configured (allowed: {})",
                    ALLOWED
                        .iter()
                        .map(|(n, _)| *n)
                        .collect::<Vec<_>>()
                        .join(", ")
                ));
            };
            if !values.is_empty() && !values.contains(&value.as_str()) {
                return Err(format!(
                    "http_server_config.headers: invalid value for {canonical}. Expected one of: {values:?}, but got: {value:?}"
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
