//! One MySQL server to scrape: a small connection pool whose sessions get
//! mysqld_exporter's settings (lock_wait_timeout, log_slow_filter).

use std::time::Duration;

use mysql_async::{ClientIdentity, Conn, OptsBuilder, Pool, PoolConstraints, PoolOpts, SslOpts};

use crate::config::Section;

/// Session settings applied once to every new connection.
#[derive(Debug, Clone)]
pub struct SessionOpts {
    pub lock_wait_timeout: Option<u32>,
    pub log_slow_filter: bool,
    pub max_open_connections: u32,
}

impl SessionOpts {
    /// The one statement run on each new connection, if any.
    pub fn init_statement(&self) -> Option<String> {
        let mut parts = Vec::new();
        if let Some(t) = self.lock_wait_timeout {
            parts.push(format!("lock_wait_timeout={t}"));
        }
        if self.log_slow_filter {
            parts.push("log_slow_filter='tmp_table_on_disk,filesort_on_disk'".to_string());
        }
        (!parts.is_empty()).then(|| format!("SET SESSION {}", parts.join(", ")))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TargetError {
    #[error("target {0:?} is not host:port or unix:///path")]
    Address(String),
}

pub struct Target {
    pool: Pool,
    /// host:port or the socket path, for log lines.
    pub address: String,
}

impl std::fmt::Debug for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Target")
            .field("address", &self.address)
            .finish()
    }
}

/// A TCP host and port, or a socket path.
pub type Address = (Option<(String, u16)>, Option<String>);

/// Splits a probe target (`host:port`, `[v6]:port`, `unix:///path`).
pub fn parse_target(target: &str) -> Result<Address, TargetError> {
    if let Some(path) = target.strip_prefix("unix://") {
        return Ok((None, Some(path.to_string())));
    }
    let (host, port) = target
        .rsplit_once(':')
        .ok_or_else(|| TargetError::Address(target.to_string()))?;
    let port: u16 = port
        .parse()
        .map_err(|_| TargetError::Address(target.to_string()))?;
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(TargetError::Address(target.to_string()));
    }
    Ok((Some((host.to_string(), port)), None))
}

impl Target {
    /// A target for `section`, optionally at another address (`/probe`'s
    /// `target`). No connection is made until the first scrape.
    pub fn new(
        section: &Section,
        target: Option<&str>,
        session: &SessionOpts,
    ) -> Result<Target, TargetError> {
        let (tcp, socket) = match target {
            Some(t) => parse_target(t)?,
            None => match &section.socket {
                Some(s) => (None, Some(s.clone())),
                None => (
                    Some((
                        section
                            .host
                            .clone()
                            .unwrap_or_else(|| "127.0.0.1".to_string()),
                        section.port.unwrap_or(3306),
                    )),
                    None,
                ),
            },
        };
        let max = usize::try_from(session.max_open_connections.max(1)).unwrap_or(2);
        let constraints = PoolConstraints::new(0, max).unwrap_or_default();
        let pool_opts = PoolOpts::new()
            .with_constraints(constraints)
            .with_reset_connection(false)
            .with_inactive_connection_ttl(Duration::from_secs(120));
        let mut builder = OptsBuilder::default()
            .user(Some(section.user.clone()))
            .pass(section.password.clone())
            .pool_opts(pool_opts)
            .prefer_socket(false)
            .stmt_cache_size(0)
            // Known up front, so connecting costs no extra queries.
            .max_allowed_packet(Some(16 * 1024 * 1024))
            .wait_timeout(Some(28800))
            .enable_cleartext_plugin(section.enable_cleartext_plugin);
        if let Some(init) = session.init_statement() {
            builder = builder.init(vec![init]);
        }
        let address;
        if let Some(path) = socket {
            address = format!("unix://{path}");
            builder = builder.socket(Some(path));
        } else if let Some((host, port)) = tcp {
            address = format!("{host}:{port}");
            builder = builder.ip_or_hostname(host).tcp_port(port);
        } else {
            return Err(TargetError::Address(String::new()));
        }
        if section.wants_tls() {
            let mut ssl = SslOpts::default();
            if let Some(ca) = &section.ssl_ca {
                ssl = ssl.with_root_certs(vec![ca.clone().into()]);
            }
            if let (Some(cert), Some(key)) = (&section.ssl_cert, &section.ssl_key) {
                ssl = ssl.with_client_identity(Some(ClientIdentity::new(
                    cert.clone().into(),
                    key.clone().into(),
                )));
            }
            if section.ssl_skip_verification || section.tls.as_deref() == Some("skip-verify") {
                ssl = ssl
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true);
            }
            builder = builder.ssl_opts(Some(ssl));
        }
        Ok(Target {
            pool: Pool::new(builder),
            address,
        })
    }

    /// A connection from the pool (a new one when none is idle).
    pub async fn conn(&self) -> Result<Conn, mysql_async::Error> {
        self.pool.get_conn().await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn session_statement() {
        let s = SessionOpts {
            lock_wait_timeout: Some(2),
            log_slow_filter: true,
            max_open_connections: 2,
        };
        assert_eq!(
            s.init_statement().as_deref(),
            Some(
                "SET SESSION lock_wait_timeout=2, log_slow_filter='tmp_table_on_disk,filesort_on_disk'"
            )
        );
        let none = SessionOpts {
            lock_wait_timeout: None,
            log_slow_filter: false,
            max_open_connections: 1,
        };
        assert_eq!(none.init_statement(), None);
    }

    #[test]
    fn probe_targets() {
        assert_eq!(
            parse_target("db1:3307").unwrap(),
            (Some(("db1".to_string(), 3307)), None)
        );
        assert_eq!(
            parse_target("[::1]:3306").unwrap(),
            (Some(("::1".to_string(), 3306)), None)
        );
        assert_eq!(
            parse_target("unix:///run/mysqld/mysqld.sock").unwrap(),
            (None, Some("/run/mysqld/mysqld.sock".to_string()))
        );
        assert!(parse_target("db1").is_err());
        assert!(parse_target(":3306").is_err());
        assert!(parse_target("db1:port").is_err());
    }
}
