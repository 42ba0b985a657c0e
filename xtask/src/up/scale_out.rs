//! `cargo xtask up --scale-out`: the stack beyond one Prometheus, with the
//! programs a user deploys. Prometheus servers in agent mode share the
//! targets (`hashmod` on the target address, two shards), each shard
//! scraped by an HA pair of agents, and remote-write to the long-term store
//! (Debian's `victoria-metrics`, the single-node server: Prometheus
//! remote_write in, the Prometheus query API out), which deduplicates what
//! the two replicas of a shard both wrote; `vmalert` evaluates the
//! repository's rules against the store, writes recording results and the
//! ALERTS series back, and notifies the stack's Alertmanager.
//!
//! Prometheus agents rather than vmagent: the agent is the same program
//! and the same scrape configuration as the single-server stack (only
//! `hashmod` relabeling is added), so what the scale-out proves holds for
//! the deployment a user already has; its WAL keeps what the store has not
//! yet accepted across a store outage, as vmagent's buffer would.

use std::path::Path;

use anyhow::{Context, Result, bail};
use serde_norway::{Mapping, Value};
use testkit::free_port;

use super::config::scale;
use super::restartable::Restartable;

/// How many shards share the targets.
pub const SHARDS: usize = 2;
/// The replicas of each shard: agents scraping the same targets, so one
/// of them restarting loses nothing.
pub const REPLICAS: [&str; 2] = ["a", "b"];

/// The agent of replica `replica` of shard `shard`: `agent-0a`.
pub fn agent_name(shard: usize, replica: &str) -> String {
    format!("agent-{shard}{replica}")
}

/// The running scale-out monitoring. Fields drop in order: vmalert first
/// (no notification about the rest stopping), the store last (the agents
/// flush into it as they stop).
pub struct ScaleOut {
    pub vmalert: Restartable,
    pub agents: Vec<Restartable>,
    pub store: Restartable,
}

impl ScaleOut {
    /// The agent or store `control` names (`agent-0a` ... `agent-1b`,
    /// `store`).
    pub fn part(&mut self, what: &str) -> Option<&mut Restartable> {
        if what == "store" {
            return Some(&mut self.store);
        }
        self.agents.iter_mut().find(|a| a.name() == what)
    }
}

const STORE_READY: &str = "/health";
const AGENT_READY: &str = "/-/ready";
const VMALERT_READY: &str = "/health";

fn key(name: &str) -> Value {
    Value::String(name.to_string())
}

/// The `hashmod` pair that keeps the targets of shard `shard` of `shards`:
/// the hash of the discovered address (before the job's own relabeling,
/// which points every probe at its exporter), so probes spread too.
fn shard_relabeling(shard: usize, shards: usize) -> Result<Vec<Value>> {
    Ok(serde_norway::from_str(&format!(
        "- source_labels: [__address__]\n  modulus: {shards}\n  target_label: __tmp_shard\n  action: hashmod\n\
         - source_labels: [__tmp_shard]\n  regex: '{shard}'\n  action: keep\n"
    ))?)
}

pub struct AgentInputs<'a> {
    /// prometheus.yml as `config::prometheus` generated it for the
    /// single-server stack.
    pub prometheus_yml: &'a str,
    /// Every agent's address: the targets of the prometheus job (each
    /// agent is scraped by the pair of one shard, maybe its own).
    pub agents: &'a [String],
    pub shard: usize,
    pub replica: &'a str,
    pub store_url: &'a str,
    pub factor: u32,
}

/// One agent's configuration: the single server's scrape jobs with this
/// shard's `hashmod` keep prepended, no rules and no alerting (the agent
/// has neither), the `cluster`/`shard`/`replica` external labels, and
/// remote_write to the store with its retry backoff and send deadline
/// divided by the speedup. `replica` is dropped from what is written: both
/// replicas of a shard write the same series, which the store deduplicates
/// (`shard` stays, so a target kept by both shards would be two series).
pub fn agent_config(inputs: &AgentInputs<'_>) -> Result<String> {
    let mut doc: Value =
        serde_norway::from_str(inputs.prometheus_yml).context("parsing prometheus.yml")?;
    let Some(root) = doc.as_mapping_mut() else {
        bail!("prometheus.yml is not a mapping");
    };
    root.remove(key("rule_files"));
    root.remove(key("alerting"));
    if let Some(Value::Mapping(global)) = root.get_mut(key("global")) {
        global.remove(key("evaluation_interval"));
        let labels = global
            .entry(key("external_labels"))
            .or_insert_with(|| Value::Mapping(Mapping::new()));
        if let Value::Mapping(labels) = labels {
            labels.insert(key("cluster"), key("local"));
            labels.insert(key("shard"), key(&inputs.shard.to_string()));
            labels.insert(
                key("replica"),
                key(&agent_name(inputs.shard, inputs.replica)),
            );
        }
    }
    let Some(Value::Sequence(jobs)) = root.get_mut(key("scrape_configs")) else {
        bail!("prometheus.yml without scrape_configs");
    };
    for job in jobs {
        let Some(job) = job.as_mapping_mut() else {
            continue;
        };
        if job.get(key("job_name")) == Some(&key("prometheus")) {
            let targets = inputs.agents.iter().map(|a| key(a)).collect();
            let mut group = Mapping::new();
            group.insert(key("targets"), Value::Sequence(targets));
            job.insert(
                key("static_configs"),
                Value::Sequence(vec![Value::Mapping(group)]),
            );
        }
        let mut relabel = shard_relabeling(inputs.shard, SHARDS)?;
        if let Some(Value::Sequence(own)) = job.get(key("relabel_configs")) {
            relabel.extend(own.iter().cloned());
        }
        job.insert(key("relabel_configs"), Value::Sequence(relabel));
    }
    let factor = inputs.factor;
    let remote_write: Value = serde_norway::from_str(&format!(
        "- url: {}/api/v1/write\n  write_relabel_configs:\n  - action: labeldrop\n    regex: replica\n  \
         queue_config:\n    batch_send_deadline: {}\n    max_backoff: {}\n",
        inputs.store_url,
        scale("5s", factor, 1000),
        scale("5s", factor, 1000),
    ))?;
    root.insert(key("remote_write"), remote_write);
    Ok(serde_norway::to_string(&doc)?)
}

/// The external labels of prometheus.yml's global section, as vmalert's
/// `-external.label` flags (Prometheus adds them to its alerts; the
/// alerts of aggregations would lose them otherwise).
fn external_label_flags(prometheus_yml: &str) -> Result<Vec<String>> {
    let doc: Value = serde_norway::from_str(prometheus_yml)?;
    let mut flags = Vec::new();
    if let Some(Value::Mapping(labels)) = doc.get("global").and_then(|g| g.get("external_labels")) {
        for (k, v) in labels {
            if let (Some(k), Some(v)) = (k.as_str(), v.as_str()) {
                flags.push(format!("-external.label={k}={v}"));
            }
        }
    }
    Ok(flags)
}

fn global_duration(prometheus_yml: &str, name: &str) -> Result<String> {
    let doc: Value = serde_norway::from_str(prometheus_yml)?;
    Ok(doc
        .get("global")
        .and_then(|g| g.get(name))
        .and_then(Value::as_str)
        .unwrap_or("1m")
        .to_string())
}

/// The agents' ports, shard by shard and replica by replica, chosen
/// before their configuration is written so the prometheus job can name
/// them (each agent is a target of one shard).
pub fn agent_ports() -> Vec<u16> {
    (0..SHARDS * REPLICAS.len()).map(|_| free_port()).collect()
}

pub struct Inputs<'a> {
    pub run_dir: &'a Path,
    /// prometheus.yml generated for the single-server stack.
    pub prometheus_yml: &'a str,
    pub agent_ports: &'a [u16],
    pub alertmanager_url: &'a str,
    pub factor: u32,
}

/// Starts the store, the agents and vmalert.
pub fn start(inputs: &Inputs<'_>) -> Result<ScaleOut> {
    let factor = inputs.factor;
    let logs = inputs.run_dir.join("logs");
    let config_dir = inputs.run_dir.join("config");
    let data = inputs.run_dir.join("data");
    std::fs::create_dir_all(&data)?;

    let agent_addresses: Vec<String> = inputs
        .agent_ports
        .iter()
        .map(|p| format!("127.0.0.1:{p}"))
        .collect();
    let prometheus_yml = inputs.prometheus_yml;
    let scrape = global_duration(prometheus_yml, "scrape_interval")?;
    let store_port = free_port();
    let mut store = Restartable::new(
        "store",
        testkit::require("victoria-metrics"),
        vec![
            format!("-httpListenAddr=127.0.0.1:{store_port}"),
            format!("-storageDataPath={}", data.join("store").display()),
            "-retentionPeriod=1d".into(),
            // The two replicas of a shard write the same series, each
            // sample scraped at its own moment: one sample per scrape
            // interval is kept (the last of each interval), at query time
            // and as parts merge.
            format!("-dedup.minScrapeInterval={scrape}"),
            // Samples are visible to queries (vmalert's too) this long
            // after their timestamp; 30 s by default, divided like the
            // scrape interval.
            format!("-search.latencyOffset={}", scale("30s", factor, 1000)),
            // After an outage the agents send what their WAL kept, into
            // the past: a cached range result would hide it.
            "-search.disableCache".into(),
        ],
        store_port,
        STORE_READY,
        &logs,
    );
    eprintln!("starting the store (victoria-metrics) ...");
    store.start();
    let store_url = store.url();

    eprintln!(
        "starting {} Prometheus agents ({SHARDS} shards, {} replicas each) ...",
        inputs.agent_ports.len(),
        REPLICAS.len()
    );
    let prometheus = testkit::require("prometheus");
    let mut agents = Vec::new();
    let replicas = (0..SHARDS).flat_map(|shard| REPLICAS.map(|replica| (shard, replica)));
    for ((shard, replica), port) in replicas.zip(inputs.agent_ports) {
        let name = agent_name(shard, replica);
        let config = agent_config(&AgentInputs {
            prometheus_yml,
            agents: &agent_addresses,
            shard,
            replica,
            store_url: &store_url,
            factor,
        })?;
        let path = config_dir.join(format!("{name}.yml"));
        std::fs::write(&path, config)?;
        let mut agent = Restartable::new(
            &name,
            prometheus.clone(),
            vec![
                "--enable-feature=agent".into(),
                format!("--config.file={}", path.display()),
                format!("--storage.agent.path={}", data.join(&name).display()),
                format!("--web.listen-address=127.0.0.1:{port}"),
            ],
            *port,
            AGENT_READY,
            &logs,
        );
        agent.start();
        agents.push(agent);
    }

    eprintln!("starting vmalert ...");
    let evaluation = global_duration(prometheus_yml, "evaluation_interval")?;
    let vmalert_port = free_port();
    let mut args = vec![
        format!("-httpListenAddr=127.0.0.1:{vmalert_port}"),
        format!("-rule={}/*.rules.yml", config_dir.join("rules").display()),
        format!("-datasource.url={store_url}"),
        format!("-remoteWrite.url={store_url}"),
        // Pending and firing alerts survive a vmalert restart.
        format!("-remoteRead.url={store_url}"),
        format!("-notifier.url={}", inputs.alertmanager_url),
        format!("-evaluationInterval={evaluation}"),
        // A selector without a range looks back one scrape interval, as
        // in Prometheus (the default is 5 m).
        format!("-datasource.queryStep={scrape}"),
        format!("-remoteWrite.flushInterval={}", scale("5s", factor, 1000)),
    ];
    args.extend(external_label_flags(prometheus_yml)?);
    let mut vmalert = Restartable::new(
        "vmalert",
        testkit::require("vmalert"),
        args,
        vmalert_port,
        VMALERT_READY,
        &logs,
    );
    vmalert.start();
    Ok(ScaleOut {
        vmalert,
        agents,
        store,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const PROMETHEUS_YML: &str = "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n  external_labels:\n    stack: ferroscope\n\
rule_files: [/x/*.rules.yml]\nalerting:\n  alertmanagers: []\n\
scrape_configs:\n- job_name: prometheus\n  static_configs:\n  - targets: ['127.0.0.1:9']\n- job_name: node\n  static_configs:\n  - targets: ['127.0.0.1:1']\n\
- job_name: redis\n  static_configs:\n  - targets: ['redis://127.0.0.1:2']\n  relabel_configs:\n  - target_label: __address__\n    replacement: 127.0.0.1:3\n";

    #[test]
    fn agents_shard_before_the_jobs_relabeling_and_keep_no_rules() {
        let text = agent_config(&AgentInputs {
            prometheus_yml: PROMETHEUS_YML,
            agents: &["127.0.0.1:7".into(), "127.0.0.1:8".into()],
            shard: 1,
            replica: "b",
            store_url: "http://127.0.0.1:9",
            factor: 15,
        })
        .unwrap_or_default();
        let doc: Value = serde_norway::from_str(&text).unwrap_or_default();
        assert!(doc.get("rule_files").is_none() && doc.get("alerting").is_none());
        assert_eq!(doc["global"]["external_labels"]["replica"], key("agent-1b"));
        assert_eq!(doc["global"]["external_labels"]["shard"], key("1"));
        assert_eq!(doc["global"]["external_labels"]["stack"], key("ferroscope"));
        let redis = &doc["scrape_configs"][2]["relabel_configs"];
        assert_eq!(redis[0]["action"], key("hashmod"));
        assert_eq!(redis[1]["regex"], key("1"));
        assert_eq!(redis[2]["target_label"], key("__address__"));
        assert_eq!(
            doc["scrape_configs"][0]["static_configs"][0]["targets"][1],
            key("127.0.0.1:8")
        );
        assert_eq!(
            doc["remote_write"][0]["url"],
            key("http://127.0.0.1:9/api/v1/write")
        );
        // Both replicas write the same series.
        let relabel = &doc["remote_write"][0]["write_relabel_configs"][0];
        assert_eq!(relabel["action"], key("labeldrop"));
        assert_eq!(relabel["regex"], key("replica"));
        assert_eq!(
            external_label_flags(PROMETHEUS_YML).unwrap_or_default(),
            ["-external.label=stack=ferroscope"]
        );
    }
}
