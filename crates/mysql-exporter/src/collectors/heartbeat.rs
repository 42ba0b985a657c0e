//! pt-heartbeat's table: the stored and the current timestamp per
//! server_id, whose difference is the replication delay.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct Heartbeat {
    sql: String,
    stored: Desc,
    now: Desc,
}

fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> Heartbeat {
    let now = if args.heartbeat_utc {
        "UTC_TIMESTAMP(6)"
    } else {
        "NOW(6)"
    };
    Heartbeat {
        sql: format!(
            "SELECT UNIX_TIMESTAMP(ts), UNIX_TIMESTAMP({now}), server_id FROM {}.{}",
            ident(&args.heartbeat_database),
            ident(&args.heartbeat_table)
        ),
        stored: Desc::gauge(
            "mysql_heartbeat_stored_timestamp_seconds",
            "Timestamp stored in the heartbeat table.",
            &["server_id"],
        ),
        now: Desc::gauge(
            "mysql_heartbeat_now_timestamp_seconds",
            "Timestamp of the current server.",
            &["server_id"],
        ),
    }
}

#[async_trait::async_trait]
impl Scraper for Heartbeat {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, &self.sql).await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl Heartbeat {
    /// Rows of the stored timestamp, the server's now and server_id.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let server = text(row, 2);
            out.gauge(&self.stored, &[&server], num0(row, 0));
            out.gauge(&self.now, &[&server], num0(row, 1));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeHeartbeat cases: the query follows the flags,
    /// the row gives both timestamps.
    #[test]
    fn flags_and_rows_as_upstream() {
        for (utc, now) in [(false, "NOW(6)"), (true, "UTC_TIMESTAMP(6)")] {
            let mut argv = vec![
                "--collect.heartbeat.database",
                "heartbeat-test",
                "--collect.heartbeat.table",
                "heartbeat-test",
            ];
            if utc {
                argv.push("--collect.heartbeat.utc");
            }
            let scraper = super::build(&args(&argv));
            assert_eq!(
                scraper.sql,
                format!(
                    "SELECT UNIX_TIMESTAMP(ts), UNIX_TIMESTAMP({now}), server_id FROM `heartbeat-test`.`heartbeat-test`"
                )
            );
            let rows = text_rows(
                &[
                    "UNIX_TIMESTAMP(ts)",
                    &format!("UNIX_TIMESTAMP({now})"),
                    "server_id",
                ],
                &[&["1487597613.001320", "1487598113.448042", "1"]],
            );
            let mut out = exporter_kit::Emitter::new();
            scraper.emit(&rows, &mut out);
            assert_eq!(
                samples(out),
                sorted(&[
                    r#"gauge mysql_heartbeat_now_timestamp_seconds{server_id="1"} 1487598113.448042"#,
                    r#"gauge mysql_heartbeat_stored_timestamp_seconds{server_id="1"} 1487597613.00132"#,
                ])
            );
        }
    }
}
