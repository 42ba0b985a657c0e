//! What the container runtimes that tests start need and leave behind: a
//! root filesystem made locally (no registry can be reached), and the
//! mounts and cgroups to clean up after them.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::packages::require;

/// Fills `root` with `/bin/busybox`, applet links and `/tmp`; returns it.
pub(crate) fn busybox_rootfs(root: &Path) -> PathBuf {
    let busybox = require("busybox");
    std::fs::create_dir_all(root.join("bin")).expect("creating the rootfs");
    std::fs::create_dir_all(root.join("tmp")).expect("creating the rootfs");
    std::fs::copy(&busybox, root.join("bin/busybox")).expect("copying busybox");
    for applet in [
        "sh", "sleep", "dd", "cat", "echo", "true", "false", "ls", "yes", "head", "kill",
    ] {
        let link = root.join("bin").join(applet);
        if !link.exists() {
            std::os::unix::fs::symlink("busybox", &link).expect("linking a busybox applet");
        }
    }
    root.to_path_buf()
}

/// Unmounts everything under `dir`, deepest first, so it can be removed.
pub(crate) fn unmount_under(dir: &Path) {
    let prefix = format!("{}/", dir.display());
    let mounts = std::fs::read_to_string("/proc/self/mounts").unwrap_or_default();
    let mut points: Vec<&str> = mounts
        .lines()
        .filter_map(|l| l.split_whitespace().nth(1))
        .filter(|p| p.starts_with(&prefix))
        .collect();
    points.sort_by_key(|p| std::cmp::Reverse(p.len()));
    for point in points {
        let _ = Command::new("umount").arg("-l").arg(point).status();
    }
}

/// Removes the (empty) cgroup `path` from every v1 controller and from v2.
pub(crate) fn remove_cgroup(path: &str) {
    for controller in [
        "cpu",
        "cpuacct",
        "cpuset",
        "memory",
        "blkio",
        "pids",
        "devices",
        "freezer",
        "systemd",
        "net_cls",
        "net_prio",
        "perf_event",
        "hugetlb",
        "rdma",
        "misc",
        "unified",
        "",
    ] {
        let dir = Path::new("/sys/fs/cgroup")
            .join(controller)
            .join(path.trim_start_matches('/'));
        let _ = std::fs::remove_dir(dir);
    }
}
