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
    #[error("reading {}: {source}", path.display())]
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
}

/// A checked configuration, ready to serve with.
pub struct WebConfig {
    pub tls: Option<TlsAcceptor>,
    pub basic_auth: Option<BasicAuth>,
    pub headers: headers::Headers,
    pub http2: bool,
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
                message: e.to_string(),
            })?
        };
        let base = path.parent().unwrap_or(Path::new("."));
        let invalid = |message: String| WebConfigError::Invalid {
            path: path.into(),
            message,
        };
        let tls = match &file.tls_server_config {
            Some(tls) => Some(TlsAcceptor::build(tls, base).map_err(invalid)?),
            None => None,
        };
        let basic_auth = if file.basic_auth_users.is_empty() {
            None
        } else {
            Some(BasicAuth::new(&file.basic_auth_users).map_err(invalid)?)
        };
        let headers = headers::Headers::new(&file.http_server_config.headers).map_err(invalid)?;
        Ok(WebConfig {
            tls,
            basic_auth,
            headers,
            http2: file.http_server_config.http2.unwrap_or(true),
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
            }),
        }
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
