//! The supervisord collector against a real supervisord (Debian's
//! `supervisor`) on loopback and on its Unix socket, with a password that
//! needs escaping in the URL. Expected values come from supervisorctl and
//! /proc, not from our own client.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use testkit::{Process, free_port, require, sample_value};

mod common;

struct Supervisord {
    _process: Process,
    dir: tempfile::TempDir,
    port: u16,
}

impl Supervisord {
    fn start() -> Supervisord {
        let bin = require("supervisord");
        require("supervisorctl");
        let dir = tempfile::tempdir().expect("tempdir");
        let port = free_port();
        let d = dir.path().display();
        let conf = format!(
            "[supervisord]\nnodaemon=true\nlogfile={d}/supervisord.log\npidfile={d}/supervisord.pid\nchildlogdir={d}\n\
             [inet_http_server]\nport=127.0.0.1:{port}\nusername=scraper\npassword=p@ss:word\n\
             [unix_http_server]\nfile={d}/supervisor.sock\n\
             [supervisorctl]\nserverurl=unix://{d}/supervisor.sock\n\
             [rpcinterface:supervisor]\nsupervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface\n\
             [program:sleeper]\ncommand=/bin/sleep 3600\nstartsecs=0\n\
             [program:quitter]\ncommand=/bin/sh -c \"exit 3\"\nstartsecs=0\nautorestart=false\n\
             [group:web]\nprograms=sleeper\n"
        );
        let path = dir.path().join("supervisord.conf");
        std::fs::write(&path, conf).expect("config");
        let mut cmd = Command::new(bin);
        cmd.arg("-c").arg(&path);
        let mut process = Process::spawn("supervisord", cmd, &dir.path().join("stdout.log"));
        let s = |p: &Path| {
            Command::new("supervisorctl")
                .arg("-c")
                .arg(p)
                .arg("status")
                .output()
                .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
                .unwrap_or_default()
        };
        process.wait_ready(Duration::from_secs(30), || {
            let status = s(&path);
            status.contains("web:sleeper")
                && status.contains("RUNNING")
                && status.contains("EXITED")
        });
        Supervisord {
            _process: process,
            dir,
            port,
        }
    }

    fn ctl(&self, args: &[&str]) -> String {
        let out = Command::new("supervisorctl")
            .arg("-c")
            .arg(self.dir.path().join("supervisord.conf"))
            .args(args)
            .output()
            .expect("supervisorctl runs");
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }
}

/// When `pid` started, in Unix seconds, from /proc (boot time + start
/// ticks; USER_HZ is 100 on Linux).
fn process_start(pid: &str) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).expect("stat");
    let after = &stat[stat.rfind(')').expect("comm") + 2..];
    let ticks: f64 = after
        .split_whitespace()
        .nth(19)
        .and_then(|t| t.parse().ok())
        .expect("starttime");
    let btime: f64 = std::fs::read_to_string("/proc/stat")
        .expect("/proc/stat")
        .lines()
        .find_map(|l| l.strip_prefix("btime "))
        .and_then(|t| t.trim().parse().ok())
        .expect("btime");
    btime + ticks / 100.0
}

async fn collect(url: &str) -> (bool, String) {
    common::run_collector(
        "supervisord",
        vec![format!("--collector.supervisord.url={url}")],
        Duration::from_secs(10),
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn processes_from_a_real_supervisord_over_http_and_its_socket() {
    let sv = tokio::task::spawn_blocking(Supervisord::start)
        .await
        .expect("start");
    let pid = sv.ctl(&["pid", "web:sleeper"]);
    let started = process_start(&pid);

    let http = format!("http://scraper:p%40ss%3Aword@127.0.0.1:{}/RPC2", sv.port);
    let socket = format!("unix://{}/supervisor.sock", sv.dir.path().display());
    for url in [&http, &socket] {
        let (ok, text) = collect(url).await;
        assert!(ok, "{url}: {text}");
        let v = |s: &str| sample_value(&text, s);
        let sleeper = r#"{group="web",name="sleeper"}"#;
        let quitter = r#"{group="quitter",name="quitter"}"#;
        // RUNNING is 20, EXITED 100 (supervisor's ProcessStates).
        assert_eq!(v(&format!("node_supervisord_state{sleeper}")), Some(20.0));
        assert_eq!(v(&format!("node_supervisord_up{sleeper}")), Some(1.0));
        assert_eq!(
            v(&format!("node_supervisord_exit_status{sleeper}")),
            Some(0.0)
        );
        let start = v(&format!("node_supervisord_start_time_seconds{sleeper}")).expect("start");
        // supervisord notes the time just before the fork: within a second
        // of the kernel's start time of the child.
        assert!((start - started).abs() <= 1.5, "{start} vs {started}");
        assert_eq!(v(&format!("node_supervisord_state{quitter}")), Some(100.0));
        assert_eq!(v(&format!("node_supervisord_up{quitter}")), Some(0.0));
        assert_eq!(
            v(&format!("node_supervisord_exit_status{quitter}")),
            Some(3.0)
        );
        assert_eq!(
            v(&format!("node_supervisord_start_time_seconds{quitter}")),
            None,
            "no start time for a process that is not running"
        );
        assert!(text.contains("# TYPE node_supervisord_start_time_seconds counter"));
    }

    // A wrong password is a failed scrape, not a panic or a hang.
    let wrong = format!("http://scraper:nope@127.0.0.1:{}/RPC2", sv.port);
    let (ok, _) = collect(&wrong).await;
    assert!(!ok);

    // Stopped: the process is down and says so.
    assert!(sv.ctl(&["stop", "web:sleeper"]).contains("stopped"));
    let (ok, text) = collect(&socket).await;
    assert!(ok);
    assert_eq!(
        sample_value(&text, r#"node_supervisord_up{group="web",name="sleeper"}"#),
        Some(0.0)
    );
    assert_eq!(
        sample_value(
            &text,
            r#"node_supervisord_state{group="web",name="sleeper"}"#
        ),
        Some(0.0)
    );
    drop(sv);
}

#[tokio::test]
async fn nothing_listening_is_a_failed_scrape() {
    let port = free_port();
    let (ok, text) = collect(&format!("http://127.0.0.1:{port}/RPC2")).await;
    assert!(!ok);
    assert!(!text.contains("node_supervisord_up{"));
}
