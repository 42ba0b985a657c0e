//! `cargo xtask up` / `down`: the compose stack, natively, on one host.
//!
//! `up` builds the exporters, then starts (through testkit's guards, the
//! same code the tests use) redis-server, mariadbd, the tansu broker, a
//! dockerd of its own with a few limited containers, Alertmanager and
//! Prometheus, plus every exporter, the demo-app and its load generator,
//! a probed HTTP endpoint, and the console receiver (which also stands in
//! for Slack). Configs are generated from the compose stack's own files
//! (see `config`). Everything lives under one run directory; `up` stays
//! in the foreground, `down` (or Ctrl-C) stops it. `up --scale-out` puts
//! Prometheus agents (two shards, an HA pair each), a long-term store and
//! vmalert in place of the one Prometheus (see `scale_out`).

pub mod config;
mod containers;
mod control;
mod exporters;
pub(crate) mod http;
mod receiver;
mod restartable;
pub(crate) mod scale_out;
mod simhost;
pub mod simulate;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::AtomicBool;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use testkit::{Alertmanager, Dockerd, KafkaBroker, MariaDb, Process, Prometheus, RedisServer};

pub use containers::OOM_CONTAINER;
use control::Endpoint;
use exporters::Exporters;
use receiver::Receiver;
use simhost::SimulatedHost;

#[derive(clap::Args)]
pub struct UpArgs {
    /// Simulation mode: divide every `for`, range selector, scrape and
    /// evaluation interval and Alertmanager timing by this factor (1 = the
    /// real values). 15 makes a 15 s scrape 1 s and a 10 m `for` 40 s.
    #[arg(long, default_value_t = 1)]
    pub speedup: u32,
    /// Where logs, generated configs, data and state.json go
    /// (default: <target dir>/ferroscope-up).
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
    /// Do not `cargo build` the exporters first (use the built binaries).
    #[arg(long)]
    pub no_build: bool,
    /// Requests per second of the demo-app's load generator.
    #[arg(long, default_value_t = 10.0)]
    pub rps: f64,
    /// In place of the one Prometheus: Prometheus agents sharing the
    /// targets (hashmod, two shards, each scraped by an HA pair of agents),
    /// remote-writing to a long-term store (victoria-metrics, which
    /// deduplicates the pairs), and vmalert running the rules against it.
    #[arg(long)]
    pub scale_out: bool,
}

#[derive(clap::Args)]
pub struct DownArgs {
    #[arg(long)]
    pub run_dir: Option<PathBuf>,
}

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo_root().join("target"))
}

pub fn default_run_dir(given: Option<PathBuf>) -> PathBuf {
    given.unwrap_or_else(|| target_dir().join("ferroscope-up"))
}

/// Seconds since the epoch, as a float.
pub fn now() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

/// `HH:MM:SS` (UTC) of an epoch time.
pub fn clock(t: f64) -> String {
    let s = t as u64 % 86_400;
    format!("{:02}:{:02}:{:02}", s / 3600, s / 60 % 60, s % 60)
}

/// What scrapes, stores and evaluates the rules.
pub enum Monitoring {
    /// One Prometheus does it all (`up`).
    Prometheus(Prometheus),
    /// Agents, the store and vmalert (`up --scale-out`).
    ScaleOut(Box<scale_out::ScaleOut>),
}

/// The processes of a running stack, held by `up` until it stops; fault
/// injection (`control`) acts on them.
pub struct Components {
    // Fields drop in order: the rule evaluation and Alertmanager stop
    // first, so stopping the rest sends no notifications.
    monitoring: Monitoring,
    _alertmanager: Alertmanager,
    redis: RedisServer,
    mariadb: MariaDb,
    endpoint: Endpoint,
    /// Set while `simulate redis-connection-failures` floods redis.
    redis_flood: Arc<AtomicBool>,
    /// `stall` / `run`: read by the kafka_demo traffic (see its docs).
    kafka_control: PathBuf,
    /// The stack's own dockerd and its containers (see `containers`).
    docker: Option<Dockerd>,
    /// The host `simulate high-cpu` loads and `host-down` stops (see
    /// `simhost`).
    simhost: SimulatedHost,
    _kafka: Option<KafkaBroker>,
    _exporters: Vec<Process>,
}

/// What `simulate`, `down` and the tests read about a running stack.
pub fn read_state(run_dir: &Path) -> Result<Value> {
    let path = run_dir.join("state.json");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "no running stack ({} missing): start one with `cargo xtask up --speedup 15`",
            path.display()
        )
    })?;
    Ok(serde_json::from_str(&text)?)
}

/// Checks the system packages before starting anything, naming the
/// apt-get command for the missing ones.
fn check_packages(scale_out: bool) -> Result<()> {
    let mut binaries = vec![
        "redis-server",
        "redis-cli",
        "mariadbd",
        "mariadb-install-db",
        "mariadb",
        "prometheus",
        "prometheus-alertmanager",
    ];
    if scale_out {
        binaries.extend(["victoria-metrics", "vmalert"]);
    }
    let missing = testkit::missing_packages(&binaries);
    if !missing.is_empty() {
        bail!(
            "missing system packages: apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        );
    }
    Ok(())
}

/// Fails when a stack started from `run_dir` still runs.
fn refuse_if_running(run_dir: &Path) -> Result<()> {
    if let Ok(state) = read_state(run_dir)
        && let Some(pid) = state["pid"].as_u64()
        && Path::new(&format!("/proc/{pid}")).exists()
    {
        bail!(
            "a stack is already running from {} (pid {pid}): `cargo xtask down` first",
            run_dir.display()
        );
    }
    Ok(())
}

/// An empty run directory, which also holds testkit's temporary
/// directories (the guards' data and logs).
fn prepare_run_dir(run_dir: &Path) -> Result<()> {
    let _ = std::fs::remove_dir_all(run_dir);
    for sub in ["logs", "tmp", "config"] {
        std::fs::create_dir_all(run_dir.join(sub))?;
    }
    tempfile::env::override_temp_dir(&run_dir.join("tmp"))
        .map_err(|_| anyhow::anyhow!("temporary directory already set"))?;
    Ok(())
}

/// redis-server with the compose stack's memory policy, and mariadbd with
/// the compose stack's init scripts (the exporter's user).
fn start_databases(repo: &Path) -> Result<(RedisServer, MariaDb)> {
    let redis = RedisServer::builder()
        .arg("--maxmemory")
        .arg("64mb")
        .arg("--maxmemory-policy")
        .arg("allkeys-lru")
        .start();
    let mariadb = MariaDb::start();
    let mut init: Vec<PathBuf> = std::fs::read_dir(repo.join("deploy/mysql/init"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    init.sort();
    for file in init {
        mariadb.sql(&std::fs::read_to_string(&file)?);
    }
    Ok((redis, mariadb))
}

/// What the monitoring reaches besides the compose services: the
/// receiver (Alertmanager's webhooks), the probed endpoint and the
/// simulated host's node-exporter.
struct Reached<'a> {
    receiver_url: &'a str,
    endpoint_url: &'a str,
    simulated_host: &'a str,
}

/// Alertmanager and Prometheus (or, with `scale_out`, the agents, the
/// store and vmalert) on configs generated from the compose stack's (see
/// `config`), pointed at the receiver and at `map`'s addresses.
fn start_monitoring(
    run_dir: &Path,
    factor: u32,
    scale_out: bool,
    reached: &Reached<'_>,
    docker: Option<&Dockerd>,
    map: &mut config::AddressMap,
    skipped: &mut Vec<String>,
) -> Result<(Alertmanager, Monitoring)> {
    let Reached {
        receiver_url,
        endpoint_url,
        simulated_host,
    } = *reached;
    let repo = repo_root();
    let alertmanager_yml = config::alertmanager(&config::AlertmanagerInputs {
        repo: &repo,
        out_dir: &run_dir.join("config"),
        factor,
        console_url: &format!("{receiver_url}/alerts"),
        deadmansswitch_url: &format!("{receiver_url}/deadmansswitch"),
        slack_url: &format!("{receiver_url}/slack"),
    })?;
    std::fs::write(run_dir.join("config/alertmanager.yml"), &alertmanager_yml)?;
    eprintln!("starting Alertmanager ...");
    let alertmanager = Alertmanager::start(&alertmanager_yml);
    let am_addr = alertmanager.url().trim_start_matches("http://").to_string();
    // Prometheus scrapes Alertmanager (job alertmanager) where it sends alerts.
    map.insert("alertmanager:9093".into(), am_addr.clone());

    let docker_host = docker.map(Dockerd::host);
    let extra_node_targets = [(simulated_host.to_string(), simhost::HOST.to_string())];
    // Prometheus' own port is only known once it runs: a first config
    // with a placeholder, then the real one and a reload.
    map.insert("localhost:9090".into(), "127.0.0.1:9".into());
    let inputs = |map: &config::AddressMap, skipped: &mut Vec<String>| {
        config::prometheus(
            &config::PrometheusInputs {
                repo: &repo,
                out_dir: &run_dir.join("config"),
                map,
                factor,
                alertmanager: &am_addr,
                extra_http_targets: &[endpoint_url.to_string()],
                docker_host: docker_host.as_deref(),
                extra_node_targets: &extra_node_targets,
            },
            skipped,
        )
    };
    if scale_out {
        let agent_ports = scale_out::agent_ports();
        map.insert(
            "localhost:9090".into(),
            format!("127.0.0.1:{}", agent_ports[0]),
        );
        let prometheus_yml = inputs(map, skipped)?;
        let scale_out = scale_out::start(&scale_out::Inputs {
            run_dir,
            prometheus_yml: &prometheus_yml,
            agent_ports: &agent_ports,
            alertmanager_url: &alertmanager.url(),
            factor,
        })?;
        return Ok((alertmanager, Monitoring::ScaleOut(Box::new(scale_out))));
    }
    eprintln!("starting Prometheus ...");
    let first = inputs(map, &mut Vec::new())?;
    // extra-scrape-metrics: scrape_sample_limit, which the
    // TargetSampleLimit* alerts compare with (as compose runs it).
    let prometheus = Prometheus::start(
        &first,
        &[
            "--storage.tsdb.retention.time=1d",
            "--enable-feature=extra-scrape-metrics",
        ],
    );
    let prom_addr = prometheus.url().trim_start_matches("http://").to_string();
    map.insert("localhost:9090".into(), prom_addr);
    let prometheus_yml = inputs(map, skipped)?;
    std::fs::write(prometheus.dir().join("prometheus.yml"), &prometheus_yml)?;
    std::fs::write(run_dir.join("config/prometheus.yml"), &prometheus_yml)?;
    let reload = testkit::http()
        .post(format!("{}/-/reload", prometheus.url()))
        .send()?;
    if !reload.status().is_success() {
        bail!(
            "reloading Prometheus failed: {}",
            reload.text().unwrap_or_default()
        );
    }
    Ok((alertmanager, Monitoring::Prometheus(prometheus)))
}

/// What `simulate`, `down` and the tests read (see [`read_state`]).
struct State<'a> {
    factor: u32,
    urls: &'a BTreeMap<String, String>,
    pids: BTreeMap<String, Option<u32>>,
    skipped: &'a [String],
}

fn write_state(run_dir: &Path, state: &State<'_>) -> Result<()> {
    let state = json!({
        "pid": std::process::id(),
        "run_dir": run_dir,
        "speedup": state.factor,
        "urls": state.urls,
        "pids": state.pids,
        "skipped": state.skipped,
    });
    std::fs::write(
        run_dir.join("state.json"),
        serde_json::to_string_pretty(&state)?,
    )?;
    Ok(())
}

fn print_summary(
    run_dir: &Path,
    factor: u32,
    took: Duration,
    urls: &BTreeMap<String, String>,
    skipped: &[String],
) {
    println!(
        "ferroscope stack up in {took:.0?} (speedup {factor}x), run directory {}",
        run_dir.display()
    );
    for (name, url) in urls {
        println!("  {name:<20} {url}");
    }
    for s in skipped {
        println!("  skipped: {s}");
    }
    println!(
        "logs: {}/logs and {}/tmp/*/; notifications: {}/notifications.log",
        run_dir.display(),
        run_dir.display(),
        run_dir.display()
    );
    println!("stop with `cargo xtask down` (or Ctrl-C)\n");
    let _ = std::io::stdout().flush();
}

/// Starts the stack, in dependency order, and holds it until `down`.
pub fn up(args: UpArgs) -> Result<()> {
    let run_dir = default_run_dir(args.run_dir);
    refuse_if_running(&run_dir)?;
    check_packages(args.scale_out)?;
    if !args.no_build {
        exporters::build()?;
    }
    exporters::check_built()?;
    prepare_run_dir(&run_dir)?;
    let factor = args.speedup.max(1);
    let repo = repo_root();
    let start = std::time::Instant::now();

    // The receiver first: Alertmanager's config points at it.
    let components: Arc<Mutex<Option<Components>>> = Arc::new(Mutex::new(None));
    let receiver = Receiver::start(&run_dir, components.clone())?;

    eprintln!("starting redis-server, mariadbd ...");
    let (redis, mariadb) = start_databases(&repo)?;
    let endpoint = Endpoint::start();
    let mut skipped = Vec::new();
    eprintln!("starting dockerd and its containers ...");
    let docker = containers::start_docker(&run_dir, &mut skipped);

    eprintln!("starting the exporters and the demo-app ...");
    let mut exporters = exporters::start(factor, &run_dir, docker.as_ref(), args.rps);
    let kafka_control = run_dir.join("kafka-control");
    let kafka = exporters::start_kafka(
        factor,
        &run_dir,
        &kafka_control,
        &mut exporters,
        &mut skipped,
    )?;
    let simhost = simhost::start(&run_dir, |args| {
        exporters::restartable(factor, &run_dir, "simulated-host", "node-exporter", args)
    })?;
    let Exporters {
        processes,
        mut map,
        demo_url,
    } = exporters;
    map.insert("redis:6379".into(), redis.addr());
    map.insert("mysql:3306".into(), mariadb.addr());

    let endpoint_url = format!("http://127.0.0.1:{}/", endpoint.port);
    let (alertmanager, monitoring) = start_monitoring(
        &run_dir,
        factor,
        args.scale_out,
        &Reached {
            receiver_url: &receiver.url,
            endpoint_url: &endpoint_url,
            simulated_host: &simhost.address,
        },
        docker.as_ref(),
        &mut map,
        &mut skipped,
    )?;

    let mut urls: BTreeMap<String, String> = BTreeMap::new();
    let mut pids = BTreeMap::new();
    match &monitoring {
        Monitoring::Prometheus(p) => {
            urls.insert("prometheus".into(), p.url());
        }
        Monitoring::ScaleOut(s) => {
            // `store` answers the Prometheus query API (dashboards,
            // lint-dashboards --live); vmalert's the alerts API.
            urls.insert("store".into(), s.store.url());
            urls.insert("vmalert".into(), s.vmalert.url());
            pids.insert("store".to_string(), s.store.pid());
            pids.insert("vmalert".to_string(), s.vmalert.pid());
            for agent in &s.agents {
                urls.insert(agent.name().to_string(), agent.url());
                pids.insert(agent.name().to_string(), agent.pid());
            }
        }
    }
    urls.insert("alertmanager".into(), alertmanager.url());
    urls.insert("receiver".into(), receiver.url.clone());
    urls.insert("demo-app".into(), demo_url);
    urls.insert("endpoint".into(), endpoint_url);
    urls.insert("redis".into(), redis.url());
    urls.insert("mysql".into(), mariadb.addr());
    urls.insert(
        "simulated-host".into(),
        format!("http://{}/metrics", simhost.address),
    );
    if let Some(d) = &docker {
        urls.insert("docker".into(), d.host());
    }
    for (name, addr) in &map {
        if name.contains("exporter") {
            urls.insert(
                name.split(':').next().unwrap_or_default().to_string(),
                format!("http://{addr}/metrics"),
            );
        }
    }
    pids.insert("redis-server".to_string(), redis.pid());
    pids.insert("simulated-host".to_string(), simhost.exporter.pid());
    pids.insert("mariadbd".to_string(), mariadb.pid());
    for p in &processes {
        pids.insert(format!("pid-{}", pids.len()), p.pid());
    }
    write_state(
        &run_dir,
        &State {
            factor,
            urls: &urls,
            pids,
            skipped: &skipped,
        },
    )?;
    *components.lock().unwrap_or_else(|e| e.into_inner()) = Some(Components {
        redis,
        mariadb,
        endpoint,
        redis_flood: Arc::new(AtomicBool::new(false)),
        kafka_control,
        docker,
        simhost,
        _kafka: kafka,
        _alertmanager: alertmanager,
        monitoring,
        _exporters: processes,
    });
    print_summary(&run_dir, factor, start.elapsed(), &urls, &skipped);

    receiver.wait_for_shutdown();
    println!("stopping the stack ...");
    drop(components.lock().unwrap_or_else(|e| e.into_inner()).take());
    let _ = std::fs::remove_file(run_dir.join("state.json"));
    println!("stopped");
    Ok(())
}

pub fn down(args: DownArgs) -> Result<()> {
    let run_dir = default_run_dir(args.run_dir);
    let state = read_state(&run_dir)?;
    let Some(pid) = state["pid"].as_u64() else {
        bail!("state.json without a pid");
    };
    let receiver = state["urls"]["receiver"].as_str().unwrap_or_default();
    let asked = testkit::http()
        .post(format!("{receiver}/control/shutdown"))
        .send()
        .is_ok_and(|r| r.status().is_success());
    let gone = |pid: u64| !Path::new(&format!("/proc/{pid}")).exists();
    if asked && testkit::wait_until(Duration::from_secs(60), || gone(pid)) {
        println!("stopped the stack of {} (pid {pid})", run_dir.display());
        return Ok(());
    }
    // The supervisor does not answer: stop what it started, by pid.
    let mut all: Vec<u64> = state["pids"]
        .as_object()
        .into_iter()
        .flat_map(|m| m.values())
        .filter_map(Value::as_u64)
        .collect();
    all.push(pid);
    for p in &all {
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(p.to_string())
            .status();
    }
    let _ = std::fs::remove_file(run_dir.join("state.json"));
    println!("sent SIGTERM to {all:?}");
    Ok(())
}
