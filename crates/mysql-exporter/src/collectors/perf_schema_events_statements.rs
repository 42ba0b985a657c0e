//! `performance_schema.events_statements_summary_by_digest`: the top
//! statement digests by total time (`--collect.perf_schema.eventsstatements.limit`),
//! seen within `...timelimit` seconds, text cut to `...digest_text_limit`,
//! leaving out `mysql`, `performance_schema`, `information_schema` and the
//! schemas of `...exclude_schemas` (before the limit is applied).
//!
//! MySQL 8.0.28+ also has `SUM_CPU_TIME` and the `QUANTILE_95/99/999`
//! columns (mysqld_exporter 0.17's `..._cpu_time_seconds_total` and the
//! `mysql_perf_schema_events_statements_latency` summary). MariaDB and
//! older MySQL lack them: upstream then picks a query without them by
//! server version and reports zeros in their place. Ours asks for them,
//! falls back to the query without them on "unknown column" (remembered
//! per target: one query per scrape), and then leaves out the CPU time
//! family and the summary's quantiles (its `_sum` and `_count` are still
//! real) rather than report zeros that were never measured.

use exporter_kit::{BuildError, Desc, Emitter, Summary};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::tables_pass::sql_string;
use crate::scraper::{
    Cx, PICO, ScrapeError, Scraped, Scraper, ScraperBox, first_taken, num0, number, text,
};

pub struct EventsStatements {
    limit: u32,
    time_limit: u32,
    text_limit: u32,
    /// The quoted schema names of the `NOT IN (...)` condition.
    excluded: String,
    /// Column, family, divisor: the columns every server has.
    families: Vec<(&'static str, Desc, f64)>,
    cpu_time: Desc,
    latency: Desc,
}

/// The columns only MySQL 8.0.28+ has, after the common ones.
const MYSQL8_COLUMNS: &str = "SUM_CPU_TIME, QUANTILE_95, QUANTILE_99, QUANTILE_999";

/// mysqld_exporter's summary keys: 95, 99 and 999 (so `quantile="95"`,
/// not 0.95), kept as they are for queries written against it.
const QUANTILES: [f64; 3] = [95.0, 99.0, 999.0];

/// "Unknown column": the server lacks the MySQL 8 columns.
fn unknown_column(e: &ScrapeError) -> bool {
    matches!(e, ScrapeError::Sql(mysql_async::Error::Server(s)) if s.code == 1054)
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
    let excluded = ["mysql", "performance_schema", "information_schema"]
        .into_iter()
        .map(str::to_string)
        .chain(args.eventsstatements_exclude_schemas.iter().cloned())
        .map(|s| sql_string(&s))
        .collect::<Vec<_>>()
        .join(", ");
    Ok(std::sync::Arc::new(EventsStatements {
        limit: args.eventsstatements_limit,
        time_limit: args.eventsstatements_timelimit,
        text_limit: args.eventsstatements_digest_text_limit,
        excluded,
        cpu_time: c(
            "cpu_time_seconds_total",
            "The total cpu time of events statements by digest.",
        ),
        latency: Desc::summary(
            "mysql_perf_schema_events_statements_latency",
            "A summary of statement latency by digest",
            l,
        ),
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

impl EventsStatements {
    fn sql(&self, extra: Option<&str>) -> String {
        let mut columns: Vec<&str> = self.families.iter().map(|(c, _, _)| *c).collect();
        columns.extend(extra);
        format!(
            "SELECT ifnull(SCHEMA_NAME, 'NONE'), DIGEST, LEFT(DIGEST_TEXT, {}), {} \
             FROM performance_schema.events_statements_summary_by_digest \
             WHERE (SCHEMA_NAME IS NULL OR SCHEMA_NAME NOT IN ({})) \
             AND LAST_SEEN > DATE_SUB(NOW(), INTERVAL {} SECOND) \
             ORDER BY SUM_TIMER_WAIT DESC LIMIT {}",
            self.text_limit,
            columns.join(", "),
            self.excluded,
            self.time_limit,
            self.limit
        )
    }
}

#[async_trait::async_trait]
impl Scraper for EventsStatements {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let (mysql8, common) = (self.sql(Some(MYSQL8_COLUMNS)), self.sql(None));
        let rows = first_taken(
            cx,
            conn,
            "events_statements",
            &[&mysql8, &common],
            unknown_column,
        )
        .await?;
        let n = self.families.len();
        for row in &rows {
            let (schema, digest, digest_text) = (text(row, 0), text(row, 1), text(row, 2));
            let labels = [schema.as_str(), digest.as_str(), digest_text.as_str()];
            for (i, (_, desc, div)) in self.families.iter().enumerate() {
                out.counter(desc, &labels, num0(row, 3 + i) / div);
            }
            // Columns 3 and 4: COUNT_STAR, SUM_TIMER_WAIT.
            let mut summary = Summary {
                quantiles: Vec::new(),
                sum: num0(row, 4) / PICO,
                count: num0(row, 3) as u64,
            };
            if row.len() > 3 + n {
                out.counter(&self.cpu_time, &labels, num0(row, 3 + n) / PICO);
                summary.quantiles = QUANTILES
                    .iter()
                    .enumerate()
                    .filter_map(|(k, q)| Some((*q, number(row, 4 + n + k)? / PICO)))
                    .collect();
            }
            out.summary(&self.latency, &labels, summary);
        }
        Ok(())
    }
}
