//! An exporter: its collectors, its own metrics and its extra routes.

use std::sync::Arc;
use std::time::Instant;

use crate::collector::AnyCollector;
use crate::emit::Emitter;
use crate::family::Family;
use crate::http::Handler;
use crate::http::probe::ProbeHandler;
use crate::runner::{CollectorMetrics, FilterError, Runner, merge};
use crate::spec::Spec;

/// Renders a landing page from the telemetry path.
pub type LandingPage = fn(&str) -> String;

pub struct Exporter {
    pub(crate) spec: Spec,
    pub(crate) runner: Runner,
    pub(crate) registries: Vec<prometheus::Registry>,
    pub(crate) exporter_metrics: bool,
    pub(crate) probe: Option<(String, Arc<dyn ProbeHandler>)>,
    pub(crate) routes: Vec<(String, Arc<dyn Handler>)>,
    pub(crate) fallback: Option<Arc<dyn Handler>>,
    pub(crate) links: Vec<(String, String)>,
    /// The landing page from the telemetry path, when the exporter's
    /// upstream serves its own (see [`Exporter::landing_page`]).
    pub(crate) landing_page: Option<LandingPage>,
    /// A web configuration made from an exporter's own flags (see
    /// [`Exporter::web_config`]).
    pub(crate) web_config: Option<crate::webconfig::FlagWebConfig>,
}

impl Exporter {
    pub fn new(spec: Spec) -> Exporter {
        Exporter {
            runner: Runner::new(spec.collector_metrics()),
            spec,
            registries: Vec::new(),
            exporter_metrics: true,
            probe: None,
            routes: Vec::new(),
            fallback: None,
            links: Vec::new(),
            landing_page: None,
            web_config: None,
        }
    }

    pub fn spec(&self) -> &Spec {
        &self.spec
    }

    /// Replaces the per-collector metric names (or turns them off).
    pub fn collector_metrics(&mut self, metrics: CollectorMetrics) -> &mut Self {
        let mut runner = Runner::new(metrics);
        std::mem::swap(&mut self.runner, &mut runner);
        for (name, collector, always) in runner.into_entries() {
            if always {
                self.runner.add_always(name, collector);
            } else {
                self.runner.add(name, collector);
            }
        }
        self
    }

    pub fn collector(&mut self, name: &'static str, collector: AnyCollector) -> &mut Self {
        self.runner.add(name, collector);
        self
    }

    /// A collector that runs on every scrape of the telemetry path, also
    /// when `collect[]` selects others: a check of the server they all
    /// depend on, whose answer (`mysql_up`) upstream reports in every
    /// scrape.
    pub fn collector_always(&mut self, name: &'static str, collector: AnyCollector) -> &mut Self {
        self.runner.add_always(name, collector);
        self
    }

    /// The exporter's own instrumentation (`*_exporter_scrapes_total`,
    /// request counters), gathered into every scrape of the telemetry path.
    pub fn registry(&mut self, registry: prometheus::Registry) -> &mut Self {
        self.registries.push(registry);
        self
    }

    /// Leaves out `process_*` and build info (`--web.disable-exporter-metrics`).
    pub fn exporter_metrics(&mut self, on: bool) -> &mut Self {
        self.exporter_metrics = on;
        self
    }

    /// Serves multi-target probes at `path` (`/probe`, `/scrape`).
    pub fn probe(&mut self, path: &str, handler: impl ProbeHandler) -> &mut Self {
        self.links
            .push((path.to_string(), format!("Probe ({path}?target=...)")));
        self.probe = Some((path.to_string(), Arc::new(handler)));
        self
    }

    /// Serves `path` (exact match) with `handler`, before the kit's routes.
    pub fn route(&mut self, path: &str, handler: impl Handler) -> &mut Self {
        self.routes.push((path.to_string(), Arc::new(handler)));
        self
    }

    /// Serves every path no other route takes (an application's API).
    pub fn fallback(&mut self, handler: impl Handler) -> &mut Self {
        self.fallback = Some(Arc::new(handler));
        self
    }

    /// Replaces the kit's landing page at `/` by `page(telemetry_path)`,
    /// for upstreams whose page is checked byte for byte.
    pub fn landing_page(&mut self, page: fn(&str) -> String) -> &mut Self {
        self.landing_page = Some(page);
        self
    }

    /// Adds a link to the landing page.
    pub fn link(&mut self, href: &str, text: &str) -> &mut Self {
        self.links.push((href.to_string(), text.to_string()));
        self
    }

    /// Serves with `config` (TLS, basic auth) built from the exporter's
    /// own flags, as redis_exporter's `--tls-server-*` and
    /// `--basic-auth-*`. `flags` names them in errors; giving
    /// `--web.config.file` as well is a startup error.
    pub fn web_config(
        &mut self,
        flags: &str,
        config: crate::webconfig::WebConfigFile,
    ) -> &mut Self {
        self.web_config = Some(crate::webconfig::FlagWebConfig {
            flags: flags.to_string(),
            config,
        });
        self
    }

    pub fn collector_names(&self) -> Vec<&'static str> {
        self.runner.names().collect()
    }

    /// One scrape of the telemetry path: collectors under `deadline`, the
    /// exporter's registries, process metrics and build info, merged.
    pub async fn scrape(
        &self,
        deadline: Instant,
        include: Option<&[String]>,
        exclude: &[String],
    ) -> Result<Vec<Family>, FilterError> {
        let mut families = Vec::new();
        let selected: Option<Vec<String>> = if exclude.is_empty() {
            include.map(<[String]>::to_vec)
        } else {
            let base: Vec<String> = match include {
                Some(names) => names.to_vec(),
                None => self.runner.names().map(str::to_string).collect(),
            };
            for name in exclude {
                if !self.runner.names().any(|n| n == name) {
                    return Err(FilterError(name.clone()));
                }
            }
            Some(base.into_iter().filter(|n| !exclude.contains(n)).collect())
        };
        self.runner
            .collect(deadline, selected.as_deref(), &mut families)
            .await?;
        let mut own = Emitter::new();
        for registry in &self.registries {
            crate::prom::gather(registry, &mut own);
        }
        if self.exporter_metrics {
            crate::process::collect(&mut own);
            crate::build_info::collect(&self.spec, &mut own);
        }
        families.extend(own.into_families());
        Ok(merge(families))
    }
}
