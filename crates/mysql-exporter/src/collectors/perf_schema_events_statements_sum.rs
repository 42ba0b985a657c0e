//! Grand totals of `performance_schema.events_statements_summary_by_digest`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query};

pub struct EventsStatementsSum {
    families: Vec<(&'static str, Desc, f64)>,
}

const COLUMNS: [(&str, &str, bool); 21] = [
    ("COUNT_STAR", "total", false),
    (
        "SUM_CREATED_TMP_DISK_TABLES",
        "created_tmp_disk_tables",
        false,
    ),
    ("SUM_CREATED_TMP_TABLES", "created_tmp_tables", false),
    ("SUM_ERRORS", "errors", false),
    ("SUM_LOCK_TIME", "lock_time", true),
    ("SUM_NO_GOOD_INDEX_USED", "no_good_index_used", false),
    ("SUM_NO_INDEX_USED", "no_index_used", false),
    ("SUM_ROWS_AFFECTED", "rows_affected", false),
    ("SUM_ROWS_EXAMINED", "rows_examined", false),
    ("SUM_ROWS_SENT", "rows_sent", false),
    ("SUM_SELECT_FULL_JOIN", "select_full_join", false),
    (
        "SUM_SELECT_FULL_RANGE_JOIN",
        "select_full_range_join",
        false,
    ),
    ("SUM_SELECT_RANGE", "select_range", false),
    ("SUM_SELECT_RANGE_CHECK", "select_range_check", false),
    ("SUM_SELECT_SCAN", "select_scan", false),
    ("SUM_SORT_MERGE_PASSES", "sort_merge_passes", false),
    ("SUM_SORT_RANGE", "sort_range", false),
    ("SUM_SORT_ROWS", "sort_rows", false),
    ("SUM_SORT_SCAN", "sort_scan", false),
    ("SUM_TIMER_WAIT", "timer_wait", true),
    ("SUM_WARNINGS", "warnings", false),
];

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(EventsStatementsSum {
        families: COLUMNS
            .iter()
            .map(|(col, name, seconds)| {
                (
                    *col,
                    Desc::counter(
                        &format!("mysql_perf_schema_events_statements_sum_{name}"),
                        &format!("The sum of {col} of all statement digests."),
                        &[],
                    ),
                    if *seconds { PICO } else { 1.0 },
                )
            })
            .collect(),
    }))
}

#[async_trait::async_trait]
impl Scraper for EventsStatementsSum {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let sums: Vec<String> = self
            .families
            .iter()
            .map(|(c, _, _)| format!("ifnull(SUM({c}), 0)"))
            .collect();
        let sql = format!(
            "SELECT {} FROM performance_schema.events_statements_summary_by_digest",
            sums.join(", ")
        );
        let rows = query(conn, &sql).await?;
        if let Some(row) = rows.first() {
            for (i, (_, desc, div)) in self.families.iter().enumerate() {
                out.counter(desc, &[], num0(row, i) / div);
            }
        }
        Ok(())
    }
}
