//! docker-compose.yml: `docker-compose config` accepts it, every file it
//! mounts or builds from exists, exporters run unprivileged and read-only,
//! and every address prometheus.yml scrapes is a compose service.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use stack_tests::repo_root;

/// The compose file as `docker-compose config` resolves it.
fn resolved() -> Value {
    let bin = testkit::require("docker-compose");
    let root = repo_root();
    let out = Command::new(bin)
        .args(["-f", "docker-compose.yml", "config"])
        .current_dir(&root)
        .output()
        .expect("running docker-compose");
    assert!(
        out.status.success(),
        "docker-compose config failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_norway::from_slice(&out.stdout).expect("docker-compose config output is YAML")
}

#[test]
fn docker_compose_config_validates_and_mounts_exist() {
    let config = resolved();
    let services = config["services"].as_object().expect("services");
    for name in [
        "node-exporter",
        "container-exporter",
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "kafka-exporter",
        "demo-app",
        "demo-load",
        "redis",
        "mysql",
        "kafka",
        "prometheus",
        "alertmanager",
        "grafana",
        "alert-console",
    ] {
        assert!(services.contains_key(name), "service {name} missing");
    }
    let root = repo_root();
    let mut checked_mounts = 0;
    for (name, svc) in services {
        for v in svc["volumes"].as_array().into_iter().flatten() {
            // docker-compose 1.29 prints "SOURCE:TARGET:MODE"; newer ones
            // the long syntax {type, source, target, read_only}.
            let (src, read_only) = match v {
                Value::String(short) => {
                    let parts: Vec<&str> = short.split(':').collect();
                    (
                        parts[0].to_string(),
                        parts
                            .get(2)
                            .is_some_and(|m| m.split(',').any(|o| o == "ro")),
                    )
                }
                long => (
                    long["source"].as_str().unwrap_or("").to_string(),
                    long["read_only"] == true,
                ),
            };
            if src.starts_with(root.to_str().unwrap_or("//")) {
                checked_mounts += 1;
                assert!(
                    std::path::Path::new(&src).exists(),
                    "{name} mounts {src}, which does not exist"
                );
                assert!(read_only, "{name} mounts {src} writable");
            }
        }
        if let Some(dockerfile) = svc["build"]["dockerfile"].as_str() {
            assert!(
                root.join(dockerfile).is_file(),
                "{name} builds from {dockerfile}, which does not exist"
            );
        }
        let image = svc["image"].as_str().unwrap_or("");
        if image.starts_with("ferroscope/") {
            assert_eq!(svc["read_only"], true, "{name} root filesystem is writable");
            assert!(
                svc["cap_drop"]
                    .as_array()
                    .is_some_and(|c| c.iter().any(|c| c == "ALL")),
                "{name} keeps its capabilities"
            );
            assert!(
                svc["user"].is_null(),
                "{name} overrides the image's non-root user"
            );
        }
    }
    assert!(
        checked_mounts >= 7,
        "{checked_mounts} repository files mounted"
    );
}

#[test]
fn dockerfiles_build_static_binaries_into_unprivileged_images() {
    let dir = repo_root().join("deploy/docker");
    for binary in [
        "node-exporter",
        "container-exporter",
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "kafka-exporter",
        "demo-app",
    ] {
        let path = dir.join(format!("{binary}.Dockerfile"));
        let text =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(text.contains(&format!("--bin {binary}")), "{binary}");
        assert!(
            text.contains("FROM scratch"),
            "{binary}: final image not minimal"
        );
        assert!(text.contains("USER 65534:65534"), "{binary}: runs as root");
        // Multi-arch: the platform picks the Rust target.
        for needle in [
            "ARG TARGETARCH",
            "amd64|x86_64) target=x86_64-unknown-linux-musl",
            "arm64|aarch64) target=aarch64-unknown-linux-musl",
            "--target \"$target\"",
        ] {
            assert!(text.contains(needle), "{binary}: no {needle}");
        }
    }
    let local = std::fs::read_to_string(dir.join("build-local.sh")).expect("build-local.sh");
    for needle in [
        "x86_64-unknown-linux-musl",
        "aarch64-unknown-linux-musl",
        "--platform",
    ] {
        assert!(local.contains(needle), "build-local.sh: no {needle}");
    }
    let prebuilt = std::fs::read_to_string(dir.join("prebuilt.Dockerfile")).expect("prebuilt");
    assert!(prebuilt.contains("FROM scratch") && prebuilt.contains("USER 65534:65534"));
    let ignore = std::fs::read_to_string(repo_root().join(".dockerignore")).unwrap_or_default();
    assert!(
        !ignore.contains("deploy/docker/bin"),
        "the offline build copies deploy/docker/bin: it must not be ignored"
    );
}

#[test]
fn every_scraped_address_is_a_compose_service() {
    let services: BTreeSet<String> = resolved()["services"]
        .as_object()
        .map(|s| s.keys().cloned().collect())
        .unwrap_or_default();
    let text = std::fs::read_to_string(repo_root().join("prometheus/prometheus.yml"))
        .expect("prometheus.yml");
    let prom: Value = serde_norway::from_str(&text).expect("prometheus.yml is YAML");
    let mut addresses = Vec::new();
    for job in prom["scrape_configs"].as_array().into_iter().flatten() {
        let relabels = job["relabel_configs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let rewrites_address = relabels
            .iter()
            .any(|r| r["target_label"] == "__address__" && r["source_labels"].is_null());
        for r in &relabels {
            if r["target_label"] == "__address__"
                && r["source_labels"].is_null()
                && let Some(a) = r["replacement"].as_str()
            {
                addresses.push(a.to_string());
            }
        }
        if rewrites_address {
            continue;
        }
        for sc in job["static_configs"].as_array().into_iter().flatten() {
            for t in sc["targets"].as_array().into_iter().flatten() {
                addresses.extend(t.as_str().map(String::from));
            }
        }
    }
    for am in prom["alerting"]["alertmanagers"]
        .as_array()
        .into_iter()
        .flatten()
    {
        for sc in am["static_configs"].as_array().into_iter().flatten() {
            for t in sc["targets"].as_array().into_iter().flatten() {
                addresses.extend(t.as_str().map(String::from));
            }
        }
    }
    assert!(addresses.len() >= 8, "{addresses:?}");
    for address in addresses {
        let host = address.split(':').next().unwrap_or("");
        assert!(
            host == "localhost" || services.contains(host),
            "prometheus.yml scrapes {address}, but {host} is no compose service"
        );
    }
}
