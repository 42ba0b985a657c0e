//! `--web.config.file` in the Prometheus exporter-toolkit format: TLS,
//! client certificates, bcrypt basic auth and extra response headers.
//!
//! The file is checked strictly at startup (a bad file stops the exporter
//! with a clear message) and re-read when it or a certificate file changes,
//! so certificates rotate without a restart; a rotation that breaks the
//! file keeps the last good configuration and logs why.

mod basic_auth;
mod headers;
mod tls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use serde::Deserialize;

pub use basic_auth::{AuthOutcome, BasicAuth};
pub use tls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum WebConfigError {
    /// Go's wording ("open web.yml: no such file or directory").
    #[error("open {}: {}", path.display(), source.to_string().to_lowercase())]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("parsing {}: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    #[error("{}: {message}", path.display())]
    Invalid { path: PathBuf, message: String },
}

#[derive(Debug, Default, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct TlsServerConfig {
    #[serde(default)]
    pub cert_file: String,
    #[serde(default)]
    pub key_file: String,
    #[serde(default)]
    pub cert: String,
    #[serde(default)]
    pub key: String,
    #[serde(default)]
    pub client_auth_type: String,
    #[serde(default)]
    pub client_ca_file: String,
    #[serde(default)]
    pub client_ca: String,
    #[serde(default)]
    pub client_allowed_sans: Vec<String>,
    #[serde(default)]
    pub min_version: String,
    #[serde(default)]
    pub max_version: String,
    #[serde(default)]
    pub cipher_suites: Vec<String>,
    #[serde(default)]
    pub curve_preferences: Vec<String>,
    #[serde(default)]
    pub prefer_server_cipher_suites: Option<bool>,
}

#[derive(Debug, Default, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct HttpServerConfig {
    #[serde(default)]
    pub http2: Option<bool>,
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
}

/// The file as written.
#[derive(Debug, Default, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct WebConfigFile {
    #[serde(default)]
    pub tls_server_config: Option<TlsServerConfig>,
    #[serde(default)]
    pub http_server_config: HttpServerConfig,
    #[serde(default)]
    pub basic_auth_users: BTreeMap<String, String>,
    #[serde(default)]
    pub rate_limit: Option<RateLimitConfig>,
}

/// `rate_limit`: at most `burst` requests at once, refilled one per
/// `interval` (Go's `rate.Limiter`); beyond it 429. An interval of 0 turns
/// it off, as upstream.
#[derive(Debug, Default, Deserialize, Clone, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct RateLimitConfig {
    #[serde(default)]
    pub interval: Option<GoDuration>,
    #[serde(default)]
    pub burst: u32,
}

/// A Go `time.Duration` in YAML: a string (`1s`) or an integer number of
/// nanoseconds.
#[derive(Debug, Deserialize, Clone, PartialEq)]
#[serde(untagged)]
pub enum GoDuration {
    Text(String),
    Nanoseconds(u64),
}

/// A checked configuration, ready to serve with.
pub struct WebConfig {
    pub tls: Option<TlsAcceptor>,
    pub basic_auth: Option<BasicAuth>,
    pub headers: headers::Headers,
    pub http2: bool,
    pub rate_limit: Option<RateLimiter>,
}

/// Go's `rate.Limiter` as exporter-toolkit uses it: a bucket of `burst`
/// tokens, full at the start, refilled at one token per `interval`.
pub struct RateLimiter {
    per_token: std::time::Duration,
    burst: f64,
    bucket: Mutex<(f64, std::time::Instant)>,
}

impl RateLimiter {
    fn new(interval: std::time::Duration, burst: u32) -> RateLimiter {
        RateLimiter {
            per_token: interval,
            burst: f64::from(burst),
            bucket: Mutex::new((f64::from(burst), std::time::Instant::now())),
        }
    }

    /// Takes a token if there is one.
    pub fn allow(&self) -> bool {
        let mut bucket = self.bucket.lock().unwrap_or_else(|p| p.into_inner());
        let now = std::time::Instant::now();
        let refill = now.duration_since(bucket.1).as_secs_f64() / self.per_token.as_secs_f64();
        bucket.0 = (bucket.0 + refill).min(self.burst);
        bucket.1 = now;
        if bucket.0 >= 1.0 {
            bucket.0 -= 1.0;
            true
        } else {
            false
        }
    }
}

impl WebConfig {
    fn load(path: &Path) -> Result<WebConfig, WebConfigError> {
        let text = std::fs::read_to_string(path).map_err(|source| WebConfigError::Read {
            path: path.into(),
            source,
        })?;
        let file: WebConfigFile = if text.trim().is_empty() {
            WebConfigFile::default()
        } else {
            serde_norway::from_str(&text).map_err(|e| WebConfigError::Parse {
                path: path.into(),
                message: format!("yaml: {e}"),
            })?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.into(),
            message,
        };
        let http2 = file.http_server_config.http2.unwrap_or(true);
        let tls = match &file.tls_server_config {
            Some(tls) => Some(TlsAcceptor::build(tls, base, http2).map_err(invalid)?),
            None => None,
        };
        let basic_auth = if file.basic_auth_users.is_empty() {
            None
        } else {
            Some(BasicAuth::new(&file.basic_auth_users).map_err(invalid)?)
        };
        let headers = headers::Headers::new(&file.http_server_config.headers).map_err(invalid)?;
        let rate_limit = match &file.rate_limit {
            None => None,
            Some(limit) => {
                let interval = match &limit.interval {
                    None => std::time::Duration::ZERO,
                    Some(GoDuration::Nanoseconds(ns)) => std::time::Duration::from_nanos(*ns),
                    Some(GoDuration::Text(text)) => crate::duration::parse_go(text)
                        .map_err(|e| invalid(format!("rate_limit.interval: {e}")))?,
                };
                (!interval.is_zero()).then(|| RateLimiter::new(interval, limit.burst))
            }
        };
        Ok(WebConfig {
            tls,
            basic_auth,
            headers,
            http2,
            rate_limit,
        })
    }

    fn files(path: &Path) -> Vec<PathBuf> {
        let mut files = vec![path.to_path_buf()];
        let base = path.parent().unwrap_or(Path::new("."));
        if let Ok(text) = std::fs::read_to_string(path)
            && let Ok(WebConfigFile {
                tls_server_config: Some(tls),
                ..
            }) = serde_norway::from_str(&text)
        {
            for f in [&tls.cert_file, &tls.key_file, &tls.client_ca_file] {
                if !f.is_empty() {
                    files.push(base.join(f));
                }
            }
        }
        files
    }
}

type Stamp = Vec<Option<(SystemTime, u64)>>;

fn stamp(files: &[PathBuf]) -> Stamp {
    files
        .iter()
        .map(|f| {
            std::fs::metadata(f)
                .ok()
                .and_then(|m| Some((m.modified().ok()?, m.len())))
        })
        .collect()
}

/// What was loaded last: the files it came from (the config and the
/// certificates it names), their stamps, and the checked configuration.
struct Loaded {
    files: Vec<PathBuf>,
    stamp: Stamp,
    config: Arc<WebConfig>,
}

/// The current web configuration, re-read when its files change.
pub struct WebConfigSource {
    path: Option<PathBuf>,
    state: Mutex<Loaded>,
}

impl WebConfigSource {
    /// No `--web.config.file`: plain HTTP, no auth.
    pub fn none() -> WebConfigSource {
        WebConfigSource {
            path: None,
            state: Mutex::new(Loaded {
                files: Vec::new(),
                stamp: Vec::new(),
                config: Arc::new(WebConfig {
                    tls: None,
                    basic_auth: None,
                    headers: headers::Headers::default(),
                    http2: true,
                    rate_limit: None,
                }),
            }),
        }
    }

    /// Loads the file, failing on any problem: a startup error.
    pub fn load(path: &Path) -> Result<WebConfigSource, WebConfigError> {
        let files = WebConfig::files(path);
        let stamp = stamp(&files);
        let config = Arc::new(WebConfig::load(path)?);
        Ok(WebConfigSource {
            path: Some(path.to_path_buf()),
            state: Mutex::new(Loaded {
                files,
                stamp,
                config,
            }),
        })
    }

    /// The configuration to use for a new connection. Costs a few stat
    /// calls; the files are parsed again only when one of them changed.
    pub fn current(&self) -> Arc<WebConfig> {
        let mut state = self.lock();
        let Some(path) = &self.path else {
            return state.config.clone();
        };
        if stamp(&state.files) != state.stamp {
            // The config may now name other certificate files.
            state.files = WebConfig::files(path);
            state.stamp = stamp(&state.files);
            match WebConfig::load(path) {
                Ok(config) => {
                    tracing::info!(file = %path.display(), "web config reloaded");
                    state.config = Arc::new(config);
                }
                Err(err) => {
                    tracing::error!(error = %err, "web config changed but is invalid; keeping the last good one");
                }
            }
        }
        state.config.clone()
    }

    pub fn tls_enabled(&self) -> bool {
        self.lock().config.tls.is_some()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Loaded> {
        // A panic while holding this lock leaves valid data behind.
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }
}
