//! Against a real containerd (testkit), as on a Kubernetes node without
//! Docker: the containers' cgroups get their id as name and the
//! allowlisted CRI labels that become `namespace`, `pod` and `container`.

mod common;

use std::time::Duration;

use common::{parse, scrape, start, value};
use testkit::{Containerd, wait_until};

const POD_LABELS: &str =
    "io.kubernetes.pod.namespace,io.kubernetes.pod.name,io.kubernetes.container.name";

#[test]
fn containerd_containers_carry_their_pod_labels() {
    let mut containerd = Containerd::start();
    // CRI names containers by a 64-hex id, which is how the cgroup is
    // recognised as a container's.
    let id = "4f2c1e0d9b8a7f6e5d4c3b2a19080706050403020100f0e0d0c0b0a090807060";
    containerd.run(
        id,
        &[
            ("io.kubernetes.pod.namespace", "shop"),
            ("io.kubernetes.pod.name", "web-0"),
            ("io.kubernetes.container.name", "app"),
            ("unlisted", "secret"),
        ],
        Some(32 * 1024 * 1024),
        &["/bin/busybox", "sleep", "600"],
    );
    let server = start(&[
        &format!("--containerd={}", containerd.socket().display()),
        &format!("--containerd-namespace={}", containerd.namespace()),
        "--docker=unix:///nonexistent/docker.sock",
        "--docker_only",
        "--store_container_labels=false",
        &format!("--whitelisted_container_labels={POD_LABELS}"),
    ]);
    let want = [
        ("name", id),
        ("container_label_io_kubernetes_pod_namespace", "shop"),
        ("container_label_io_kubernetes_pod_name", "web-0"),
        ("container_label_io_kubernetes_container_name", "app"),
    ];
    let mut all = Vec::new();
    assert!(
        wait_until(Duration::from_secs(20), || {
            all = parse(&scrape(&server));
            value(&all, "container_spec_memory_limit_bytes", &want).is_some()
        }),
        "the containerd container never appeared with its pod labels"
    );
    assert_eq!(
        value(&all, "container_spec_memory_limit_bytes", &want),
        Some(32.0 * 1024.0 * 1024.0)
    );
    assert!(value(&all, "container_memory_usage_bytes", &want).is_some_and(|v| v > 0.0));
    assert!(value(&all, "container_start_time_seconds", &want).is_some_and(|v| v > 1.6e9));
    let text = scrape(&server);
    assert!(!text.contains("secret"), "an unlisted label leaked");
    assert!(!text.contains("container_label_unlisted"));

    // Gone from containerd, gone from the page.
    containerd.remove(id);
    assert!(
        wait_until(Duration::from_secs(20), || {
            !scrape(&server).contains(id)
        }),
        "a removed container is still reported"
    );
}

/// containerd absent (the usual Docker host): nothing breaks, raw cgroups
/// and the machine families are still served.
#[test]
fn no_containerd_is_not_an_error() {
    let server = start(&[
        "--containerd=/nonexistent/containerd.sock",
        "--docker=unix:///nonexistent/docker.sock",
    ]);
    let all = parse(&scrape(&server));
    assert!(value(&all, "machine_memory_bytes", &[]).is_some());
    assert_eq!(value(&all, "container_scrape_error", &[]), Some(0.0));
}
