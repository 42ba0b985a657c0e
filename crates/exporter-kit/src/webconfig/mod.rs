//! `--web.config.file` in the Prometheus exporter-toolkit format: TLS,
//! client certificates, bcrypt basic auth and extra response headers.
//!
//! The file is checked strictly at startup (a bad file stops the exporter
//! with a clear message) and re-read when it or a certificate file changes,
//! so certificates rotate without a restart; a rotation that breaks the
//! file, or a change that would turn TLS or basic auth off, keeps the last
//! good configuration and logs why.

mod basic_auth;
mod headers;
mod tls;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use serde::Deserialize;

use crate::reload::{ReloadMetrics, Reloadable, Source};

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
    #[error("{}: refusing to reload: {change} on a running exporter; restart it to do that", path.display())]
    Weakens { path: PathBuf, change: &'static str },
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
    bucket: std::sync::Mutex<(f64, std::time::Instant)>,
}

impl RateLimiter {
    fn new(interval: std::time::Duration, burst: u32) -> RateLimiter {
        RateLimiter {
            per_token: interval,
            burst: f64::from(burst),
            bucket: std::sync::Mutex::new((f64::from(burst), std::time::Instant::now())),
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

/// A web configuration an exporter builds from its own flags.
pub struct FlagWebConfig {
    pub flags: String,
    pub config: WebConfigFile,
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
        WebConfig::check(&file, path, base)
    }

    /// Checks `file` as if read from `path` (named in errors); relative
    /// file names in it are under `base`.
    fn check(file: &WebConfigFile, path: &Path, base: &Path) -> Result<WebConfig, WebConfigError> {
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

/// `--web.config.file` as a [`Source`]: the file and the certificate
/// files it names, loaded strictly, and refused when a change would make
/// a running exporter less safe.
pub struct WebConfigFileSource {
    path: PathBuf,
}

impl Source for WebConfigFileSource {
    type Value = WebConfig;
    type Error = WebConfigError;

    fn what(&self) -> &'static str {
        "web config"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self, previous: Option<&WebConfig>) -> Result<WebConfig, WebConfigError> {
        let config = WebConfig::load(&self.path)?;
        if let Some(change) = previous.and_then(|previous| weakening(previous, &config)) {
            return Err(WebConfigError::Weakens {
                path: self.path.clone(),
                change,
            });
        }
        Ok(config)
    }

    fn files(&self) -> Vec<PathBuf> {
        WebConfig::files(&self.path)
    }
}

/// Fail closed: a running exporter never drops from TLS to plain text or
/// from basic auth to none because its file changed (emptied, truncated
/// by an editor, a half-written deploy). Upstream refuses the first too.
/// Restarting with the file is how to turn them off on purpose.
fn weakening(previous: &WebConfig, next: &WebConfig) -> Option<&'static str> {
    if previous.tls.is_some() && next.tls.is_none() {
        return Some("it turns TLS off");
    }
    if previous.basic_auth.is_some() && next.basic_auth.is_none() {
        return Some("it turns basic auth off");
    }
    None
}

/// How often the web config's files are checked for a change: a rotated
/// certificate is served within this.
pub const WEB_CONFIG_CHECK_INTERVAL: Duration = Duration::from_secs(1);

/// The current web configuration, re-read by a watcher when its files
/// change. Connections take the configuration in force without waiting
/// for a reload, however slow (bcrypt users): see [`crate::reload`].
pub struct WebConfigSource {
    /// None without `--web.config.file`.
    file: Option<Arc<Reloadable<WebConfigFileSource>>>,
    fixed: Arc<WebConfig>,
}

impl WebConfigSource {
    /// No `--web.config.file`: plain HTTP, no auth.
    pub fn none() -> WebConfigSource {
        WebConfigSource {
            file: None,
            fixed: Arc::new(WebConfig {
                tls: None,
                basic_auth: None,
                headers: headers::Headers::default(),
                http2: true,
                rate_limit: None,
            }),
        }
    }

    /// A configuration built from an exporter's flags: checked as strictly
    /// as a file (errors name `flags.flags`), never reloaded.
    pub fn from_flags(flags: &FlagWebConfig) -> Result<WebConfigSource, WebConfigError> {
        let config = WebConfig::check(&flags.config, Path::new(&flags.flags), Path::new("."))?;
        Ok(WebConfigSource {
            file: None,
            fixed: Arc::new(config),
        })
    }

    /// Loads the file, failing on any problem: a startup error. `metrics`
    /// report the reloads that follow.
    pub fn load(
        path: &Path,
        metrics: Option<ReloadMetrics>,
    ) -> Result<WebConfigSource, WebConfigError> {
        let file = Reloadable::load(
            WebConfigFileSource {
                path: path.to_path_buf(),
            },
            metrics,
        )?;
        Ok(WebConfigSource {
            fixed: file.current(),
            file: Some(file),
        })
    }

    /// The configuration for a new connection: an `Arc` clone under a read
    /// lock, never a file read.
    pub fn current(&self) -> Arc<WebConfig> {
        match &self.file {
            Some(file) => file.current(),
            None => self.fixed.clone(),
        }
    }

    /// Starts checking the files for changes (see
    /// [`WEB_CONFIG_CHECK_INTERVAL`]); `None` without a file.
    pub fn watch(&self) -> Option<tokio::task::JoinHandle<()>> {
        self.file
            .as_ref()
            .map(|file| file.watch(WEB_CONFIG_CHECK_INTERVAL))
    }

    pub fn tls_enabled(&self) -> bool {
        self.current().tls.is_some()
    }
}
