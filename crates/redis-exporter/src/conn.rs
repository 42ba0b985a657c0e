//! Connecting to one Redis: address forms, credentials (flag, password
//! file, URL), TLS and timeouts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use exporter_kit::reload::Reloadable;
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, Client, ConnectionAddr, IntoConnectionInfo};

#[derive(Debug, thiserror::Error)]
pub enum ConnError {
    #[error("invalid address {addr:?}: {reason}")]
    Address { addr: String, reason: String },
    #[error("reading {path}: {reason}")]
    File { path: String, reason: String },
    #[error("{0}")]
    Redis(String),
    #[error("connecting timed out after {0:?}")]
    Timeout(Duration),
}

/// The JSON password file (`--redis.password-file`): Redis URI -> password.
struct PasswordFile {
    path: std::path::PathBuf,
}

impl exporter_kit::reload::Source for PasswordFile {
    type Value = HashMap<String, String>;
    type Error = ConnError;

    fn what(&self) -> &'static str {
        "password file"
    }

    fn path(&self) -> &Path {
        &self.path
    }

    fn load(&self, _previous: Option<&Self::Value>) -> Result<Self::Value, ConnError> {
        let path = self.path.display().to_string();
        let text = std::fs::read_to_string(&self.path).map_err(|e| ConnError::File {
            path: path.clone(),
            reason: e.to_string(),
        })?;
        serde_json::from_str(&text).map_err(|e| ConnError::File {
            path,
            // serde's message names the position, not the content
            reason: format!("not a JSON object of strings: {e}"),
        })
    }
}

/// The password map, reloaded through `/-/reload`; empty without a file.
#[derive(Clone, Default)]
pub struct PasswordMap {
    file: Option<Arc<Reloadable<PasswordFile>>>,
}

impl std::fmt::Debug for PasswordMap {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // never the passwords
        f.debug_struct("PasswordMap")
            .field("path", &self.file.as_ref().map(|f| &f.source().path))
            .finish()
    }
}

impl PasswordMap {
    pub fn load(path: &str) -> Result<PasswordMap, ConnError> {
        let file = Reloadable::load(PasswordFile { path: path.into() }, None)?;
        Ok(PasswordMap { file: Some(file) })
    }

    pub fn is_configured(&self) -> bool {
        self.file.is_some()
    }

    /// Reads the file again; on error the passwords in force stay.
    pub fn reload(&self) -> Result<(), ConnError> {
        match &self.file {
            Some(file) => file.reload(),
            None => Ok(()),
        }
    }

    /// The password for `uri` (`redis://user@host:port`), if one is set.
    pub fn lookup(&self, uri: &str) -> Option<String> {
        let map = self.file.as_ref()?.current();
        map.get(uri).filter(|p| !p.is_empty()).cloned()
    }
}

/// TLS client settings (`--tls-*` flags).
#[derive(Debug, Clone, Default)]
pub struct TlsOptions {
    pub ca_cert_file: String,
    pub client_cert_file: String,
    pub client_key_file: String,
    pub skip_verification: bool,
}

/// How to reach one Redis.
#[derive(Debug, Clone)]
pub struct Target {
    /// As given, with a scheme added when missing.
    pub addr: String,
    pub user: String,
    pub password: String,
    /// Whether a password in `addr` itself may be used.
    pub url_credentials: bool,
}

/// Adds `redis://` when the address has no scheme (`host:port`).
pub fn with_scheme(addr: &str) -> String {
    if addr.contains("://") {
        addr.to_string()
    } else {
        format!("redis://{addr}")
    }
}

/// Splits `scheme://[user[:pass]@]rest` into (scheme, user, pass, rest).
pub fn split_userinfo(url: &str) -> (&str, Option<&str>, Option<&str>, &str) {
    let Some((scheme, rest)) = url.split_once("://") else {
        return ("", None, None, url);
    };
    let authority_end = rest.find('/').unwrap_or(rest.len());
    match rest[..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &rest[..at];
            let (user, pass) = match userinfo.split_once(':') {
                Some((u, p)) => (u, Some(p)),
                None => (userinfo, None),
            };
            (scheme, Some(user), pass, &rest[at + 1..])
        }
        None => (scheme, None, None, rest),
    }
}

/// The key of the password map: `scheme://host:port` or
/// `scheme://user@host:port`, as upstream builds it.
pub fn password_map_key(addr: &str, user: &str) -> String {
    let (scheme, _, _, rest) = split_userinfo(addr);
    if scheme.is_empty() {
        return addr.to_string();
    }
    if user.is_empty() {
        format!("{scheme}://{rest}")
    } else {
        format!("{scheme}://{user}@{rest}")
    }
}

fn read(path: &str) -> Result<Vec<u8>, ConnError> {
    std::fs::read(path).map_err(|e| ConnError::File {
        path: path.to_string(),
        reason: e.to_string(),
    })
}

/// Builds the client for `target` (no I/O except reading TLS files).
pub fn client(target: &Target, tls: &TlsOptions) -> Result<Client, ConnError> {
    let addr = with_scheme(&target.addr);
    let (scheme, url_user, url_pass, rest) = split_userinfo(&addr);
    // Credentials travel separately: the URL the client parses has none
    // unless the operator allows it.
    let bare = if scheme.is_empty() {
        addr.clone()
    } else {
        format!("{scheme}://{rest}")
    };
    let info = bare
        .as_str()
        .into_connection_info()
        .map_err(|e| ConnError::Address {
            addr: bare.clone(),
            reason: e.to_string(),
        })?;
    let mut settings = info.redis_settings().clone().set_skip_set_lib_name();
    let user = if !target.user.is_empty() {
        Some(target.user.as_str())
    } else {
        url_user.filter(|u| !u.is_empty())
    };
    if let Some(user) = user {
        settings = settings.set_username(user);
    }
    let password = if !target.password.is_empty() {
        Some(target.password.as_str())
    } else if target.url_credentials {
        url_pass.filter(|p| !p.is_empty())
    } else {
        None
    };
    if let Some(password) = password {
        settings = settings.set_password(password);
    }
    let mut addr_kind = info.addr().clone();
    let is_tls = matches!(addr_kind, ConnectionAddr::TcpTls { .. });
    if let ConnectionAddr::TcpTls { insecure, .. } = &mut addr_kind
        && tls.skip_verification
    {
        *insecure = true;
    }
    let info = info.set_addr(addr_kind).set_redis_settings(settings);
    if is_tls && (!tls.ca_cert_file.is_empty() || !tls.client_cert_file.is_empty()) {
        let root_cert = if tls.ca_cert_file.is_empty() {
            None
        } else {
            Some(read(&tls.ca_cert_file)?)
        };
        let client_tls = if tls.client_cert_file.is_empty() || tls.client_key_file.is_empty() {
            None
        } else {
            Some(redis::ClientTlsConfig {
                client_cert: read(&tls.client_cert_file)?,
                client_key: read(&tls.client_key_file)?,
            })
        };
        return Client::build_with_tls(
            info,
            redis::TlsCertificates {
                client_tls,
                root_cert,
            },
        )
        .map_err(|e| ConnError::Redis(e.to_string()));
    }
    Client::open(info).map_err(|e| ConnError::Redis(e.to_string()))
}

/// Connects (and authenticates) within `timeout`; every later command
/// also times out after `timeout`.
pub async fn connect(
    client: &Client,
    timeout: Duration,
) -> Result<MultiplexedConnection, ConnError> {
    let config = AsyncConnectionConfig::new()
        .set_connection_timeout(Some(timeout))
        .set_response_timeout(Some(timeout));
    match tokio::time::timeout(
        timeout + Duration::from_millis(100),
        client.get_multiplexed_async_connection_with_config(&config),
    )
    .await
    {
        Ok(Ok(conn)) => Ok(conn),
        Ok(Err(e)) => Err(ConnError::Redis(e.to_string())),
        Err(_) => Err(ConnError::Timeout(timeout)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn password_map_keys_follow_upstream() {
        assert_eq!(
            password_map_key("redis://host:6379", ""),
            "redis://host:6379"
        );
        assert_eq!(
            password_map_key("redis://host:6379", "bob"),
            "redis://bob@host:6379"
        );
        assert_eq!(
            password_map_key("redis://bob:pw@host:6379", ""),
            "redis://host:6379"
        );
        assert_eq!(with_scheme("host:1"), "redis://host:1");
        assert_eq!(
            split_userinfo("rediss://u:p@h:1/0"),
            ("rediss", Some("u"), Some("p"), "h:1/0")
        );
    }

    #[test]
    fn url_passwords_are_dropped_unless_allowed() {
        let t = Target {
            addr: "redis://:secret@127.0.0.1:1".into(),
            user: String::new(),
            password: String::new(),
            url_credentials: false,
        };
        let c = client(&t, &TlsOptions::default()).unwrap();
        assert_eq!(c.get_connection_info().redis_settings().password(), None);
        let c = client(
            &Target {
                url_credentials: true,
                ..t
            },
            &TlsOptions::default(),
        )
        .unwrap();
        assert_eq!(
            c.get_connection_info().redis_settings().password(),
            Some("secret")
        );
    }
}
