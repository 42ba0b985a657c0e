//! One MySQL server to scrape: a small connection pool whose sessions get
//! mysqld_exporter's settings (lock_wait_timeout, log_slow_filter).

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use exporter_kit::net::split_host_port_number;
use exporter_kit::tls_client::{self, TlsClientError};
use mysql_async::{ClientIdentity, Conn, OptsBuilder, Pool, PoolConstraints, PoolOpts, SslOpts};
use tokio::sync::{Notify, OnceCell};

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
    #[error("TLS: {0}")]
    Tls(TlsClientError),
}

pub struct Target {
    pool: Pool,
    gate: Gate,
    /// host:port or the socket path, for log lines.
    pub address: String,
    /// Work shared across scrapers and what they learnt.
    pub memo: Arc<Memo>,
    /// How long the last tables pass took: a slow one is split.
    pub last_pass: Mutex<Option<Duration>>,
    pub max_connections: usize,
    connect_timeout: Option<Duration>,
    /// The server's `major.minor` as of the last connection made: the
    /// scrapers upstream gates by version are skipped below theirs.
    version: Mutex<Option<f64>>,
}

/// What the scrapers of one target share.
#[derive(Default)]
pub struct Memo {
    /// Work several scrapers of one scrape share (the information_schema
    /// tables pass, the userstat check), by name.
    shared: Mutex<HashMap<String, (Instant, SharedCell)>>,
    /// What scrapers learnt about the server (which of two tables it
    /// has), by name.
    learnt: Mutex<HashMap<&'static str, usize>>,
}

/// The result of one scrape's shared work, once done.
type SharedCell = Arc<OnceCell<Shared>>;

/// A result several scrapers of one scrape share.
pub type Shared = Result<Arc<dyn std::any::Any + Send + Sync>, SharedError>;

/// A shared work's error, as each of its scrapers reports it.
#[derive(Debug, Clone)]
pub struct SharedError {
    pub message: String,
    pub unsupported: bool,
}

/// Connection permits in two classes: scrapers get one in the order they
/// ask; the extra connections of a split information_schema pass only
/// when no scraper is waiting, so that cheap scrapers never queue behind
/// the expensive pass.
struct Gate {
    state: Mutex<GateState>,
    notify: Notify,
}

struct GateState {
    free: usize,
    /// Scrapers waiting for a permit.
    waiting: usize,
}

/// One connection's worth of the gate, given back on drop.
struct Permit<'a> {
    gate: &'a Gate,
}

impl Drop for Permit<'_> {
    fn drop(&mut self) {
        self.gate.lock().free += 1;
        self.gate.notify.notify_waiters();
    }
}

/// Counts a waiting scraper until it has its permit or gives up.
struct Waiting<'a> {
    gate: &'a Gate,
}

impl Drop for Waiting<'_> {
    fn drop(&mut self) {
        self.gate.lock().waiting -= 1;
        // Background work may go now.
        self.gate.notify.notify_waiters();
    }
}

impl Gate {
    fn new(permits: usize) -> Gate {
        Gate {
            state: Mutex::new(GateState {
                free: permits,
                waiting: 0,
            }),
            notify: Notify::new(),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    async fn acquire(&self, background: bool) -> Permit<'_> {
        let mut waiting: Option<Waiting<'_>> = None;
        loop {
            let notified = self.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            {
                let mut state = self.lock();
                let others_waiting = state.waiting - usize::from(waiting.is_some());
                if state.free > 0 && (!background || others_waiting == 0) {
                    state.free -= 1;
                    drop(state);
                    drop(waiting);
                    return Permit { gate: self };
                }
                if !background && waiting.is_none() {
                    state.waiting += 1;
                    waiting = Some(Waiting { gate: self });
                }
            }
            notified.await;
        }
    }
}

/// A pooled connection and its permit.
pub struct Lease<'a> {
    // Dropped first: the connection goes back to the pool before the
    // permit lets the next one take it.
    conn: Conn,
    _permit: Permit<'a>,
}

impl std::ops::Deref for Lease<'_> {
    type Target = Conn;
    fn deref(&self) -> &Conn {
        &self.conn
    }
}

impl std::ops::DerefMut for Lease<'_> {
    fn deref_mut(&mut self) -> &mut Conn {
        &mut self.conn
    }
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
    let (host, port) =
        split_host_port_number(target).map_err(|_| TargetError::Address(target.to_string()))?;
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
            // As upstream's Go client: the configured CA alone, else the
            // system's roots (SSL_CERT_FILE / SSL_CERT_DIR honoured), never
            // the CA list compiled into mysql_async.
            let skip_verify =
                section.ssl_skip_verification || section.tls.as_deref() == Some("skip-verify");
            let roots: Vec<_> = match &section.ssl_ca {
                Some(ca) => vec![ca.clone().into()],
                // Not verified; mysql_async still wants some roots to
                // build its (then unused) verifier.
                None if skip_verify => Vec::new(),
                None => tls_client::system_root_certificates()
                    .map_err(TargetError::Tls)?
                    .iter()
                    .map(|cert| cert.to_vec().into())
                    .collect(),
            };
            let mut ssl = SslOpts::default()
                .with_disable_built_in_roots(!roots.is_empty())
                .with_root_certs(roots);
            if let (Some(cert), Some(key)) = (&section.ssl_cert, &section.ssl_key) {
                ssl = ssl.with_client_identity(Some(ClientIdentity::new(
                    cert.clone().into(),
                    key.clone().into(),
                )));
            }
            if let Some(name) = &section.tls_server_name {
                ssl = ssl.with_danger_tls_hostname_override(Some(name.clone()));
            }
            if skip_verify {
                ssl = ssl
                    .with_danger_accept_invalid_certs(true)
                    .with_danger_skip_domain_validation(true);
            }
            builder = builder.ssl_opts(Some(ssl));
        }
        Ok(Target {
            pool: Pool::new(builder),
            gate: Gate::new(max),
            address,
            memo: Arc::new(Memo::default()),
            last_pass: Mutex::new(None),
            max_connections: max,
            connect_timeout: section.connect_timeout,
            version: Mutex::new(None),
        })
    }

    /// A connection from the pool (a new one when none is idle), in the
    /// order scrapers ask.
    pub async fn conn(&self) -> Result<Lease<'_>, mysql_async::Error> {
        let permit = self.gate.acquire(false).await;
        let conn = self.get_conn().await?;
        Ok(Lease {
            conn,
            _permit: permit,
        })
    }

    /// A connection for background work: only once no scraper waits.
    pub async fn background_conn(&self) -> Result<Lease<'_>, mysql_async::Error> {
        let permit = self.gate.acquire(true).await;
        let conn = self.get_conn().await?;
        Ok(Lease {
            conn,
            _permit: permit,
        })
    }

    /// The server's `major.minor` (see [`crate::collectors::major_minor`])
    /// once a connection has been had.
    pub fn version(&self) -> Option<f64> {
        *self.version.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// A pooled connection, or a new one within the DSN's `timeout`; notes
    /// the server's version.
    async fn get_conn(&self) -> Result<Conn, mysql_async::Error> {
        let conn = self.connect().await?;
        let version = crate::collectors::major_minor(conn.server_version());
        *self.version.lock().unwrap_or_else(|p| p.into_inner()) = Some(version);
        Ok(conn)
    }

    async fn connect(&self) -> Result<Conn, mysql_async::Error> {
        let Some(limit) = self.connect_timeout else {
            return self.pool.get_conn().await;
        };
        match tokio::time::timeout(limit, self.pool.get_conn()).await {
            Ok(result) => result,
            Err(_) => Err(mysql_async::Error::Io(mysql_async::IoError::Io(
                std::io::Error::new(
                    std::io::ErrorKind::TimedOut,
                    format!("connecting took longer than the DSN's timeout of {limit:?}"),
                ),
            ))),
        }
    }

    /// See [`Memo::once_per_scrape`].
    pub async fn once_per_scrape<F, Fut>(&self, name: &str, scrape: Instant, work: F) -> Shared
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Shared>,
    {
        self.memo.once_per_scrape(name, scrape, work).await
    }
}

impl Memo {
    /// Runs `work` once per scrape (`scrape` tells scrapes apart) for all
    /// the scrapers that ask for `name`, or joins the run of a concurrent
    /// scrape still in flight; the others wait for its result.
    /// If the one running it gives up (its deadline), the next one asking
    /// takes over.
    pub async fn once_per_scrape<F, Fut>(&self, name: &str, scrape: Instant, work: F) -> Shared
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Shared>,
    {
        let cell = {
            let mut shared = self.shared.lock().unwrap_or_else(|p| p.into_inner());
            let now = Instant::now();
            shared.retain(|_, (deadline, _)| *deadline > now);
            match shared.get(name) {
                // This scrape's, or another's still in flight: concurrent
                // scrapes share one pass instead of queueing several on
                // the few connections. If the other scrape gives up at its
                // earlier deadline, this one takes the work over.
                Some((key, cell)) if *key == scrape || !cell.initialized() => cell.clone(),
                _ => {
                    let cell = Arc::new(OnceCell::new());
                    shared.insert(name.to_string(), (scrape, cell.clone()));
                    cell
                }
            }
        };
        cell.get_or_init(work).await.clone()
    }

    /// What a scraper learnt about this server under `name`.
    pub fn learnt(&self, name: &'static str) -> Option<usize> {
        let learnt = self.learnt.lock().unwrap_or_else(|p| p.into_inner());
        learnt.get(name).copied()
    }

    pub fn learn(&self, name: &'static str, value: Option<usize>) {
        let mut learnt = self.learnt.lock().unwrap_or_else(|p| p.into_inner());
        match value {
            Some(v) => learnt.insert(name, v),
            None => learnt.remove(name),
        };
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
