//! `promtool` over prometheus/: the config, every rule file, every unit
//! test file; and every alert and recording rule has a unit test.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use stack_tests::{load_yaml, repo_root};

/// promtool's output; its failure fails the test with that output.
fn promtool(args: &[&str], dir: &Path) -> String {
    let (ok, text) = stack_tests::promtool(args, dir);
    assert!(ok, "promtool {args:?} failed:\n{text}");
    text
}

fn yml_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml"))
        .collect();
    files.sort();
    files
}

#[test]
fn promtool_check_config_passes() {
    let dir = repo_root().join("prometheus");
    let out = promtool(&["check", "config", "prometheus.yml"], &dir);
    assert!(out.contains("9 rule files found"), "{out}");
}

#[test]
fn promtool_check_rules_passes_for_every_layer() {
    let dir = repo_root().join("prometheus/rules");
    let files = yml_files(&dir);
    let names: BTreeSet<String> = files
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_string))
        .collect();
    for layer in [
        "node",
        "containers",
        "endpoints",
        "redis",
        "mysql",
        "kafka",
        "app",
        "exporters",
        "monitoring",
    ] {
        assert!(
            names.contains(&format!("{layer}.rules.yml")),
            "missing {layer}.rules.yml in {names:?}"
        );
    }
    let mut args = vec!["check".to_string(), "rules".to_string()];
    args.extend(names.iter().cloned());
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    promtool(&args, &dir);
}

/// `vmalert -dryRun` over `rules`: whether it accepted them, and its output.
fn vmalert_dry_run(rules: &Path) -> (bool, String) {
    let out = std::process::Command::new(testkit::require("vmalert"))
        .arg("-dryRun")
        .arg(format!("-rule={}/*.rules.yml", rules.display()))
        .output()
        .unwrap_or_else(|e| panic!("running vmalert -dryRun: {e}"));
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// The rules stay valid for the second engine `cargo xtask up --scale-out`
/// runs them on: vmalert (MetricsQL and its template checks) accepts every
/// file unchanged. A broken expression is refused, so the pass means
/// something.
#[test]
fn vmalert_dry_run_passes_for_every_rule_file() {
    let (ok, text) = vmalert_dry_run(&repo_root().join("prometheus/rules"));
    assert!(ok, "vmalert -dryRun refused prometheus/rules:\n{text}");
    let broken = tempfile::tempdir().expect("temporary directory");
    std::fs::write(
        broken.path().join("broken.rules.yml"),
        "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: rate(up[5m]\n",
    )
    .expect("writing a rule file");
    let (ok, text) = vmalert_dry_run(broken.path());
    assert!(!ok && text.contains("invalid expression"), "{text}");
}

#[test]
fn promtool_test_rules_passes_for_every_test_file() {
    let dir = repo_root().join("prometheus/tests");
    let files = yml_files(&dir);
    assert!(files.len() >= 8, "{files:?}");
    for file in &files {
        let name = file.file_name().and_then(|n| n.to_str()).unwrap_or("");
        let out = promtool(&["test", "rules", name], &dir);
        assert!(out.contains("SUCCESS"), "{name}: {out}");
    }
}

/// Every alert is tested firing and quiet; every recording rule has a
/// PromQL expression test.
#[test]
fn every_alert_and_recording_rule_has_a_unit_test() {
    let root = repo_root().join("prometheus");
    let mut alerts = BTreeSet::new();
    let mut records = BTreeSet::new();
    for file in yml_files(&root.join("rules")) {
        for group in load_yaml(&file)["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                if let Some(a) = rule["alert"].as_str() {
                    alerts.insert(a.to_string());
                }
                if let Some(r) = rule["record"].as_str() {
                    records.insert(r.to_string());
                }
            }
        }
    }
    let mut fired = BTreeSet::new();
    let mut quiet = BTreeSet::new();
    let mut exprs = String::new();
    for file in yml_files(&root.join("tests")) {
        for test in load_yaml(&file)["tests"].as_array().into_iter().flatten() {
            for t in test["alert_rule_test"].as_array().into_iter().flatten() {
                let name = t["alertname"].as_str().unwrap_or("").to_string();
                let empty = t["exp_alerts"].as_array().is_none_or(Vec::is_empty);
                if empty {
                    quiet.insert(name);
                } else {
                    fired.insert(name);
                }
            }
            for t in test["promql_expr_test"].as_array().into_iter().flatten() {
                exprs.push_str(t["expr"].as_str().unwrap_or(""));
                exprs.push('\n');
            }
        }
    }
    assert!(alerts.len() >= 28, "{alerts:?}");
    for alert in &alerts {
        assert!(fired.contains(alert), "no test shows {alert} firing");
        assert!(quiet.contains(alert), "no test shows {alert} staying quiet");
    }
    for record in &records {
        assert!(
            exprs.contains(record.as_str()),
            "no expression test of {record}"
        );
    }
}

/// Cardinality under control: every scrape job bounds its samples and
/// labels, so an exporter that explodes is rejected (and alerted on) rather
/// than filling the TSDB.
#[test]
fn every_scrape_job_limits_samples_and_labels() {
    let config = load_yaml(&repo_root().join("prometheus/prometheus.yml"));
    let jobs = config["scrape_configs"].as_array().expect("scrape_configs");
    assert!(jobs.len() >= 12, "{jobs:?}");
    for job in jobs {
        let name = job["job_name"].as_str().unwrap_or("?");
        for limit in [
            "sample_limit",
            "label_limit",
            "label_name_length_limit",
            "label_value_length_limit",
        ] {
            let value = job[limit].as_u64().unwrap_or(0);
            assert!(value > 0, "job {name} has no {limit}");
        }
        assert!(
            job["label_limit"].as_u64() >= Some(30),
            "job {name}: label_limit below the 12-16 labels its series carry plus room"
        );
    }
}
