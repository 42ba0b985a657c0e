//! `information_schema.processlist`: threads and their time by command
//! and state, and optionally by user and by client host.

use std::collections::BTreeMap;

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

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
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> Processlist {
    Processlist {
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
    }
}

/// Upstream's `sanitizeState`, for commands and states alike: lowered,
/// `;,:.()` dropped, spaces and dashes as `_`, nothing as `unknown`.
fn sanitize_state(s: &str) -> String {
    if s.is_empty() {
        return "unknown".to_string();
    }
    s.to_lowercase()
        .chars()
        .filter(|c| !matches!(c, ';' | ',' | ':' | '.' | '(' | ')'))
        .map(|c| if matches!(c, ' ' | '-') { '_' } else { c })
        .collect()
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl Processlist {
    /// Rows of user, host, command, state, processes and seconds.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        let mut by_state: BTreeMap<(String, String), (f64, f64)> = BTreeMap::new();
        let mut by_user: BTreeMap<String, f64> = BTreeMap::new();
        let mut by_host: BTreeMap<String, f64> = BTreeMap::new();
        for row in rows {
            let (user, mut host) = (text(row, 0), text(row, 1));
            if host.is_empty() {
                host = "unknown".to_string();
            }
            let command = sanitize_state(&text(row, 2));
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
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeProcesslist rows: commands and states
    /// sanitized and summed, an empty host as `unknown`.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["user", "host", "command", "state", "processes", "seconds"],
            &[
                &["manager", "10.0.7.234", "Sleep", "", "10", "87"],
                &["feedback", "10.0.7.154", "Sleep", "", "8", "842"],
                &["root", "10.0.7.253", "Sleep", "", "1", "20"],
                &["feedback", "10.0.7.179", "Sleep", "", "2", "14"],
                &[
                    "system user",
                    "",
                    "Connect",
                    "waiting for handler commit",
                    "1",
                    "7271248",
                ],
                &["manager", "10.0.7.234", "Sleep", "", "4", "62"],
                &[
                    "system user",
                    "",
                    "Query",
                    "Slave has read all relay log; waiting for more updates",
                    "1",
                    "7271248",
                ],
                &[
                    "event_scheduler",
                    "localhost",
                    "Daemon",
                    "Waiting on empty queue",
                    "1",
                    "7271248",
                ],
            ],
        );
        let scraper = super::build(&args(&[
            "--collect.info_schema.processlist.processes_by_user",
            "--collect.info_schema.processlist.processes_by_host",
        ]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "gauge mysql_info_schema_processlist";
        assert_eq!(
            samples(out),
            sorted(&[
                &format!(
                    r#"{p}_threads{{command="connect",state="waiting_for_handler_commit"}} 1"#
                ),
                &format!(
                    r#"{p}_seconds{{command="connect",state="waiting_for_handler_commit"}} 7271248"#
                ),
                &format!(r#"{p}_threads{{command="daemon",state="waiting_on_empty_queue"}} 1"#),
                &format!(
                    r#"{p}_seconds{{command="daemon",state="waiting_on_empty_queue"}} 7271248"#
                ),
                &format!(
                    r#"{p}_threads{{command="query",state="slave_has_read_all_relay_log_waiting_for_more_updates"}} 1"#
                ),
                &format!(
                    r#"{p}_seconds{{command="query",state="slave_has_read_all_relay_log_waiting_for_more_updates"}} 7271248"#
                ),
                &format!(r#"{p}_threads{{command="sleep",state="unknown"}} 25"#),
                &format!(r#"{p}_seconds{{command="sleep",state="unknown"}} 1025"#),
                &format!(r#"{p}_processes_by_host{{client_host="10.0.7.154"}} 8"#),
                &format!(r#"{p}_processes_by_host{{client_host="10.0.7.179"}} 2"#),
                &format!(r#"{p}_processes_by_host{{client_host="10.0.7.234"}} 14"#),
                &format!(r#"{p}_processes_by_host{{client_host="10.0.7.253"}} 1"#),
                &format!(r#"{p}_processes_by_host{{client_host="localhost"}} 1"#),
                &format!(r#"{p}_processes_by_host{{client_host="unknown"}} 2"#),
                &format!(r#"{p}_processes_by_user{{mysql_user="event_scheduler"}} 1"#),
                &format!(r#"{p}_processes_by_user{{mysql_user="feedback"}} 10"#),
                &format!(r#"{p}_processes_by_user{{mysql_user="manager"}} 14"#),
                &format!(r#"{p}_processes_by_user{{mysql_user="root"}} 1"#),
                &format!(r#"{p}_processes_by_user{{mysql_user="system user"}} 2"#),
            ])
        );
    }

    #[test]
    fn states_sanitized_as_upstream() {
        assert_eq!(super::sanitize_state(""), "unknown");
        assert_eq!(super::sanitize_state(" "), "_");
        assert_eq!(
            super::sanitize_state("Waiting for table-level lock (x), done: ok."),
            "waiting_for_table_level_lock_x_done_ok"
        );
    }
}
