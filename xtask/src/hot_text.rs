//! `cargo xtask hot-text <exporter>`: regenerate the list of functions an
//! exporter runs at start-up and on scrapes, which its release build
//! places together (crates/release-layout).
//!
//! The exporter runs under callgrind against a real backend started by
//! testkit, answers the requests Prometheus and people send (text, gzip,
//! OpenMetrics and protobuf scrapes, some at once, the landing page,
//! health), then stops on SIGTERM; every function of its binary that ran
//! goes into `crates/<exporter>/hot-functions.txt`.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};

#[derive(clap::Args)]
pub struct Args {
    /// node, redis, mysql, blackbox, kafka or container.
    pub exporter: String,
}

/// What an exporter needs to run: its backend (kept alive while it runs),
/// its arguments and the paths worth requesting.
struct Setup {
    _backend: Box<dyn std::any::Any>,
    args: Vec<String>,
    paths: Vec<String>,
}

fn setup(exporter: &str, port: u16, dir: &Path) -> anyhow::Result<Setup> {
    let listen = format!("127.0.0.1:{port}");
    let metrics = || vec!["/metrics".to_string(), "/".to_string()];
    Ok(match exporter {
        "node" => Setup {
            _backend: Box::new(()),
            args: vec![format!("--web.listen-address={listen}")],
            paths: metrics(),
        },
        "redis" => {
            let redis = testkit::RedisServer::start();
            Setup {
                args: vec![
                    "-redis.addr".into(),
                    format!("redis://127.0.0.1:{}", redis.port()),
                    "-web.listen-address".into(),
                    listen,
                ],
                _backend: Box::new(redis),
                paths: vec!["/metrics".into(), "/".into(), "/health".into()],
            }
        }
        "mysql" => {
            let db = testkit::MariaDb::start();
            let cnf = dir.join("my.cnf");
            std::fs::write(
                &cnf,
                format!("[client]\nuser=root\nhost=127.0.0.1\nport={}\n", db.port()),
            )?;
            Setup {
                args: vec![
                    format!("--web.listen-address={listen}"),
                    format!("--config.my-cnf={}", cnf.display()),
                ],
                _backend: Box::new(db),
                paths: metrics(),
            }
        }
        "blackbox" => {
            let config = dir.join("blackbox.yml");
            std::fs::write(
                &config,
                "modules:\n  http_2xx:\n    prober: http\n  tcp_connect:\n    prober: tcp\n",
            )?;
            let target = format!("http://{listen}/metrics");
            Setup {
                _backend: Box::new(()),
                args: vec![
                    format!("--web.listen-address={listen}"),
                    format!("--config.file={}", config.display()),
                ],
                paths: vec![
                    "/metrics".into(),
                    format!("/probe?target={target}&module=http_2xx"),
                    format!("/probe?target={listen}&module=tcp_connect"),
                    "/".into(),
                ],
            }
        }
        "kafka" => {
            let broker = testkit::KafkaBroker::start();
            Setup {
                args: vec![
                    "--kafka.server".into(),
                    broker.addr(),
                    format!("--web.listen-address={listen}"),
                ],
                _backend: Box::new(broker),
                paths: metrics(),
            }
        }
        "container" => {
            let docker = testkit::Dockerd::start();
            Setup {
                args: vec![
                    format!("--web.listen-address={listen}"),
                    format!("--docker={}", docker.host()),
                    "--docker_only".into(),
                ],
                _backend: Box::new(docker),
                paths: metrics(),
            }
        }
        other => {
            bail!("no hot-text run for {other:?}: node, redis, mysql, blackbox, kafka or container")
        }
    })
}

fn krate(exporter: &str) -> String {
    format!("{exporter}-exporter")
}

pub fn run(args: Args) -> anyhow::Result<()> {
    let krate = krate(&args.exporter);
    which("valgrind", "valgrind")?;
    // The bench profile is release with symbols, in target/release.
    let status = Command::new(env!("CARGO"))
        .args(["build", "--profile", "bench", "-p", &krate])
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("building {krate} failed");
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let binary = target.join("release").join(&krate);
    let dir = tempfile::tempdir()?;
    let port = testkit::free_port();
    let setup = setup(&args.exporter, port, dir.path())?;
    let out = dir.path().join("callgrind.out");
    let child = Command::new("valgrind")
        .args(["--tool=callgrind", "--demangle=no"])
        .arg(format!("--callgrind-out-file={}", out.display()))
        .arg(&binary)
        .args(&setup.args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .context("starting valgrind")?;
    let mut exporter = Running(child);
    exercise(port, &setup.paths)?;
    exporter.stop()?;
    let profile =
        std::fs::read_to_string(&out).with_context(|| format!("reading {}", out.display()))?;
    let patterns = ran_in(&profile, &binary);
    if patterns.len() < 100 {
        bail!(
            "only {} functions of {} ran: is the profile complete?",
            patterns.len(),
            binary.display()
        );
    }
    let list = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../crates")
        .join(&krate)
        .join("hot-functions.txt");
    let mut text = format!(
        "# Functions {krate} runs at start-up and on scrapes, placed first in\n\
         # its release build (crates/release-layout). Regenerate with\n\
         # `cargo xtask hot-text {}`.\n",
        args.exporter
    );
    for pattern in &patterns {
        text.push_str(pattern);
        text.push('\n');
    }
    std::fs::write(&list, text).with_context(|| format!("writing {}", list.display()))?;
    println!("{}: {} functions", list.display(), patterns.len());
    Ok(())
}

/// The request mix: every path, in every exposition format, gzipped and
/// not, over HTTP/1.1 keep-alive connections as Prometheus scrapes and
/// over HTTP/1.0, some of them at once.
fn exercise(port: u16, paths: &[String]) -> anyhow::Result<()> {
    let base = format!("http://127.0.0.1:{port}");
    let client = reqwest::blocking::Client::builder()
        .timeout(Duration::from_secs(120))
        .build()?;
    let get = |path: &str, accept: &str, encoding: &str| {
        client
            .get(format!("{base}{path}"))
            .header("Accept", accept)
            .header("Accept-Encoding", encoding)
            .send()
            .and_then(|r| r.error_for_status())
            .and_then(|r| r.bytes())
    };
    // Start-up under callgrind is some 50 times slower than native.
    let deadline = Instant::now() + Duration::from_secs(180);
    while get("/metrics", "*/*", "identity").is_err() {
        if Instant::now() > deadline {
            bail!("the exporter did not answer on port {port}");
        }
        std::thread::sleep(Duration::from_millis(500));
    }
    const ACCEPTS: &[&str] = &[
        "text/plain;version=0.0.4;q=1,*/*;q=0.1",
        "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4",
        "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited",
    ];
    for path in paths {
        for accept in ACCEPTS {
            for encoding in ["gzip", "identity"] {
                get(path, accept, encoding).with_context(|| format!("GET {path}"))?;
            }
        }
    }
    // HTTP/1.0, as simple health checkers (and `cargo xtask bench`) send:
    // hyper's paths for it differ.
    for path in paths {
        for encoding in ["gzip", "identity"] {
            crate::bench::harness::get(
                &format!("{base}{path}"),
                &[("Accept", ACCEPTS[0]), ("Accept-Encoding", encoding)],
            )?;
        }
    }
    std::thread::scope(|scope| {
        for _ in 0..4 {
            scope.spawn(|| {
                for _ in 0..3 {
                    let _ = get("/metrics", ACCEPTS[0], "gzip");
                }
            });
        }
    });
    Ok(())
}

/// The exporter under valgrind, killed if the run fails half-way.
struct Running(Child);

impl Running {
    /// SIGTERM, as systemd stops it, so shutdown runs too; callgrind
    /// writes its profile on exit.
    fn stop(&mut self) -> anyhow::Result<()> {
        let status = Command::new("kill")
            .args(["-TERM", &self.0.id().to_string()])
            .status()?;
        if !status.success() {
            bail!("kill -TERM failed");
        }
        self.0.wait()?;
        Ok(())
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if let Ok(None) = self.0.try_wait() {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
}

/// Patterns of the functions of `binary` that a callgrind profile saw run.
/// The format names objects (`ob=`, `cob=`) and functions (`fn=`, `cfn=`)
/// once in full and elsewhere by number (`fn=(12) name`, `fn=(12)`), and
/// not always first where it first uses the number: names are read in a
/// first pass.
fn ran_in(profile: &str, binary: &Path) -> BTreeSet<String> {
    let binary = binary.to_string_lossy();
    let entries: Vec<(&str, &str, &str)> = profile
        .lines()
        .filter_map(|line| {
            let (key, value) = line.split_once('=')?;
            let (id, name) = value.strip_prefix('(')?.split_once(')')?;
            Some((key, id, name.trim()))
        })
        .collect();
    let mut objects = std::collections::HashMap::new();
    let mut functions = std::collections::HashMap::new();
    for &(key, id, name) in &entries {
        match key {
            "ob" | "cob" if !name.is_empty() => objects.insert(id, name),
            "fn" | "cfn" if !name.is_empty() => functions.insert(id, name),
            _ => None,
        };
    }
    // Valgrind attributes code outside a binary's `.text` section to an
    // unknown object, `???`, with its symbols: a build already laid out
    // runs most of its code from `.text.hot`. Other code there (the vDSO)
    // has no section in the binary for a pattern to match.
    let ours = |id: &str| objects.get(id).is_some_and(|o| *o == binary || *o == "???");
    let mut in_binary = false;
    let mut patterns = BTreeSet::new();
    for &(key, id, _) in &entries {
        match key {
            "ob" => in_binary = ours(id),
            "fn" if in_binary => {
                // callgrind marks recursion depth as `name'2`
                if let Some(pattern) = functions
                    .get(id)
                    .and_then(|f| release_layout::pattern(f.split('\'').next().unwrap_or(f)))
                {
                    patterns.insert(pattern);
                }
            }
            _ => {}
        }
    }
    patterns
}

fn which(program: &str, package: &str) -> anyhow::Result<()> {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {program}")])
        .stdout(Stdio::null())
        .status()?
        .success();
    if !found {
        bail!("{program} missing: apt-get install -y {package}");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn functions_of_the_binary_are_read_from_a_compressed_profile() {
        let profile = "\
version: 1
ob=(1) /t/release/redis-exporter
fl=(1) ???
fn=(1) _ZN14redis_exporter6scrape17h0123456789abcdefE
0x1 3
cob=(2) /usr/lib/x86_64-linux-gnu/libc.so.6
cfn=(2) malloc
calls=1 0x2
ob=(2)
fn=(2)
0x2 5
ob=(1)
fn=(3) _RNvCsjrHSEGnQ3l9_3std4main'2
fn=(1)
fn=(4) (below main)
ob=(3)
fn=(5)
cob=(3) ???
cfn=(5) _ZN14redis_exporter3hot17h0123456789abcdefE
calls=1 0x3
";
        let patterns = ran_in(profile, Path::new("/t/release/redis-exporter"));
        assert_eq!(
            patterns.into_iter().collect::<Vec<_>>(),
            [
                "_RNvCs*_3std4main",
                "_ZN14redis_exporter3hot17h*",
                "_ZN14redis_exporter6scrape17h*"
            ]
        );
    }
}
