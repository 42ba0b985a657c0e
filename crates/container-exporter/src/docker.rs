//! Container names, images and labels from the Docker Engine
//! API (bollard), kept in a cache: listed once when the connection comes
//! up, then kept current from the events stream. Scrapes only read the
//! cache. When Docker is absent or restarting the task reconnects with
//! backoff; the cache keeps its last state and raw cgroup metrics keep
//! flowing.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use bollard::Docker;
use bollard::models::{ContainerInspectResponse, HealthStatusEnum};
use bollard::query_parameters::{EventsOptions, ListContainersOptions};
use futures::StreamExt;

use crate::args::LabelPolicy;

/// What the exporter knows about one container: only the fields the
/// metrics use (an inspect response is tens of KiB; this is ~100 bytes
/// plus the name). Image names and label values repeat across containers
/// and are interned: one allocation per distinct string.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Meta {
    pub name: Box<str>,
    pub image: Arc<str>,
    /// The labels `--store_container_labels` / `--whitelisted_container_labels`
    /// keep, as `(name, value)` sorted by name.
    pub labels: Box<[(Arc<str>, Arc<str>)]>,
    /// Creation time, seconds since the epoch.
    pub created: Option<f64>,
    /// When the runtime last started it (Docker's `State.StartedAt`);
    /// `None` where the runtime does not say, and cAdvisor takes the
    /// cgroup's creation instead.
    pub started: Option<f64>,
    pub pid: Option<u32>,
    /// 1 healthy, 0 unhealthy or starting, -1 no health check (cAdvisor's
    /// `container_health_state`).
    pub health: f64,
}

impl Meta {
    /// The value of label `name`, "" when the container has none.
    pub fn label(&self, name: &str) -> &str {
        self.labels
            .binary_search_by(|(k, _)| (**k).cmp(name))
            .map_or("", |i| &self.labels[i].1)
    }
}

/// The labels of `labels` that `policy` keeps, sorted by name for
/// [`Meta::label`], their strings from `intern`.
pub fn kept_labels<'a>(
    labels: impl IntoIterator<Item = (&'a str, &'a str)>,
    policy: &LabelPolicy,
    mut intern: impl FnMut(&str) -> Arc<str>,
) -> Box<[(Arc<str>, Arc<str>)]> {
    let mut kept: Vec<(Arc<str>, Arc<str>)> = labels
        .into_iter()
        .filter(|(k, _)| policy.keeps(k))
        .map(|(k, v)| (intern(k), intern(v)))
        .collect();
    kept.sort_unstable_by(|a, b| a.0.cmp(&b.0));
    kept.into_boxed_slice()
}

#[derive(Debug, Default)]
pub struct State {
    /// Shared with scrapes: a scrape takes an `Arc` per container, never a
    /// copy of its strings.
    pub containers: HashMap<Box<str>, Arc<Meta>>,
    /// OOM events seen on the events stream, by container id.
    pub oom_events: HashMap<Box<str>, u64>,
    pub version: Option<String>,
    pub connected: bool,
    /// The request client of the connection in force, for liveness checks.
    api: Option<Docker>,
    /// Docker answered once since the exporter started: from then on, not
    /// answering is Docker being down, not a host without Docker.
    ever_connected: bool,
    strings: Interner,
}

/// Interned strings (image names, label values). Entries no container
/// uses any more are dropped when containers are destroyed.
#[derive(Debug, Default)]
pub struct Interner(HashSet<Arc<str>>);

impl Interner {
    pub fn get(&mut self, s: &str) -> Arc<str> {
        if let Some(v) = self.0.get(s) {
            return v.clone();
        }
        let v: Arc<str> = Arc::from(s);
        self.0.insert(v.clone());
        v
    }

    /// Drops strings held by nothing but the interner.
    pub fn prune(&mut self) {
        self.0.retain(|s| Arc::strong_count(s) > 1);
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// A handle on the cache; cheap to clone.
#[derive(Clone, Default)]
pub struct Watcher {
    state: Arc<RwLock<State>>,
    /// The runtime the checks run on (scrapes read the cache from threads
    /// of the blocking pool).
    runtime: Option<tokio::runtime::Handle>,
}

/// One scrape's check that Docker answers, started by [`Watcher::check`]
/// so that it runs while the scrape reads the cgroups.
pub struct Check(std::sync::mpsc::Receiver<Result<(), String>>);

const NO_ANSWER: &str = "docker did not answer before the scrape deadline";

impl Check {
    fn done(result: Result<(), String>) -> Check {
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        let _ = tx.send(result);
        Check(rx)
    }

    /// Its answer, waiting until `deadline` at most (a blocking wait: for
    /// the blocking collector).
    pub fn wait(self, deadline: Instant) -> Result<(), String> {
        let left = deadline.saturating_duration_since(Instant::now());
        self.0
            .recv_timeout(left)
            .unwrap_or_else(|_| Err(NO_ANSWER.to_string()))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum DockerError {
    #[error("docker endpoint {0:?}: {1}")]
    Connect(String, bollard::errors::Error),
    #[error("docker: {0}")]
    Api(#[from] bollard::errors::Error),
}

impl Watcher {
    /// Starts the watcher task for `endpoint` (`unix:///var/run/docker.sock`,
    /// `tcp://host:port`). Needs a tokio runtime. Never fails: Docker being
    /// absent is retried with backoff (at most every 5 s).
    pub fn spawn(endpoint: &str, policy: LabelPolicy) -> Watcher {
        let watcher = Watcher {
            state: Arc::default(),
            runtime: Some(tokio::runtime::Handle::current()),
        };
        let state = watcher.state.clone();
        let endpoint = endpoint.to_string();
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(250);
            loop {
                // Connecting is redone on every attempt: the socket may
                // not exist yet (Docker not started, or restarting).
                // The events stream is long-lived: a day-long timeout on
                // its client; requests use one with a short timeout.
                let result = match (connect(&endpoint, 86_400), connect(&endpoint, 10)) {
                    (Ok(events), Ok(api)) => follow(&api, &events, &state, &policy).await,
                    (Err(e), _) | (_, Err(e)) => Err(e),
                };
                match result {
                    Ok(()) => tracing::warn!("docker events stream ended; reconnecting"),
                    Err(err) => tracing::debug!(error = %err, "docker unavailable; retrying"),
                }
                if let Ok(mut s) = state.write() {
                    if s.connected {
                        tracing::warn!(
                            "lost the connection to docker; keeping the last known names"
                        );
                        backoff = Duration::from_millis(250);
                    }
                    s.connected = false;
                    s.api = None;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(5));
            }
        });
        watcher
    }

    pub fn get(&self, id: &str) -> Option<Arc<Meta>> {
        self.state.read().ok()?.containers.get(id).cloned()
    }

    pub fn oom_events(&self, id: &str) -> u64 {
        self.state
            .read()
            .ok()
            .and_then(|s| s.oom_events.get(id).copied())
            .unwrap_or(0)
    }

    pub fn version(&self) -> Option<String> {
        self.state.read().ok()?.version.clone()
    }

    pub fn connected(&self) -> bool {
        self.state.read().map(|s| s.connected).unwrap_or(false)
    }

    /// Starts a check that Docker answers (`GET /_ping`) by `deadline`:
    /// the events stream of a hung Docker just stays quiet, so the cache
    /// cannot tell. None while Docker has never answered (a host without
    /// Docker is not an error); a lost connection fails at once.
    pub fn check(&self, deadline: Instant) -> Option<Check> {
        let (api, ever) = {
            let s = self.state.read().ok()?;
            (s.api.clone(), s.ever_connected)
        };
        if !ever {
            return None;
        }
        let (Some(api), Some(runtime)) = (api, &self.runtime) else {
            return Some(Check::done(
                Err("lost the connection to docker".to_string()),
            ));
        };
        let (tx, rx) = std::sync::mpsc::sync_channel(1);
        runtime.spawn(async move {
            let answer = match tokio::time::timeout_at(deadline.into(), api.ping()).await {
                Ok(Ok(_)) => Ok(()),
                Ok(Err(e)) => Err(format!("docker: {e}")),
                Err(_) => Err(NO_ANSWER.to_string()),
            };
            let _ = tx.send(answer);
        });
        Some(Check(rx))
    }
}

fn connect(endpoint: &str, timeout: u64) -> Result<Docker, DockerError> {
    let result = if endpoint.starts_with("tcp://") || endpoint.starts_with("http://") {
        Docker::connect_with_http(endpoint, timeout, bollard::API_DEFAULT_VERSION)
    } else {
        Docker::connect_with_unix(endpoint, timeout, bollard::API_DEFAULT_VERSION)
    };
    result.map_err(|e| DockerError::Connect(endpoint.to_string(), e))
}

/// One connection's life: subscribe to events, list and inspect every
/// container, then apply events until the stream ends.
async fn follow(
    api: &Docker,
    events: &Docker,
    state: &RwLock<State>,
    policy: &LabelPolicy,
) -> Result<(), DockerError> {
    let version = api.version().await?;
    let since = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs().saturating_sub(1).to_string())
        .ok();
    let mut filters = HashMap::new();
    filters.insert("type".to_string(), vec!["container".to_string()]);
    let mut stream = events.events(Some(EventsOptions {
        since,
        until: None,
        filters: Some(filters),
    }));
    // Only the ids are kept from the listing (its summaries carry mounts,
    // ports and networks nobody reads); each inspect response is dropped
    // as soon as its few fields are copied.
    let ids: Vec<String> = api
        .list_containers(Some(ListContainersOptions {
            all: true,
            ..Default::default()
        }))
        .await?
        .into_iter()
        .filter_map(|c| c.id)
        .collect();
    let mut strings = Interner::default();
    let mut containers = HashMap::with_capacity(ids.len());
    for id in ids {
        if let Ok(inspect) = api.inspect_container(&id, None).await {
            let m = meta(&inspect, policy, &mut strings);
            containers.insert(id.into_boxed_str(), Arc::new(m));
        }
    }
    if let Ok(mut s) = state.write() {
        s.containers = containers;
        s.strings = strings;
        s.version = version.version;
        s.connected = true;
        s.api = Some(api.clone());
        s.ever_connected = true;
    }
    tracing::info!("connected to docker");
    while let Some(event) = stream.next().await {
        let event = event?;
        let Some(id) = event.actor.and_then(|a| a.id) else {
            continue;
        };
        let action = event.action.unwrap_or_default();
        // health_status events carry the new status after a colon.
        match action.split(':').next().unwrap_or_default() {
            "destroy" => {
                if let Ok(mut s) = state.write() {
                    s.containers.remove(id.as_str());
                    s.oom_events.remove(id.as_str());
                    s.strings.prune();
                }
            }
            "oom" => {
                if let Ok(mut s) = state.write() {
                    *s.oom_events.entry(id.into_boxed_str()).or_insert(0) += 1;
                }
            }
            "create" | "start" | "restart" | "rename" | "update" | "die" | "health_status" => {
                if let Ok(inspect) = api.inspect_container(&id, None).await
                    && let Ok(mut s) = state.write()
                {
                    let m = meta(&inspect, policy, &mut s.strings);
                    s.containers.insert(id.into_boxed_str(), Arc::new(m));
                }
            }
            _ => {}
        }
    }
    Ok(())
}

/// The fields the metrics use, out of an inspect response.
pub fn meta(c: &ContainerInspectResponse, policy: &LabelPolicy, strings: &mut Interner) -> Meta {
    let config = c.config.as_ref();
    let labels = config.and_then(|c| c.labels.as_ref());
    let state = c.state.as_ref();
    let health = match state.and_then(|s| s.health.as_ref()).and_then(|h| h.status) {
        Some(HealthStatusEnum::HEALTHY) => 1.0,
        Some(HealthStatusEnum::UNHEALTHY | HealthStatusEnum::STARTING) => 0.0,
        _ => -1.0,
    };
    // cAdvisor adds a container's restart count to its labels (so
    // `container_label_restartcount`), once it has restarted.
    let restarts = c.restart_count.filter(|n| *n > 0).map(|n| n.to_string());
    Meta {
        name: c
            .name
            .as_deref()
            .unwrap_or_default()
            .trim_start_matches('/')
            .into(),
        image: strings.get(config.and_then(|c| c.image.as_deref()).unwrap_or_default()),
        labels: kept_labels(
            labels
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(restarts.as_deref().map(|n| ("restartcount", n))),
            policy,
            |s| strings.get(s),
        ),
        created: c.created.as_deref().and_then(parse_rfc3339),
        // Docker writes 0001-01-01T00:00:00Z for a container never started;
        // cAdvisor ignores times before the epoch.
        started: state
            .and_then(|s| s.started_at.as_deref())
            .and_then(parse_rfc3339)
            .filter(|t| *t >= 0.0),
        pid: state
            .and_then(|s| s.pid)
            .filter(|p| *p > 0)
            .and_then(|p| u32::try_from(p).ok()),
        health,
    }
}

/// Seconds since the epoch of Docker's RFC 3339 times
/// (`2026-11-25T20:24:15.664844029Z`, or with a `+01:00` offset).
pub fn parse_rfc3339(s: &str) -> Option<f64> {
    let num = |r: std::ops::Range<usize>| -> Option<i64> { s.get(r)?.parse().ok() };
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, sec) = (num(11..13)?, num(14..16)?, num(17..19)?);
    if s.get(4..5)? != "-" || s.get(10..11).map(|t| t.eq_ignore_ascii_case("t")) != Some(true) {
        return None;
    }
    let rest = s.get(19..)?;
    let (frac, zone) = match rest.strip_prefix('.') {
        Some(r) => {
            let end = r.find(|c: char| !c.is_ascii_digit()).unwrap_or(r.len());
            let digits = &r[..end];
            let frac = if digits.is_empty() {
                0.0
            } else {
                format!("0.{digits}").parse::<f64>().ok()?
            };
            (frac, &r[end..])
        }
        None => (0.0, rest),
    };
    let offset = match zone {
        "Z" | "z" => 0,
        z if z.len() == 6 => {
            let sign = if z.starts_with('-') { -1 } else { 1 };
            let oh: i64 = z.get(1..3)?.parse().ok()?;
            let om: i64 = z.get(4..6)?.parse().ok()?;
            sign * (oh * 3600 + om * 60)
        }
        _ => return None,
    };
    // Days from the civil date (Howard Hinnant's algorithm).
    let y = if mo <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146097 + doe - 719468;
    let secs = days * 86400 + h * 3600 + mi * 60 + sec - offset;
    Some(secs as f64 + frac)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rfc3339_times() {
        assert_eq!(parse_rfc3339("1970-01-01T00:00:00Z"), Some(0.0));
        assert_eq!(
            parse_rfc3339("2026-11-25T20:24:15.5Z"),
            Some(1_795_638_255.5)
        );
        assert_eq!(
            parse_rfc3339("2026-11-25T21:24:15+01:00"),
            Some(1_795_638_255.0)
        );
        assert_eq!(
            parse_rfc3339("0001-01-01T00:00:00Z").map(|v| v < 0.0),
            Some(true)
        );
        assert_eq!(parse_rfc3339("garbage"), None);
        assert_eq!(parse_rfc3339(""), None);
    }
}
