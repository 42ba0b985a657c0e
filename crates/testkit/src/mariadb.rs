//! `mariadbd` (Debian `mariadb-server`) with its own data directory made
//! by `mariadb-install-db`; root logs in without a password over the
//! socket and over TCP from 127.0.0.1.

use std::io::Read;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use crate::packages::require;
use crate::process::{Frozen, Process, free_port};

pub struct MariaDb {
    process: Option<Process>,
    dir: tempfile::TempDir,
    port: u16,
    extra_args: Vec<String>,
}

/// Whether a MySQL protocol greeting comes from `port`.
fn greets(port: u16) -> bool {
    let Ok(mut stream) = TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(Duration::from_millis(500)));
    let mut buf = [0u8; 5];
    // Packet header (3 bytes length, 1 sequence) then protocol version 10.
    stream.read_exact(&mut buf).is_ok() && buf[4] == 10
}

fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .map(|l| l.split_whitespace().nth(2) == Some("0"))
        })
        .unwrap_or(false)
}

/// The server's own error logs in a data directory, for failure messages.
fn error_logs(data: &Path) -> String {
    let Ok(entries) = std::fs::read_dir(data) else {
        return String::new();
    };
    entries
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "err"))
        .filter_map(|e| std::fs::read_to_string(e.path()).ok())
        .collect::<Vec<_>>()
        .join("\n")
}

impl MariaDb {
    pub fn start() -> MariaDb {
        MariaDb::start_with(&[])
    }

    /// Starts with extra `mariadbd` arguments (`--log-bin`, `--server-id=2`).
    pub fn start_with(args: &[&str]) -> MariaDb {
        let install = require("mariadb-install-db");
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let data = dir.path().join("data");
        // Bootstrapping is the step that fails when the machine is short of
        // something for a moment (several servers start at once in a test
        // run): try twice, from an empty data directory each time.
        let mut failure = String::new();
        for _ in 0..2 {
            let _ = std::fs::remove_dir_all(&data);
            let mut command = Command::new(&install);
            command.args([
                "--no-defaults",
                &format!("--datadir={}", data.display()),
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
                "--skip-name-resolve",
                // Native AIO contexts are a machine-wide budget
                // (fs.aio-max-nr) that concurrent servers share.
                "--innodb-use-native-aio=0",
            ]);
            if is_root() {
                command.arg("--user=root");
            }
            let out = command.output().expect("running mariadb-install-db");
            if out.status.success() {
                failure.clear();
                break;
            }
            failure = format!(
                "{}{}{}",
                String::from_utf8_lossy(&out.stdout),
                String::from_utf8_lossy(&out.stderr),
                error_logs(&data)
            );
        }
        assert!(
            failure.is_empty(),
            "mariadb-install-db failed twice:\n{failure}"
        );
        let mut server = MariaDb {
            process: None,
            dir,
            port: free_port(),
            extra_args: args.iter().map(|a| a.to_string()).collect(),
        };
        server.start_process();
        // Root over TCP from 127.0.0.1 without a password, like the socket.
        server.sql("CREATE USER IF NOT EXISTS 'root'@'127.0.0.1' IDENTIFIED BY ''; GRANT ALL ON *.* TO 'root'@'127.0.0.1' WITH GRANT OPTION; FLUSH PRIVILEGES;");
        server
    }

    fn start_process(&mut self) {
        let binary = require("mariadbd");
        // Its own temporary directory: with the default /tmp, a large
        // information_schema query's on-disk temp table vanished under a
        // full parallel test run ("Error on delete of '/tmp/#sql-temptable-…'").
        let tmp = self.dir.path().join("tmp");
        let _ = std::fs::create_dir_all(&tmp);
        let mut command = Command::new(binary);
        command.args([
            "--no-defaults".to_string(),
            format!("--datadir={}", self.dir.path().join("data").display()),
            format!("--tmpdir={}", tmp.display()),
            format!("--socket={}", self.socket().display()),
            format!(
                "--pid-file={}",
                self.dir.path().join("mariadbd.pid").display()
            ),
            format!("--port={}", self.port),
            "--bind-address=127.0.0.1".to_string(),
            "--skip-name-resolve".to_string(),
            "--innodb-buffer-pool-size=32M".to_string(),
            "--innodb-log-file-size=8M".to_string(),
            "--performance-schema=ON".to_string(),
            "--innodb-use-native-aio=0".to_string(),
        ]);
        if is_root() {
            command.arg("--user=root");
        }
        command.args(&self.extra_args);
        let log = self.dir.path().join("mariadbd.log");
        let mut process = Process::spawn("mariadbd", command, &log);
        let port = self.port;
        process.wait_ready(Duration::from_secs(60), || greets(port));
        self.process = Some(process);
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// `127.0.0.1:PORT`
    pub fn addr(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("mariadbd.sock")
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
        self.process.as_ref().expect("mariadbd is running").freeze()
    }

    pub fn stop(&mut self) {
        if let Some(mut p) = self.process.take() {
            p.stop(Duration::from_secs(30));
        }
    }

    /// Starts it again on the same port and data after [`Self::stop`].
    pub fn restart(&mut self) {
        self.stop();
        self.start_process();
    }

    /// Runs SQL as root through the `mariadb` client and returns its
    /// tab-separated output; fails the test on an SQL error.
    pub fn sql(&self, sql: &str) -> String {
        let client = require("mariadb");
        let out = Command::new(client)
            .args(["--no-defaults", "-uroot", "--batch", "--skip-column-names"])
            .arg(format!("--socket={}", self.socket().display()))
            .arg("-e")
            .arg(sql)
            .output()
            .expect("running the mariadb client");
        assert!(
            out.status.success(),
            "SQL failed: {sql}\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }
}
