//! docker-compose.yml: `docker-compose config` accepts it, every file it
//! mounts or builds from exists, exporters run unprivileged and read-only,
//! and every address prometheus.yml scrapes is a compose service.

use std::collections::BTreeSet;
use std::process::Command;

use serde_json::Value;
use stack_tests::repo_root;

/// `docker-compose config` run with the Docker socket's group given as
/// the README says, or not at all.
fn compose_config(docker_gid: Option<&str>) -> std::process::Output {
    let bin = testkit::require("docker-compose");
    let mut command = Command::new(bin);
    command
        .args(["-f", "docker-compose.yml", "config"])
        .current_dir(repo_root())
        .env_remove("DOCKER_GID");
    if let Some(gid) = docker_gid {
        command.env("DOCKER_GID", gid);
    }
    command.output().expect("running docker-compose")
}

/// The compose file as `docker-compose config` resolves it.
fn resolved() -> Value {
    let out = compose_config(Some("4242"));
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

/// The container exporter reads the Docker socket through the socket's
/// group, whose id differs between hosts: compose refuses to guess it.
#[test]
fn docker_group_comes_from_the_socket_not_a_guess() {
    let out = compose_config(None);
    assert!(!out.status.success(), "compose ran without DOCKER_GID");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("DOCKER_GID") && stderr.contains("stat -c %g /var/run/docker.sock"),
        "the refusal does not say how to set DOCKER_GID: {stderr}"
    );
    let groups = &resolved()["services"]["container-exporter"]["group_add"];
    assert!(
        groups
            .as_array()
            .is_some_and(|g| g.iter().any(|g| g == "4242" || g == 4242)),
        "group_add is not DOCKER_GID: {groups}"
    );
}

/// One builder stage compiles every binary once; each image is a target
/// of the same Dockerfile that copies its binary into an empty image.
#[test]
fn dockerfiles_build_static_binaries_into_unprivileged_images() {
    let dir = repo_root().join("deploy/docker");
    let text = std::fs::read_to_string(dir.join("Dockerfile")).expect("deploy/docker/Dockerfile");
    assert_eq!(
        text.matches("cargo build").count(),
        1,
        "more than one cargo build: the binaries are compiled more than once"
    );
    assert!(
        text.contains("--mount=type=cache") && text.contains("target=/src/target"),
        "the builder keeps no cargo cache between builds"
    );
    let runtime = text
        .split("FROM scratch AS runtime")
        .nth(1)
        .expect("a FROM scratch runtime stage");
    assert!(
        runtime.contains("USER 65534:65534"),
        "the runtime stage runs as root"
    );
    // Multi-arch: the platform picks the Rust target.
    for needle in [
        "ARG TARGETARCH",
        "amd64|x86_64) target=x86_64-unknown-linux-musl",
        "arm64|aarch64) target=aarch64-unknown-linux-musl",
        "--target \"$target\"",
    ] {
        assert!(text.contains(needle), "no {needle}");
    }
    let services = resolved();
    for binary in [
        "node-exporter",
        "container-exporter",
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "kafka-exporter",
        "demo-app",
    ] {
        assert!(
            text.contains(&format!("--bin {binary}")),
            "{binary} not built"
        );
        let stage = text
            .split(&format!("FROM runtime AS {binary}\n"))
            .nth(1)
            .unwrap_or_else(|| panic!("no image target {binary}"));
        let stage = stage.split("\nFROM ").next().unwrap_or_default();
        assert!(
            stage.contains(&format!("COPY --from=build /out/{binary} /app")),
            "{binary}: image does not take its binary from the builder"
        );
        let build = &services["services"][binary]["build"];
        assert_eq!(
            build["target"], binary,
            "compose builds {binary} from {build}"
        );
        assert!(
            build["dockerfile"]
                .as_str()
                .is_some_and(|d| d.ends_with("deploy/docker/Dockerfile")),
            "compose builds {binary} from {build}"
        );
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
