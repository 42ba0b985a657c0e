//! blackbox-exporter: prometheus/blackbox_exporter's probers on exporter-kit.
//!
//! `/probe?target=..&module=..` runs the module's prober under the scrape
//! deadline (and the module's `timeout`), `debug=true` returns the probe
//! log, `POST /-/reload` and SIGHUP re-read `blackbox.yml` (a broken file
//! is rejected and the old config kept), `/config` shows the loaded config
//! with secrets hidden. Targets are checked against a policy (README).

pub mod args;
pub mod config;
pub mod history;
pub mod policy;
pub mod prober;

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use exporter_kit::http::{Body, text_response};
use exporter_kit::reload::{ReloadMetrics, Reloadable};
use exporter_kit::{
    BuildContext, BuildError, CollectorMetrics, Desc, Emitter, Exporter, Handler, ProbeError,
    ProbeHandler, ProbeRequest, RawResponse, Registration, Spec,
};
use hyper::{Method, StatusCode};

pub use args::Args;
use config::{Config, ConfigError, Module};
use policy::TargetPolicy;
use prober::{ProbeCtx, ProbeLog};

pub const SPEC: Spec = Spec {
    name: "blackbox_exporter",
    binary: "blackbox-exporter",
    about: "Prometheus blackbox prober exporter",
    namespace: "blackbox",
    build_info_metric: "blackbox_exporter_build_info",
    default_listen_address: ":9115",
    // Upstream has no --web.max-requests: no limit.
    default_max_requests: 0,
    env_prefix: None,
    collector_flag: "collector",
    single_dash_long_flags: false,
    promhttp: exporter_kit::spec::PromHttp::Instrumented,
};

/// No collectors: everything is probed through `/probe`.
pub const COLLECTORS: &[Registration<Args>] = &[];

/// `--config.check`: loads the config, says whether it is good, and exits
/// instead of serving (a [`preflight`](exporter_kit::ExporterBuilder::preflight)).
pub fn config_check(args: &Args) -> Option<std::process::ExitCode> {
    if !args.config_check {
        return None;
    }
    Some(match Config::load(&args.config_file) {
        Ok(_) => {
            eprintln!("Config file is ok exiting...");
            std::process::ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("Error loading config: {e}");
            std::process::ExitCode::FAILURE
        }
    })
}

/// `blackbox.yml` as a reloadable [`Source`](exporter_kit::reload::Source).
pub struct ConfigFile {
    path: PathBuf,
}

impl exporter_kit::reload::Source for ConfigFile {
    type Value = Config;
    type Error = ConfigError;

    fn what(&self) -> &'static str {
        "config"
    }

    fn path(&self) -> &std::path::Path {
        &self.path
    }

    fn load(&self, _previous: Option<&Config>) -> Result<Config, ConfigError> {
        Config::load(&self.path)
    }
}

/// The loaded config and the reload bookkeeping, shared by the routes.
pub struct State {
    config: Arc<Reloadable<ConfigFile>>,
    unknown_module: prometheus::IntCounter,
    policy: TargetPolicy,
    max_redirects: u32,
    tokens: prober::client::TokenCache,
    history: history::History,
    prober_log_level: tracing::Level,
    auto_reload: Option<std::time::Duration>,
}

impl State {
    pub fn new(args: &Args) -> Result<(Arc<State>, prometheus::Registry), BuildError> {
        let reg = prometheus::Registry::new();
        let metrics = ReloadMetrics::new(
            "blackbox_exporter_config",
            "Blackbox exporter config loaded successfully.",
        )
        .map_err(|e| BuildError(e.to_string()))?;
        let config = Reloadable::load(
            ConfigFile {
                path: args.config_file.clone(),
            },
            Some(metrics.clone()),
        )
        .map_err(|e| BuildError(format!("error loading config: {e}")))?;
        let policy =
            TargetPolicy::new(args.block_metadata, &args.allow_targets, &args.deny_targets)
                .map_err(BuildError)?;
        let prober_log_level = prober::parse_level(&args.log_prober).ok_or_else(|| {
            BuildError(format!(
                "--log.prober: unrecognized log level {:?} (debug, info, warn, error)",
                args.log_prober
            ))
        })?;
        check_route_prefix(args)?;
        let auto_reload = match (args.enable_auto_reload, args.auto_reload_interval) {
            (false, _) => None,
            (true, 0) => {
                return Err(BuildError(
                    "--config.auto-reload-interval must be at least 1 second".into(),
                ));
            }
            (true, secs) => Some(std::time::Duration::from_secs(secs)),
        };
        let unknown_module = prometheus::IntCounter::new(
            "blackbox_module_unknown_total",
            "Count of unknown modules requested by probes",
        )
        .map_err(|e| BuildError(e.to_string()))?;
        metrics
            .register(&reg)
            .and_then(|()| reg.register(Box::new(unknown_module.clone())))
            .map_err(|e| BuildError(e.to_string()))?;
        Ok((
            Arc::new(State {
                config,
                unknown_module,
                policy,
                max_redirects: args.max_redirects,
                tokens: prober::client::TokenCache::default(),
                history: history::History::new(args.history_limit),
                prober_log_level,
                auto_reload,
            }),
            reg,
        ))
    }

    pub fn current(&self) -> Arc<Config> {
        self.config.current()
    }

    /// Re-reads the file; on error the old config stays.
    pub fn reload(&self) -> Result<(), ConfigError> {
        self.config.reload()
    }
}

/// Routes are served at the root: `--web.route-prefix` (and the path of
/// `--web.external-url`, its default) can only be `/`.
fn check_route_prefix(args: &Args) -> Result<(), BuildError> {
    let external_path = match &args.external_url {
        Some(url) => {
            let uri: hyper::Uri = url
                .parse()
                .map_err(|e| BuildError(format!("--web.external-url: invalid URL {url:?}: {e}")))?;
            if uri.scheme().is_none() || uri.host().is_none() {
                return Err(BuildError(format!(
                    "--web.external-url: {url:?} is not an absolute URL"
                )));
            }
            uri.path().to_string()
        }
        None => String::new(),
    };
    for (flag, path) in [
        (
            "--web.route-prefix",
            args.route_prefix.as_deref().unwrap_or(""),
        ),
        ("--web.external-url", external_path.as_str()),
    ] {
        if !path.trim_matches('/').is_empty() {
            return Err(BuildError(format!(
                "{flag}: a route prefix ({path:?}) is not supported by this exporter; routes are served at /"
            )));
        }
    }
    Ok(())
}

pub fn setup(args: &Args, exporter: &mut Exporter, _ctx: &BuildContext) -> Result<(), BuildError> {
    let (state, registry) = State::new(args)?;
    install(state, registry, exporter);
    Ok(())
}

/// Wires a loaded state into an exporter (tests use this directly).
pub fn install(state: Arc<State>, registry: prometheus::Registry, exporter: &mut Exporter) {
    exporter.collector_metrics(CollectorMetrics::none());
    exporter.registry(registry);
    exporter.probe(
        "/probe",
        BlackboxProbe {
            state: state.clone(),
        },
    );
    exporter.route(
        "/-/reload",
        Reload {
            state: state.clone(),
        },
    );
    exporter.route(
        "/config",
        ShowConfig {
            state: state.clone(),
        },
    );
    exporter.link("/config", "Configuration");
    exporter.route(
        "/logs",
        history::Logs {
            state: state.clone(),
        },
    );
    exporter.route(
        "/",
        history::Landing {
            state: state.clone(),
        },
    );
    if let Some(every) = state.auto_reload {
        // The task ends with the config (the state) it watches.
        drop(state.config.watch(every));
    }
    // Registered here, before serving, so a SIGHUP never meets the
    // default action (terminate).
    #[cfg(unix)]
    state.config.reload_on_sighup();
}

struct Reload {
    state: Arc<State>,
}

#[async_trait::async_trait]
impl Handler for Reload {
    async fn handle(&self, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Body> {
        if req.method() != Method::POST {
            return text_response(
                StatusCode::METHOD_NOT_ALLOWED,
                "This endpoint requires a POST request.\n",
            );
        }
        match self.state.reload() {
            Ok(()) => text_response(StatusCode::OK, ""),
            Err(e) => text_response(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("failed to reload config: {e}\n"),
            ),
        }
    }
}

struct ShowConfig {
    state: Arc<State>,
}

#[async_trait::async_trait]
impl Handler for ShowConfig {
    async fn handle(&self, _req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Body> {
        text_response(StatusCode::OK, self.state.current().to_redacted_yaml())
    }
}

struct BlackboxProbe {
    state: Arc<State>,
}

struct TopDescs {
    success: Desc,
    duration: Desc,
}

static TOP: std::sync::LazyLock<TopDescs> = std::sync::LazyLock::new(|| TopDescs {
    success: Desc::gauge(
        "probe_success",
        "Displays whether or not the probe was a success",
        &[],
    ),
    duration: Desc::gauge(
        "probe_duration_seconds",
        "Returns how long the probe took to complete in seconds",
        &[],
    ),
});

#[async_trait::async_trait]
impl ProbeHandler for BlackboxProbe {
    async fn probe(
        &self,
        req: &ProbeRequest,
        out: &mut Emitter,
    ) -> Result<Option<RawResponse>, ProbeError> {
        let config = self.state.current();
        let name = req
            .module
            .as_deref()
            .filter(|m| !m.is_empty())
            .unwrap_or("http_2xx");
        let Some(module) = config.modules.get(name) else {
            self.state.unknown_module.inc();
            return Err(ProbeError(format!("Unknown module {name:?}")));
        };
        if !matches!(
            module.prober.as_str(),
            "http" | "tcp" | "dns" | "icmp" | "grpc" | "unix" | "websocket"
        ) {
            return Err(ProbeError(format!("Unknown prober {:?}", module.prober)));
        }
        if module.prober == "http"
            && let Some(hostname) = req.param("hostname").filter(|h| !h.is_empty())
            && let Some((_, host)) = module
                .http
                .headers
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case("host"))
            && host != hostname
        {
            return Err(ProbeError(format!(
                "host header defined both in module configuration ({host}) and with URL-parameter 'hostname' ({hostname})"
            )));
        }
        let debug = req.param("debug") == Some("true");
        let start = Instant::now();
        let mut deadline = req.deadline;
        if let Some(t) = module.timeout
            && !t.0.is_zero()
        {
            deadline = deadline.min(start + t.0);
        }
        let ctx = ProbeCtx {
            policy: &self.state.policy,
            hostname: req.param("hostname").filter(|h| !h.is_empty()),
            max_redirects: self.state.max_redirects,
            tokens: &self.state.tokens,
            deadline: tokio::time::Instant::from_std(deadline),
        };
        let mut log = ProbeLog::new(self.state.prober_log_level, name, &req.target);
        log.debug(format!(
            "Beginning probe probe={} timeout_seconds={:.3}",
            module.prober,
            deadline.saturating_duration_since(start).as_secs_f64()
        ));
        let mut probe_out = Emitter::new();
        let success = run_prober(&ctx, &req.target, module, &mut probe_out, &mut log).await;
        let elapsed = start.elapsed().as_secs_f64();
        if success {
            log.debug(format!("Probe succeeded duration_seconds={elapsed}"));
        } else {
            log.error(format!("Probe failed duration_seconds={elapsed}"));
        }
        tracing::debug!(module = name, target = %req.target, success, "probe done");
        probe_out.gauge(&TOP.success, &[], if success { 1.0 } else { 0.0 });
        probe_out.gauge(&TOP.duration, &[], elapsed);
        let families = exporter_kit::runner::merge(probe_out.into_families());
        // As upstream: every probe's debug output goes to the history; its
        // text is written when it is read (see history.rs).
        let entry = self.state.history.add(history::Entry {
            id: 0,
            module: name.to_string(),
            target: req.target.clone(),
            success,
            log: log.text(),
            families: families.clone(),
            config: config.clone(),
        });
        if debug {
            return Ok(Some(RawResponse {
                content_type: "text/plain; charset=utf-8",
                body: Bytes::from(entry.debug_output()),
            }));
        }
        for f in families {
            out.family(f);
        }
        Ok(None)
    }
}

async fn run_prober(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &Module,
    out: &mut Emitter,
    log: &mut ProbeLog,
) -> bool {
    // Each prober fills its metrics (emitted whatever the outcome, as
    // upstream's registry is) and stops at the probe's deadline.
    macro_rules! probe {
        ($prober:ident, $metrics:ident) => {{
            let mut m = prober::$prober::$metrics::default();
            let r = tokio::time::timeout_at(
                ctx.deadline,
                prober::$prober::probe(ctx, target, &module.$prober, &mut m, log),
            )
            .await;
            m.emit(out);
            finish(r, log)
        }};
    }
    match module.prober.as_str() {
        "http" => probe!(http, HttpMetrics),
        "tcp" => probe!(tcp, TcpMetrics),
        "dns" => probe!(dns, DnsMetrics),
        "icmp" => probe!(icmp, IcmpMetrics),
        "grpc" => probe!(grpc, GrpcMetrics),
        "unix" => probe!(unix, UnixMetrics),
        "websocket" => probe!(websocket, WebsocketMetrics),
        _ => false,
    }
}

fn finish(
    r: Result<Result<bool, String>, tokio::time::error::Elapsed>,
    log: &mut ProbeLog,
) -> bool {
    match r {
        Ok(Ok(ok)) => ok,
        Ok(Err(e)) => {
            log.error(e);
            false
        }
        Err(_) => {
            log.error("Timeout reached before the probe finished (context deadline exceeded)");
            false
        }
    }
}
