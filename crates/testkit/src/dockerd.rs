//! `dockerd` (Debian `docker.io`) on its own socket, with its data root,
//! exec root and pidfile in a temporary directory, no iptables and no
//! bridge (so it needs no host networking), and its containers under a
//! cgroup parent of their own. No registry can be reached: images are made
//! locally ([`Dockerd::busybox_image`] imports a rootfs holding Debian's
//! static busybox).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::Duration;

use crate::packages::require;
use crate::process::{Frozen, Process};

pub struct Dockerd {
    process: Option<Process>,
    dir: tempfile::TempDir,
    docker: PathBuf,
    cgroup_parent: String,
}

impl Dockerd {
    /// Starts dockerd and waits until `docker info` answers on its socket.
    pub fn start() -> Dockerd {
        Dockerd::start_in(Path::new("/tmp"))
    }

    /// [`Dockerd::start`] with its socket, data root, exec root and logs in
    /// a new directory under `parent` (`/tmp` when that path is too long
    /// for a Unix socket, which must fit in 108 bytes).
    pub fn start_in(parent: &Path) -> Dockerd {
        let dockerd = require("dockerd");
        let docker = require("docker");
        // "/dkXXXXXX/exec/containerd/containerd.sock" adds 40 bytes; leave
        // room for dockerd's other sockets under the exec root.
        let parent = if parent.as_os_str().len() + 60 < 108 {
            parent
        } else {
            Path::new("/tmp")
        };
        let dir = tempfile::Builder::new()
            .prefix("dk")
            .tempdir_in(parent)
            .expect("creating a temporary directory");
        let name = dir
            .path()
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let cgroup_parent = format!("/ferroscope-test-{name}");
        let mut guard = Dockerd {
            process: None,
            dir,
            docker,
            cgroup_parent,
        };
        let p = guard.dir.path();
        let mut command = Command::new(dockerd);
        command.args([
            "-H",
            &guard.host(),
            "--data-root",
            &p.join("data").to_string_lossy(),
            "--exec-root",
            &p.join("exec").to_string_lossy(),
            "--pidfile",
            &p.join("dockerd.pid").to_string_lossy(),
            "--iptables=false",
            "--ip6tables=false",
            "--bridge=none",
            "--ip-forward=false",
            "--ip-masq=false",
            "--userland-proxy=false",
            "--cgroup-parent",
            &guard.cgroup_parent,
            "--log-level=warn",
        ]);
        let mut process = Process::spawn("dockerd", command, &p.join("dockerd.log"));
        let docker = guard.docker.clone();
        let host = guard.host();
        process.wait_ready(Duration::from_secs(60), || {
            Command::new(&docker)
                .args(["-H", &host, "info"])
                .output()
                .is_ok_and(|o| o.status.success())
        });
        guard.process = Some(process);
        guard
    }

    /// The socket's path.
    pub fn socket(&self) -> PathBuf {
        self.dir.path().join("docker.sock")
    }

    /// `unix:///.../docker.sock`, for `-H` and `DOCKER_HOST`.
    pub fn host(&self) -> String {
        format!("unix://{}", self.socket().display())
    }

    /// The cgroup under which this daemon's containers live
    /// (`/ferroscope-test-XXXX`): containers are `<parent>/<id>`.
    pub fn cgroup_parent(&self) -> &str {
        &self.cgroup_parent
    }

    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// Runs the docker CLI against this daemon.
    pub fn try_cli(&self, args: &[&str]) -> Output {
        Command::new(&self.docker)
            .args(["-H", &self.host()])
            .args(args)
            .output()
            .unwrap_or_else(|e| panic!("running docker {args:?}: {e}"))
    }

    /// Runs the docker CLI and returns its trimmed stdout; fails the test
    /// with stderr when it fails.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = self.try_cli(args);
        assert!(
            out.status.success(),
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// Imports an image `tag` whose rootfs is Debian's static busybox
    /// (`/bin/busybox` and links for `sh`, `sleep`, `dd`, ...), and returns the tag.
    pub fn busybox_image(&self, tag: &str) -> String {
        let root = crate::sandbox::busybox_rootfs(&self.dir.path().join("rootfs"));
        let tar = self.dir.path().join("rootfs.tar");
        let status = Command::new("tar")
            .arg("-C")
            .arg(&root)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .expect("running tar");
        assert!(status.success(), "tar of the busybox rootfs failed");
        self.cli(&[
            "import",
            "--change",
            "ENV PATH=/bin",
            &tar.to_string_lossy(),
            tag,
        ]);
        tag.to_string()
    }

    /// Freezes the server with SIGSTOP until the guard is dropped: a hung
    /// server (see [`Process::freeze`]).
    pub fn freeze(&self) -> Frozen<'_> {
        self.process.as_ref().expect("dockerd is running").freeze()
    }

    /// Stops the daemon (containers are removed first, so shutdown does
    /// not wait for them). Also done on drop.
    pub fn stop(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        let ids = self.try_cli(&["ps", "-aq"]);
        let ids = String::from_utf8_lossy(&ids.stdout).to_string();
        let ids: Vec<&str> = ids.split_whitespace().collect();
        if !ids.is_empty() {
            let mut args = vec!["rm", "-f"];
            args.extend(ids);
            let _ = self.try_cli(&args);
        }
        process.stop(Duration::from_secs(20));
        // dockerd leaves its netns and overlay mounts behind.
        crate::sandbox::unmount_under(self.dir.path());
        crate::sandbox::remove_cgroup(&self.cgroup_parent);
    }
}

impl Drop for Dockerd {
    fn drop(&mut self) {
        self.stop();
    }
}
