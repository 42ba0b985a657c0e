//! `sys.x$user_summary`: statements, latency, I/O, connections and memory
//! per user.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct UserSummary {
    descs: Vec<(&'static str, Desc, f64)>,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<UserSummary, BuildError> {
    let l = &["user"];
    let c = |n: &str, h: &str| Desc::counter(&format!("mysql_sys_{n}"), h, l);
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_sys_{n}"), h, l);
    Ok(UserSummary {
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
                // A counter upstream, though the server's value can fall.
                c(
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
    })
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl UserSummary {
    /// Rows of user and the ten columns, in the order of `descs`.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let user = text(row, 0);
            for (i, (_, desc, div)) in self.descs.iter().enumerate() {
                out.value(desc, &[&user], num0(row, 1 + i) / div);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeSysUserSummary rows: latencies from
    /// picoseconds, only current connections and memory gauges (a
    /// negative memory kept).
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "user",
                "statemets",
                "statement_latency",
                "table_scans",
                "file_ios",
                "file_io_latency",
                "current_connections",
                "total_connections",
                "unique_hosts",
                "current_memory",
                "total_memory_allocated",
            ],
            &[
                &[
                    "user1", "110", "120", "140", "150", "160", "170", "180", "190", "110", "111",
                ],
                &[
                    "user3", "310", "320", "340", "350", "360", "370", "380", "390", "-16360",
                    "411",
                ],
            ],
        );
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let mut expected = Vec::new();
        for (user, v) in [
            (
                "user1",
                [
                    110.0, 120e-12, 140.0, 150.0, 160e-12, 170.0, 180.0, 190.0, 110.0, 111.0,
                ],
            ),
            (
                "user3",
                [
                    310.0, 320e-12, 340.0, 350.0, 360e-12, 370.0, 380.0, 390.0, -16360.0, 411.0,
                ],
            ),
        ] {
            let u = format!(r#"{{user="{user}"}}"#);
            expected.extend([
                format!("counter mysql_sys_statements_total{u} {}", v[0]),
                format!("counter mysql_sys_statement_latency{u} {}", v[1]),
                format!("counter mysql_sys_table_scans_total{u} {}", v[2]),
                format!("counter mysql_sys_file_ios_total{u} {}", v[3]),
                format!("counter mysql_sys_file_io_seconds_total{u} {}", v[4]),
                format!("gauge mysql_sys_current_connections{u} {}", v[5]),
                format!("counter mysql_sys_connections_total{u} {}", v[6]),
                format!("counter mysql_sys_unique_hosts_total{u} {}", v[7]),
                format!("gauge mysql_sys_current_memory_bytes{u} {}", v[8]),
                format!("counter mysql_sys_memory_allocated_bytes_total{u} {}", v[9]),
            ]);
        }
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_eq!(samples(out), sorted(&expected));
    }
}
