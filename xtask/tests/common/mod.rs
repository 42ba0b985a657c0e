//! What the tests of `cargo xtask up` share: starting the stack as a user
//! does, in the foreground, and stopping it however the test ends.

use std::io::BufRead;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

pub const XTASK: &str = env!("CARGO_BIN_EXE_xtask");

/// Stops the stack (by `down`, then by killing `up`) however the test ends.
pub struct Up {
    pub child: Child,
    pub run_dir: PathBuf,
}

impl Drop for Up {
    fn drop(&mut self) {
        if !self.run_dir.join("state.json").exists() {
            // Stopped already (or never came up): no `down` to ask.
            let _ = self.child.kill();
            let _ = self.child.wait();
            return;
        }
        let _ = Command::new(XTASK)
            .args(["down", "--run-dir"])
            .arg(&self.run_dir)
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn xtask(args: &[&str], run_dir: &Path) -> (bool, String) {
    let out = Command::new(XTASK)
        .args(args)
        .arg("--run-dir")
        .arg(run_dir)
        .output()
        .expect("running xtask");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// Whether the exporters' binaries (and kafka_demo) exist and are newer
/// than every source file of the workspace's crates and Cargo.lock.
pub fn binaries_fresh() -> bool {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target"));
    let mtime = |p: &Path| std::fs::metadata(p).and_then(|m| m.modified()).ok();
    let built: Vec<_> = [
        "node-exporter",
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "container-exporter",
        "demo-app",
        "kafka-exporter",
        "examples/kafka_demo",
    ]
    .iter()
    .map(|b| mtime(&target.join("debug").join(b)))
    .collect();
    let Some(oldest) = built
        .iter()
        .copied()
        .collect::<Option<Vec<_>>>()
        .and_then(|v| v.into_iter().min())
    else {
        return false;
    };
    fn newest(dir: &Path, out: &mut Option<std::time::SystemTime>) {
        for entry in std::fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            let name = entry.file_name();
            if path.is_dir() {
                if name != "target" && name != "fixtures" {
                    newest(&path, out);
                }
            } else if let Ok(t) = entry.metadata().and_then(|m| m.modified())
                && out.is_none_or(|o| t > o)
            {
                *out = Some(t);
            }
        }
    }
    let mut sources = mtime(&root.join("Cargo.lock"));
    newest(&root.join("crates"), &mut sources);
    sources.is_some_and(|s| s < oldest)
}

/// Runs `cargo xtask up --speedup 15 <extra> --run-dir <run_dir>` and
/// waits for its "stack up" line (echoing what it prints); returns the
/// guard and state.json.
pub fn start_stack(run_dir: &Path, extra: &[&str]) -> (Up, Value) {
    let mut command = Command::new(XTASK);
    command
        .args(["up", "--speedup", "15"])
        .args(extra)
        .arg("--run-dir")
        .arg(run_dir);
    if binaries_fresh() {
        // A workspace test run built them already, with its own feature
        // set: `up`'s cargo build would rebuild them all for nothing.
        command.arg("--no-build");
    }
    let mut child = command
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("starting cargo xtask up");
    let stdout = child.stdout.take().expect("stdout");
    let mut up = Up {
        child,
        run_dir: run_dir.to_path_buf(),
    };
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            println!("up| {line}");
            let _ = tx.send(line);
        }
    });
    let deadline = Instant::now() + Duration::from_secs(360);
    loop {
        match rx.recv_timeout(Duration::from_secs(1)) {
            Ok(line) if line.contains("ferroscope stack up") => break,
            Ok(_) => {}
            Err(_) => {
                assert!(
                    up.child.try_wait().ok().flatten().is_none(),
                    "xtask up exited before the stack was up"
                );
                assert!(Instant::now() < deadline, "the stack did not come up");
            }
        }
    }
    let state: Value = serde_json::from_str(
        &std::fs::read_to_string(run_dir.join("state.json")).expect("state.json"),
    )
    .expect("state.json is JSON");
    (up, state)
}

/// `cargo xtask down`, then waits for `up` to exit.
pub fn stop_stack(mut up: Up) {
    let (ok, out) = xtask(&["down"], &up.run_dir);
    assert!(ok, "down failed: {out}");
    let stopped = testkit::wait_until(Duration::from_secs(30), || {
        matches!(up.child.try_wait(), Ok(Some(_)))
    });
    assert!(stopped, "xtask up still runs after down");
    assert!(!up.run_dir.join("state.json").exists());
}

/// `cargo xtask lint-dashboards --live <url>` over grafana/dashboards'
/// `files` (names without `.json`): whether every panel had data, and
/// what it printed.
pub fn lint_dashboards_live(url: &str, files: &[&str]) -> (bool, String) {
    let dashboards = Path::new(env!("CARGO_MANIFEST_DIR")).join("../grafana/dashboards");
    let mut command = Command::new(XTASK);
    command.args(["lint-dashboards", "--live", url]);
    for f in files {
        command.arg(dashboards.join(format!("{f}.json")));
    }
    let out = command
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("xtask lint-dashboards");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}
