//! `cargo xtask lint-rules` / `lint-dashboards` as a user runs them: the
//! committed files pass (exit 0), a bad file gets `file:line: rule:
//! problem` lines and a non-zero exit.

use std::process::Command;

fn xtask(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env("RUST_BACKTRACE", "0")
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

#[test]
fn committed_rules_and_dashboards_pass() {
    let (ok, out) = xtask(&["lint-rules"]);
    assert!(ok, "{out}");
    assert!(out.contains("rule file(s) clean"), "{out}");
    let (ok, out) = xtask(&["lint-dashboards"]);
    assert!(ok, "{out}");
    assert!(out.contains("dashboard(s) clean"), "{out}");
}

#[test]
fn a_bad_rule_file_fails_with_located_problems() {
    let dir = std::env::temp_dir().join(format!("xtask-lint-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("bad.rules.yml");
    std::fs::write(
        &file,
        "groups:\n  - name: bad\n    rules:\n      - alert: Bad\n        expr: rate(node_load1[30s]) > 1\n        labels:\n          severity: warning\n",
    )
    .expect("writing the bad rule");
    let path = file.display().to_string();
    let (ok, out) = xtask(&["lint-rules", &path]);
    let _ = std::fs::remove_dir_all(&dir);
    assert!(!ok, "a bad rule must fail: {out}");
    for expected in [
        ":4: Bad: alert has no `for`",
        ":4: Bad: rate() on node_load1, which is a gauge",
        ":4: Bad: range [30s] of node_load1 is shorter than 4x",
        ":4: Bad: alert has no layer label",
        ":4: Bad: alert has no runbook_url annotation",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}
