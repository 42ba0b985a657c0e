//! `prometheus-alertmanager` (Debian `prometheus-alertmanager`), clustering
//! off, with a config the test writes.

use std::process::Command;
use std::time::Duration;

use serde_json::Value;

use crate::packages::require;
use crate::process::{Process, free_port};

pub struct Alertmanager {
    process: Process,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Alertmanager {
    pub fn start(config: &str) -> Alertmanager {
        let binary = require("prometheus-alertmanager");
        let dir = tempfile::tempdir().expect("creating a temporary directory");
        let config_path = dir.path().join("alertmanager.yml");
        std::fs::write(&config_path, config).expect("writing alertmanager.yml");
        let port = free_port();
        let mut command = Command::new(binary);
        command
            .arg(format!("--config.file={}", config_path.display()))
            .arg(format!(
                "--storage.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{port}"))
            .arg("--cluster.listen-address=");
        let mut process = Process::spawn(
            "alertmanager",
            command,
            &dir.path().join("alertmanager.log"),
        );
        let client = crate::http();
        let ready = format!("http://127.0.0.1:{port}/-/ready");
        process.wait_ready(Duration::from_secs(30), || {
            client
                .get(&ready)
                .send()
                .map(|r| r.status().is_success())
                .unwrap_or(false)
        });
        Alertmanager {
            process,
            port,
            _dir: dir,
        }
    }

    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn log_tail(&self) -> String {
        self.process.log_tail()
    }

    /// Posts alerts (the v2 API's JSON array).
    pub fn post_alerts(&self, alerts: &Value) {
        let resp = crate::http()
            .post(format!("{}/api/v2/alerts", self.url()))
            .json(alerts)
            .send()
            .expect("posting alerts");
        assert!(
            resp.status().is_success(),
            "posting alerts: {}",
            resp.status()
        );
    }

    /// The alerts it currently holds.
    pub fn alerts(&self) -> Vec<Value> {
        crate::http()
            .get(format!("{}/api/v2/alerts", self.url()))
            .send()
            .and_then(|r| r.json())
            .unwrap_or_default()
    }
}
