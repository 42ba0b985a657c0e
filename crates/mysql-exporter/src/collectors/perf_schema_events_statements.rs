//! `performance_schema.events_statements_summary_by_digest`: the top
//! statement digests by total time (`--collect.perf_schema.eventsstatements.limit`),
//! seen within `...timelimit` seconds, text cut to `...digest_text_limit`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{PICO, ScrapeError, Scraper, ScraperBox, num0, query, text};

pub struct EventsStatements {
    limit: u32,
    time_limit: u32,
    text_limit: u32,
    /// Column, family, divisor.
    families: Vec<(&'static str, Desc, f64)>,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["schema", "digest", "digest_text"];
    let c = |name: &str, help: &str| {
        Desc::counter(
            &format!("mysql_perf_schema_events_statements_{name}"),
            help,
            l,
        )
    };
    Ok(std::sync::Arc::new(EventsStatements {
        limit: args.eventsstatements_limit,
        time_limit: args.eventsstatements_timelimit,
        text_limit: args.eventsstatements_digest_text_limit,
        families: vec![
            (
                "COUNT_STAR",
                c("total", "The total count of events statements by digest."),
                1.0,
            ),
            (
                "SUM_TIMER_WAIT",
                c(
                    "seconds_total",
                    "The total time of events statements by digest.",
                ),
                PICO,
            ),
            (
                "SUM_LOCK_TIME",
                c(
                    "lock_time_seconds_total",
                    "The total lock time of events statements by digest.",
                ),
                PICO,
            ),
            (
                "SUM_ERRORS",
                c("errors_total", "The errors of events statements by digest."),
                1.0,
            ),
            (
                "SUM_WARNINGS",
                c(
                    "warnings_total",
                    "The warnings of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_ROWS_AFFECTED",
                c(
                    "rows_affected_total",
                    "The total rows affected of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_ROWS_SENT",
                c(
                    "rows_sent_total",
                    "The total rows sent of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_ROWS_EXAMINED",
                c(
                    "rows_examined_total",
                    "The total rows examined of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_CREATED_TMP_DISK_TABLES",
                c(
                    "tmp_disk_tables_total",
                    "The total tmp disk tables of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_CREATED_TMP_TABLES",
                c(
                    "tmp_tables_total",
                    "The total tmp tables of events statements by digest.",
                ),
                1.0,
            ),
            (
                "SUM_SORT_MERGE_PASSES",
                c(
                    "sort_merge_passes_total",
                    "The total number of merge passes by the sort algorithm performed by digest.",
                ),
                1.0,
            ),
            (
                "SUM_SORT_ROWS",
                c(
                    "sort_rows_total",
                    "The total number of sorted rows by digest.",
                ),
                1.0,
            ),
            (
                "SUM_NO_INDEX_USED",
                c(
                    "no_index_used_total",
                    "The total number of statements that used full table scans by digest.",
                ),
                1.0,
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for EventsStatements {
    async fn scrape(&self, conn: &mut Conn, out: &mut Emitter) -> Result<(), ScrapeError> {
        let columns: Vec<&str> = self.families.iter().map(|(c, _, _)| *c).collect();
        let sql = format!(
            "SELECT ifnull(SCHEMA_NAME, 'NONE'), DIGEST, LEFT(DIGEST_TEXT, {}), {} \
             FROM performance_schema.events_statements_summary_by_digest \
             WHERE (SCHEMA_NAME IS NULL OR SCHEMA_NAME NOT IN ('mysql', 'performance_schema', 'information_schema')) \
             AND LAST_SEEN > DATE_SUB(NOW(), INTERVAL {} SECOND) \
             ORDER BY SUM_TIMER_WAIT DESC LIMIT {}",
            self.text_limit,
            columns.join(", "),
            self.time_limit,
            self.limit
        );
        let rows = query(conn, &sql).await?;
        for row in &rows {
            let (schema, digest, digest_text) = (text(row, 0), text(row, 1), text(row, 2));
            for (i, (_, desc, div)) in self.families.iter().enumerate() {
                out.counter(
                    desc,
                    &[&schema, &digest, &digest_text],
                    num0(row, 3 + i) / div,
                );
            }
        }
        Ok(())
    }
}
