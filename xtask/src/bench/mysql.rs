//! `cargo xtask bench mysql`: mysql-exporter and Debian's
//! prometheus-mysqld-exporter against one mariadbd holding a large schema
//! (FERROSCOPE_BENCH_MYSQL_TABLES tables, 10,000 by default): latency, CPU
//! per scrape, memory, and queries each scrape costs the server (from
//! SHOW GLOBAL STATUS `Questions`, less the bench's own readings), default
//! collectors and all collectors. Queries are counted twice: at the 10 s
//! timeout Prometheus sends, and with a timeout long enough for both
//! exporters to complete every scraper (a scrape cut at its deadline
//! issues fewer queries: that count flatters whoever is cut).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

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

/// The server's statement counters: `Questions` and the `Com_*` it is
/// made of (SHOW GLOBAL STATUS), by name.
type Counters = std::collections::BTreeMap<String, f64>;

fn counters(db: &testkit::MariaDb) -> anyhow::Result<Counters> {
    let out = mysql(
        db,
        "SHOW GLOBAL STATUS WHERE Variable_name = 'Questions' OR Variable_name LIKE 'Com\\_%'",
    )?;
    let counters: Counters = out
        .lines()
        .filter_map(|l| {
            let (name, value) = l.split_once('\t')?;
            Some((name.to_string(), value.trim().parse().ok()?))
        })
        .collect();
    if !counters.contains_key("Questions") {
        bail!("no Questions in SHOW GLOBAL STATUS");
    }
    Ok(counters)
}

/// `after - before`, less `overhead`, per counter.
fn delta(after: &Counters, before: &Counters, overhead: &Counters) -> Counters {
    after
        .iter()
        .map(|(k, a)| {
            let b = before.get(k).copied().unwrap_or(0.0);
            let o = overhead.get(k).copied().unwrap_or(0.0);
            (k.clone(), a - b - o)
        })
        .collect()
}

/// What reading [`counters`] adds to the counters themselves (its own
/// SHOW, whatever the client sends on connecting), measured with nothing
/// else running: subtracted from every reading so that only the
/// exporters' statements are counted.
fn reading_overhead(db: &testkit::MariaDb) -> anyhow::Result<Counters> {
    const READS: usize = 4;
    let first = counters(db)?;
    let mut last = first.clone();
    for _ in 0..READS {
        last = counters(db)?;
    }
    let none = Counters::new();
    Ok(delta(&last, &first, &none)
        .into_iter()
        .map(|(k, v)| (k, v / READS as f64))
        .collect())
}

/// A GET that returns the body, waiting up to `wait` for it (a complete
/// scrape of 10,000 tables takes upstream far longer than
/// [`harness::get`]'s minute).
fn fetch(url: &str, headers: &[(&str, &str)], wait: Duration) -> anyhow::Result<(u16, String)> {
    use std::io::{Read, Write};
    let rest = url.strip_prefix("http://").context("only http:// URLs")?;
    let (host, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
    let mut stream = std::net::TcpStream::connect(host)?;
    stream.set_read_timeout(Some(wait))?;
    let mut request = format!("GET {path} HTTP/1.0\r\nHost: {host}\r\n");
    for (k, v) in headers {
        request.push_str(&format!("{k}: {v}\r\n"));
    }
    request.push_str("\r\n");
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let text = String::from_utf8_lossy(&response);
    let (head, body) = text.split_once("\r\n\r\n").context("no header end")?;
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .context("no status")?;
    Ok((status, body.to_string()))
}

/// `mysql_exporter_scrape_errors_total` by collector, from a scrape body
/// (both exporters have it, in upstream 0.14's form).
fn scrape_errors(body: &str) -> std::collections::BTreeMap<String, f64> {
    body.lines()
        .filter_map(|l| {
            let rest = l.strip_prefix("mysql_exporter_scrape_errors_total{collector=\"")?;
            let (collector, value) = rest.split_once("\"}")?;
            Some((collector.to_string(), value.trim().parse().ok()?))
        })
        .collect()
}

/// Queries an exporter issued per scrape, counted on the server.
struct Count {
    /// `Questions` per scrape.
    queries: f64,
    /// The `Com_*` counters that moved, per scrape, largest first.
    commands: Vec<(String, f64)>,
    /// Mean wall time of a scrape.
    seconds: f64,
    /// Collectors whose scrape error counter rose during the scrapes
    /// (at the long timeout: what the server lacks; at a short one, also
    /// what the timeout cut).
    errored: Vec<String>,
}

/// Counts the server statements of `n` scrapes of `url` sent with
/// `X-Prometheus-Scrape-Timeout-Seconds: timeout`, after one warm-up
/// scrape; the bench's own statements (`overhead` per reading) are
/// excluded.
fn count(
    db: &testkit::MariaDb,
    url: &str,
    timeout: u32,
    n: usize,
    overhead: &Counters,
) -> anyhow::Result<Count> {
    let timeout_text = timeout.to_string();
    let headers = [
        ("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1"),
        ("X-Prometheus-Scrape-Timeout-Seconds", timeout_text.as_str()),
    ];
    let wait = Duration::from_secs(u64::from(timeout) + 60);
    let (_, first) = fetch(url, &headers, wait)?;
    let before = counters(db)?;
    let started = Instant::now();
    let mut last = first.clone();
    for _ in 0..n {
        let (status, body) = fetch(url, &headers, wait)?;
        if status != 200 {
            bail!("{url} answered {status}");
        }
        last = body;
    }
    let seconds = started.elapsed().as_secs_f64() / n as f64;
    let after = counters(db)?;
    let moved = delta(&after, &before, overhead);
    let per = |v: f64| v / n as f64;
    let mut commands: Vec<(String, f64)> = moved
        .iter()
        .filter(|(k, v)| k.starts_with("Com_") && per(**v) >= 0.05)
        .map(|(k, v)| (k.trim_start_matches("Com_").to_string(), per(*v)))
        .collect();
    commands.sort_by(|a, b| b.1.total_cmp(&a.1));
    let (was, now) = (scrape_errors(&first), scrape_errors(&last));
    let errored = now
        .iter()
        .filter(|(k, v)| **v > was.get(*k).copied().unwrap_or(0.0))
        .map(|(k, _)| k.trim_start_matches("collect.").to_string())
        .collect();
    Ok(Count {
        queries: per(moved.get("Questions").copied().unwrap_or(f64::NAN)),
        commands,
        seconds,
        errored,
    })
}

fn print_commands(who: &str, count: &Count) {
    let list: Vec<String> = count
        .commands
        .iter()
        .map(|(k, v)| format!("{k} {v:.1}"))
        .collect();
    println!("- {who}: {}", list.join(", "));
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
    // Queries per scrape, counted on the server. First at the timeout
    // Prometheus sends (10 s, as the latency rows above): a scrape cut at
    // its deadline stops issuing queries, so this undercounts whichever
    // exporter does not finish. Then with a timeout long enough for both
    // to run every scraper to its end (upstream 0.14 bounds a scrape only
    // by that header, less --timeout-offset): the cost of a complete
    // scrape.
    let overhead = reading_overhead(db)?;
    let n_short = 10;
    let n_long = std::env::var("FERROSCOPE_BENCH_MYSQL_COMPLETE_SCRAPES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3usize)
        .max(1);
    const LONG: u32 = 600;
    let short = (
        count(db, &ours_url, 10, n_short, &overhead)?,
        count(db, &up_url, 10, n_short, &overhead)?,
    );
    let long = (
        count(db, &ours_url, LONG, n_long, &overhead)?,
        count(db, &up_url, LONG, n_long, &overhead)?,
    );
    println!(
        "| queries per scrape, 10 s timeout | {:.1} | {:.1} | {:.2} |",
        short.0.queries,
        short.1.queries,
        short.0.queries / short.1.queries
    );
    println!(
        "| scrape wall time, 10 s timeout | {:.2} s | {:.2} s | {:.2} |",
        short.0.seconds,
        short.1.seconds,
        short.0.seconds / short.1.seconds
    );
    println!(
        "| queries per complete scrape ({LONG} s timeout) | {:.1} | {:.1} | {:.2} |",
        long.0.queries,
        long.1.queries,
        long.0.queries / long.1.queries
    );
    println!(
        "| complete scrape wall time | {:.2} s | {:.2} s | {:.2} |",
        long.0.seconds,
        long.1.seconds,
        long.0.seconds / long.1.seconds
    );
    let list = |c: &Count| {
        if c.errored.is_empty() {
            "none".to_string()
        } else {
            c.errored.join(", ")
        }
    };
    println!("\nCollectors with scrape errors (what this server lacks, or cut by the timeout):");
    println!("- ours, 10 s: {}", list(&short.0));
    println!("- upstream, 10 s: {}", list(&short.1));
    println!("- ours, {LONG} s: {}", list(&long.0));
    println!("- upstream, {LONG} s: {}", list(&long.1));
    println!("\nStatements per complete scrape by command (Com_*):");
    print_commands("ours", &long.0);
    print_commands("upstream", &long.1);
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
