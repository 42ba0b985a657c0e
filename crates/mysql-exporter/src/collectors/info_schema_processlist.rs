//! `information_schema.processlist`: threads and their time by command
//! and state, and optionally by user and by client host.

use std::collections::BTreeMap;

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct Processlist {
    min_time: i64,
    by_user: bool,
    by_host: bool,
    threads: Desc,
    seconds: Desc,
    users: Desc,
    hosts: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(Processlist {
        min_time: args.processlist_min_time,
        by_user: args.processes_by_user,
        by_host: args.processes_by_host,
        threads: Desc::gauge(
            "mysql_info_schema_processlist_threads",
            "The number of threads split by current state.",
            &["command", "state"],
        ),
        seconds: Desc::gauge(
            "mysql_info_schema_processlist_seconds",
            "The number of seconds threads have used split by current state.",
            &["command", "state"],
        ),
        users: Desc::gauge(
            "mysql_info_schema_processlist_processes_by_user",
            "The number of processes by user.",
            &["mysql_user"],
        ),
        hosts: Desc::gauge(
            "mysql_info_schema_processlist_processes_by_host",
            "The number of processes by host.",
            &["client_host"],
        ),
    }))
}

fn sanitize_state(s: &str) -> String {
    let s = s.trim().to_lowercase().replace(' ', "_");
    if s.is_empty() {
        "unknown".to_string()
    } else {
        s
    }
}

#[async_trait::async_trait]
impl Scraper for Processlist {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let sql = format!(
            "SELECT user, SUBSTRING_INDEX(host, ':', 1) AS host, COALESCE(command, '') AS command, \
             COALESCE(state, '') AS state, COUNT(*) AS processes, SUM(time) AS seconds \
             FROM information_schema.processlist WHERE ID != connection_id() AND TIME >= {} \
             GROUP BY user, SUBSTRING_INDEX(host, ':', 1), command, state",
            self.min_time
        );
        let rows = query(conn, &sql).await?;
        let mut by_state: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
        let mut by_user: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_host: BTreeMap<String, f64> = BTreeMap::new();
        for row in &rows {
            let (user, host) = (text(row, 0), text(row, 1));
            let command = text(row, 2).to_lowercase();
            let state = sanitize_state(&text(row, 3));
            let (n, secs) = (num0(row, 4), num0(row, 5));
            let e = by_state.entry((command, state)).or_default();
            e.0 += n;
            e.1 += secs;
            *by_user.entry(user).or_default() += n;
            *by_host.entry(host).or_default() += n;
        }
        for ((command, state), (n, secs)) in &by_state {
            out.gauge(&self.threads, &[command, state], *n);
            out.gauge(&self.seconds, &[command, state], *secs);
        }
        if self.by_user {
            for (user, n) in &by_user {
                out.gauge(&self.users, &[user], *n);
            }
        }
        if self.by_host {
            for (host, n) in &by_host {
                out.gauge(&self.hosts, &[host], *n);
            }
        }
        Ok(())
    }
}
