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

#[test]
fn a_bad_dashboard_fails_with_located_problems() {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("bad.json");
    std::fs::write(
        &file,
        r#"{
  "title": "Bad",
  "links": [{"title": "all", "type": "dashboards", "tags": ["t"]}],
  "templating": {"list": []},
  "panels": [
    {"type": "timeseries", "title": "Load",
     "datasource": {"type": "prometheus", "uid": "P1234"},
     "fieldConfig": {"defaults": {"links": [{"title": "node", "url": "/d/node?var-instance=x"}]}},
     "targets": [{"refId": "A", "expr": "node_load1{instance=~\"$instance\"}"}]}
  ]
}
"#,
    )
    .expect("writing the bad dashboard");
    let path = file.display().to_string();
    let (ok, out) = xtask(&["lint-dashboards", &path]);
    assert!(!ok, "a bad dashboard must fail: {out}");
    for expected in [
        ":1: -: no `datasource` template variable",
        ":1: -: no prometheus datasource in __inputs and __requires",
        ":1: -: dashboard link does not keep the time range (keepTime)",
        ":1: -: dashboard link does not carry the variables (includeVars)",
        ":6: Load: hard-coded datasource uid \"P1234\"",
        ":6: Load: panel has no description",
        ":6: Load: panel sets no unit",
        ":6: Load: link \"/d/node?var-instance=x\" does not carry the time range",
        ":6: Load: link \"/d/node?var-instance=x\" does not carry the datasource",
        ":9: Load: query uses $instance, which the dashboard does not define",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}
