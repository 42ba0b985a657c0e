//! The HTTP side: listeners, TLS, basic auth, routing, the telemetry and
//! probe routes, gzip, the concurrent-scrape limit and graceful shutdown.

pub mod conn;
pub mod deadline;
mod gzip;
pub mod landing;
pub mod probe;
pub mod promhttp;

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto;
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use crate::args::CommonArgs;
use crate::emit::Emitter;
use crate::encode::negotiate;
use crate::exporter::Exporter;
use crate::reload::ReloadMetrics;
use crate::single_flight::SingleFlight;
use crate::webconfig::{AuthOutcome, WebConfig, WebConfigError, WebConfigSource};
use probe::{ProbeHandler, ProbeRequest};

pub type Body = Full<Bytes>;

/// An application route (demo-app's API, blackbox's `/-/reload`).
#[async_trait::async_trait]
pub trait Handler: Send + Sync + 'static {
    async fn handle(&self, req: Request<Incoming>) -> Response<Body>;
}

#[derive(Debug, thiserror::Error)]
pub enum ServeError {
    #[error(transparent)]
    WebConfig(#[from] WebConfigError),
    #[error("listen address {address:?}: {message}")]
    Address { address: String, message: String },
    #[error("--web.config.file and {0} both configure the web server: give one")]
    TwoWebConfigs(String),
    #[error("--web.systemd-socket: {0}")]
    SystemdSocket(String),
    #[error("listening on {address}: {source}")]
    Bind {
        address: String,
        source: std::io::Error,
    },
}

struct State {
    exporter: Exporter,
    telemetry_path: String,
    limit: Option<Semaphore>,
    timeout_offset: Duration,
    default_timeout: Duration,
    web_config: WebConfigSource,
    body_size_hint: AtomicUsize,
    gzip: gzip::Gzip,
    landing: String,
    scrapes: Arc<SingleFlight<ScrapeKey, ScrapeOutcome>>,
    timeouts: conn::Timeouts,
    /// bcrypt checks that may run at once (half the CPUs, at least one;
    /// upstream runs one at a time): a flood of wrong passwords waits for
    /// these while cached credentials never do.
    bcrypt_slots: Semaphore,
    /// `promhttp_metric_handler_*`, where upstream has them.
    handler_metrics: Option<promhttp::HandlerMetrics>,
}

/// `collect[]` and `exclude[]` of a telemetry request: requests that agree
/// on them ask for the same page.
type ScrapeKey = (Option<Vec<String>>, Vec<String>);
type ScrapeOutcome = Arc<Result<Vec<crate::family::Family>, crate::runner::FilterError>>;

/// A bound server, not yet running: tests read its addresses first.
pub struct Server {
    listeners: Vec<TcpListener>,
    state: Arc<State>,
}

/// Turns upstream's address forms into socket addresses: `:9100` is every
/// interface (IPv6 and IPv4), `host:port` is resolved.
async fn resolve(address: &str) -> Result<Vec<SocketAddr>, ServeError> {
    let err = |message: String| ServeError::Address {
        address: address.to_string(),
        message,
    };
    if let Some(port) = address.strip_prefix(':') {
        let port: u16 = port
            .parse()
            .map_err(|_| err("port is not a number".into()))?;
        return Ok(vec![
            SocketAddr::from(([0u16; 8], port)),
            SocketAddr::from(([0u8; 4], port)),
        ]);
    }
    let addrs: Vec<SocketAddr> = tokio::net::lookup_host(address)
        .await
        .map_err(|e| err(e.to_string()))?
        .collect();
    if addrs.is_empty() {
        return Err(err("resolves to no address".into()));
    }
    Ok(addrs)
}

/// The listening sockets systemd passed (LISTEN_FDS, LISTEN_PID), as
/// exporter-toolkit's `--web.systemd-socket` takes them.
fn systemd_listeners() -> Result<Vec<TcpListener>, ServeError> {
    let err = |message: String| ServeError::SystemdSocket(message);
    let mut fds = listenfd::ListenFd::from_env();
    let mut listeners = Vec::new();
    for index in 0..fds.len() {
        let Some(listener) = fds
            .take_tcp_listener(index)
            .map_err(|e| err(format!("socket {index}: {e}")))?
        else {
            continue;
        };
        listener
            .set_nonblocking(true)
            .map_err(|e| err(format!("socket {index}: {e}")))?;
        listeners.push(
            TcpListener::from_std(listener).map_err(|e| err(format!("socket {index}: {e}")))?,
        );
    }
    if listeners.is_empty() {
        return Err(err("no socket activation file descriptors found".into()));
    }
    Ok(listeners)
}

impl Server {
    pub async fn bind(mut exporter: Exporter, args: &CommonArgs) -> Result<Server, ServeError> {
        let web_config = match (&args.web_config_file, exporter.web_config.take()) {
            (Some(_), Some(flags)) => {
                return Err(ServeError::TwoWebConfigs(flags.flags));
            }
            (Some(path), None) => WebConfigSource::load(path, web_config_metrics(&mut exporter))?,
            (None, Some(flags)) => WebConfigSource::from_flags(&flags)?,
            (None, None) => WebConfigSource::none(),
        };
        let mut listeners = Vec::new();
        let addresses: &[String] = if args.systemd_socket {
            listeners = systemd_listeners()?;
            &[]
        } else {
            &args.listen_addresses
        };
        for address in addresses {
            let candidates = resolve(address).await?;
            let wildcard = address.starts_with(':');
            let mut last_error = None;
            for candidate in candidates {
                match TcpListener::bind(candidate).await {
                    Ok(listener) => {
                        listeners.push(listener);
                        // `[::]` also takes IPv4 on Linux; the IPv4 wildcard is
                        // only the fallback for hosts without IPv6.
                        last_error = None;
                        break;
                    }
                    Err(e) => last_error = Some(e),
                }
                if !wildcard {
                    break;
                }
            }
            if let Some(source) = last_error {
                return Err(ServeError::Bind {
                    address: address.clone(),
                    source,
                });
            }
        }
        let handler_metrics = handler_metrics(&mut exporter);
        let mut links = vec![(args.telemetry_path.clone(), "Metrics".to_string())];
        links.extend(exporter.links.iter().cloned());
        let landing = match exporter.landing_page {
            Some(page) => page(&args.telemetry_path),
            None => landing::render(&exporter.spec, &links, &exporter.collector_names()),
        };
        let state = State {
            telemetry_path: args.telemetry_path.clone(),
            limit: (args.max_requests > 0).then(|| Semaphore::new(args.max_requests)),
            timeout_offset: deadline::seconds(args.scrape_timeout_offset).unwrap_or_default(),
            default_timeout: deadline::seconds(args.default_scrape_timeout.max(0.001))
                .unwrap_or(deadline::MAX_SCRAPE_TIMEOUT),
            web_config,
            body_size_hint: AtomicUsize::new(16 * 1024),
            gzip: gzip::Gzip::default(),
            landing,
            exporter,
            scrapes: Arc::default(),
            bcrypt_slots: Semaphore::new(
                std::thread::available_parallelism().map_or(1, |n| (n.get() / 2).max(1)),
            ),
            timeouts: conn::Timeouts {
                read_header: (!args.read_header_timeout.is_zero())
                    .then_some(args.read_header_timeout),
                idle: (!args.idle_timeout.is_zero()).then_some(args.idle_timeout),
            },
            handler_metrics,
        };
        Ok(Server {
            listeners,
            state: Arc::new(state),
        })
    }

    pub fn local_addrs(&self) -> Vec<SocketAddr> {
        self.listeners
            .iter()
            .filter_map(|l| l.local_addr().ok())
            .collect()
    }

    /// Serves until `shutdown` completes, then lets open requests finish
    /// (up to 10 s).
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let tls = self.state.web_config.tls_enabled();
        let web_config_watch = self.state.web_config.watch();
        for addr in self.local_addrs() {
            tracing::info!(address = %addr, tls, "listening");
        }
        let graceful = Arc::new(hyper_util::server::graceful::GracefulShutdown::new());
        let (stop_tx, stop_rx) = tokio::sync::watch::channel(false);
        let mut accept_loops = Vec::new();
        for listener in self.listeners {
            let state = self.state.clone();
            let graceful = graceful.clone();
            let mut stop = stop_rx.clone();
            accept_loops.push(tokio::spawn(async move {
                let mut backoff = conn::AcceptBackoff::default();
                loop {
                    let accepted = tokio::select! {
                        accepted = listener.accept() => accepted,
                        _ = stop.changed() => break,
                    };
                    match accepted {
                        Ok((stream, _remote)) => {
                            backoff.succeeded();
                            spawn_connection(state.clone(), stream, graceful.watcher())
                        }
                        Err(err) => {
                            // Out of file descriptors and the like: wait
                            // for connections to close instead of spinning.
                            let pause = backoff.failed(&err);
                            tokio::select! {
                                _ = tokio::time::sleep(pause) => {}
                                _ = stop.changed() => break,
                            }
                        }
                    }
                }
            }));
        }
        shutdown.await;
        tracing::info!("shutting down");
        if let Some(watch) = web_config_watch {
            watch.abort();
        }
        let _ = stop_tx.send(true);
        for l in accept_loops {
            let _ = l.await;
        }
        // The accept loops are done, so this is the last reference.
        if let Ok(graceful) = Arc::try_unwrap(graceful)
            && tokio::time::timeout(Duration::from_secs(10), graceful.shutdown())
                .await
                .is_err()
        {
            tracing::warn!("connections still open after 10 s; closing them");
        }
    }
}

/// The web config's reload gauges, with the exporter's other own metrics
/// (left out with them by `--web.disable-exporter-metrics`):
/// `<exporter>_web_config_last_reload_successful` and its timestamp, so a
/// refused or broken rewrite of `--web.config.file` shows.
fn web_config_metrics(exporter: &mut Exporter) -> Option<ReloadMetrics> {
    if !exporter.exporter_metrics {
        return None;
    }
    let prefix = exporter
        .spec
        .build_info_metric
        .strip_suffix("_build_info")
        .unwrap_or(exporter.spec.name);
    let registry = prometheus::Registry::new();
    let metrics = ReloadMetrics::new(
        &format!("{prefix}_web_config"),
        "Whether the last reload of the web config (--web.config.file) succeeded.",
    )
    .and_then(|m| m.register(&registry).map(|()| m));
    match metrics {
        Ok(metrics) => {
            exporter.registry(registry);
            Some(metrics)
        }
        Err(err) => {
            tracing::error!(error = %err, "cannot register the web config reload metrics");
            None
        }
    }
}

/// The telemetry handler's own metrics the exporter's upstream has.
fn handler_metrics(exporter: &mut Exporter) -> Option<promhttp::HandlerMetrics> {
    match promhttp::HandlerMetrics::new(exporter.spec.promhttp, exporter.exporter_metrics) {
        Ok(Some((metrics, registry))) => {
            exporter.registry(registry);
            Some(metrics)
        }
        Ok(None) => None,
        Err(err) => {
            tracing::error!(error = %err, "cannot register the promhttp handler metrics");
            None
        }
    }
}

fn spawn_connection(
    state: Arc<State>,
    stream: tokio::net::TcpStream,
    watcher: hyper_util::server::graceful::Watcher,
) {
    let config = state.web_config.current();
    tokio::spawn(async move {
        let _ = stream.set_nodelay(true);
        let activity = conn::Activity::new();
        let stream = conn::Watched::new(stream, activity.clone());
        let timeouts = state.timeouts;
        let mut builder = auto::Builder::new(TokioExecutor::new());
        // The connection's watchdog times request heads and idle time for
        // every protocol; hyper's HTTP/1 timer would also close idle
        // keep-alive connections after the header timeout.
        builder
            .http1()
            .timer(TokioTimer::new())
            .header_read_timeout(None);
        if !config.http2 {
            builder = builder.http1_only();
        }
        let service_config = config.clone();
        let service_activity = activity.clone();
        let service = hyper::service::service_fn(move |req| {
            let state = state.clone();
            let config = service_config.clone();
            let in_flight = service_activity.request();
            async move {
                let resp = handle(&state, &config, req).await;
                drop(in_flight);
                Ok::<_, Infallible>(resp)
            }
        });
        let serve = async {
            match &config.tls {
                Some(tls) => {
                    match tokio::time::timeout(Duration::from_secs(10), tls.0.accept(stream)).await
                    {
                        Ok(Ok(tls_stream)) => {
                            let conn = builder
                                .serve_connection_with_upgrades(TokioIo::new(tls_stream), service);
                            watcher.watch(conn.into_owned()).await
                        }
                        Ok(Err(err)) => {
                            tracing::debug!(error = %err, "TLS handshake failed");
                            Ok(())
                        }
                        Err(_) => {
                            tracing::debug!("TLS handshake timed out");
                            Ok(())
                        }
                    }
                }
                None => {
                    let conn =
                        builder.serve_connection_with_upgrades(TokioIo::new(stream), service);
                    watcher.watch(conn.into_owned()).await
                }
            }
        };
        // Dropping the connection's future closes its socket.
        let result = tokio::select! {
            result = serve => result,
            _ = activity.expired(timeouts) => {
                tracing::debug!("closing a connection that sent no request head in time or sat idle");
                Ok(())
            }
        };
        if let Err(err) = result {
            tracing::debug!(error = %err, "connection ended with an error");
        }
    });
}

pub fn text_response(status: StatusCode, text: impl Into<String>) -> Response<Body> {
    let mut resp = Response::new(Full::new(Bytes::from(text.into())));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    resp
}

async fn handle(
    state: &Arc<State>,
    config: &Arc<WebConfig>,
    req: Request<Incoming>,
) -> Response<Body> {
    if let Some(limit) = &config.rate_limit
        && !limit.allow()
    {
        let mut resp = text_response(StatusCode::TOO_MANY_REQUESTS, "Too Many Requests\n");
        config.headers.apply(resp.headers_mut());
        return resp;
    }
    if let Some(auth) = &config.basic_auth {
        let header = req
            .headers()
            .get(header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let outcome = match auth.check_cached(header.as_deref()) {
            Some(outcome) => Ok(Some(outcome)),
            None => match state.bcrypt_slots.acquire().await {
                // bcrypt takes tens of milliseconds: keep it off the async
                // workers, and run a bounded number at once.
                Ok(_slot) => {
                    let config_for_check = config.clone();
                    tokio::task::spawn_blocking(move || {
                        config_for_check
                            .basic_auth
                            .as_ref()
                            .map(|auth| auth.check(header.as_deref()))
                    })
                    .await
                }
                Err(_) => Ok(None),
            },
        };
        if !matches!(outcome, Ok(Some(AuthOutcome::Allowed))) {
            let mut resp = text_response(StatusCode::UNAUTHORIZED, "Unauthorized\n");
            resp.headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Basic"));
            config.headers.apply(resp.headers_mut());
            return resp;
        }
    }
    let mut resp = route(state, req).await;
    config.headers.apply(resp.headers_mut());
    resp
}

async fn route(state: &Arc<State>, req: Request<Incoming>) -> Response<Body> {
    let path = req.uri().path().to_string();
    let exporter = &state.exporter;
    if let Some((_, handler)) = exporter.routes.iter().find(|(p, _)| *p == path) {
        return handler.handle(req).await;
    }
    if path == state.telemetry_path {
        let Some(handler_metrics) = &state.handler_metrics else {
            return limited(state, metrics(state, &req)).await;
        };
        let in_flight = handler_metrics.in_flight();
        let resp = limited(state, metrics(state, &req)).await;
        drop(in_flight);
        handler_metrics.served(resp.status());
        return resp;
    }
    if let Some((probe_path, handler)) = &exporter.probe
        && path == *probe_path
    {
        return limited(state, probe(state, handler.as_ref(), &req)).await;
    }
    match path.as_str() {
        "/-/healthy" => return text_response(StatusCode::OK, "Healthy\n"),
        "/-/ready" => return text_response(StatusCode::OK, "Ready\n"),
        _ => {}
    }
    if let Some(handler) = &exporter.fallback {
        return handler.handle(req).await;
    }
    if path == "/" {
        let mut resp = Response::new(Full::new(Bytes::from(state.landing.clone())));
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/html; charset=utf-8"),
        );
        return resp;
    }
    text_response(StatusCode::NOT_FOUND, "404 page not found\n")
}

async fn limited(state: &State, work: impl Future<Output = Response<Body>>) -> Response<Body> {
    let _permit = match &state.limit {
        Some(limit) => match limit.try_acquire() {
            Ok(permit) => Some(permit),
            Err(_) => {
                tracing::warn!("too many concurrent scrapes; answering 503 (--web.max-requests)");
                return text_response(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "Too many concurrent requests; try again later (--web.max-requests).\n",
                );
            }
        },
        None => None,
    };
    work.await
}

/// The scrape deadline: the scraper's timeout header less the offset, or
/// the default when the header is absent or unreadable.
fn deadline(state: &State, req: &Request<Incoming>) -> Instant {
    let header = req
        .headers()
        .get("x-prometheus-scrape-timeout-seconds")
        .and_then(|v| v.to_str().ok());
    let budget = deadline::budget(header, state.default_timeout, state.timeout_offset);
    deadline::deadline(Instant::now(), budget)
}

fn query_pairs(req: &Request<Incoming>) -> Vec<(String, String)> {
    req.uri()
        .query()
        .map(|q| form_urlencoded::parse(q.as_bytes()).into_owned().collect())
        .unwrap_or_default()
}

fn accepts_gzip(req: &Request<Incoming>) -> bool {
    let values = req
        .headers()
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok());
    gzip_acceptable(values)
}

/// Whether `Accept-Encoding` allows gzip (RFC 9110 12.5.3): an explicit
/// `gzip` entry decides, else `*`; a q-value of zero in any spelling
/// (`q=0`, `q=0.000`), or one that is not a number, means "not
/// acceptable".
fn gzip_acceptable<'a>(values: impl Iterator<Item = &'a str>) -> bool {
    let mut gzip = None;
    let mut any = None;
    for coding in values.flat_map(|v| v.split(',')) {
        let mut parts = coding.split(';');
        let name = parts.next().unwrap_or("").trim();
        let q = parts
            .filter_map(|p| p.split_once('='))
            .find(|(k, _)| k.trim().eq_ignore_ascii_case("q"))
            .map_or(Some(1.0), |(_, v)| v.trim().parse::<f64>().ok());
        let acceptable = q.is_some_and(|q| q > 0.0);
        if name.eq_ignore_ascii_case("gzip") || name.eq_ignore_ascii_case("x-gzip") {
            gzip = Some(gzip.unwrap_or(false) || acceptable);
        } else if name == "*" {
            any = Some(any.unwrap_or(false) || acceptable);
        }
    }
    gzip.or(any).unwrap_or(false)
}

/// Encodes families in the negotiated format, gzipped when accepted.
async fn exposition(
    state: &State,
    req: &Request<Incoming>,
    families: &[crate::family::Family],
) -> Response<Body> {
    let format = negotiate(
        req.headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok()),
    );
    let hint = state.body_size_hint.load(Ordering::Relaxed);
    let mut body = Vec::with_capacity(hint + hint / 8);
    format.encode(families, &mut body);
    state.body_size_hint.store(body.len(), Ordering::Relaxed);
    let gzip = accepts_gzip(req);
    if gzip {
        match state.gzip.compress(&body).await {
            Ok(compressed) => body = compressed,
            Err(err) => {
                tracing::error!(error = %err, "compressing the response failed");
                if let Some(m) = &state.handler_metrics {
                    m.failed(promhttp::Cause::Encoding);
                }
                return text_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "compressing the response failed\n",
                );
            }
        }
    }
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    let headers = resp.headers_mut();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(format.content_type()),
    );
    if gzip {
        headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    headers.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    resp
}

async fn metrics(state: &Arc<State>, req: &Request<Incoming>) -> Response<Body> {
    let deadline = deadline(state, req);
    let params = query_pairs(req);
    let include: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "collect[]")
        .map(|(_, v)| v.clone())
        .collect();
    let exclude: Vec<String> = params
        .iter()
        .filter(|(k, _)| k == "exclude[]")
        .map(|(_, v)| v.clone())
        .collect();
    let include = (!include.is_empty()).then_some(include);
    let shared = state.clone();
    let key = (include.clone(), exclude.clone());
    let outcome = state
        .scrapes
        .run(key, deadline, move || async move {
            Arc::new(
                shared
                    .exporter
                    .scrape(deadline, include.as_deref(), &exclude)
                    .await,
            )
        })
        .await;
    match outcome.as_deref() {
        Some(Ok(families)) => exposition(state, req, families).await,
        Some(Err(err)) => text_response(
            StatusCode::BAD_REQUEST,
            format!("Couldn't create filtered metrics handler: {err}\n"),
        ),
        None => {
            if let Some(m) = &state.handler_metrics {
                m.failed(promhttp::Cause::Gathering);
            }
            text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                "the scrape ended without a result\n",
            )
        }
    }
}

async fn probe(
    state: &State,
    handler: &dyn ProbeHandler,
    req: &Request<Incoming>,
) -> Response<Body> {
    let params = query_pairs(req);
    let Some(target) = params
        .iter()
        .find(|(k, _)| k == "target")
        .map(|(_, v)| v.clone())
        .filter(|t| !t.is_empty())
    else {
        handler.refused();
        return text_response(
            StatusCode::BAD_REQUEST,
            "'target' parameter must be specified\n",
        );
    };
    let request = ProbeRequest {
        target,
        module: params
            .iter()
            .find(|(k, _)| k == "module")
            .map(|(_, v)| v.clone()),
        params,
        deadline: deadline(state, req),
    };
    let mut out = Emitter::new();
    let budget = request.deadline.saturating_duration_since(Instant::now());
    match tokio::time::timeout(
        budget.saturating_add(Duration::from_millis(250)),
        handler.probe(&request, &mut out),
    )
    .await
    {
        Ok(Ok(None)) => {
            let families = crate::runner::merge(out.into_families());
            exposition(state, req, &families).await
        }
        Ok(Ok(Some(raw))) => {
            let mut resp = Response::new(Full::new(raw.body));
            resp.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static(raw.content_type),
            );
            resp
        }
        Ok(Err(err)) => text_response(StatusCode::BAD_REQUEST, format!("{err}\n")),
        Err(_) => text_response(
            StatusCode::SERVICE_UNAVAILABLE,
            "probe did not finish before the scrape deadline\n",
        ),
    }
}
