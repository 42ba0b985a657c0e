//! Shared helpers of the integration tests.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use exporter_kit::testing::{TestServer, local_args};

/// mariadb-install-db runs collide when started at once in one process.
static START: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A fresh mariadbd with these extra arguments, started one at a time.
pub fn mariadb(args: &[&str]) -> testkit::MariaDb {
    let _guard = START.lock().unwrap_or_else(|p| p.into_inner());
    testkit::MariaDb::start_with(args)
}

/// Starts the exporter in-process with these command-line flags.
pub fn exporter(flags: &[&str]) -> TestServer {
    let mut argv = vec!["mysql-exporter".to_string()];
    argv.extend(flags.iter().map(|s| s.to_string()));
    let cli =
        exporter_kit::args::parse_from(&mysql_exporter::SPEC, mysql_exporter::COLLECTORS, argv)
            .expect("flags parse");
    TestServer::start(local_args(), move || {
        exporter_kit::build(
            mysql_exporter::SPEC,
            mysql_exporter::COLLECTORS,
            &cli,
            mysql_exporter::setup,
        )
        .expect("exporter builds")
    })
    .expect("exporter starts")
}

/// Writes a my.cnf into `dir` and returns its path.
pub fn my_cnf(dir: &Path, text: &str) -> PathBuf {
    let path = dir.join("my.cnf");
    std::fs::write(&path, text).expect("writing my.cnf");
    path
}

/// A my.cnf whose `[client]` is root on the loopback server at `port`.
pub fn root_cnf(dir: &Path, port: u16) -> PathBuf {
    my_cnf(
        dir,
        &format!("[client]\nuser=root\nhost=127.0.0.1\nport={port}\n"),
    )
}

pub fn get(url: &str) -> (u16, String) {
    let resp = testkit::http().get(url).send().expect("GET");
    let status = resp.status().as_u16();
    (status, resp.text().unwrap_or_default())
}

/// The value of the sample `series` (`name{a="b"}`, labels in any order).
pub fn value(text: &str, series: &str) -> Option<f64> {
    testkit::sample_value(text, series)
}

/// Debian's mysqld_exporter 0.14 against `dsn` with `flags`, listening on
/// a free loopback port; stopped when dropped.
pub struct Upstream {
    pub process: testkit::Process,
    pub port: u16,
    _dir: tempfile::TempDir,
}

impl Upstream {
    pub fn start(dsn: &str, flags: &[&str]) -> Upstream {
        let bin = testkit::require("prometheus-mysqld-exporter");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = testkit::free_port();
        let mut cmd = std::process::Command::new(bin);
        cmd.env("DATA_SOURCE_NAME", dsn)
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg(format!(
                "--config.my-cnf={}",
                dir.path().join("none.cnf").display()
            ))
            .args(flags);
        let mut process = testkit::Process::spawn("mysqld_exporter", cmd, &dir.path().join("log"));
        process.wait_ready(std::time::Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        });
        Upstream {
            process,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/metrics", self.port)
    }
}

/// Keeps both expositions for a look with `cargo xtask compat` when
/// `MYSQL_EXPORTER_DUMP` names a directory.
pub fn dump(name: &str, theirs: &str, ours: &str) {
    if let Ok(dir) = std::env::var("MYSQL_EXPORTER_DUMP") {
        let _ = std::fs::write(format!("{dir}/{name}.upstream.prom"), theirs);
        let _ = std::fs::write(format!("{dir}/{name}.ours.prom"), ours);
    }
}
