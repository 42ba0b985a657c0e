//! `/probe?target=host:port&auth_module=client.x`: the enabled scrapers
//! against another server, with the credentials of a my.cnf section.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use exporter_kit::{Desc, Emitter, ProbeError, ProbeHandler, ProbeRequest, RawResponse};

use crate::config::Section;
use crate::scraper::{Local, RunResult, ScraperBox, ping, run_scraper, scraper_deadline};
use crate::target::Target;

/// Targets kept (each with its small pool) between probes.
const MAX_TARGETS: usize = 256;

/// A probe target and the section it was made from.
type Made = (Section, Arc<Target>);

pub struct Probe {
    local: Arc<Local>,
    scrapers: Arc<Vec<(String, ScraperBox)>>,
    /// By (target, auth module), with the section it was made from: a
    /// reload that changes the section makes a new one.
    targets: Mutex<HashMap<(String, String), Made>>,
    last_error: Desc,
}

impl Probe {
    pub fn new(local: Arc<Local>, scrapers: Arc<Vec<(String, ScraperBox)>>) -> Probe {
        Probe {
            local,
            scrapers,
            targets: Mutex::new(HashMap::new()),
            last_error: Desc::gauge(
                "mysql_exporter_last_scrape_error",
                "Whether the last scrape of metrics from MySQL resulted in an error (1 for error, 0 for success).",
                &[],
            ),
        }
    }

    fn target(&self, target: &str, module: &str) -> Result<Arc<Target>, ProbeError> {
        let loaded = self.local.current();
        let section = loaded
            .config
            .section(module)
            .ok_or_else(|| ProbeError(format!("Could not find config section [{module}]")))?;
        let key = (target.to_string(), module.to_string());
        let mut targets = self.targets.lock().unwrap_or_else(|p| p.into_inner());
        if let Some((made_from, t)) = targets.get(&key)
            && made_from == section
        {
            return Ok(t.clone());
        }
        let t = Arc::new(
            Target::new(section, Some(target), &self.local.session).map_err(|e| {
                ProbeError(format!(
                    "Error forming dsn from config section [{module}]: {e}"
                ))
            })?,
        );
        if targets.len() >= MAX_TARGETS {
            targets.clear();
        }
        targets.insert(key, (section.clone(), t.clone()));
        Ok(t)
    }
}

#[async_trait::async_trait]
impl ProbeHandler for Probe {
    async fn probe(
        &self,
        req: &ProbeRequest,
        out: &mut Emitter,
    ) -> Result<Option<RawResponse>, ProbeError> {
        if req.target.is_empty() {
            return Err(ProbeError("target is required".into()));
        }
        let module = req
            .param("auth_module")
            .filter(|m| !m.is_empty())
            .unwrap_or("client");
        let target = self.target(&req.target, module)?;
        let wanted: Vec<&str> = req
            .params
            .iter()
            .filter(|(k, _)| k == "collect[]")
            .map(|(_, v)| v.as_str())
            .collect();
        let deadline = scraper_deadline(req.deadline, self.local.query_timeout);
        let started = Instant::now();
        let up = ping(&target, scraper_deadline(req.deadline, None)).await;
        out.gauge(
            &self.local.meta.duration,
            &["connection"],
            started.elapsed().as_secs_f64(),
        );
        self.local
            .errors
            .report("connection", &target.address, up.clone(), false);
        out.gauge(&self.local.meta.up, &[], if up.is_ok() { 1.0 } else { 0.0 });
        if up.is_err() {
            return Ok(None);
        }
        let selected: Vec<&(String, ScraperBox)> = {
            let matching: Vec<_> = self
                .scrapers
                .iter()
                .filter(|(label, _)| {
                    wanted
                        .iter()
                        .any(|w| label.strip_prefix("collect.") == Some(w))
                })
                .collect();
            // As upstream: no matching name means every enabled scraper.
            if matching.is_empty() {
                self.scrapers.iter().collect()
            } else {
                matching
            }
        };
        let runs = selected.into_iter().map(|(label, scraper)| {
            let target = target.clone();
            async move {
                let mut emitter = Emitter::new();
                let result = run_scraper(
                    &target,
                    &**scraper,
                    label,
                    (req.deadline, deadline),
                    &self.local.meta,
                    &mut emitter,
                )
                .await;
                (label, result, emitter)
            }
        });
        let mut any_error = false;
        for (label, result, emitter) in futures::future::join_all(runs).await {
            let report = match result {
                RunResult::Ok | RunResult::Skipped => Ok(()),
                RunResult::Connect(m) => {
                    any_error = true;
                    Err(m)
                }
                RunResult::Failed { message, .. } => {
                    any_error = true;
                    Err(message)
                }
            };
            self.local
                .errors
                .report(label, &target.address, report, true);
            for family in emitter.into_families() {
                out.family(family);
            }
        }
        out.gauge(&self.last_error, &[], if any_error { 1.0 } else { 0.0 });
        Ok(None)
    }
}
