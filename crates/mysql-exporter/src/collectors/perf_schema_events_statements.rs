//! `performance_schema.events_statements_summary_by_digest`: the top
//! statement digests by total time (`--collect.perf_schema.eventsstatements.limit`),
//! seen within `...timelimit` seconds, text cut to `...digest_text_limit`,
//! leaving out `mysql`, `performance_schema`, `information_schema` and the
//! schemas of `...exclude_schemas` (before the limit is applied).
//!
//! MySQL 8.0.28+ also has `SUM_CPU_TIME` and the `QUANTILE_95/99/999`
//! columns (mysqld_exporter 0.17's `..._cpu_time_seconds_total` and the
//! `mysql_perf_schema_events_statements_latency` summary). MariaDB and
//! older MySQL lack them: upstream then runs a query without them (and
//! without `SUM_LOCK_TIME`) and reports lock time, CPU time and the
//! quantiles as 0, which its tests assert; so do we. Ours asks for the
//! MySQL 8 columns and falls back to the query without them on "unknown
//! column" (remembered per target: one query per scrape).

use exporter_kit::{BuildError, Desc, Emitter, Summary};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::collectors::tables_pass::sql_string;
use crate::scraper::{
    Cx, PICO, ScrapeError, Scraped, Scraper, ScraperBox, first_taken, num0, text,
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
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> EventsStatements {
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
    EventsStatements {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl EventsStatements {
    /// Rows of schema, digest, text, the common columns and, from MySQL
    /// 8.0.28, CPU time and the three quantiles. Without those, upstream's
    /// zeros for lock time, CPU time and the quantiles.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        let n = self.families.len();
        for row in rows {
            let mysql8 = row.len() > 3 + n;
            let (schema, digest, digest_text) = (text(row, 0), text(row, 1), text(row, 2));
            let labels = [schema.as_str(), digest.as_str(), digest_text.as_str()];
            for (i, (column, desc, div)) in self.families.iter().enumerate() {
                let value = if *column == "SUM_LOCK_TIME" && !mysql8 {
                    0.0
                } else {
                    num0(row, 3 + i) / div
                };
                out.counter(desc, &labels, value);
            }
            let at = |i: usize| if mysql8 { num0(row, i) / PICO } else { 0.0 };
            out.counter(&self.cpu_time, &labels, at(3 + n));
            // Columns 3 and 4: COUNT_STAR, SUM_TIMER_WAIT.
            let summary = Summary {
                quantiles: QUANTILES
                    .iter()
                    .enumerate()
                    .map(|(k, q)| (*q, at(4 + n + k)))
                    .collect(),
                sum: num0(row, 4) / PICO,
                count: num0(row, 3) as u64,
            };
            out.summary(&self.latency, &labels, summary);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    const COMMON: [&str; 16] = [
        "SCHEMA_NAME",
        "DIGEST",
        "DIGEST_TEXT",
        "COUNT_STAR",
        "SUM_TIMER_WAIT",
        "SUM_LOCK_TIME",
        "SUM_ERRORS",
        "SUM_WARNINGS",
        "SUM_ROWS_AFFECTED",
        "SUM_ROWS_SENT",
        "SUM_ROWS_EXAMINED",
        "SUM_CREATED_TMP_DISK_TABLES",
        "SUM_CREATED_TMP_TABLES",
        "SUM_SORT_MERGE_PASSES",
        "SUM_SORT_ROWS",
        "SUM_NO_INDEX_USED",
    ];
    const CELLS: [&str; 16] = [
        "db1",
        "digest1",
        "SELECT * FROM test",
        "100",
        "1000",
        "30",
        "1",
        "2",
        "50",
        "100",
        "150",
        "1",
        "2",
        "3",
        "100",
        "1",
    ];

    fn expected(lock: &str, cpu: &str, quantiles: [&str; 3]) -> Vec<String> {
        let l = r#"{digest="digest1",digest_text="SELECT * FROM test",schema="db1"}"#;
        let p = "counter mysql_perf_schema_events_statements";
        let s = "summary mysql_perf_schema_events_statements_latency";
        sorted(&[
            &format!("{p}_total{l} 100"),
            &format!("{p}_seconds_total{l} 0.000000001"),
            &format!("{p}_lock_time_seconds_total{l} {lock}"),
            &format!("{p}_cpu_time_seconds_total{l} {cpu}"),
            &format!("{p}_errors_total{l} 1"),
            &format!("{p}_warnings_total{l} 2"),
            &format!("{p}_rows_affected_total{l} 50"),
            &format!("{p}_rows_sent_total{l} 100"),
            &format!("{p}_rows_examined_total{l} 150"),
            &format!("{p}_tmp_disk_tables_total{l} 1"),
            &format!("{p}_tmp_tables_total{l} 2"),
            &format!("{p}_sort_merge_passes_total{l} 3"),
            &format!("{p}_sort_rows_total{l} 100"),
            &format!("{p}_no_index_used_total{l} 1"),
            &format!(
                "{s}{l} Summary(Summary {{ quantiles: [(95.0, {}), (99.0, {}), (999.0, {})], sum: 1e-9, count: 100 }})",
                quantiles[0], quantiles[1], quantiles[2]
            ),
        ])
    }

    /// Upstream's TestScrapePerfEventsStatements (servers before MySQL
    /// 8.0.28): lock time, CPU time and quantiles are 0.
    #[test]
    fn rows_without_mysql8_columns() {
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&text_rows(&COMMON, &[&CELLS]), &mut out);
        assert_eq!(samples(out), expected("0", "0", ["0.0", "0.0", "0.0"]));
    }

    /// Upstream's TestScrapePerfEventsStatementsMySQL8028 row.
    #[test]
    fn rows_with_mysql8_columns() {
        let mut columns = COMMON.to_vec();
        columns.extend(["SUM_CPU_TIME", "QUANTILE_95", "QUANTILE_99", "QUANTILE_999"]);
        let mut cells = CELLS.to_vec();
        cells.extend(["50", "100", "150", "200"]);
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&text_rows(&columns, &[&cells]), &mut out);
        assert_eq!(
            samples(out),
            expected(
                "0.00000000003",
                "0.00000000005",
                ["1e-10", "1.5e-10", "2e-10"]
            )
        );
    }
}
