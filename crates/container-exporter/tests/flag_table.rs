//! The README's `## Upstream flags` table is true: each cAdvisor flag
//! works or stops startup naming itself.

use std::path::Path;

use testkit::{FlagRow, FlagStatus, FlagWalk, free_port};

const BINARY: &str = env!("CARGO_BIN_EXE_container-exporter");

#[test]
fn every_upstream_flag_works_or_is_refused_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let arguments = |row: &FlagRow| -> Option<Vec<String>> {
        match row.name.as_str() {
            // cAdvisor's listen flags add an address beside the walk's own:
            // a free one on loopback.
            "port" | "listen_ip" => Some(vec![
                format!("--port={}", free_port()),
                "--listen_ip=127.0.0.1".into(),
            ]),
            // Every run gets these.
            "docker" | "containerd" => Some(vec![]),
            // Takes effect only without every label; refused beside it.
            "whitelisted_container_labels" if row.status == FlagStatus::Works => Some(vec![
                "--store_container_labels=false".into(),
                row.argument.clone(),
            ]),
            _ => None,
        }
    };
    let readme =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README");
    testkit::check_flag_table(
        &readme,
        &FlagWalk {
            binary: Path::new(BINARY),
            // Never the host's Docker or containerd.
            base_args: vec![
                "--docker=unix:///nonexistent/docker.sock".into(),
                "--containerd=/nonexistent/containerd.sock".into(),
            ],
            env: vec![],
            listen_flag: "--web.listen-address",
            arguments: &arguments,
            log_dir: dir.path(),
        },
    );
}
