//! `redis-server` (Debian `redis-server`).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::packages::require;
use crate::process::{Frozen, Process, free_port};

pub struct RedisServerBuilder {
    args: Vec<String>,
}

impl RedisServerBuilder {
    /// A `redis-server` argument, as on its command line
    /// (`.arg("--requirepass").arg("secret")`).
    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn start(self) -> RedisServer {
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let mut server = RedisServer {
            dir,
            port: free_port(),
            args: self.args,
            process: None,
        };
        server.start_process();
        server
    }
}

/// A `redis-server` on 127.0.0.1 and on a Unix socket in its directory,
/// with persistence off.
pub struct RedisServer {
    process: Option<Process>,
    dir: tempfile::TempDir,
    port: u16,
    args: Vec<String>,
}

/// Whether something answers RESP on `port` (PONG, or an auth error).
fn answers(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    if stream.write_all(b"PING\r\n").is_err() {
        return false;
    }
    let mut buf = [0u8; 64];
    match stream.read(&mut buf) {
        Ok(n) if n > 0 => {
            buf[0] == b'+' || buf[..n].starts_with(b"-NOAUTH") || buf[..n].starts_with(b"-ERR")
        }
        _ => false,
    }
}

impl RedisServer {
    pub fn builder() -> RedisServerBuilder {
        RedisServerBuilder { args: Vec::new() }
    }

    pub fn start() -> RedisServer {
        RedisServer::builder().start()
    }

    fn start_process(&mut self) {
        let binary = require("redis-server");
        let mut command = Command::new(binary);
        command
            .current_dir(self.dir.path())
            .args([
                "--port",
                &self.port.to_string(),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ])
            .args([
                "--unixsocket",
                &self.socket().to_string_lossy(),
                "--unixsocketperm",
                "700",
            ])
            .args([
                "--dir",
                &self.dir.path().to_string_lossy(),
                "--daemonize",
                "no",
            ])
            .args(&self.args);
        let log = self.dir.path().join("redis.log");
        let mut process = Process::spawn("redis-server", command, &log);
        let port = self.port;
        process.wait_ready(Duration::from_secs(20), || answers(port));
        self.process = Some(process);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    /// `redis://127.0.0.1:PORT`
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("redis.sock")
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Process::pid)
    }

    /// Freezes the server with SIGSTOP until the guard is dropped: a hung
    /// server (see [`Process::freeze`]).
    pub fn freeze(&self) -> Frozen<'_> {
        self.process
            .as_ref()
            .expect("redis-server is running")
            .freeze()
    }

    /// Stops the server, keeping its port and directory for [`Self::restart`].
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(Duration::from_secs(5));
        }
    }

    /// Starts it again on the same port after [`Self::stop`].
    pub fn restart(&mut self) {
        self.stop();
        self.start_process();
    }

    /// Runs a command through `redis-cli` and returns its output.
    pub fn cli(&self, args: &[&str]) -> String {
        let binary = require("redis-cli");
        let out = Command::new(binary)
            .args(["-h", "127.0.0.1", "-p", &self.port.to_string()])
            .args(args)
            .output()
            .expect("running redis-cli");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
