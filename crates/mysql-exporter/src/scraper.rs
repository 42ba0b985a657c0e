//! What every scraper shares: the trait, value parsing as mysqld_exporter
//! does it, the exporter-wide state (default target, counters), and the
//! wrapper that runs one scraper under the deadline and accounts for it.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use exporter_kit::reload::{ReloadMetrics, Reloadable};
use exporter_kit::{
    AnyCollector, AsyncCollector, BuildContext, BuildError, CollectError, Desc, Emitter,
    ScrapeContext,
};
use mysql_async::prelude::Queryable;
use mysql_async::{Conn, Row, Value};
use prometheus::{IntCounter, IntCounterVec, IntGauge, Opts, Registry};

use crate::args::Args;
use crate::config::{self, Config, Overrides};
use crate::target::{Lease, SessionOpts, SharedError, Target};

/// Runs the first of `sqls` the server takes (an error for which
/// `try_next` holds moves on to the next), starting with the one that
/// worked last time on this target: one query per scrape, not two, once
/// known which table or column this server has.
pub async fn first_taken(
    cx: &Cx<'_>,
    conn: &mut Conn,
    name: &'static str,
    sqls: &[&str],
    try_next: fn(&ScrapeError) -> bool,
) -> Result<Vec<Row>, ScrapeError> {
    let memo = &cx.target.memo;
    let start = memo
        .learnt(name)
        .unwrap_or(0)
        .min(sqls.len().saturating_sub(1));
    let mut last = None;
    for k in 0..sqls.len() {
        let i = (start + k) % sqls.len();
        match query(conn, sqls[i]).await {
            Ok(rows) => {
                memo.learn(name, Some(i));
                return Ok(rows);
            }
            Err(e) if try_next(&e) => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    memo.learn(name, None);
    Err(last.unwrap_or_else(|| ScrapeError::Other(format!("{name}: no query"))))
}

/// performance_schema timers count picoseconds.
pub const PICO: f64 = 1e12;

/// What one scraper's run returns: its families go to the emitter.
pub type Scraped = Result<(), ScrapeError>;

/// Why a scraper produced nothing, or not everything.
#[derive(Debug, thiserror::Error)]
pub enum ScrapeError {
    #[error("{0}")]
    Sql(#[from] mysql_async::Error),
    #[error("{0}")]
    Other(String),
    /// No connection could be had.
    #[error("{0}")]
    Connect(mysql_async::Error),
    /// The error of work shared with other scrapers.
    #[error("{}", .0.message)]
    Shared(SharedError),
}

impl ScrapeError {
    /// The server lacks the table, variable or privilege: expected on some
    /// servers (MariaDB vs MySQL, performance_schema off, minimal grants).
    pub fn is_unsupported(&self) -> bool {
        match self {
            ScrapeError::Sql(mysql_async::Error::Server(e)) => matches!(
                e.code,
                1044 | 1045 | 1049 | 1054 | 1064 | 1109 | 1142 | 1143 | 1146 | 1193 | 1227 | 1286
            ),
            ScrapeError::Shared(e) => e.unsupported,
            _ => false,
        }
    }

    /// The error in a form several scrapers can share.
    pub fn share(&self) -> SharedError {
        SharedError {
            message: self.to_string(),
            unsupported: self.is_unsupported(),
        }
    }
}

/// What a scraper may use beyond one connection: its target (for more
/// connections, work shared with other scrapers) and which scrape this is.
pub struct Cx<'a> {
    pub target: &'a Target,
    /// The scrape's deadline, the same for all its scrapers: tells one
    /// scrape from another.
    pub scrape: Instant,
}

impl Cx<'_> {
    /// A connection, in the order scrapers ask.
    pub async fn conn(&self) -> Result<Lease<'_>, ScrapeError> {
        self.target.conn().await.map_err(ScrapeError::Connect)
    }

    /// Runs `work` once per scrape for all scrapers of this target asking
    /// for `name` (see [`crate::target::Memo::once_per_scrape`]).
    pub async fn once_per_scrape<T, F, Fut>(&self, name: &str, work: F) -> Result<T, ScrapeError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = Result<T, ScrapeError>>,
    {
        let shared = self
            .target
            .once_per_scrape(name, self.scrape, || async {
                match work().await {
                    Ok(v) => Ok(Arc::new(v) as Arc<dyn std::any::Any + Send + Sync>),
                    Err(e) => Err(e.share()),
                }
            })
            .await;
        match shared {
            Ok(any) => any
                .downcast_ref::<T>()
                .cloned()
                .ok_or_else(|| ScrapeError::Other(format!("{name}: wrong type"))),
            Err(e) => Err(ScrapeError::Shared(e)),
        }
    }
}

/// One of mysqld_exporter's scrapers: reads from a connection and writes
/// families. It never sees the pool or the deadline.
#[async_trait::async_trait]
pub trait Scraper: Send + Sync + 'static {
    /// Scrapes on one connection; `cx` is for work shared with other
    /// scrapers of the target and what they learnt about the server.
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped;

    /// Scrapes with the run's context. Scrapers that use more than one
    /// connection override this.
    async fn scrape_cx(&self, cx: &Cx<'_>, out: &mut Emitter) -> Scraped {
        let mut conn = cx.conn().await?;
        self.scrape(cx, &mut conn, out).await
    }
}

pub type ScraperBox = Arc<dyn Scraper>;

/// Runs `sql` and returns its rows (text protocol: every value is bytes
/// or NULL).
pub async fn query(conn: &mut Conn, sql: &str) -> Result<Vec<Row>, ScrapeError> {
    Ok(conn.query::<Row, _>(sql).await?)
}

/// The raw bytes of column `i` (None for NULL or a missing column).
pub fn bytes(row: &Row, i: usize) -> Option<&[u8]> {
    match row.as_ref(i) {
        Some(Value::Bytes(b)) => Some(b.as_slice()),
        _ => None,
    }
}

/// Column `i` as text ("" for NULL).
pub fn text(row: &Row, i: usize) -> String {
    bytes(row, i)
        .map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// Column `i` as a number; NULL and text are None.
pub fn number(row: &Row, i: usize) -> Option<f64> {
    match row.as_ref(i)? {
        Value::Bytes(b) => std::str::from_utf8(b).ok()?.trim().parse().ok(),
        Value::Int(v) => Some(*v as f64),
        Value::UInt(v) => Some(*v as f64),
        Value::Float(v) => Some(f64::from(*v)),
        Value::Double(v) => Some(*v),
        _ => None,
    }
}

/// Column `i` as a number, 0 for NULL or text (as Go's scan into float
/// with NULL-tolerant queries).
pub fn num0(row: &Row, i: usize) -> f64 {
    number(row, i).unwrap_or(0.0)
}

/// The index of column `name` (case-insensitive).
pub fn column(row: &Row, name: &str) -> Option<usize> {
    row.columns_ref()
        .iter()
        .position(|c| c.name_str().eq_ignore_ascii_case(name))
}

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm);
/// None for a day the month does not have, as Go's `time.Parse`.
fn days_from_civil(y: i64, m: i64, day: i64) -> Option<i64> {
    let leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    let month_days = match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        2 if leap => 29,
        2 => 28,
        _ => return None,
    };
    if !(1..=month_days).contains(&day) {
        return None;
    }
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + day - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Some(era * 146_097 + doe - 719_468)
}

/// `n` fixed-width decimal digits.
fn digits(s: &str, n: usize) -> Option<i64> {
    (s.len() == n && s.bytes().all(|b| b.is_ascii_digit()))
        .then(|| s.parse().ok())
        .flatten()
}

/// `15:04:05` (Go takes a one-digit hour) with Go's optional fraction
/// after the seconds, in seconds of the day (the fraction dropped, as
/// `Unix()` does).
fn clock(s: &str) -> Option<i64> {
    let (hms, frac) = match s.split_once(['.', ',']) {
        Some((hms, frac)) => (hms, Some(frac)),
        None => (s, None),
    };
    if frac.is_some_and(|f| f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit())) {
        return None;
    }
    let mut t = hms.split(':');
    let hour = t.next()?;
    let (hh, mm, ss) = (
        digits(hour, 2).or_else(|| digits(hour, 1))?,
        digits(t.next()?, 2)?,
        digits(t.next()?, 2)?,
    );
    (t.next().is_none() && hh < 24 && mm < 60 && ss < 60).then_some(hh * 3600 + mm * 60 + ss)
}

/// Go's `2006-01-02 15:04:05.000000` layout (exactly six fraction
/// digits) as UTC, in seconds as Go's `float64(t.UnixNano())/1e9`; None
/// when it does not parse (MySQL's zero date `0000-00-00 ...` included).
pub fn parse_datetime_micros(s: &str) -> Option<f64> {
    let (date_time, frac) = s.rsplit_once('.')?;
    let micros = digits(frac, 6)?;
    let seconds = parse_date_time(date_time)? as i64;
    Some((seconds * 1_000_000_000 + micros * 1000) as f64 / 1e9)
}

/// Go's `time.DateTime` layout, `2006-01-02 15:04:05`, as UTC.
fn parse_date_time(s: &str) -> Option<f64> {
    let (date, time) = s.split_once(' ')?;
    let mut d = date.split('-');
    let (y, m, day) = (
        digits(d.next()?, 4)?,
        digits(d.next()?, 2)?,
        digits(d.next()?, 2)?,
    );
    if d.next().is_some() {
        return None;
    }
    Some((days_from_civil(y, m, day)? * 86400 + clock(time)?) as f64)
}

/// Go's `Jan _2 15:04:05 2006 MST` layout (the TLS certificate dates,
/// `Ssl_server_not_after`): an unknown zone abbreviation counts as UTC,
/// as Go does.
fn parse_cert_date(s: &str) -> Option<f64> {
    const MONTHS: [&str; 12] = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ];
    let m = MONTHS.iter().position(|name| s.starts_with(name))? as i64 + 1;
    // `_2`: the layout's space, then a space-padded or plain day.
    let rest = s.get(3..)?.strip_prefix(' ')?;
    let rest = rest.strip_prefix(' ').unwrap_or(rest);
    let (day, rest) = rest.split_once(' ')?;
    if day.is_empty() || day.len() > 2 || !day.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let (time, rest) = rest.split_once(' ')?;
    let (year, zone) = rest.split_once(' ')?;
    let zone_ok = (3..=5).contains(&zone.len()) && zone.bytes().all(|b| b.is_ascii_uppercase());
    if !zone_ok {
        return None;
    }
    let days = days_from_civil(digits(year, 4)?, m, day.parse().ok()?)?;
    Some((days * 86400 + clock(time)?) as f64)
}

/// Go's `strconv.ParseFloat`: no spaces, `inf`/`nan` words taken, an
/// out-of-range number refused.
fn go_float(s: &str) -> Option<f64> {
    let v: f64 = s.parse().ok()?;
    let word = s
        .trim_start_matches(['+', '-'])
        .bytes()
        .all(|b| b.is_ascii_alphabetic());
    (v.is_finite() || word).then_some(v)
}

/// mysqld_exporter's `parseStatus`: ON/YES/OFF/NO and a few replication
/// and Galera words become 1/0, dates their Unix time, numbers
/// themselves; anything else (binlog file names such as
/// `mysql-bin.000042` included: upstream parses them whole) is skipped.
pub fn parse_status(raw: &[u8]) -> Option<f64> {
    let s = std::str::from_utf8(raw).ok()?;
    match s.to_ascii_lowercase().as_str() {
        "yes" | "on" | "primary" => return Some(1.0),
        "no" | "off" | "disabled" | "connecting" | "non-primary" | "disconnected" => {
            return Some(0.0);
        }
        _ => {}
    }
    parse_cert_date(s)
        .or_else(|| parse_date_time(s))
        .or_else(|| go_float(s))
}

/// A metric name part from a server's variable or column name, lowered.
/// Upstream's `validPrometheusName`: `[^a-zA-Z0-9_]` (so `:` too)
/// becomes `_`.
pub fn valid_name(name: &str) -> String {
    let mut name = exporter_kit::desc::sanitize_label_name(name);
    name.make_ascii_lowercase();
    name
}

/// Descriptors of families whose names come from the server, built once.
#[derive(Default)]
pub struct DescCache {
    descs: Mutex<HashMap<String, Option<Desc>>>,
}

impl DescCache {
    pub fn get(&self, name: &str, make: impl FnOnce(&str) -> Option<Desc>) -> Option<Desc> {
        let mut map = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(d) = map.get(name) {
            return d.clone();
        }
        if map.len() > 20_000 {
            map.clear();
        }
        let desc = make(name);
        map.insert(name.to_string(), desc.clone());
        desc
    }
}

/// Counters of the default target, in upstream 0.14's names. `mysql_up`
/// is not among them: it belongs to one scrape ([`ServerCheck`]), and a
/// gauge shared by concurrent scrapes and scrapers would say what the
/// last writer saw.
pub struct Stats {
    pub registry: Registry,
    pub scrapes_total: IntCounter,
    pub scrape_errors: IntCounterVec,
    pub last_scrape_error: IntGauge,
    pub reload: ReloadMetrics,
    last_results: Mutex<HashMap<String, bool>>,
}

impl Stats {
    fn new() -> Result<Stats, prometheus::Error> {
        let registry = Registry::new();
        let scrapes_total = IntCounter::new(
            "mysql_exporter_scrapes_total",
            "Total number of times MySQL was scraped for metrics.",
        )?;
        let scrape_errors = IntCounterVec::new(
            Opts::new(
                "mysql_exporter_scrape_errors_total",
                "Total number of times an error occurred scraping a MySQL.",
            ),
            &["collector"],
        )?;
        let last_scrape_error = IntGauge::new(
            "mysql_exporter_last_scrape_error",
            "Whether the last scrape of metrics from MySQL resulted in an error (1 for error, 0 for success).",
        )?;
        // Upstream 0.20's config reload gauges.
        let reload = ReloadMetrics::new(
            "mysqld_exporter_config",
            "Mysqld exporter config loaded successfully.",
        )?;
        reload.register(&registry)?;
        registry.register(Box::new(scrapes_total.clone()))?;
        registry.register(Box::new(scrape_errors.clone()))?;
        registry.register(Box::new(last_scrape_error.clone()))?;
        Ok(Stats {
            registry,
            scrapes_total,
            scrape_errors,
            last_scrape_error,
            reload,
            last_results: Mutex::new(HashMap::new()),
        })
    }

    fn record(&self, label: &str, ok: bool) {
        if !ok {
            self.scrape_errors.with_label_values(&[label]).inc();
        }
        let mut last = self.last_results.lock().unwrap_or_else(|p| p.into_inner());
        last.insert(label.to_string(), ok);
        let any_error = last.values().any(|ok| !ok);
        self.last_scrape_error.set(i64::from(any_error));
    }
}

/// The per-scraper metrics, in upstream's names.
pub struct Meta {
    pub up: Desc,
    pub duration: Desc,
    pub success: Desc,
}

impl Meta {
    fn new() -> Meta {
        Meta {
            up: Desc::gauge("mysql_up", "Whether the MySQL server is up.", &[]),
            duration: Desc::gauge(
                "mysql_exporter_collector_duration_seconds",
                "Collector time duration.",
                &["collector"],
            ),
            success: Desc::gauge(
                "mysql_exporter_collector_success",
                "mysqld_exporter: Whether a collector succeeded.",
                &["collector"],
            ),
        }
    }
}

/// Logs a scraper's error when it changes, not on every scrape.
#[derive(Default)]
pub struct ErrorLog {
    last: Mutex<HashMap<String, String>>,
}

impl ErrorLog {
    pub fn report(&self, what: &str, target: &str, result: Result<(), String>, unsupported: bool) {
        let mut last = self.last.lock().unwrap_or_else(|p| p.into_inner());
        let key = format!("{target}\u{0}{what}");
        match result {
            Ok(()) => {
                if last.remove(&key).is_some() {
                    tracing::info!(collector = what, target, "recovered");
                }
            }
            Err(message) => {
                if last.get(&key) == Some(&message) {
                    tracing::debug!(collector = what, target, error = %message, "still failing");
                } else if unsupported {
                    tracing::warn!(collector = what, target, error = %message, "skipping: the server lacks what this scraper reads, or the user lacks the privilege");
                } else {
                    tracing::error!(collector = what, target, error = %message, "scrape failed");
                }
                if last.len() > 10_000 {
                    last.clear();
                }
                last.insert(key, message);
            }
        }
    }
}

/// What the my.cnf gave: its sections (for `/probe`'s auth modules) and
/// the default target built from `[client]`. Replaced whole on a reload.
pub struct Loaded {
    pub config: Config,
    pub target: Option<Arc<Target>>,
}

/// Where the config comes from: the file and the command line (read
/// again, with the environment, on every reload, as upstream does).
#[derive(Debug, Clone)]
struct MyCnf {
    path: std::path::PathBuf,
    mysqld_address: String,
    mysqld_username: Option<String>,
    insecure_skip_verify: bool,
    session: SessionOpts,
}

impl exporter_kit::reload::Source for MyCnf {
    type Value = Loaded;
    type Error = String;

    fn what(&self) -> &'static str {
        "config"
    }

    fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn load(&self, previous: Option<&Loaded>) -> Result<Loaded, String> {
        Loaded::new(self.config()?, previous, &self.session)
    }
}

impl MyCnf {
    fn config(&self) -> Result<Config, String> {
        let path = &self.path;
        let text = match std::fs::read_to_string(path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                tracing::debug!(path = %path.display(), "no my.cnf");
                None
            }
            Err(e) => return Err(format!("{}: {e}", path.display())),
        };
        let overrides = Overrides {
            address: Some(self.mysqld_address.clone()),
            username: self.mysqld_username.clone(),
            password: std::env::var("MYSQLD_EXPORTER_PASSWORD").ok(),
            insecure_skip_verify: self.insecure_skip_verify,
        };
        match std::env::var("DATA_SOURCE_NAME") {
            Ok(dsn) if !dsn.is_empty() => {
                let section = config::from_dsn(&dsn).map_err(|e| e.to_string())?;
                let mut config =
                    config::build(path, text.as_deref(), &overrides).unwrap_or_default();
                config.sections.insert("client".to_string(), section);
                Ok(config)
            }
            _ => config::build(path, text.as_deref(), &overrides).map_err(|e| e.to_string()),
        }
    }
}

/// The exporter-wide state, built once and shared through the
/// BuildContext: the loaded config and default target
/// (`[client]`), counters and descriptors.
pub struct Local {
    loaded: Arc<Reloadable<MyCnf>>,
    pub session: SessionOpts,
    pub stats: Stats,
    pub meta: Meta,
    pub errors: ErrorLog,
    pub query_timeout: Option<Duration>,
}

impl std::fmt::Debug for Local {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Local")
            .field("target", &self.current().target)
            .finish()
    }
}

impl Local {
    pub fn from_args(args: &Args) -> Result<Local, String> {
        let session = SessionOpts {
            lock_wait_timeout: args
                .enable_lock_wait_timeout
                .then_some(args.lock_wait_timeout),
            log_slow_filter: args.log_slow_filter,
            max_open_connections: args.max_open_connections,
        };
        let stats = Stats::new().map_err(|e| e.to_string())?;
        let loaded = Reloadable::load(
            MyCnf {
                path: std::path::PathBuf::from(&args.my_cnf),
                mysqld_address: args.mysqld_address.clone(),
                mysqld_username: args.mysqld_username.clone(),
                insecure_skip_verify: args.tls_insecure_skip_verify,
                session: session.clone(),
            },
            Some(stats.reload.clone()),
        )?;
        Ok(Local {
            loaded,
            session,
            stats,
            meta: Meta::new(),
            errors: ErrorLog::default(),
            query_timeout: (args.query_timeout > 0)
                .then(|| Duration::from_secs(args.query_timeout)),
        })
    }

    /// The state the exporter's scrapers and setup share, built by the
    /// first of them to ask.
    pub fn of(args: &Args, ctx: &BuildContext) -> Result<Arc<Local>, BuildError> {
        ctx.get_or_try_insert_with(|| Local::from_args(args).map_err(BuildError::new))
    }

    /// The config and default target now in force.
    pub fn current(&self) -> Arc<Loaded> {
        self.loaded.current()
    }

    /// Reads the my.cnf again (`/-/reload`). On error the config in force
    /// stays and `mysqld_exporter_config_last_reload_successful` is 0.
    pub fn reload(&self) -> Result<(), String> {
        self.loaded.reload()
    }
}

impl Loaded {
    /// The default target of `config`; the one of `old` (its connections,
    /// what it learnt) when `[client]` is unchanged.
    fn new(config: Config, old: Option<&Loaded>, session: &SessionOpts) -> Result<Loaded, String> {
        let target = match config.section("client") {
            Some(section) => match old {
                Some(old) if old.config.section("client") == Some(section) => old.target.clone(),
                _ => Some(Arc::new(
                    Target::new(section, None, session).map_err(|e| e.to_string())?,
                )),
            },
            None => None,
        };
        Ok(Loaded { config, target })
    }
}

/// `/-/reload` (any method): re-reads the my.cnf. As upstream, the answer
/// is 200 either way: `ok` on success, an empty body when the file is
/// broken (the error is logged and the old config kept).
pub struct Reload {
    pub local: Arc<Local>,
}

#[async_trait::async_trait]
impl exporter_kit::Handler for Reload {
    async fn handle(
        &self,
        _req: hyper::Request<hyper::body::Incoming>,
    ) -> hyper::Response<exporter_kit::http::Body> {
        let local = self.local.clone();
        // File reading: off the async workers.
        let ok = matches!(
            tokio::task::spawn_blocking(move || local.reload()).await,
            Ok(Ok(()))
        );
        exporter_kit::http::text_response(hyper::StatusCode::OK, if ok { "ok" } else { "" })
    }
}

/// How one scraper run ended.
pub enum RunResult {
    Ok,
    /// The server is older than the scraper's upstream `Version()`: not
    /// run, nothing reported, as upstream.
    Skipped,
    /// No connection could be had: nothing was scraped.
    Connect(String),
    Failed {
        message: String,
        unsupported: bool,
    },
}

/// Runs `scraper` on a pooled connection of `target` until `deadline`,
/// writing its families and its duration/success into `out`.
/// `scrape` tells scrapes apart (the deadline of the whole scrape).
pub async fn run_scraper(
    target: &Target,
    scraper: &dyn Scraper,
    label: &str,
    (scrape, deadline): (Instant, Instant),
    meta: &Meta,
    out: &mut Emitter,
) -> RunResult {
    let name = label.strip_prefix("collect.").unwrap_or(label);
    if target
        .version()
        .is_some_and(|v| v < crate::collectors::min_version(name))
    {
        return RunResult::Skipped;
    }
    let started = Instant::now();
    let work = async {
        let cx = Cx { target, scrape };
        match scraper.scrape_cx(&cx, out).await {
            Ok(()) => RunResult::Ok,
            Err(ScrapeError::Connect(e)) => RunResult::Connect(e.to_string()),
            Err(e) => RunResult::Failed {
                unsupported: e.is_unsupported(),
                message: e.to_string(),
            },
        }
    };
    let result = match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(r) => r,
        Err(_) => RunResult::Failed {
            message: "timed out at the scrape deadline".to_string(),
            unsupported: false,
        },
    };
    if !matches!(result, RunResult::Connect(_) | RunResult::Skipped) {
        out.gauge(&meta.duration, &[label], started.elapsed().as_secs_f64());
        out.gauge(
            &meta.success,
            &[label],
            if matches!(result, RunResult::Ok) {
                1.0
            } else {
                0.0
            },
        );
    }
    result
}

/// A scraper as a kit collector of the default target.
pub struct ScraperCollector {
    label: String,
    scraper: ScraperBox,
    local: Arc<Local>,
}

/// The deadline a scraper works to: a little before the kit's, so that
/// its duration and error are still reported, and within
/// `--exporter.query_timeout`.
pub fn scraper_deadline(deadline: Instant, query_timeout: Option<Duration>) -> Instant {
    // A tenth of the time left, between 50 and 250 ms: enough for the
    // runner to still take this scraper's result on a busy machine.
    let left = deadline.saturating_duration_since(Instant::now());
    let margin = (left / 10).clamp(Duration::from_millis(50), Duration::from_millis(250));
    let mut d = deadline.checked_sub(margin).unwrap_or(deadline);
    if let Some(t) = query_timeout {
        d = d.min(Instant::now() + t);
    }
    d
}

#[async_trait::async_trait]
impl AsyncCollector for ScraperCollector {
    async fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let loaded = self.local.current();
        let Some(target) = &loaded.target else {
            return Err(CollectError::NoData);
        };
        // As upstream, nothing is scraped from a server that did not
        // answer this scrape's ping.
        if ServerCheck::of(ctx, target).await.is_err() {
            return Ok(());
        }
        let deadline = scraper_deadline(ctx.deadline, self.local.query_timeout);
        let result = run_scraper(
            target,
            &*self.scraper,
            &self.label,
            (ctx.deadline, deadline),
            &self.local.meta,
            out,
        )
        .await;
        let errors = &self.local.errors;
        match result {
            RunResult::Ok => {
                self.local.stats.record(&self.label, true);
                errors.report(&self.label, &target.address, Ok(()), false);
            }
            RunResult::Connect(_) | RunResult::Skipped => {
                // The connection collector reports the former; upstream
                // says nothing of the latter.
            }
            RunResult::Failed {
                message,
                unsupported,
            } => {
                self.local.stats.record(&self.label, false);
                errors.report(&self.label, &target.address, Err(message), unsupported);
            }
        }
        Ok(())
    }
}

/// Wraps a scraper as the kit collector `name` (`collect.<name>` in
/// upstream's labels).
pub fn wrap(
    name: &str,
    scraper: ScraperBox,
    args: &Args,
    ctx: &BuildContext,
) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::asynchronous(ScraperCollector {
        label: format!("collect.{name}"),
        scraper,
        local: Local::of(args, ctx)?,
    }))
}

/// One scrape's check of the default target: a connection (new or
/// pooled) and a ping before the scrape's deadline, made once and awaited
/// by the connection collector (`mysql_up`) and by every scraper, which
/// skip a server that did not answer.
#[derive(Default)]
pub struct ServerCheck(tokio::sync::OnceCell<(Result<(), String>, f64)>);

impl ServerCheck {
    async fn run(&self, target: &Target, deadline: Instant) -> &(Result<(), String>, f64) {
        self.0
            .get_or_init(|| async {
                let started = Instant::now();
                let up = ping(target, scraper_deadline(deadline, None)).await;
                (up, started.elapsed().as_secs_f64())
            })
            .await
    }

    /// This scrape's answer for `target`.
    pub async fn of(ctx: &ScrapeContext, target: &Target) -> Result<(), String> {
        let check = ctx.extensions.get_or_insert_with(ServerCheck::default);
        check.run(target, ctx.deadline).await.0.clone()
    }
}

/// Reports this scrape's [`ServerCheck`]: `mysql_up` and the `connection`
/// duration, once per scrape of the default target.
pub struct Connection {
    pub local: Arc<Local>,
}

#[async_trait::async_trait]
impl AsyncCollector for Connection {
    async fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        self.local.stats.scrapes_total.inc();
        let loaded = self.local.current();
        let meta = &self.local.meta;
        let Some(target) = &loaded.target else {
            out.gauge(&meta.up, &[], 0.0);
            return Ok(());
        };
        let check = ctx.extensions.get_or_insert_with(ServerCheck::default);
        let (up, seconds) = check.run(target, ctx.deadline).await;
        out.gauge(&meta.duration, &["connection"], *seconds);
        out.gauge(&meta.up, &[], if up.is_ok() { 1.0 } else { 0.0 });
        self.local
            .errors
            .report("connection", &target.address, up.clone(), false);
        Ok(())
    }
}

/// Gets a connection and pings the server before `deadline`.
pub async fn ping(target: &Target, deadline: Instant) -> Result<(), String> {
    let work = async {
        let mut conn = target.conn().await.map_err(|e| e.to_string())?;
        match conn.ping().await {
            Ok(()) => Ok(()),
            Err(e) => {
                // A connection the server closed (restart, wait_timeout):
                // drop it and try a fresh one once.
                drop(conn);
                let mut conn = target.conn().await.map_err(|_| e.to_string())?;
                conn.ping().await.map_err(|e| e.to_string())
            }
        }
    };
    match tokio::time::timeout_at(deadline.into(), work).await {
        Ok(r) => r,
        Err(_) => Err("timed out connecting".to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_status_like_upstream() {
        assert_eq!(parse_status(b"ON"), Some(1.0));
        assert_eq!(parse_status(b"Yes"), Some(1.0));
        assert_eq!(parse_status(b"OFF"), Some(0.0));
        assert_eq!(parse_status(b"Connecting"), Some(0.0));
        assert_eq!(parse_status(b"12.5"), Some(12.5));
        assert_eq!(parse_status(b"-3"), Some(-3.0));
        assert_eq!(parse_status(b"1e3"), Some(1000.0));
        assert_eq!(parse_status(b"Primary"), Some(1.0));
        assert_eq!(parse_status(b"non-Primary"), Some(0.0));
        assert_eq!(parse_status(b"Disconnected"), Some(0.0));
        assert_eq!(parse_status(b"DISABLED"), Some(0.0));
        // The log-file regexp matches, but the whole text is no number.
        assert_eq!(parse_status(b"mysql-bin.000042"), None);
        assert_eq!(parse_status(b"1.000042"), Some(1.000042));
        assert_eq!(parse_status(b"1970-01-02 00:00:00"), Some(86400.0));
        assert_eq!(
            parse_status(b"2024-02-29 12:00:00.75"),
            Some(1_709_208_000.0)
        );
        assert_eq!(parse_status(b"2023-02-29 12:00:00"), None);
        assert_eq!(parse_status(b"2024-1-02 00:00:00"), None);
        assert_eq!(parse_status(b"1970-01-02 1:00:00"), Some(90000.0));
        // Certificate dates: space-padded or plain day, zone as UTC.
        assert_eq!(
            parse_status(b"Apr  8 10:20:30 2024 GMT"),
            Some(1_712_571_630.0)
        );
        assert_eq!(
            parse_status(b"Apr 8 10:20:30 2024 GMT"),
            Some(1_712_571_630.0)
        );
        assert_eq!(
            parse_status(b"Apr 18 10:20:30 2024 UTC"),
            Some(1_713_435_630.0)
        );
        assert_eq!(parse_status(b"Apr 18 10:20:30 2024"), None);
        assert_eq!(parse_status(b"REPEATABLE-READ"), None);
        assert_eq!(parse_status(b""), None);
        assert_eq!(parse_status(b" 1"), None);
        assert_eq!(parse_status(b"1e400"), None);
        assert_eq!(parse_status(b"Inf"), Some(f64::INFINITY));
        assert!(parse_status(b"NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_status(b"/var/lib/mysql/"), None);
    }

    #[test]
    fn datetime_micros() {
        assert_eq!(
            parse_datetime_micros("2019-03-14 00:00:00.001000"),
            Some(1.552521600001e9)
        );
        assert_eq!(parse_datetime_micros("0000-00-00 00:00:00.000000"), None);
        assert_eq!(parse_datetime_micros("2019-03-14 00:00:00"), None);
        assert_eq!(parse_datetime_micros("2019-03-14 00:00:00.001"), None);
    }

    #[test]
    fn names() {
        assert_eq!(valid_name("Innodb_Buffer-Pool"), "innodb_buffer_pool");
        assert_eq!(valid_name("a:b.c"), "a_b_c");
    }
}
