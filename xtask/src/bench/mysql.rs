//! `cargo xtask bench mysql`: mysql-exporter and Debian's
//! prometheus-mysqld-exporter against one mariadbd holding a large schema
//! (FERROSCOPE_BENCH_MYSQL_TABLES tables, 10,000 by default): latency, CPU
//! per scrape, memory, and queries each scrape costs the server (from
//! SHOW GLOBAL STATUS `Questions`), default collectors and all collectors.

use std::path::Path;
use std::process::Command;

use anyhow::{Context, bail};

use super::harness::{self, Plan, Started};

/// The scrapers both exporters have (Debian's 0.14 lacks sys.user_summary).
const ALL: &[&str] = &[
    "global_status",
    "global_variables",
    "slave_status",
    "info_schema.processlist",
    "mysql.user",
    "info_schema.tables",
    "info_schema.innodb_tablespaces",
    "info_schema.innodb_metrics",
    "auto_increment.columns",
    "binlog_size",
    "perf_schema.tableiowaits",
    "perf_schema.indexiowaits",
    "perf_schema.tablelocks",
    "perf_schema.eventsstatements",
    "perf_schema.eventsstatementssum",
    "perf_schema.eventswaits",
    "perf_schema.file_events",
    "perf_schema.file_instances",
    "perf_schema.memory_events",
    "perf_schema.replication_group_members",
    "perf_schema.replication_group_member_stats",
    "perf_schema.replication_applier_status_by_worker",
    "info_schema.userstats",
    "info_schema.clientstats",
    "info_schema.tablestats",
    "info_schema.schemastats",
    "info_schema.innodb_cmp",
    "info_schema.innodb_cmpmem",
    "info_schema.query_response_time",
    "engine_tokudb_status",
    "engine_innodb_status",
    "heartbeat",
    "slave_hosts",
    "info_schema.replica_host",
];

/// Runs SQL through the mariadb client, fed on stdin (a 10,000-table
/// schema is too long for one argument).
fn mysql(db: &testkit::MariaDb, sql: &str) -> anyhow::Result<String> {
    use std::io::Write;
    let mut child = Command::new("mariadb")
        .args(["--no-defaults", "-uroot", "--batch", "--skip-column-names"])
        .arg(format!("--socket={}", db.socket().display()))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .context("running mariadb")?;
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(sql.as_bytes())?;
    }
    let out = child.wait_with_output().context("running mariadb")?;
    if !out.status.success() {
        bail!("SQL failed: {}", String::from_utf8_lossy(&out.stderr));
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn questions(db: &testkit::MariaDb) -> anyhow::Result<f64> {
    let out = mysql(db, "SHOW GLOBAL STATUS LIKE 'Questions'")?;
    out.split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .context("no Questions")
}

/// Server statements per scrape of `url`, over `n` scrapes.
fn queries_per_scrape(db: &testkit::MariaDb, url: &str, n: usize) -> anyhow::Result<f64> {
    harness::get(url, harness::PROMETHEUS_HEADERS)?;
    let before = questions(db)?;
    for _ in 0..n {
        harness::get(url, harness::PROMETHEUS_HEADERS)?;
    }
    let after = questions(db)?;
    // The SHOW STATUS of the first reading counts once.
    Ok((after - before - 1.0) / n as f64)
}

fn start_pair(
    db: &testkit::MariaDb,
    dir: &Path,
    collectors: &[&str],
) -> anyhow::Result<(Started, Started)> {
    let cnf = dir.join("my.cnf");
    std::fs::write(
        &cnf,
        format!("[client]\nuser=root\nhost=127.0.0.1\nport={}\n", db.port()),
    )?;
    let flags: Vec<String> = collectors
        .iter()
        .map(|c| format!("--collect.{c}"))
        .collect();
    let ours_port = testkit::free_port();
    let mut ours = Command::new(binary());
    // FERROSCOPE_BENCH_MYSQL_CONNS: --exporter.max_open_connections for
    // ours (upstream's default, 2, when unset).
    if let Ok(conns) = std::env::var("FERROSCOPE_BENCH_MYSQL_CONNS") {
        ours.arg(format!("--exporter.max_open_connections={conns}"));
    }
    ours.arg(format!("--web.listen-address=127.0.0.1:{ours_port}"))
        .arg(format!("--config.my-cnf={}", cnf.display()))
        .args(&flags);
    let ours = harness::start(
        "mysql-exporter",
        ours,
        &format!("http://127.0.0.1:{ours_port}/-/healthy"),
    )?;
    let up_port = testkit::free_port();
    let mut upstream = Command::new("/usr/bin/prometheus-mysqld-exporter");
    upstream
        .env("DATA_SOURCE_NAME", format!("root@tcp({})/", db.addr()))
        .arg(format!("--web.listen-address=127.0.0.1:{up_port}"))
        .arg(format!(
            "--config.my-cnf={}",
            dir.join("none.cnf").display()
        ))
        .args(&flags);
    let upstream = harness::start(
        "mysqld_exporter",
        upstream,
        &format!("http://127.0.0.1:{up_port}/"),
    )?;
    Ok((ours, upstream))
}

fn url(process: &Started) -> anyhow::Result<String> {
    // Both were started with --web.listen-address=127.0.0.1:PORT.
    let cmdline = std::fs::read_to_string(format!("/proc/{}/cmdline", process.pid()))?;
    let addr = cmdline
        .split('\0')
        .find_map(|a| a.strip_prefix("--web.listen-address="))
        .context("no listen address")?;
    Ok(format!("http://{addr}/metrics"))
}

fn scenario(
    db: &testkit::MariaDb,
    title: &str,
    collectors: &[&str],
    args: &super::Args,
    scale: usize,
) -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let (ours, upstream) = start_pair(db, dir.path(), collectors)?;
    let (ours_url, up_url) = (url(&ours)?, url(&upstream)?);
    let plan = |u| Plan {
        url: u,
        headers: harness::PROMETHEUS_HEADERS,
        sequential: (args.scrapes / scale).max(5),
        concurrency: args.concurrency,
        per_scraper: (args.per_scraper / scale).max(2),
    };
    let m_ours = harness::measure(&ours, &plan(&ours_url))?;
    let m_up = harness::measure(&upstream, &plan(&up_url))?;
    harness::print_table(title, &m_ours, &m_up);
    let q_ours = queries_per_scrape(db, &ours_url, 10)?;
    let q_up = queries_per_scrape(db, &up_url, 10)?;
    println!(
        "| queries per scrape | {q_ours:.1} | {q_up:.1} | {:.2} |",
        q_ours / q_up
    );
    Ok(())
}

/// Our release binary, in the target directory cargo uses.
fn binary() -> String {
    let target = std::env::var("CARGO_TARGET_DIR").unwrap_or_else(|_| "target".to_string());
    format!("{target}/release/mysql-exporter")
}

pub fn run(args: &super::Args) -> anyhow::Result<()> {
    let status = Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
        .args(["build", "--release", "-p", "mysql-exporter"])
        .status()
        .context("building mysql-exporter")?;
    if !status.success() {
        bail!("building mysql-exporter failed");
    }
    let tables: usize = std::env::var("FERROSCOPE_BENCH_MYSQL_TABLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let db = testkit::MariaDb::start_with(&["--userstat=ON", "--innodb-file-per-table=OFF"]);
    eprintln!("creating {tables} tables...");
    let started = std::time::Instant::now();
    mysql(&db, "CREATE DATABASE bench")?;
    // Each CREATE TABLE waits on fsyncs the server groups across
    // sessions: one client takes minutes for 10,000 tables, 32 seconds.
    const CLIENTS: usize = 32;
    let per_client = tables.div_ceil(CLIENTS);
    std::thread::scope(|scope| -> anyhow::Result<()> {
        let db = &db;
        let workers: Vec<_> = (0..CLIENTS)
            .map(|c| {
                scope.spawn(move || {
                    let mut sql = String::from("USE bench;");
                    for i in (c * per_client)..((c + 1) * per_client).min(tables) {
                        sql.push_str(&format!(
                            "CREATE TABLE t{i} (id INT AUTO_INCREMENT PRIMARY KEY, v INT);"
                        ));
                    }
                    mysql(db, &sql)
                })
            })
            .collect();
        for w in workers {
            w.join()
                .map_err(|_| anyhow::anyhow!("a client thread panicked"))??;
        }
        Ok(())
    })?;
    eprintln!("created {tables} tables in {:?}", started.elapsed());
    // FERROSCOPE_BENCH_MYSQL_ONLY_ALL: skip the default-collector scenario.
    if std::env::var_os("FERROSCOPE_BENCH_MYSQL_ONLY_ALL").is_none() {
        scenario(
            &db,
            &format!("mysql: default collectors, {tables} tables"),
            &[],
            args,
            1,
        )?;
    }
    scenario(
        &db,
        &format!("mysql: all collectors, {tables} tables"),
        ALL,
        args,
        10,
    )?;
    Ok(())
}
