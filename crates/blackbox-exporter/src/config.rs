//! blackbox.yml: upstream's module schema with its defaults. Unknown keys
//! are an error, as upstream (yaml.v3 KnownFields). Regular expressions,
//! durations and sizes are checked when the file is read, so a bad config
//! is rejected at load (and on reload the old one stays).

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::time::Duration;

use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("error reading config file {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("error parsing config file: {0}")]
    Parse(String),
    /// Worded as upstream's check, which does not name the module either
    /// (the module is kept for callers that log it).
    #[error("error parsing config file: {message}")]
    Invalid { module: String, message: String },
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    #[serde(default)]
    pub modules: BTreeMap<String, Module>,
}

impl Config {
    pub fn load(path: &Path) -> Result<Config, ConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
            path: path.display().to_string(),
            source,
        })?;
        Config::parse(&text)
    }

    pub fn parse(text: &str) -> Result<Config, ConfigError> {
        let mut config: Config = if text.trim().is_empty() {
            Config::default()
        } else {
            serde_norway::from_str(text).map_err(|e| ConfigError::Parse(upstream_wording(e)))?
        };
        for (name, module) in &mut config.modules {
            if module.http.enable_http3 {
                tracing::warn!(
                    module = %name,
                    "enable_http3: HTTP/3 is not supported by this exporter; every probe with this module fails"
                );
            }
            module.validate().map_err(|message| ConfigError::Invalid {
                module: name.clone(),
                message,
            })?;
        }
        Ok(config)
    }

    /// The config as YAML with every secret replaced by `<secret>`.
    pub fn to_redacted_yaml(&self) -> String {
        serde_norway::to_string(self).unwrap_or_else(|e| format!("# cannot render config: {e}\n"))
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Module {
    #[serde(default)]
    pub prober: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<GoDuration>,
    #[serde(default)]
    pub http: HttpProbe,
    #[serde(default)]
    pub tcp: TcpProbe,
    #[serde(default)]
    pub icmp: IcmpProbe,
    #[serde(default)]
    pub dns: DnsProbe,
    #[serde(default)]
    pub grpc: GrpcProbe,
    #[serde(default)]
    pub unix: UnixProbe,
    #[serde(default)]
    pub websocket: WebsocketProbe,
}

/// The probers upstream knows; a module naming another one is refused.
const PROBERS: &[&str] = &["http", "tcp", "icmp", "dns", "grpc", "unix", "websocket"];

impl Module {
    fn validate(&mut self) -> Result<(), String> {
        self.http.client = self.http.http_client_config();
        validate_http_client(&self.http.client)?;
        validate_http_client(&self.websocket.http_config)?;
        for tls in self.tls_configs() {
            validate_tls_versions(tls)?;
        }
        let h = &mut self.http;
        if let Some(no_follow) = h.no_follow_redirects.take() {
            tracing::warn!("no_follow_redirects is deprecated; use follow_redirects");
            h.follow_redirects = !no_follow;
        }
        if !h.body.is_empty() && !h.body_file.is_empty() {
            return Err("setting body and body_file both are not allowed".into());
        }
        if !matches!(
            h.compression.as_str(),
            "" | "gzip" | "deflate" | "br" | "identity"
        ) {
            return Err(format!("invalid compression {:?}", h.compression));
        }
        if h.compression == "br" {
            return Err("compression br is not supported by this exporter".into());
        }
        for (key, value) in &h.headers {
            if key.eq_ignore_ascii_case("accept-encoding")
                && !compression_accepted(&h.compression, value)
            {
                return Err(format!(
                    "invalid configuration \"{key}: {value}\", \"compression: {}\"",
                    h.compression
                ));
            }
        }
        // Any string is a valid version (it is compared with the response's
        // protocol), but HTTP/3 is only reachable with enable_http3.
        let versions = &h.valid_http_versions;
        if !h.enable_http3 && versions.iter().any(|v| v == "HTTP/3.0") {
            return Err(
                "HTTP/3 cannot be used as a valid HTTP version when enable_http3 is false".into(),
            );
        }
        if h.enable_http3 {
            if versions.iter().any(|v| v == "HTTP/2.0" || v == "HTTP/1.1") {
                return Err("HTTP/3 and HTTP/2.0/1.1 cannot be used together - only HTTP/3.0 is allowed when enable_http3 is true".into());
            }
            if h.enable_http2 {
                return Err("when enable_http3 is true, enable_http2 must be set to false".into());
            }
        }
        for m in h
            .fail_if_header_matches
            .iter()
            .chain(&h.fail_if_header_not_matches)
        {
            if m.header.is_empty() {
                return Err("header name must be set for HTTP header matchers".into());
            }
            if m.pattern().is_empty() {
                return Err("regexp must be set for HTTP header matchers".into());
            }
        }
        for p in [
            &h.preferred_ip_protocol,
            &self.tcp.preferred_ip_protocol,
            &self.icmp.preferred_ip_protocol,
            &self.dns.preferred_ip_protocol,
            &self.grpc.preferred_ip_protocol,
            &self.websocket.preferred_ip_protocol,
        ] {
            if !matches!(p.as_str(), "" | "ip4" | "ip6") {
                return Err(format!("invalid preferred_ip_protocol {p:?}"));
            }
        }
        if self.icmp.ttl < 0 {
            return Err("\"ttl\" cannot be negative".into());
        }
        if self.icmp.ttl > 255 {
            return Err("\"ttl\" cannot exceed 255".into());
        }
        if self.icmp.packets == 0 || self.icmp.packets > 100 {
            return Err("icmp packets must be between 1 and 100".into());
        }
        if self.prober == "dns" {
            if self.dns.query_name.is_empty() {
                return Err("query name must be set for DNS module".into());
            }
            crate::prober::dns::validate(&self.dns)?;
        }
        if !matches!(self.dns.transport_protocol.as_str(), "" | "udp" | "tcp") {
            return Err(format!(
                "invalid transport_protocol {:?}",
                self.dns.transport_protocol
            ));
        }
        for qr in self
            .tcp
            .query_response
            .iter()
            .chain(&self.unix.query_response)
            .chain(&self.websocket.query_response)
        {
            if qr.expect.is_some() && !qr.expect_bytes.is_empty() {
                return Err("expect and expect_bytes are mutually exclusive".into());
            }
        }
        if !PROBERS.contains(&self.prober.as_str()) {
            return Err(format!("prober '{}' is not valid", self.prober));
        }
        Ok(())
    }
}

impl Module {
    /// Every `tls_config` of the module, the oauth2 ones included.
    fn tls_configs(&self) -> Vec<&TlsConfig> {
        let mut all = vec![
            &self.http.tls_config,
            &self.tcp.tls_config,
            &self.dns.tls_config,
            &self.grpc.tls_config,
            &self.unix.tls_config,
            &self.websocket.http_config.tls_config,
        ];
        for client in [&self.http.client, &self.websocket.http_config] {
            if let Some(o) = &client.oauth2 {
                all.push(&o.tls_config);
            }
        }
        all
    }
}

/// rustls speaks TLS 1.2 and 1.3 only. Upstream (Go) would cap the
/// handshake at TLS 1.0/1.1 for these; probing with TLS 1.2 instead would
/// report the opposite verdict, so such a module is refused.
fn validate_tls_versions(tls: &TlsConfig) -> Result<(), String> {
    if matches!(tls.max_version.as_str(), "TLS10" | "TLS11") {
        return Err(format!(
            "tls_config max_version {} is not supported by this exporter: it speaks TLS 1.2 and 1.3 only",
            tls.max_version
        ));
    }
    // Upstream has no secret manager either: a reference can never be
    // resolved.
    for (key, value) in [
        ("ca_ref", &tls.ca_ref),
        ("cert_ref", &tls.cert_ref),
        ("key_ref", &tls.key_ref),
    ] {
        if !value.is_empty() {
            return Err(format!(
                "tls_config {key} is not supported by this exporter: there is no secret manager"
            ));
        }
    }
    Ok(())
}

/// prometheus/common's `HTTPClientConfig.Validate`, with its wording.
fn validate_http_client(h: &HttpClientConfig) -> Result<(), String> {
    let bearer = !h.bearer_token.is_empty() || !h.bearer_token_file.is_empty();
    if !h.bearer_token.is_empty() && !h.bearer_token_file.is_empty() {
        return Err("at most one of bearer_token & bearer_token_file must be configured".into());
    }
    if (h.basic_auth.is_some() || h.oauth2.is_some()) && bearer {
        return Err(
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured"
                .into(),
        );
    }
    if let Some(b) = &h.basic_auth {
        if !b.username.is_empty() && !b.username_file.is_empty() {
            return Err(
                "at most one of basic_auth username, username_file & username_ref must be configured"
                    .into(),
            );
        }
        if !b.password.is_empty() && !b.password_file.is_empty() {
            return Err(
                "at most one of basic_auth password, password_file & password_ref must be configured"
                    .into(),
            );
        }
    }
    if let Some(a) = &h.authorization {
        if bearer {
            return Err(
                "authorization is not compatible with bearer_token & bearer_token_file".into(),
            );
        }
        if !a.credentials.is_empty() && !a.credentials_file.is_empty() {
            return Err(
                "at most one of authorization credentials & credentials_file must be configured"
                    .into(),
            );
        }
        if a.kind.trim().eq_ignore_ascii_case("basic") {
            return Err(
                "authorization type cannot be set to \"basic\", use \"basic_auth\" instead".into(),
            );
        }
        if h.basic_auth.is_some() || h.oauth2.is_some() {
            return Err(
                "at most one of basic_auth, oauth2 & authorization must be configured".into(),
            );
        }
    }
    if let Some(o) = &h.oauth2 {
        if h.basic_auth.is_some() {
            return Err(
                "at most one of basic_auth, oauth2 & authorization must be configured".into(),
            );
        }
        if o.client_id.is_empty() {
            return Err("oauth2 client_id must be configured".into());
        }
        if o.token_url.is_empty() {
            return Err("oauth2 token_url must be configured".into());
        }
        let secrets = [
            !o.client_secret.is_empty(),
            !o.client_secret_file.is_empty(),
            !o.client_secret_ref.is_empty(),
        ];
        if secrets.iter().filter(|set| **set).count() > 1 {
            return Err(
                "at most one of oauth2 client_secret, client_secret_file & client_secret_ref must be configured"
                    .into(),
            );
        }
        if !o.client_secret_ref.is_empty() {
            return Err(
                "oauth2 client_secret_ref is not supported by this exporter: there is no secret manager"
                    .into(),
            );
        }
        if !matches!(o.grant_type.as_str(), "" | "client_credentials") {
            return Err(format!(
                "oauth2 grant_type {:?} is not supported by this exporter: only client_credentials",
                o.grant_type
            ));
        }
        validate_proxy(
            &o.proxy_url,
            &o.no_proxy,
            o.proxy_from_environment,
            !o.proxy_connect_header.is_empty(),
        )?;
    }
    validate_proxy(
        &h.proxy_url,
        &h.no_proxy,
        h.proxy_from_environment,
        !h.proxy_connect_header.is_empty(),
    )
}

/// prometheus/common's `ProxyConfig.Validate`.
fn validate_proxy(
    url: &ProxyUrl,
    no_proxy: &str,
    from_environment: bool,
    connect_header: bool,
) -> Result<(), String> {
    if connect_header && !from_environment && url.is_empty() {
        return Err("if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured".into());
    }
    if from_environment && !url.is_empty() {
        return Err(
            "if proxy_from_environment is configured, proxy_url must not be configured".into(),
        );
    }
    if from_environment && !no_proxy.is_empty() {
        return Err(
            "if proxy_from_environment is configured, no_proxy must not be configured".into(),
        );
    }
    if url.is_empty() && !no_proxy.is_empty() {
        return Err("if no_proxy is configured, proxy_url must also be configured".into());
    }
    // Go also speaks https:// and socks5:// proxies; only http:// here.
    if !url.is_empty() && !url.0.to_ascii_lowercase().starts_with("http://") {
        return Err(format!(
            "proxy_url {:?} is not supported by this exporter: only http:// proxies",
            url.redacted()
        ));
    }
    Ok(())
}

/// Whether an explicit `Accept-Encoding` admits the module's `compression`:
/// the first entry (by quality) naming it or `*` must have a quality above
/// zero, as upstream's `isCompressionAcceptEncodingValid`.
fn compression_accepted(compression: &str, accept_encoding: &str) -> bool {
    if compression.is_empty() || accept_encoding.is_empty() {
        return true;
    }
    let mut encodings: Vec<(&str, f64)> = accept_encoding
        .split(',')
        .map(|part| match part.rsplit_once(';') {
            None => (part.trim(), 1.0),
            Some((name, q)) => {
                let q = q.trim();
                let q: f64 = q.strip_prefix("q=").unwrap_or(q).parse().unwrap_or(0.0);
                (name.trim(), (q * 1000.0).round() / 1000.0)
            }
        })
        .collect();
    // stable: equal qualities keep their order
    encodings.sort_by(|a, b| b.1.total_cmp(&a.1));
    encodings
        .iter()
        .find(|(name, _)| *name == compression || *name == "*")
        .is_some_and(|(_, q)| *q > 0.0)
}

fn default_true() -> bool {
    true
}
fn default_ip6() -> String {
    "ip6".to_string()
}
fn default_get() -> String {
    "GET".to_string()
}

/// Declares a struct with prometheus/common's `HTTPClientConfig` keys
/// inline after its own (serde's `flatten` cannot be combined with
/// `deny_unknown_fields`), and `http_client_config()` to get them as one
/// [`HttpClientConfig`] for the client code shared by the probers.
macro_rules! with_http_client_config {
    ($(#[$meta:meta])* pub struct $name:ident { $($own:tt)* }) => {
        $(#[$meta])*
        pub struct $name {
            $($own)*
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub basic_auth: Option<BasicAuth>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub authorization: Option<Authorization>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub oauth2: Option<OAuth2>,
        #[serde(default, skip_serializing_if = "Secret::is_empty")]
        pub bearer_token: Secret,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub bearer_token_file: String,
        #[serde(default)]
        pub tls_config: TlsConfig,
        #[serde(default, skip_serializing_if = "ProxyUrl::is_empty")]
        pub proxy_url: ProxyUrl,
        #[serde(default, skip_serializing_if = "String::is_empty")]
        pub no_proxy: String,
        #[serde(default)]
        pub proxy_from_environment: bool,
        #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
        pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
        #[serde(default = "default_true")]
        pub follow_redirects: bool,
        #[serde(default = "default_true")]
        pub enable_http2: bool,
        #[serde(
            default,
            deserialize_with = "optional_header_map",
            skip_serializing_if = "Option::is_none"
        )]
        pub http_headers: Option<BTreeMap<String, HttpHeader>>,
        }

        impl $name {
            pub fn http_client_config(&self) -> HttpClientConfig {
                HttpClientConfig {
                    basic_auth: self.basic_auth.clone(),
                    authorization: self.authorization.clone(),
                    oauth2: self.oauth2.clone(),
                    bearer_token: self.bearer_token.clone(),
                    bearer_token_file: self.bearer_token_file.clone(),
                    tls_config: self.tls_config.clone(),
                    proxy_url: self.proxy_url.clone(),
                    no_proxy: self.no_proxy.clone(),
                    proxy_from_environment: self.proxy_from_environment.clone(),
                    proxy_connect_header: self.proxy_connect_header.clone(),
                    follow_redirects: self.follow_redirects.clone(),
                    enable_http2: self.enable_http2.clone(),
                    http_headers: self.http_headers.clone(),
                }
            }
        }
    };
}

with_http_client_config! {
    /// prometheus/common's `HTTPClientConfig`: websocket's `http_config`,
    /// and the http prober's keys (kept in [`HttpProbe::client`]).
    #[derive(Debug, Clone, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    pub struct HttpClientConfig {}
}

impl Default for HttpClientConfig {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

with_http_client_config! {
    #[derive(Debug, Clone, Deserialize, Serialize)]
    #[serde(deny_unknown_fields)]
    pub struct HttpProbe {
        #[serde(default)]
        pub valid_status_codes: Vec<u16>,
        #[serde(default)]
        pub valid_http_versions: Vec<String>,
        #[serde(default = "default_ip6")]
        pub preferred_ip_protocol: String,
        #[serde(default = "default_true")]
        pub ip_protocol_fallback: bool,
        #[serde(default)]
        pub skip_resolve_phase_with_proxy: bool,
        #[serde(default, skip_serializing)]
        pub no_follow_redirects: Option<bool>,
        #[serde(default)]
        pub fail_if_ssl: bool,
        #[serde(default)]
        pub fail_if_not_ssl: bool,
        #[serde(default = "default_get")]
        pub method: String,
        #[serde(default)]
        pub headers: BTreeMap<String, String>,
        #[serde(default)]
        pub fail_if_body_matches_regexp: Vec<Re>,
        #[serde(default)]
        pub fail_if_body_not_matches_regexp: Vec<Re>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fail_if_body_json_matches_cel: Option<Cel>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        pub fail_if_body_json_not_matches_cel: Option<Cel>,
        #[serde(default)]
        pub fail_if_header_matches: Vec<HeaderMatch>,
        #[serde(default)]
        pub fail_if_header_not_matches: Vec<HeaderMatch>,
        #[serde(default)]
        pub body: String,
        #[serde(default)]
        pub body_file: String,
        #[serde(default)]
        pub compression: String,
        #[serde(default)]
        pub body_size_limit: ByteSize,
        #[serde(default)]
        pub enable_http3: bool,
        /// The client keys below as one value, filled when the config is
        /// checked.
        #[serde(skip)]
        pub client: HttpClientConfig,
    }
}

/// prometheus/common's `oauth2` block (client credentials and JWT bearer
/// grants), with its own TLS and proxy settings.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct OAuth2 {
    #[serde(default)]
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_secret: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_secret_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_secret_ref: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_id: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub client_certificate_key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub client_certificate_key_ref: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub grant_type: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature_algorithm: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub iss: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub audience: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub claims: Option<serde_norway::Value>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scopes: Vec<String>,
    #[serde(default)]
    pub token_url: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub endpoint_params: BTreeMap<String, String>,
    #[serde(default)]
    pub tls_config: TlsConfig,
    #[serde(default, skip_serializing_if = "ProxyUrl::is_empty")]
    pub proxy_url: ProxyUrl,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub no_proxy: String,
    #[serde(default)]
    pub proxy_from_environment: bool,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub proxy_connect_header: BTreeMap<String, Vec<Secret>>,
}

/// One entry of `http_headers`: plain values, secret values, files.
/// Upstream's example.yml also writes a websocket header as a plain
/// string; that is taken as its one value.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HttpHeader {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub secrets: Vec<Secret>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<String>,
}

/// A header map whose entries are the full form or a plain string.
fn header_map<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<String, HttpHeader>, D::Error> {
    let raw = BTreeMap::<String, serde_norway::Value>::deserialize(d)?;
    raw.into_iter()
        .map(|(name, value)| {
            let header = match value {
                serde_norway::Value::String(v) => HttpHeader {
                    values: vec![v],
                    ..HttpHeader::default()
                },
                other => HttpHeader::deserialize(other)
                    .map_err(|e| D::Error::custom(format!("header {name}: {e}")))?,
            };
            Ok((name, header))
        })
        .collect()
}

fn optional_header_map<'de, D: Deserializer<'de>>(
    d: D,
) -> Result<Option<BTreeMap<String, HttpHeader>>, D::Error> {
    header_map(d).map(Some)
}

impl Default for HttpProbe {
    fn default() -> Self {
        match serde_norway::from_str::<HttpProbe>("{}") {
            Ok(p) => p,
            Err(e) => unreachable_default(e),
        }
    }
}

#[cold]
fn unreachable_default<T>(e: impl fmt::Display) -> T {
    // The empty mapping always deserializes: every field has a default.
    panic!("built-in defaults do not deserialize: {e}")
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderMatch {
    #[serde(default)]
    pub header: String,
    /// Required; optional here only so that a missing one gets upstream's
    /// error instead of serde's.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regexp: Option<Re>,
    #[serde(default)]
    pub allow_missing: bool,
}

impl HeaderMatch {
    pub fn is_match(&self, value: &[u8]) -> bool {
        self.regexp.as_ref().is_some_and(|re| re.0.is_match(value))
    }

    pub fn pattern(&self) -> &str {
        self.regexp.as_ref().map_or("", |re| re.0.as_str())
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BasicAuth {
    #[serde(default)]
    pub username: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub username_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub password: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub password_file: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Authorization {
    #[serde(default, rename = "type")]
    pub kind: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub credentials: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub credentials_file: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TlsConfig {
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert_file: String,
    #[serde(default, skip_serializing_if = "Secret::is_empty")]
    pub key: Secret,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_file: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub ca_ref: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub cert_ref: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub key_ref: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub server_name: String,
    #[serde(default)]
    pub insecure_skip_verify: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub min_version: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub max_version: String,
}

impl TlsConfig {
    /// The name sent as SNI and verified: `server_name` when set, else the
    /// prober's own choice (the target's host, the hostname parameter).
    pub fn server_name_or<'a>(&'a self, default: &'a str) -> &'a str {
        if self.server_name.is_empty() {
            default
        } else {
            &self.server_name
        }
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct TcpProbe {
    #[serde(default = "default_ip6")]
    pub preferred_ip_protocol: String,
    #[serde(default = "default_true")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_ip_address: String,
    #[serde(default)]
    pub query_response: Vec<QueryResponse>,
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub tls_config: TlsConfig,
}

impl Default for TcpProbe {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

/// The unix prober (upstream 0.28): a stream socket path as target, with
/// the tcp prober's dialogue.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct UnixProbe {
    #[serde(default)]
    pub query_response: Vec<QueryResponse>,
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub tls_config: TlsConfig,
}

/// The websocket prober (upstream's master): an HTTP upgrade, then the
/// dialogue over text messages.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct WebsocketProbe {
    #[serde(default)]
    pub http_config: HttpClientConfig,
    #[serde(
        default,
        deserialize_with = "header_map",
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub headers: BTreeMap<String, HttpHeader>,
    #[serde(default)]
    pub query_response: Vec<QueryResponse>,
    #[serde(default = "default_ip6")]
    pub preferred_ip_protocol: String,
    #[serde(default = "default_true")]
    pub ip_protocol_fallback: bool,
}

impl Default for WebsocketProbe {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueryResponse {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect: Option<Re>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub expect_bytes: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub labels: Vec<QueryLabel>,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub send: String,
    #[serde(default)]
    pub starttls: bool,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QueryLabel {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct IcmpProbe {
    #[serde(default = "default_ip6")]
    pub preferred_ip_protocol: String,
    #[serde(default = "default_true")]
    pub ip_protocol_fallback: bool,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_ip_address: String,
    #[serde(default)]
    pub payload_size: usize,
    #[serde(default)]
    pub dont_fragment: bool,
    #[serde(default = "default_ttl")]
    pub ttl: i64,
    /// Ours, beyond upstream: echo requests per probe (smokeping-style).
    /// 1 (the default) behaves as upstream.
    #[serde(default = "default_packets")]
    pub packets: u32,
    /// Ours: pause between the echo requests of one probe.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub interval: Option<GoDuration>,
}

fn default_ttl() -> i64 {
    64
}
fn default_packets() -> u32 {
    1
}

impl Default for IcmpProbe {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DnsProbe {
    #[serde(default = "default_ip6")]
    pub preferred_ip_protocol: String,
    #[serde(default = "default_true")]
    pub ip_protocol_fallback: bool,
    #[serde(default)]
    pub dns_over_tls: bool,
    #[serde(default)]
    pub tls_config: TlsConfig,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub source_ip_address: String,
    #[serde(default)]
    pub transport_protocol: String,
    #[serde(default = "default_in")]
    pub query_class: String,
    #[serde(default)]
    pub query_name: String,
    #[serde(default = "default_any")]
    pub query_type: String,
    #[serde(default = "default_true")]
    pub recursion_desired: bool,
    #[serde(default)]
    pub valid_rcodes: Vec<String>,
    #[serde(default)]
    pub validate_answer_rrs: RrValidator,
    #[serde(default)]
    pub validate_authority_rrs: RrValidator,
    #[serde(default)]
    pub validate_additional_rrs: RrValidator,
}

fn default_in() -> String {
    "IN".to_string()
}
fn default_any() -> String {
    "ANY".to_string()
}

impl Default for DnsProbe {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RrValidator {
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_if_matches_regexp: Vec<Re>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_if_all_match_regexp: Vec<Re>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_if_not_matches_regexp: Vec<Re>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fail_if_none_matches_regexp: Vec<Re>,
}

#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct GrpcProbe {
    #[serde(default)]
    pub service: String,
    #[serde(default)]
    pub tls: bool,
    #[serde(default)]
    pub tls_config: TlsConfig,
    #[serde(default = "default_true")]
    pub ip_protocol_fallback: bool,
    #[serde(default = "default_ip6")]
    pub preferred_ip_protocol: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metadata: BTreeMap<String, Vec<String>>,
}

impl Default for GrpcProbe {
    fn default() -> Self {
        serde_norway::from_str("{}").unwrap_or_else(unreachable_default)
    }
}

/// A secret string: read from the config, written back as `<secret>`.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct Secret(pub String);

impl Secret {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("<secret>")
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("<secret>")
    }
}

/// A proxy URL: its password is a secret, written back as `xxxxx` the way
/// Go's `url.URL.Redacted` (used by prometheus/common) does.
#[derive(Clone, Default, Deserialize)]
#[serde(transparent)]
pub struct ProxyUrl(pub String);

impl ProxyUrl {
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn redacted(&self) -> String {
        let url = &self.0;
        let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
            return url.clone();
        };
        let rest = &url[scheme_end..];
        let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
        let Some(at) = rest[..authority_end].rfind('@') else {
            return url.clone();
        };
        match rest[..at].split_once(':') {
            Some((user, _password)) => format!("{}{user}:xxxxx{}", &url[..scheme_end], &rest[at..]),
            None => url.clone(),
        }
    }
}

impl fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for ProxyUrl {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

/// A regular expression checked when the config is read (RE2 and Rust's
/// regex share the syntax that matters here; both are linear-time).
#[derive(Clone)]
pub struct Re(pub regex::bytes::Regex);

impl fmt::Debug for Re {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.0.as_str())
    }
}

/// A regex error as upstream prints it: without the YAML path before it
/// and the position after it that serde adds.
fn upstream_wording(e: serde_norway::Error) -> String {
    let message = e.to_string();
    // yaml.v3's KnownFields error: upstream's structs unmarshal through a
    // local `plain` type, hence the type name.
    if let Some(rest) = message.split_once("unknown field `").map(|(_, r)| r)
        && let Some((field, _)) = rest.split_once('`')
        && let Some(line) = e.location().map(|l| l.line())
    {
        return format!(
            "yaml: unmarshal errors:\n  line {line}: field {field} not found in type config.plain"
        );
    }
    match message.find(REGEX_ERROR) {
        Some(start) => {
            let own = &message[start..];
            own.rfind(" at line ")
                .map_or(own, |end| &own[..end])
                .to_string()
        }
        None => message,
    }
}

const REGEX_ERROR: &str = "\"Could not compile regular expression\"";

impl<'de> Deserialize<'de> for Re {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Upstream's wording, which leaves out the parser's reason.
        regex::bytes::Regex::new(&s)
            .map(Re)
            .map_err(|_| D::Error::custom(format!("{REGEX_ERROR} regexp=\"{s}\"")))
    }
}

impl Serialize for Re {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.0.as_str())
    }
}

/// A CEL expression over the JSON body (`body`), compiled when the config
/// is read. As upstream's environment declares only `body`, any other
/// variable is a compile error.
#[derive(Clone)]
pub struct Cel {
    pub expression: String,
    pub program: std::sync::Arc<cel_interpreter::Program>,
}

impl Cel {
    pub fn compile(expression: &str) -> Result<Cel, String> {
        let program = cel_interpreter::Program::compile(expression).map_err(|e| e.to_string())?;
        // The parser lists a macro's iteration variable (`x` in
        // `body.items.all(x, x > 0)`) among the references: those are bound.
        static MACRO_VARIABLE: std::sync::LazyLock<Option<regex::Regex>> =
            std::sync::LazyLock::new(|| {
                regex::Regex::new(
                    r"\b(?:all|exists|exists_one|map|filter)\(\s*([A-Za-z_][A-Za-z0-9_]*)\s*,",
                )
                .ok()
            });
        let bound: Vec<&str> = MACRO_VARIABLE.as_ref().map_or_else(Vec::new, |re| {
            re.captures_iter(expression)
                .filter_map(|c| c.get(1).map(|m| m.as_str()))
                .collect()
        });
        if let Some(undeclared) = program
            .references()
            .variables()
            .into_iter()
            .find(|v| *v != "body" && !bound.contains(v))
        {
            return Err(format!("undeclared reference to '{undeclared}'"));
        }
        Ok(Cel {
            expression: expression.to_string(),
            program: std::sync::Arc::new(program),
        })
    }
}

impl fmt::Debug for Cel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.expression)
    }
}

impl<'de> Deserialize<'de> for Cel {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        // Upstream's wording; serde's path before it names the module.
        Cel::compile(&s).map_err(|e| {
            tracing::debug!(expression = %s, "CEL compile error: {e}");
            D::Error::custom(format!(
                "\"Could not compile CEL program\" expression=\"{s}\" ({e})"
            ))
        })
    }
}

impl Serialize for Cel {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.expression)
    }
}

/// A Go `time.Duration` / Prometheus duration string: `5s`, `1m30s`, `500ms`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GoDuration(pub Duration);

impl<'de> Deserialize<'de> for GoDuration {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        exporter_kit::duration::parse_prometheus(&s)
            .ok()
            .map(GoDuration)
            .ok_or_else(|| D::Error::custom(format!("not a valid duration string: {s:?}")))
    }
}

impl Serialize for GoDuration {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let ms = self.0.as_millis();
        if ms.is_multiple_of(1000) {
            s.serialize_str(&format!("{}s", ms / 1000))
        } else {
            s.serialize_str(&format!("{ms}ms"))
        }
    }
}

/// A size such as `10MB` (base 2, as prometheus/common's units), 0 = none.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ByteSize(pub u64);

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = serde_norway::Value::deserialize(d)?;
        match v {
            serde_norway::Value::Number(n) => {
                if let Some(i) = n.as_i64() {
                    Ok(ByteSize(if i < 0 { u64::MAX } else { i as u64 }))
                } else {
                    Err(D::Error::custom(
                        "body_size_limit must be an integer or a size",
                    ))
                }
            }
            serde_norway::Value::String(s) => parse_size(&s)
                .map(ByteSize)
                .ok_or_else(|| D::Error::custom(format!("invalid size {s:?}"))),
            _ => Err(D::Error::custom("body_size_limit must be a size")),
        }
    }
}

impl Serialize for ByteSize {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.0 == u64::MAX {
            s.serialize_i64(-1)
        } else {
            s.serialize_u64(self.0)
        }
    }
}

pub fn parse_size(s: &str) -> Option<u64> {
    let s = s.trim();
    if let Some(neg) = s.strip_prefix('-') {
        return neg.parse::<f64>().ok().map(|_| u64::MAX);
    }
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(s.len());
    let value: f64 = s[..split].parse().ok()?;
    let factor: f64 = match s[split..].trim() {
        "" | "B" => 1.0,
        "KB" | "KiB" | "K" | "k" | "kB" => 1024.0,
        "MB" | "MiB" | "M" => 1024.0 * 1024.0,
        "GB" | "GiB" | "G" => 1024.0 * 1024.0 * 1024.0,
        "TB" | "TiB" | "T" => 1024f64.powi(4),
        _ => return None,
    };
    Some((value * factor) as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upstream_example_parses_with_defaults() {
        let c = Config::parse(
            r#"
modules:
  http_2xx:
    prober: http
    timeout: 5s
    http:
      valid_status_codes: []
      method: GET
      basic_auth: {username: u, password: hunter2}
      fail_if_body_matches_regexp: ["err(or)?"]
  tcp_connect:
    prober: tcp
  icmp:
    prober: icmp
"#,
        )
        .expect("valid config");
        let m = &c.modules["http_2xx"];
        assert_eq!(m.timeout, Some(GoDuration(Duration::from_secs(5))));
        assert_eq!(m.http.preferred_ip_protocol, "ip6");
        assert!(m.http.ip_protocol_fallback && m.http.follow_redirects);
        assert_eq!(c.modules["icmp"].icmp.ttl, 64);
        let yaml = c.to_redacted_yaml();
        assert!(!yaml.contains("hunter2"), "{yaml}");
        assert!(yaml.contains("<secret>"), "{yaml}");
    }

    #[test]
    fn unknown_keys_and_bad_values_are_errors() {
        assert!(Config::parse("modules:\n  a:\n    prober: http\n    htp: {}\n").is_err());
        assert!(Config::parse("modules:\n  a:\n    http:\n      bogus: 1\n").is_err());
        assert!(
            Config::parse("modules:\n  a:\n    http:\n      fail_if_body_matches_regexp: ['(']\n")
                .is_err()
        );
        assert!(Config::parse("modules:\n  a:\n    timeout: 5x\n").is_err());
        assert!(Config::parse("modules:\n  a:\n    icmp:\n      ttl: 300\n").is_err());
        assert!(Config::parse("modules:\n  a:\n    prober: dns\n").is_err());
    }

    #[test]
    fn every_secret_is_redacted_in_yaml_and_debug() {
        let c = Config::parse(
            r#"
modules:
  all_secrets:
    prober: http
    http:
      proxy_url: http://proxyuser:proxy-pass-1@proxy.example:3128/
      proxy_connect_header:
        Proxy-Authorization: [connect-secret-2]
      http_headers:
        X-Api-Key:
          values: [plain-value]
          secrets: [header-secret-3]
      oauth2:
        client_id: id
        client_secret: oauth-secret-4
        token_url: https://token.example/
        proxy_url: http://u:oauth-proxy-pass-5@proxy.example/
        tls_config:
          key: tls-key-6
      tls_config:
        key: tls-key-7
  basic:
    prober: http
    http:
      basic_auth: {username: u, password: basic-pass-8}
  bearer:
    prober: http
    http:
      bearer_token: bearer-9
  authz:
    prober: http
    http:
      authorization: {credentials: authz-10}
"#,
        )
        .expect("valid config");
        let yaml = c.to_redacted_yaml();
        let debug = format!("{c:?}");
        for leaked in [
            "proxy-pass-1",
            "connect-secret-2",
            "header-secret-3",
            "oauth-secret-4",
            "oauth-proxy-pass-5",
            "tls-key-6",
            "tls-key-7",
            "basic-pass-8",
            "bearer-9",
            "authz-10",
        ] {
            assert!(!yaml.contains(leaked), "{leaked} in {yaml}");
            assert!(!debug.contains(leaked), "{leaked} in {debug}");
        }
        assert!(
            yaml.contains("http://proxyuser:xxxxx@proxy.example:3128/"),
            "{yaml}"
        );
        assert!(yaml.contains("plain-value"), "{yaml}");
        assert_eq!(
            ProxyUrl("http://proxy.example/".into()).redacted(),
            "http://proxy.example/"
        );
        assert_eq!(
            ProxyUrl("http://user@proxy.example/".into()).redacted(),
            "http://user@proxy.example/"
        );
    }

    #[test]
    fn durations_and_sizes() {
        assert_eq!(parse_size("10MB"), Some(10 * 1024 * 1024));
        assert_eq!(parse_size("512"), Some(512));
        assert_eq!(parse_size("-1"), Some(u64::MAX));
    }
}
