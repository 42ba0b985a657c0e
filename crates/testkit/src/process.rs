//! Child processes that die with their guard, free ports, and waiting.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Finds `binary` on PATH or in the sbin directories.
pub fn find_binary(binary: &str) -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    dirs.extend(
        [
            "/usr/sbin",
            "/sbin",
            "/usr/bin",
            "/usr/local/bin",
            "/usr/local/sbin",
        ]
        .map(PathBuf::from),
    );
    dirs.into_iter()
        .map(|dir| dir.join(binary))
        .find(|candidate| candidate.is_file())
}

/// Finds `binary` (see [`find_binary`]), or fails the test naming the
/// Debian package to install. [`crate::require`] takes the package from
/// `ci/apt-packages.txt`.
pub fn require_binary(binary: &str, package: &str) -> PathBuf {
    if let Some(path) = find_binary(binary) {
        return path;
    }
    panic!(
        "`{binary}` is not installed: install the Debian package `{package}` \
         (apt-get install -y {package}), or run the README's test command, which installs every test dependency"
    );
}

/// A free TCP port on 127.0.0.1 (free when asked; servers that lose the
/// race are restarted on another by their guard).
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("binding an ephemeral port on 127.0.0.1")
}

/// Polls `check` until it is true or `timeout` passes; returns whether it
/// became true.
pub fn wait_until(timeout: Duration, mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        if check() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A running child whose output goes to a log file; killed on drop.
pub struct Process {
    name: String,
    child: Option<Child>,
    log: PathBuf,
}

impl Process {
    pub fn spawn(name: &str, mut command: Command, log: &Path) -> Process {
        let out = std::fs::File::create(log).expect("creating a log file");
        let err = out.try_clone().expect("cloning a log file handle");
        command.stdin(Stdio::null()).stdout(out).stderr(err);
        let child = command
            .spawn()
            .unwrap_or_else(|e| panic!("starting {name}: {e}"));
        Process {
            name: name.to_string(),
            child: Some(child),
            log: log.to_path_buf(),
        }
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Freezes the process with SIGSTOP until the guard is dropped (then
    /// SIGCONT): a hung server. Its listening sockets stay open, so the
    /// kernel still accepts TCP connections, but nothing is ever answered.
    pub fn freeze(&self) -> Frozen<'_> {
        let pid = self
            .pid()
            .unwrap_or_else(|| panic!("{} is not running", self.name));
        signal("-STOP", pid);
        Frozen {
            pid,
            _process: std::marker::PhantomData,
        }
    }

    /// Whether the process is still running.
    pub fn alive(&mut self) -> bool {
        matches!(self.child.as_mut().map(|c| c.try_wait()), Some(Ok(None)))
    }

    /// The last lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(30)..].join("\n")
    }

    /// Fails the test with the log when `ready` does not come true.
    pub fn wait_ready(&mut self, timeout: Duration, ready: impl FnMut() -> bool) {
        if !wait_until(timeout, ready) {
            let alive = self.alive();
            panic!(
                "{} did not become ready within {timeout:?} (running: {alive}); log {}:\n{}",
                self.name,
                self.log.display(),
                self.log_tail()
            );
        }
    }

    /// SIGTERM, then SIGKILL after `grace`.
    pub fn stop(&mut self, grace: Duration) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        // Already exited (a startup that failed on purpose): nothing to signal.
        if matches!(child.try_wait(), Ok(Some(_))) {
            return;
        }
        let _ = Command::new("kill")
            .arg("-TERM")
            .arg(child.id().to_string())
            .status();
        let stopped = wait_until(grace, || matches!(child.try_wait(), Ok(Some(_))));
        if !stopped {
            let _ = child.kill();
        }
        let _ = child.wait();
    }
}

/// A process stopped by [`Process::freeze`]; it runs again when this is
/// dropped. It borrows the server's guard, so the server cannot be stopped
/// (which would wait for a frozen process) while it is frozen.
#[must_use = "the process runs again as soon as the guard is dropped"]
pub struct Frozen<'a> {
    pid: u32,
    _process: std::marker::PhantomData<&'a Process>,
}

impl Frozen<'_> {
    /// Lets the process run again (the same as dropping the guard).
    pub fn thaw(self) {}
}

impl Drop for Frozen<'_> {
    fn drop(&mut self) {
        signal("-CONT", self.pid);
    }
}

fn signal(signal: &str, pid: u32) {
    let sent = Command::new("kill")
        .arg(signal)
        .arg(pid.to_string())
        .status()
        .is_ok_and(|s| s.success());
    assert!(sent, "kill {signal} {pid} failed");
}

impl Drop for Process {
    fn drop(&mut self) {
        self.stop(Duration::from_secs(5));
    }
}
