//! `sys.x$user_summary`: statements, latency, I/O, connections and memory
//! per user.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct UserSummary {
    descs: Vec<(&'static str, Desc, f64)>,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["user"];
    let c = |n: &str, h: &str| Desc::counter(&format!("mysql_sys_{n}"), h, l);
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_sys_{n}"), h, l);
    Ok(std::sync::Arc::new(UserSummary {
        descs: vec![
            (
                "statements",
                c(
                    "statements_total",
                    "The total number of statements for the user.",
                ),
                1.0,
            ),
            (
                "statement_latency",
                c(
                    "statement_latency",
                    "The total wait time of timed statements for the user.",
                ),
                PICO,
            ),
            (
                "table_scans",
                c(
                    "table_scans_total",
                    "The total number of table scans for the user.",
                ),
                1.0,
            ),
            (
                "file_ios",
                c(
                    "file_ios_total",
                    "The total number of file I/O events for the user.",
                ),
                1.0,
            ),
            (
                "file_io_latency",
                c(
                    "file_io_seconds_total",
                    "The total wait time of timed file I/O events for the user.",
                ),
                PICO,
            ),
            (
                "current_connections",
                g(
                    "current_connections",
                    "The current number of connections for the user.",
                ),
                1.0,
            ),
            (
                "total_connections",
                c(
                    "connections_total",
                    "The total number of connections for the user.",
                ),
                1.0,
            ),
            (
                "unique_hosts",
                g(
                    "unique_hosts_total",
                    "The number of distinct hosts from which connections for the user have originated.",
                ),
                1.0,
            ),
            (
                "current_memory",
                g(
                    "current_memory_bytes",
                    "The current amount of allocated memory for the user.",
                ),
                1.0,
            ),
            (
                "total_memory_allocated",
                c(
                    "memory_allocated_bytes_total",
                    "The total amount of allocated memory for the user.",
                ),
                1.0,
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for UserSummary {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let cols: Vec<&str> = self.descs.iter().map(|(c, _, _)| *c).collect();
        let rows = query(
            conn,
            &format!("SELECT user, {} FROM sys.x$user_summary", cols.join(", ")),
        )
        .await?;
        for row in &rows {
            let user = text(row, 0);
            for (i, (_, desc, div)) in self.descs.iter().enumerate() {
                out.value(desc, &[&user], num0(row, 1 + i) / div);
            }
        }
        Ok(())
    }
}
