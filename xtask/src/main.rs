//! `cargo xtask <command>`: the project's own tooling.

mod bench;
mod cardinality;
mod catalog;
mod ci;
mod compat;
mod dashboards;
mod deb;
mod hot_text;
mod k8s;
mod lint;
mod runbooks;
mod up;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "cargo xtask", about = "ferroscope's project tooling")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Install the system packages the tests need, then check formatting,
    /// run clippy and run the whole test suite. What CI runs.
    Ci(ci::Args),
    /// Benchmark an exporter against its upstream, side by side.
    Bench(bench::Args),
    /// Compare two expositions family by family (name, type, label names):
    /// how much of REFERENCE (upstream) CANDIDATE (ours) covers.
    Compat(compat::Args),
    /// Where a Prometheus' series go: per job, metric and label, the top
    /// offenders, and the series no dashboard, recording rule or alert of
    /// this repository reads (`--drop-unused`: the relabelling dropping them).
    Cardinality(cardinality::Args),
    /// Regenerate catalog/*.tsv, the families each exporter exposes, by
    /// running every exporter's catalog test in write mode.
    Catalog(catalog::Args),
    /// Build one Debian package per exporter into target/debian/ (drop-ins
    /// for Debian's prometheus-*-exporter packages where there is one).
    Deb(deb::Args),
    /// Profile an exporter under callgrind (start-up and scrapes against a
    /// real backend) and rewrite crates/<exporter>/hot-functions.txt, the
    /// functions its release build places together.
    HotText(hot_text::Args),
    /// Generate the Prometheus Operator's PrometheusRule objects and the
    /// standalone overlay's rules ConfigMap from prometheus/rules (or
    /// check that they are up to date).
    K8sRules(k8s::Args),
    /// Check prometheus/rules: promtool, then reviewer checks (labels,
    /// annotations, `for`, naming, counter functions, ranges, metrics and
    /// labels against the exporters' catalogs). Prints file:line: rule: problem.
    LintRules(lint::rules::Args),
    /// Write grafana/dashboards/*.json from their definitions in
    /// xtask/src/dashboards (`--check`: fail when the committed JSON differs).
    Dashboards(dashboards::Args),
    /// Check grafana/dashboards: every query parses, its metrics and labels
    /// exist, datasources match the provisioning.
    LintDashboards(lint::dashboards::Args),
    /// Point every alert's runbook_url at another published copy of
    /// docs/runbooks.md (rules, their tests and the Kubernetes rules).
    RunbookBaseUrl(runbooks::Args),
    /// Start the whole stack natively (no Docker) from the compose stack's
    /// config files; stays in the foreground. `--speedup 15` for simulations.
    Up(up::UpArgs),
    /// Stop the stack `cargo xtask up` started.
    Down(up::DownArgs),
    /// Cause a real fault in the running stack and follow the alert to the
    /// receivers: endpoint-down, redis-down, redis-connection-failures,
    /// mysql-down, app-errors, app-latency, custom-threshold, kafka-lag,
    /// container-oom, high-cpu, host-down.
    Simulate(up::simulate::Args),
}

fn main() -> anyhow::Result<()> {
    match Cli::parse().command {
        Command::Ci(args) => ci::run(args),
        Command::Bench(args) => bench::run(args),
        Command::Compat(args) => compat::run(args),
        Command::Catalog(args) => catalog::run(args),
        Command::Cardinality(args) => cardinality::run(args),
        Command::Deb(args) => deb::run_command(args),
        Command::HotText(args) => hot_text::run(args),
        Command::K8sRules(args) => k8s::run(args),
        Command::LintRules(args) => lint::rules::run(args),
        Command::Dashboards(args) => dashboards::run(args),
        Command::LintDashboards(args) => lint::dashboards::run(args),
        Command::RunbookBaseUrl(args) => runbooks::run(args),
        Command::Up(args) => up::up(args),
        Command::Down(args) => up::down(args),
        Command::Simulate(args) => up::simulate::run(args),
    }
}
