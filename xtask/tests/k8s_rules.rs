//! `cargo xtask k8s-rules --check`: the committed PrometheusRule objects
//! are what prometheus/rules generates, so the operator overlay never
//! drifts from the rules the compose stack loads.

use std::process::Command;

#[test]
fn committed_prometheus_rules_are_up_to_date() {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["k8s-rules", "--check"])
        .env("RUST_BACKTRACE", "0")
        .output()
        .expect("running xtask");
    assert!(
        out.status.success(),
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
