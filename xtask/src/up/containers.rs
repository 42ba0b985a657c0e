//! The container fixtures: the stack's own dockerd and the limited
//! containers it runs, so the container dashboards and alerts have limits
//! and usage to show, and the OOM kill `simulate container-oom` causes.

use std::path::Path;

use testkit::Dockerd;

/// The container `simulate container-oom` pushes past its memory limit.
pub const OOM_CONTAINER: &str = "oomer";

/// The containers `up` runs in its dockerd: (name, docker run options,
/// command).
const CONTAINERS: &[(&str, &[&str], &str)] = &[
    // A little CPU every second, under a quarter of a core, and a ping a
    // second over a veth pair inside its own network namespace (dockerd
    // runs with --bridge=none: no host networking; the ARP requests for a
    // TEST-NET address nobody has cross the pair), so the network panels
    // have devices to show.
    (
        "web",
        &[
            "--memory",
            "32m",
            "--cpus",
            "0.25",
            "--cap-add",
            "NET_ADMIN",
        ],
        "busybox ip link add eth0 type veth; busybox ip link set veth0 name eth1; \
         busybox ip link set eth0 up; busybox ip link set eth1 up; \
         busybox ip addr add 192.0.2.1/24 dev eth0; \
         while :; do i=0; while [ $i -lt 3000 ]; do i=$((i+1)); done; \
         busybox ping -c 1 -W 1 192.0.2.2 >/dev/null 2>&1 || sleep 1; done",
    ),
    // 24 MiB held in a tmpfs (charged to the container's memory).
    (
        "cache",
        &["--memory", "64m", "--cpus", "0.5", "--tmpfs", "/data"],
        "head -c 25165824 /dev/zero > /data/blob; exec sleep 2147483647",
    ),
    // Idle until `simulate container-oom` allocates past its 16 MiB.
    (
        OOM_CONTAINER,
        &["--memory", "16m", "--memory-swap", "16m", "--cpus", "0.25"],
        "exec sleep 2147483647",
    ),
];

/// Starts the stack's dockerd (under the run directory, as testkit starts
/// it for the container-exporter's tests) and its containers; `None` with
/// the reason in `skipped` when docker.io or busybox-static is missing.
pub fn start_docker(run_dir: &Path, skipped: &mut Vec<String>) -> Option<Dockerd> {
    let missing = testkit::missing_packages(&["dockerd", "busybox"]);
    if !missing.is_empty() {
        skipped.push(format!(
            "dockerd and its containers: apt-get install -y --no-install-recommends {}",
            missing.join(" ")
        ));
        return None;
    }
    let dockerd = Dockerd::start_in(run_dir);
    let image = dockerd.busybox_image("ferroscope/busybox:up");
    for &(name, options, command) in CONTAINERS {
        let mut args = vec!["run", "-d", "--name", name, "--label", "stack=ferroscope"];
        args.extend_from_slice(options);
        args.extend_from_slice(&[image.as_str(), "sh", "-c", command]);
        dockerd.cli(&args);
    }
    Some(dockerd)
}

/// Runs dd with a 64 MiB buffer in the container limited to 16 MiB: the
/// kernel kills dd (the container's sleep survives). `Ok` once dd was
/// OOM-killed, else why not.
pub fn oom_kill(dockerd: &Dockerd) -> Result<String, String> {
    let exec = std::panic::AssertUnwindSafe(|| {
        dockerd.try_cli(&[
            "exec",
            OOM_CONTAINER,
            "dd",
            "if=/dev/zero",
            "of=/dev/null",
            "bs=64M",
            "count=1",
        ])
    });
    match std::panic::catch_unwind(exec) {
        Ok(out) if out.status.code() == Some(137) => Ok("dd was OOM-killed (exit 137)\n".into()),
        Ok(out) => Err(format!(
            "dd was not OOM-killed ({}): {}\n",
            out.status,
            String::from_utf8_lossy(&out.stderr).trim()
        )),
        Err(_) => Err("running docker exec failed (see logs)\n".into()),
    }
}
