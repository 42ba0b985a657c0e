//! A server `control` stops and starts again on the same port and data:
//! the agents and the store of `up --scale-out`, the simulated host's
//! node-exporter.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use testkit::Process;

/// A server that `control` stops and starts again on the same port and
/// data directory (what a restart of the real service does).
pub struct Restartable {
    name: String,
    binary: PathBuf,
    args: Vec<String>,
    port: u16,
    /// Answers 200 once the server is ready.
    ready_path: &'static str,
    logs: PathBuf,
    starts: u32,
    process: Option<Process>,
}

impl Restartable {
    pub fn new(
        name: &str,
        binary: PathBuf,
        args: Vec<String>,
        port: u16,
        ready_path: &'static str,
        logs: &Path,
    ) -> Restartable {
        Restartable {
            name: name.to_string(),
            binary,
            args,
            port,
            ready_path,
            logs: logs.to_path_buf(),
            starts: 0,
            process: None,
        }
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn pid(&self) -> Option<u32> {
        self.process.as_ref().and_then(Process::pid)
    }

    /// Starts it (again) and waits until it is ready; each start logs to
    /// its own file (`agent-0a.log`, `agent-0a.2.log`, ...).
    pub fn start(&mut self) {
        if self.process.is_some() {
            return;
        }
        self.starts += 1;
        let log = if self.starts == 1 {
            self.logs.join(format!("{}.log", self.name))
        } else {
            self.logs.join(format!("{}.{}.log", self.name, self.starts))
        };
        let mut command = Command::new(&self.binary);
        command.args(&self.args);
        let mut process = Process::spawn(&self.name, command, &log);
        let url = format!("{}{}", self.url(), self.ready_path);
        let client = testkit::http();
        process.wait_ready(Duration::from_secs(60), || {
            client
                .get(&url)
                .send()
                .is_ok_and(|r| r.status().is_success())
        });
        self.process = Some(process);
    }

    /// SIGTERM (a clean shutdown, as `systemctl stop`), SIGKILL after 10 s.
    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(Duration::from_secs(10));
        }
    }
}
