//! Grand totals of `performance_schema.events_statements_summary_by_digest`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

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
    // Upstream leaves the lock time in picoseconds (only the wait time
    // becomes seconds).
    ("SUM_LOCK_TIME", "lock_time", false),
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

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> EventsStatementsSum {
    EventsStatementsSum {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl EventsStatementsSum {
    /// The one row of the 21 sums.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        if let Some(row) = rows.first() {
            for (i, (_, desc, div)) in self.families.iter().enumerate() {
                out.counter(desc, &[], num0(row, i) / div);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfEventsStatementsSum row: only the wait
    /// time in seconds, a sum beyond u64 still a number.
    #[test]
    fn rows_become_upstreams_families() {
        let columns: Vec<String> = super::COLUMNS
            .iter()
            .map(|(c, _, _)| format!("SUM_{c}"))
            .collect();
        let columns: Vec<&str> = columns.iter().map(String::as_str).collect();
        let values = [
            "100",
            "1",
            "2",
            "3",
            "4000",
            "5",
            "6",
            "7",
            "8",
            "9",
            "10",
            "11",
            "12",
            "13",
            "14",
            "15",
            "16",
            "17",
            "18",
            "36463827771516430384",
            "19",
        ];
        let rows = text_rows(&columns, &[&values]);
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "counter mysql_perf_schema_events_statements_sum";
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("{p}_total{{}} 100"),
                &format!("{p}_created_tmp_disk_tables{{}} 1"),
                &format!("{p}_created_tmp_tables{{}} 2"),
                &format!("{p}_errors{{}} 3"),
                &format!("{p}_lock_time{{}} 4000"),
                &format!("{p}_no_good_index_used{{}} 5"),
                &format!("{p}_no_index_used{{}} 6"),
                &format!("{p}_rows_affected{{}} 7"),
                &format!("{p}_rows_examined{{}} 8"),
                &format!("{p}_rows_sent{{}} 9"),
                &format!("{p}_select_full_join{{}} 10"),
                &format!("{p}_select_full_range_join{{}} 11"),
                &format!("{p}_select_range{{}} 12"),
                &format!("{p}_select_range_check{{}} 13"),
                &format!("{p}_select_scan{{}} 14"),
                &format!("{p}_sort_merge_passes{{}} 15"),
                &format!("{p}_sort_range{{}} 16"),
                &format!("{p}_sort_rows{{}} 17"),
                &format!("{p}_sort_scan{{}} 18"),
                &format!("{p}_timer_wait{{}} 36463827.771516435"),
                &format!("{p}_warnings{{}} 19"),
            ])
        );
    }
}
