//! Connecting to one Redis: address forms, credentials (flag, password
//! file, URL), TLS and timeouts.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use exporter_kit::reload::Reloadable;
use exporter_kit::tls_client::{self, Pem, TlsClientError, TlsClientOptions};
use redis::aio::MultiplexedConnection;
use redis::{AsyncConnectionConfig, ConnectionAddr, IntoConnectionInfo};
use rustls::pki_types::ServerName;

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
    #[error("TLS: {0}")]
    Tls(#[from] TlsClientError),
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
    /// The name the server's certificate must hold (`--tls-server-name`).
    pub server_name: String,
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

/// Which server an address points at, for deciding where the configured
/// password may go: the scheme (TLS or not, `valkey` spelled `redis`) and
/// the host and port (the default 6379 written out, the host in lower
/// case), or the socket path; no credentials, database or parameters.
/// `rediss://h:6379` is another server than `redis://h:6379`, so that a
/// password meant for TLS is never sent in clear text.
pub fn server_of(addr: &str) -> String {
    let addr = with_scheme(addr);
    let (scheme, _, _, rest) = split_userinfo(&addr);
    let scheme = match scheme.to_ascii_lowercase().as_str() {
        "valkey" => "redis".to_string(),
        "valkeys" => "rediss".to_string(),
        "redis+unix" => "unix".to_string(),
        other => other.to_string(),
    };
    let rest = rest.split(['?', '#']).next().unwrap_or_default();
    if scheme == "unix" {
        return format!("unix://{rest}");
    }
    let host_port = rest
        .split('/')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    // `[::1]:6379`, `[::1]`, `host:6379`, `host`
    let has_port = match host_port.rfind(']') {
        Some(close) => host_port[close..].contains(':'),
        None => host_port.contains(':'),
    };
    if has_port {
        format!("{scheme}://{host_port}")
    } else {
        format!("{scheme}://{host_port}:6379")
    }
}

/// A Redis to connect to. TLS is dialled here rather than by the redis
/// crate, with the kit's client configuration, so that the CA, client
/// certificate, `--tls-server-name` and `--skip-tls-verification` act as
/// in upstream's Go `tls.Config`, and the system roots are the kit's.
pub struct Client {
    redis: redis::Client,
    tls: Option<TlsDial>,
}

struct TlsDial {
    host: String,
    port: u16,
    server_name: ServerName<'static>,
    config: Arc<rustls::ClientConfig>,
}

impl Client {
    /// Where and as whom it connects.
    pub fn get_connection_info(&self) -> &redis::ConnectionInfo {
        self.redis.get_connection_info()
    }
}

/// Builds the client for `target` (no I/O except reading TLS files).
pub fn client(target: &Target, tls: &TlsOptions) -> Result<Client, ConnError> {
    let addr = with_scheme(&target.addr);
    let (scheme, url_user, url_pass, rest) = split_userinfo(&addr);
    // Credentials travel separately: the URL the client parses has none
    // unless the operator allows it.
    let bare = match scheme {
        "" => addr.clone(),
        // upstream falls back to a plain TCP dial of `host:port` when the
        // URL is not one redigo takes, as `tcp://host:port` is not
        "tcp" => format!("redis://{rest}"),
        _ => format!("{scheme}://{rest}"),
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
    let tls = match info.addr() {
        ConnectionAddr::TcpTls {
            host,
            port,
            insecure,
            ..
        } => Some(tls_dial(host, *port, *insecure, tls)?),
        _ => None,
    };
    let info = info.set_redis_settings(settings);
    let redis = redis::Client::open(info).map_err(|e| ConnError::Redis(e.to_string()))?;
    Ok(Client { redis, tls })
}

/// Upstream's `CreateClientTLSConfig`: the CA file or else the system
/// roots, the client key pair when both files are set, the server name
/// to verify (the address's host unless `--tls-server-name`).
fn tls_dial(
    host: &str,
    port: u16,
    url_insecure: bool,
    tls: &TlsOptions,
) -> Result<TlsDial, ConnError> {
    // Upstream loads the key pair only when both files are set.
    let (cert, key) = if tls.client_cert_file.is_empty() || tls.client_key_file.is_empty() {
        (None, None)
    } else {
        (
            Some(Pem::File(Path::new(&tls.client_cert_file))),
            Some(Pem::File(Path::new(&tls.client_key_file))),
        )
    };
    let config = tls_client::client_config(&TlsClientOptions {
        ca: Pem::from_pair("", &tls.ca_cert_file),
        cert,
        key,
        insecure_skip_verify: tls.skip_verification || url_insecure,
        ..TlsClientOptions::default()
    })?;
    let name = if tls.server_name.is_empty() {
        host
    } else {
        &tls.server_name
    };
    Ok(TlsDial {
        host: host.to_string(),
        port,
        server_name: tls_client::server_name(name)?,
        config,
    })
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
    let connecting = async {
        let Some(dial) = &client.tls else {
            return client
                .redis
                .get_multiplexed_async_connection_with_config(&config)
                .await
                .map_err(|e| ConnError::Redis(e.to_string()));
        };
        let tcp = tokio::net::TcpStream::connect((dial.host.as_str(), dial.port))
            .await
            .map_err(|e| ConnError::Redis(e.to_string()))?;
        let _ = tcp.set_nodelay(true);
        let stream = tokio_rustls::TlsConnector::from(dial.config.clone())
            .connect(dial.server_name.clone(), tcp)
            .await
            .map_err(|e| ConnError::Redis(format!("TLS handshake failed: {e}")))?;
        let (conn, driver) = MultiplexedConnection::new_with_config(
            client.get_connection_info().redis_settings(),
            stream,
            config.clone(),
        )
        .await
        .map_err(|e| ConnError::Redis(e.to_string()))?;
        tokio::spawn(driver);
        Ok(conn)
    };
    match tokio::time::timeout(timeout + Duration::from_millis(100), connecting).await {
        Ok(connected) => connected,
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
    fn servers_differ_by_scheme_host_and_port_only() {
        let same = [
            "redis://127.0.0.1:6379",
            "127.0.0.1:6379",
            "redis://127.0.0.1",
            "redis://user:pw@127.0.0.1:6379/2",
            "valkey://127.0.0.1:6379?protocol=resp3",
        ];
        for addr in same {
            assert_eq!(server_of(addr), "redis://127.0.0.1:6379", "{addr}");
        }
        assert_eq!(server_of("REDIS://Host:1"), "redis://host:1");
        assert_eq!(server_of("redis://[::1]"), "redis://[::1]:6379");
        assert_eq!(server_of("redis://[::1]:7000/0"), "redis://[::1]:7000");
        assert_eq!(server_of("rediss://h:6379"), "rediss://h:6379");
        assert_eq!(
            server_of("unix:///run/redis.sock"),
            "unix:///run/redis.sock"
        );
        assert_eq!(
            server_of("redis+unix:///run/redis.sock?db=1"),
            "unix:///run/redis.sock"
        );
        assert_ne!(server_of("redis://h:6380"), server_of("redis://h:6379"));
        // the userinfo's `@` cannot move the host
        assert_eq!(server_of("redis://evil@h:1"), "redis://h:1");
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
