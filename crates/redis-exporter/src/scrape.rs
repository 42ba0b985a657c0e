//! One scrape of one Redis (upstream's `scrapeRedisHost`), the collector
//! for `--redis.addr` on the telemetry path, and the multi-target
//! `/scrape?target=` handler.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use exporter_kit::single_flight::SingleFlight;
use exporter_kit::{
    AsyncCollector, CollectError, Emitter, Family, ProbeError, ProbeHandler, ProbeRequest,
    RawResponse, ScrapeContext, Summary,
};
use redis::Value;

use crate::conn::{self, PasswordMap, Target, TlsOptions};
use crate::descs::Descs;
use crate::info::{self, InfoOptions};
use crate::key_discovery::{Discoveries, DiscoverySettings};
use crate::keys::{self, DbKey};
use crate::lua::LuaScript;
use crate::{
    client_list, config_metrics, key_groups, latency, lua, rdb, sentinel, slowlog, streams,
};

/// What may differ per `/scrape` request (upstream's per-request query
/// parameters); everything else comes from the command line.
#[derive(Debug, Clone, Default)]
pub struct KeyOptions {
    pub check_keys: Vec<DbKey>,
    pub check_single_keys: Vec<DbKey>,
    pub check_streams: Vec<DbKey>,
    pub check_single_streams: Vec<DbKey>,
    pub count_keys: Vec<DbKey>,
}

/// Everything fixed at startup.
#[derive(Debug, Clone)]
pub struct Settings {
    pub user: String,
    /// `--redis.password`: sent only to `password_server` unless
    /// `password_for_any_target`.
    pub password: String,
    /// [`conn::server_of`] `--redis.addr`.
    pub password_server: String,
    pub password_for_any_target: bool,
    pub passwords: PasswordMap,
    pub tls: TlsOptions,
    pub timeout: Duration,
    pub set_client_name: bool,
    pub ping_on_connect: bool,
    /// `None` with `--config-command=-`.
    pub config_command: Option<String>,
    pub include_config_metrics: bool,
    pub redact_config_metrics: bool,
    pub info: InfoOptions,
    pub batch_size: i64,
    pub key_groups: Vec<String>,
    pub max_distinct_key_groups: i64,
    pub streams_exclude_consumers: bool,
    pub export_key_values: bool,
    pub skip_checkkeys_for_role_master: bool,
    pub export_client_list: bool,
    pub export_client_port: bool,
    pub latency_histograms: bool,
    pub scripts: Vec<LuaScript>,
    pub lua_read_only: bool,
    pub allow_url_credentials: bool,
    /// `--include-sentinel-peer-info`.
    pub include_sentinel_peer_info: bool,
    /// `--include-rdb-file-size-metric`.
    pub include_rdb_file_size_metric: bool,
    /// `--append-instance-role-label`.
    pub append_instance_role_label: bool,
}

pub struct Scraper {
    pub d: Arc<Descs>,
    pub settings: Settings,
    pub keys: KeyOptions,
    scrapes: AtomicU64,
    bad_requests: AtomicU64,
    durations: Mutex<(f64, u64)>,
    /// Key counts in flight, shared by scrapes that ask for the same one.
    flights: Arc<SingleFlight<FlightKey, Arc<Vec<Family>>>>,
    /// Background SCANs of `--check-keys` patterns, per target.
    discoveries: Discoveries,
    /// A server refused `CONFIG GET` with several patterns (Redis < 7):
    /// ask for `*` from then on.
    config_get_star: AtomicBool,
}

/// The settings exported without `--include-config-metrics`: Redis 7+
/// answers `CONFIG GET` with several patterns, so a scrape asks for these
/// instead of all ~200.
const CONFIG_EXPORTED: [&str; 6] = [
    "databases",
    "maxmemory",
    "maxclients",
    "io-threads",
    "repl-backlog-size",
    "client-output-buffer-limit",
];

/// Which key count a scrape asks for, of which Redis: scrapes that ask
/// for the same one at the same time share one SCAN pass.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
struct FlightKey {
    addr: String,
    user: String,
    // a scrape with other credentials must not read what this one may
    password: String,
    count: Vec<DbKey>,
}

fn unix_now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs() as f64)
        .unwrap_or(0.0)
}

/// Why a scrape of Redis failed: the `err` label of
/// `exporter_last_scrape_error`.
#[derive(Debug, thiserror::Error)]
enum ScrapeFailure {
    #[error("{0}")]
    Connect(#[from] conn::ConnError),
    #[error("INFO failed: {0}")]
    Info(String),
    #[error("scrape did not finish before the deadline")]
    Deadline,
    #[error("{0}")]
    Redis(String),
}

/// The connection itself is unusable (timeout, I/O): stop the scrape
/// rather than wait once more for every remaining command.
fn fatal(e: &redis::RedisError) -> bool {
    e.is_timeout() || e.is_io_error() || e.is_connection_dropped() || e.is_connection_refusal()
}

impl Scraper {
    pub fn new(
        d: Descs,
        settings: Settings,
        keys: KeyOptions,
        discovery: DiscoverySettings,
    ) -> Scraper {
        Scraper {
            discoveries: Discoveries::new(discovery),
            d: Arc::new(d),
            settings,
            keys,
            scrapes: AtomicU64::new(0),
            bad_requests: AtomicU64::new(0),
            durations: Mutex::new((0.0, 0)),
            flights: Arc::default(),
            config_get_star: AtomicBool::new(false),
        }
    }

    /// The password for `addr` as `user`: the password file's entry for
    /// it; else `--redis.password`, but only for the server `--redis.addr`
    /// names (any server with `--redis.password-for-any-target`). Whoever
    /// can reach `/scrape` chooses its target: a server of theirs must not
    /// be sent the password.
    pub fn password_for(&self, addr: &str, user: &str) -> String {
        let key = conn::password_map_key(&conn::with_scheme(addr), user);
        if let Some(password) = self.settings.passwords.lookup(&key) {
            return password;
        }
        let settings = &self.settings;
        if settings.password.is_empty() {
            return String::new();
        }
        if settings.password_for_any_target || conn::server_of(addr) == settings.password_server {
            settings.password.clone()
        } else {
            tracing::debug!(
                target = %redacted(addr),
                "not sending --redis.password: the target is not --redis.addr (see --redis.password-file and --redis.password-for-any-target)"
            );
            String::new()
        }
    }

    /// Starts discovering the `--check-keys` patterns' keys on `target`
    /// now (within a Tokio runtime), so that the first scrape already
    /// finds them rather than starting the first pass itself.
    pub fn discover_ahead(&self, target: &Target) {
        let patterns = glob_patterns(&self.keys);
        if patterns.is_empty() || tokio::runtime::Handle::try_current().is_err() {
            return;
        }
        let mut target = target.clone();
        target.password = self.password_for(&target.addr, &target.user);
        self.discoveries.known(&target, &patterns);
    }

    /// Scrapes `target` into `out`: `up`, the error, timings, and every
    /// family Redis gives. Never fails: a problem is `up 0` and a log line.
    pub async fn scrape(
        &self,
        target: &Target,
        keys: &KeyOptions,
        deadline: Instant,
        out: &mut Emitter,
    ) {
        let start = Instant::now();
        // leave time to answer before the scraper gives up
        let budget = deadline
            .saturating_duration_since(start)
            .saturating_sub(Duration::from_millis(50));
        // families written before a timeout are kept, as upstream keeps them
        let result =
            match tokio::time::timeout(budget, self.scrape_host(target, keys, start + budget, out))
                .await
            {
                Ok(r) => r,
                Err(_) => Err(ScrapeFailure::Deadline),
            };
        let up = match &result {
            Ok(()) => {
                out.gauge(&self.d.last_scrape_error, &[""], 0.0);
                1.0
            }
            Err(e) => {
                tracing::error!(target = %redacted(&target.addr), error = %e, "scrape of Redis failed");
                out.gauge(&self.d.last_scrape_error, &[&e.to_string()], 1.0);
                0.0
            }
        };
        out.gauge(&self.d.up, &[], up);
        let took = start.elapsed().as_secs_f64();
        out.gauge(&self.d.last_scrape_duration, &[], took);
        if let Ok(mut d) = self.durations.lock() {
            d.0 += took;
            d.1 += 1;
        }
    }

    async fn scrape_host(
        &self,
        target: &Target,
        keys: &KeyOptions,
        deadline: Instant,
        out: &mut Emitter,
    ) -> Result<(), ScrapeFailure> {
        let s = &self.settings;
        let d = &self.d;
        let connect_start = Instant::now();
        let connected = async {
            let cl = conn::client(target, &s.tls)?;
            conn::connect(&cl, s.timeout).await
        }
        .await;
        out.gauge(
            &d.last_scrape_connect_time,
            &[],
            connect_start.elapsed().as_secs_f64(),
        );
        let mut c = connected?;

        if s.ping_on_connect {
            let t = Instant::now();
            match redis::cmd("PING").query_async::<Value>(&mut c).await {
                Ok(_) => out.gauge(&d.last_scrape_ping_time, &[], t.elapsed().as_secs_f64()),
                Err(e) if fatal(&e) => return Err(ScrapeFailure::Redis(e.to_string())),
                Err(e) => tracing::error!(error = %e, "PING failed"),
            }
        }
        // Every db-independent command in one pipelined round trip; a
        // command the server refuses (renamed CONFIG, LATENCY) comes back
        // as an error reply in its slot and only skips its families.
        let mut p = redis::pipe();
        p.ignore_errors();
        if s.set_client_name {
            p.cmd("CLIENT").arg("SETNAME").arg("redis_exporter");
        }
        let narrow_config =
            !s.include_config_metrics && !self.config_get_star.load(Ordering::Relaxed);
        if let Some(cmd) = &s.config_command {
            if narrow_config {
                p.cmd(cmd).arg("GET").arg(&CONFIG_EXPORTED[..]);
                if s.include_rdb_file_size_metric {
                    p.arg(&rdb::CONFIG_KEYS[..]);
                }
            } else {
                p.cmd(cmd).arg("GET").arg("*");
            }
        }
        p.cmd("INFO").arg("ALL");
        p.cmd("LATENCY").arg("LATEST");
        p.cmd("SLOWLOG").arg("LEN");
        p.cmd("SLOWLOG").arg("GET").arg(1);
        if s.latency_histograms {
            p.cmd("LATENCY").arg("HISTOGRAM");
        }
        let replies: Vec<Value> = match p.query_async(&mut c).await {
            Ok(r) => r,
            Err(e) => return Err(ScrapeFailure::Redis(e.to_string())),
        };
        let mut replies = replies.into_iter().map(|v| match v {
            Value::ServerError(e) => Err(e.to_string()),
            v => Ok(v),
        });
        let mut next = || {
            replies
                .next()
                .unwrap_or_else(|| Err("missing reply".to_string()))
        };
        if s.set_client_name
            && let Err(e) = next()
        {
            tracing::error!(error = %e, "cannot set the client name");
        }
        let config = s.config_command.as_ref().map(|_| next());
        let info_all = next();
        let latest = next();
        let slowlog_len = next();
        let slowlog_last = next();
        let histogram = if s.latency_histograms {
            Some(next())
        } else {
            None
        };

        let config = match (config, &s.config_command) {
            (Some(Err(e)), Some(cmd)) if narrow_config => {
                tracing::debug!(error = %e, "CONFIG GET with several patterns refused; asking for *");
                self.config_get_star.store(true, Ordering::Relaxed);
                let all = redis::cmd(cmd)
                    .arg("GET")
                    .arg("*")
                    .query_async::<Value>(&mut c)
                    .await;
                Some(all.map_err(|e| e.to_string()))
            }
            (config, _) => config,
        };
        let mut db_count = 0;
        match config {
            Some(Ok(reply)) => {
                if s.include_rdb_file_size_metric {
                    rdb::file_size(d, &reply, out);
                }
                db_count = config_metrics::emit(
                    d,
                    &reply,
                    s.include_config_metrics,
                    s.redact_config_metrics,
                    out,
                );
            }
            Some(Err(e)) => tracing::warn!(error = %e, "CONFIG GET failed; config metrics skipped"),
            None => {}
        }

        let info_text = match info_all.map(crate::resp::into_text) {
            Ok(Some(t)) if !t.is_empty() => t,
            other => {
                tracing::debug!(result = ?other.as_ref().err(), "INFO ALL failed, trying INFO");
                let plain = redis::cmd("INFO").query_async::<Value>(&mut c).await;
                match plain.map(|v| resp_text(&v)) {
                    Ok(Some(t)) => t,
                    Ok(None) => return Err(ScrapeFailure::Info("INFO reply is not text".into())),
                    Err(e) => return Err(ScrapeFailure::Info(e.to_string())),
                }
            }
        };

        let cluster_enabled = info_text.contains("cluster_enabled:1");
        if cluster_enabled {
            match redis::cmd("CLUSTER")
                .arg("INFO")
                .query_async::<Value>(&mut c)
                .await
            {
                Ok(v) => {
                    if let Some(t) = resp_text(&v) {
                        info::emit_cluster_info(d, &t, out);
                    }
                    db_count = 1;
                }
                Err(e) => tracing::error!(error = %e, "CLUSTER INFO failed"),
            }
        } else if db_count == 0 {
            db_count = 16;
        }

        let summary = info::emit(d, s.info, &info_text, db_count, unix_now(), out);

        match latest {
            Ok(v) => latency::emit_latest(d, &v, out),
            Err(e) => {
                tracing::warn!(error = %e, "LATENCY LATEST failed; latency spike metrics skipped")
            }
        }
        match histogram {
            Some(Ok(v)) => latency::emit_histogram(d, &v, &latency::command_usec(&info_text), out),
            Some(Err(e)) => tracing::debug!(error = %e, "LATENCY HISTOGRAM failed; skipped"),
            None => {}
        }

        let scan = || keys::KeyScan {
            count: s.batch_size,
            deadline,
            layout: keys::ScanLayout::from_info(&info_text),
        };
        if !(s.skip_checkkeys_for_role_master && summary.role == "master") {
            self.check_keys(target, keys, deadline, &mut c, out).await;
        }
        if !keys.count_keys.is_empty() {
            let key = FlightKey {
                addr: target.addr.clone(),
                user: target.user.clone(),
                password: target.password.clone(),
                count: keys.count_keys.clone(),
            };
            let d = self.d.clone();
            let mut conn = c.clone();
            let scan = scan();
            let wanted = key.clone();
            let families = self
                .flights
                .run(key, deadline, move || async move {
                    let mut out = Emitter::new();
                    scan.count_matches(&d, &mut conn, &wanted.count, &mut out)
                        .await;
                    Arc::new(out.into_families())
                })
                .await
                .unwrap_or_default();
            match Arc::try_unwrap(families) {
                // nobody else waited for this run: hand its families over
                Ok(families) => {
                    for family in families {
                        out.family(family);
                    }
                }
                // shared: copy each series once, straight from the shared
                // run (key counting writes only gauges)
                Err(shared) => {
                    for family in shared.iter() {
                        for m in &family.metrics {
                            if let exporter_kit::family::Value::Scalar(v) = &m.value {
                                let labels: Vec<&str> = m.label_values.iter().collect();
                                out.value(&family.desc, &labels, *v);
                            }
                        }
                    }
                }
            }
        }

        match (slowlog_len, slowlog_last) {
            (Ok(len), Ok(last)) => slowlog::emit(d, &len, &last, out),
            (Err(e), _) | (_, Err(e)) => {
                tracing::warn!(error = %e, "SLOWLOG failed; slowlog metrics skipped")
            }
        }

        if !keys.check_streams.is_empty() || !keys.check_single_streams.is_empty() {
            let mut all = keys.check_single_streams.clone();
            all.extend(scan().expand(&mut c, &keys.check_streams).await);
            streams::collect(d, &mut c, all, s.streams_exclude_consumers, out).await;
        }

        key_groups::collect(
            d,
            &mut c,
            &s.key_groups,
            db_count,
            s.batch_size,
            s.max_distinct_key_groups,
            out,
        )
        .await;

        if summary.sentinel {
            sentinel::collect(d, &mut c, out, s.include_sentinel_peer_info).await;
            if s.include_config_metrics {
                sentinel::config(d, &mut c, s.redact_config_metrics, out).await;
            }
        }

        if s.export_client_list {
            match redis::cmd("CLIENT")
                .arg("LIST")
                .query_async::<Value>(&mut c)
                .await
            {
                Ok(v) => {
                    if let Some(t) = resp_text(&v) {
                        client_list::emit(d, &t, s.export_client_port, unix_now() as i64, out);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "CLIENT LIST failed; skipped"),
            }
        }

        if !s.scripts.is_empty() {
            lua::run(d, &mut c, &s.scripts, s.lua_read_only, out)
                .await
                .map_err(ScrapeFailure::Redis)?;
        }
        Ok(())
    }

    /// `--check-single-keys` and the keys `--check-keys` names or its
    /// patterns' background discovery found, fetched in pipelined batches.
    async fn check_keys(
        &self,
        target: &Target,
        keys: &KeyOptions,
        deadline: Instant,
        c: &mut redis::aio::MultiplexedConnection,
        out: &mut Emitter,
    ) {
        let d = &self.d;
        // a key named twice (or named and found) is checked, and reported, once
        let mut named: HashSet<(u32, Arc<str>)> = HashSet::new();
        let mut wanted: Vec<keys::CheckKey> = keys
            .check_single_keys
            .iter()
            .chain(keys.check_keys.iter().filter(|k| !keys::is_glob(&k.key)))
            .filter(|k| named.insert((k.db, Arc::from(k.key.as_str()))))
            .map(|k| keys::CheckKey {
                db: k.db,
                key: Arc::from(k.key.as_str()),
                kind: None,
                named: true,
            })
            .collect();
        let patterns = glob_patterns(keys);
        let known = (!patterns.is_empty()).then(|| self.discoveries.known(target, &patterns));
        // the passes that ended before this scrape took its keys: every key
        // they found is checked below
        let passes = known.as_ref().map(|k| k.passes());
        if let Some(known) = &known {
            wanted.extend(
                known
                    .snapshot()
                    .into_iter()
                    .filter(|k| !named.contains(&(k.db, k.key.clone()))),
            );
        }
        if !wanted.is_empty() {
            let check = keys::KeyCheck {
                batch: usize::try_from(self.settings.batch_size)
                    .unwrap_or(1000)
                    .max(1),
                export_values: self.settings.export_key_values,
                deadline,
            };
            let learned = check.run(d, c, wanted, out).await;
            if let Some(known) = &known {
                known.learn(&learned);
            }
        }
        if let (Some(known), Some(passes)) = (&known, passes) {
            out.counter(&d.key_discovery_passes, &[], passes as f64);
            out.gauge(&d.key_discovery_keys, &[], known.len() as f64);
        }
    }

    /// The exporter-level families of a scrape (`exporter_scrapes_total`, ...).
    fn own_metrics(&self, out: &mut Emitter) {
        let d = &self.d;
        out.counter(
            &d.scrapes_total,
            &[],
            self.scrapes.load(Ordering::Relaxed) as f64,
        );
        let (sum, count) = self.durations.lock().map(|g| *g).unwrap_or((0.0, 0));
        out.summary(
            &d.scrape_duration,
            &[],
            Summary {
                quantiles: Vec::new(),
                sum,
                count,
            },
        );
        let bad = self.bad_requests.load(Ordering::Relaxed) as f64;
        out.counter(&d.target_scrape_request_errors, &[], bad);
        out.counter(&d.target_scrape_request_errors_old, &[], bad);
    }
}

fn resp_text(v: &Value) -> Option<String> {
    crate::resp::text(v)
}

/// An address without its password, for logs.
pub fn redacted(addr: &str) -> String {
    match conn::split_userinfo(addr) {
        (scheme, Some(user), Some(_), rest) => format!("{scheme}://{user}:***@{rest}"),
        _ => addr.to_string(),
    }
}

/// The telemetry path's collector: scrapes `--redis.addr`.
pub struct RedisCollector {
    pub scraper: std::sync::Arc<Scraper>,
    pub target: Target,
}

#[async_trait::async_trait]
impl AsyncCollector for RedisCollector {
    async fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        self.scraper.scrapes.fetch_add(1, Ordering::Relaxed);
        let keys = self.scraper.keys.clone();
        let mut target = self.target.clone();
        target.password = self.scraper.password_for(&target.addr, &target.user);
        crate::instance_role::scrape(&self.scraper, &target, &keys, ctx.deadline, out).await;
        self.scraper.own_metrics(out);
        Ok(())
    }
}

/// The `--check-keys` entries that need a SCAN (the others are exact names).
fn glob_patterns(keys: &KeyOptions) -> Vec<DbKey> {
    keys.check_keys
        .iter()
        .filter(|k| keys::is_glob(&k.key))
        .cloned()
        .collect()
}

/// `/scrape?target=redis://host:port`.
pub struct ScrapeHandler {
    pub scraper: std::sync::Arc<Scraper>,
}

/// Whether the host part of `rest` (after the userinfo) is one Go's
/// `url.Parse` accepts, as upstream's /scrape only takes those: a port, if
/// any, is digits (`host:6379-` is refused), and there is no space or
/// control character.
fn go_url_host_is_valid(rest: &str) -> bool {
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.chars().any(|c| c.is_control() || c == ' ') {
        return false;
    }
    let port = match host.strip_prefix('[') {
        Some(v6) => match v6.split_once(']') {
            Some((_, "")) => return true,
            Some((_, tail)) => match tail.strip_prefix(':') {
                Some(port) => port,
                None => return false,
            },
            None => return false,
        },
        None => match host.rsplit_once(':') {
            Some((_, port)) => port,
            None => return true,
        },
    };
    port.bytes().all(|b| b.is_ascii_digit())
}

fn key_param(req: &ProbeRequest, name: &str, default: &[DbKey]) -> Result<Vec<DbKey>, ProbeError> {
    match req.param(name) {
        Some(v) => keys::parse_key_arg(v).map_err(|e| ProbeError(format!("{name}: {e}"))),
        None => Ok(default.to_vec()),
    }
}

#[async_trait::async_trait]
impl ProbeHandler for ScrapeHandler {
    fn refused(&self) {
        self.scraper.bad_requests.fetch_add(1, Ordering::Relaxed);
    }

    async fn probe(
        &self,
        req: &ProbeRequest,
        out: &mut Emitter,
    ) -> Result<Option<RawResponse>, ProbeError> {
        let scraper = &self.scraper;
        let bad = |msg: String| {
            scraper.bad_requests.fetch_add(1, Ordering::Relaxed);
            ProbeError(msg)
        };
        if req.target.is_empty() {
            return Err(bad("'target' parameter must be specified".into()));
        }
        let addr = conn::with_scheme(&req.target);
        let (scheme, url_user, _, rest) = conn::split_userinfo(&addr);
        let unix = matches!(scheme, "unix" | "redis+unix");
        if !(unix || matches!(scheme, "redis" | "rediss" | "valkey" | "valkeys" | "tcp"))
            || rest.is_empty()
            || (!unix && !go_url_host_is_valid(rest))
        {
            return Err(bad(format!("invalid target {:?}", redacted(&req.target))));
        }
        let user = match url_user.filter(|u| !u.is_empty()) {
            Some(u) => u.to_string(),
            None => scraper.settings.user.clone(),
        };
        let bare = format!("{scheme}://{rest}");
        let password = self.scraper.password_for(&bare, &user);
        let target = Target {
            addr: if scraper.settings.allow_url_credentials {
                addr.clone()
            } else {
                bare
            },
            user,
            password,
            url_credentials: scraper.settings.allow_url_credentials,
        };
        let base = &scraper.keys;
        let keys = KeyOptions {
            check_keys: key_param(req, "check-keys", &base.check_keys).map_err(|e| bad(e.0))?,
            check_single_keys: key_param(req, "check-single-keys", &base.check_single_keys)
                .map_err(|e| bad(e.0))?,
            check_streams: key_param(req, "check-streams", &base.check_streams)
                .map_err(|e| bad(e.0))?,
            check_single_streams: key_param(
                req,
                "check-single-streams",
                &base.check_single_streams,
            )
            .map_err(|e| bad(e.0))?,
            count_keys: key_param(req, "count-keys", &base.count_keys).map_err(|e| bad(e.0))?,
        };
        crate::instance_role::scrape(scraper, &target, &keys, req.deadline, out).await;
        Ok(None)
    }
}
