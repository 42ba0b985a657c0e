//! `containerd` (Debian `containerd`) on its own socket, with its root and
//! state in a temporary directory and the CRI plugin off (it would want
//! CNI). Containers run with `ctr run --rootfs` on a busybox root
//! filesystem made locally, in a namespace of the guard's own, so their
//! cgroups (`/<namespace>/<id>`) never collide with another test's.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::Duration;

use crate::packages::require;
use crate::process::{Process, wait_until};

pub struct Containerd {
    process: Option<Process>,
    dir: tempfile::TempDir,
    ctr: PathBuf,
    namespace: String,
    containers: Vec<String>,
}

impl Containerd {
    /// Starts containerd and waits until `ctr version` answers.
    pub fn start() -> Containerd {
        let containerd = require("containerd");
        let ctr = require("ctr");
        require("runc");
        // Short path: a Unix socket path must fit in 108 bytes.
        let dir = tempfile::Builder::new()
            .prefix("ctd")
            .tempdir_in("/tmp")
            .expect("creating a temporary directory");
        let namespace = format!(
            "ferroscope-{}",
            dir.path()
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default()
                .trim_start_matches("ctd")
                .replace(|c: char| !c.is_ascii_alphanumeric(), "")
        );
        let p = dir.path();
        let config = format!(
            "version = 2\nroot = \"{root}\"\nstate = \"{state}\"\n\
             disabled_plugins = [\"io.containerd.grpc.v1.cri\"]\n\
             [grpc]\n  address = \"{sock}\"\n\
             [ttrpc]\n  address = \"{sock}.ttrpc\"\n",
            root = p.join("root").display(),
            state = p.join("state").display(),
            sock = p.join("containerd.sock").display(),
        );
        std::fs::write(p.join("config.toml"), config).expect("writing containerd's config");
        let mut command = Command::new(containerd);
        command.arg("--config").arg(p.join("config.toml"));
        let mut process = Process::spawn("containerd", command, &p.join("containerd.log"));
        let mut guard = Containerd {
            process: None,
            dir,
            ctr,
            namespace,
            containers: Vec::new(),
        };
        process.wait_ready(Duration::from_secs(30), || {
            guard.try_ctr(&["version"]).status.success()
        });
        guard.process = Some(process);
        crate::sandbox::busybox_rootfs(&guard.rootfs());
        guard
    }

    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("containerd.sock")
    }

    pub fn namespace(&self) -> &str {
        &self.namespace
    }

    fn rootfs(&self) -> PathBuf {
        self.dir.path().join("rootfs")
    }

    pub fn try_ctr(&self, args: &[&str]) -> Output {
        Command::new(&self.ctr)
            .arg("--address")
            .arg(self.socket())
            .arg("--namespace")
            .arg(&self.namespace)
            .args(args)
            .output()
            .expect("running ctr")
    }

    /// Runs `command` detached in container `id` on the busybox root, with
    /// `labels` and an optional memory limit. Panics with ctr's message if
    /// it fails.
    pub fn run(
        &mut self,
        id: &str,
        labels: &[(&str, &str)],
        memory_limit: Option<u64>,
        command: &[&str],
    ) {
        let mut args: Vec<String> = vec!["run".into(), "-d".into(), "--rootfs".into()];
        for (k, v) in labels {
            args.push("--label".into());
            args.push(format!("{k}={v}"));
        }
        if let Some(limit) = memory_limit {
            args.push("--memory-limit".into());
            args.push(limit.to_string());
        }
        args.push(self.rootfs().to_string_lossy().into_owned());
        args.push(id.to_string());
        args.extend(command.iter().map(|s| s.to_string()));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = self.try_ctr(&args);
        assert!(
            out.status.success(),
            "ctr run {id}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        self.containers.push(id.to_string());
    }

    /// Kills and removes container `id` and its task.
    pub fn remove(&mut self, id: &str) {
        let _ = self.try_ctr(&["task", "kill", "--signal", "SIGKILL", id]);
        wait_until(Duration::from_secs(10), || {
            self.try_ctr(&["task", "delete", id]).status.success()
                || !self
                    .try_ctr(&["task", "ls", "-q"])
                    .stdout
                    .split(|b| *b == b'\n')
                    .any(|l| l == id.as_bytes())
        });
        let _ = self.try_ctr(&["container", "delete", id]);
        self.containers.retain(|c| c != id);
    }

    /// Removes every container, stops the daemon and leaves no cgroup or
    /// mount behind. Also done on drop.
    pub fn stop(&mut self) {
        for id in self.containers.clone() {
            self.remove(&id);
        }
        let Some(mut process) = self.process.take() else {
            return;
        };
        process.stop(Duration::from_secs(10));
        crate::sandbox::unmount_under(self.dir.path());
        crate::sandbox::remove_cgroup(&self.namespace);
    }
}

impl Drop for Containerd {
    fn drop(&mut self) {
        self.stop();
    }
}
