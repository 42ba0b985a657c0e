//! prometheus/scale-out/: the remote_write, agent-mode and federation
//! configurations pass `promtool check config` (the agent one with
//! `--agent`, which rejects rules), and the federation's match[] selects
//! every recording rule of prometheus/rules and no raw series.

use serde_json::Value;
use stack_tests::{load_yaml, promtool, repo_root};

fn dir() -> std::path::PathBuf {
    repo_root().join("prometheus/scale-out")
}

fn load(file: &str) -> Value {
    load_yaml(&dir().join(file))
}

/// promtool accepts it without a warning (a target file that does not
/// exist is only a warning).
fn check(args: &[&str]) -> String {
    let (ok, out) = promtool(args, &dir());
    assert!(ok, "promtool {args:?}:\n{out}");
    assert!(!out.contains("WARNING"), "promtool {args:?}:\n{out}");
    out
}

#[test]
fn remote_write_config_passes_promtool_with_the_stack_rules() {
    let out = check(&["check", "config", "remote-write.yml"]);
    let rule_files = std::fs::read_dir(repo_root().join("prometheus/rules"))
        .expect("prometheus/rules")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.file_name().to_string_lossy().ends_with(".rules.yml"))
        })
        .count();
    assert!(
        out.contains(&format!("{rule_files} rule files found")),
        "not every file of prometheus/rules is loaded:\n{out}"
    );
    let config = load("remote-write.yml");
    let url = config["remote_write"][0]["url"]
        .as_str()
        .expect("remote_write url");
    assert!(url.ends_with("/api/v1/write"), "{url}");
    for label in ["cluster", "replica"] {
        assert!(
            config["global"]["external_labels"][label].is_string(),
            "{label}"
        );
    }
}

#[test]
fn agent_config_passes_promtool_in_agent_mode() {
    check(&["check", "config", "--agent", "agent.yml"]);
    let config = load("agent.yml");
    assert!(config["remote_write"][0]["url"].is_string());
    assert!(config["global"]["external_labels"]["cluster"].is_string());
    // --agent is a real check: a config with rules is refused.
    let (ok, out) = promtool(&["check", "config", "--agent", "remote-write.yml"], &dir());
    assert!(!ok && out.contains("rule_files"), "{out}");
}

#[test]
fn federation_pulls_every_recording_rule_and_nothing_raw() {
    check(&["check", "config", "federate.yml"]);
    let config = load("federate.yml");
    let job = &config["scrape_configs"][0];
    assert_eq!(job["metrics_path"], "/federate");
    assert_eq!(job["honor_labels"], true);
    let matchers = job["params"]["match[]"].as_array().expect("match[]");
    let regexes: Vec<regex::Regex> = matchers
        .iter()
        .map(|m| {
            let m = m.as_str().expect("matcher");
            let re = m
                .strip_prefix("{__name__=~\"")
                .and_then(|r| r.strip_suffix("\"}"))
                .unwrap_or_else(|| panic!("matcher {m}"));
            regex::Regex::new(&format!("^(?:{re})$")).expect("matcher regex")
        })
        .collect();
    let selected = |name: &str| regexes.iter().any(|r| r.is_match(name));
    let rules = repo_root().join("prometheus/rules");
    let mut records = 0;
    for entry in std::fs::read_dir(&rules).expect("prometheus/rules") {
        let path = entry.expect("entry").path();
        let text = std::fs::read_to_string(&path).expect("rule file");
        let file: Value = serde_norway::from_str(&text).expect("rule YAML");
        for group in file["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                if let Some(record) = rule["record"].as_str() {
                    records += 1;
                    assert!(selected(record), "federation misses {record}");
                }
            }
        }
    }
    assert!(records >= 20, "{records}");
    for raw in [
        "up",
        "node_cpu_seconds_total",
        "container_memory_working_set_bytes",
        "ALERTS",
    ] {
        assert!(!selected(raw), "federation pulls raw {raw}");
    }
}
