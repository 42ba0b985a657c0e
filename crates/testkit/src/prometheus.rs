//! `prometheus` (Debian `prometheus`) with a config the test writes.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::packages::require;
use crate::process::{Process, free_port, wait_until};

pub struct Prometheus {
    process: Process,
    port: u16,
    dir: tempfile::TempDir,
}

impl Prometheus {
    /// Starts Prometheus with `config` (prometheus.yml text) and extra
    /// flags (`--enable-feature=native-histograms`).
    pub fn start(config: &str, extra_args: &[&str]) -> Prometheus {
        let binary = require("prometheus");
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("writing prometheus.yml");
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--web.enable-lifecycle")
            .args(extra_args);
        let mut process = Process::spawn("prometheus", command, &dir.path().join("prometheus.log"));
        let client = crate::http();
        let ready = format!("http://127.0.0.1:{port}/-/ready");
        process.wait_ready(Duration::from_secs(60), || {
            client
                .get(&ready)
                .send()
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        });
        Prometheus { process, port, dir }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// An instant query; returns `data.result` (an array of
    /// `{metric, value}`), failing the test if Prometheus reports an error.
    pub fn query(&self, expr: &str) -> Vec<Value> {
        let resp: Value = crate::http()
            .get(format!("{}/api/v1/query", self.url()))
            .query(&[("query", expr)])
            .send()
            .and_then(|r| r.json())
            .unwrap_or_else(|e| panic!("querying {expr}: {e}"));
        assert_eq!(resp["status"], "success", "query {expr} failed: {resp}");
        resp["data"]["result"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// The value of each result of an instant query, as numbers.
    pub fn query_values(&self, expr: &str) -> Vec<f64> {
        self.query(expr)
            .iter()
            .filter_map(|r| r["value"][1].as_str().and_then(|v| v.parse().ok()))
            .collect()
    }

    /// Waits until `expr` returns at least one series; returns them, or
    /// fails the test with the targets' state.
    pub fn wait_for(&self, expr: &str, timeout: Duration) -> Vec<Value> {
        let mut last = Vec::new();
        let found = wait_until(timeout, || {
            last = self.query(expr);
            !last.is_empty()
        });
        assert!(
            found,
            "{expr} returned nothing within {timeout:?}; targets: {}",
            self.targets()
        );
        last
    }

    /// `/api/v1/targets`, for failure messages.
    pub fn targets(&self) -> Value {
        crate::http()
            .get(format!("{}/api/v1/targets", self.url()))
            .send()
            .and_then(|r| r.json())
            .unwrap_or(Value::Null)
    }
}
