//! `performance_schema.table_io_waits_summary_by_index_usage`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct IndexIoWaits {
    total: Desc,
    seconds: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["schema", "name", "index", "operation"];
    Ok(std::sync::Arc::new(IndexIoWaits {
        total: Desc::counter(
            "mysql_perf_schema_index_io_waits_total",
            "The total number of index I/O wait events for each index and operation.",
            l,
        ),
        seconds: Desc::counter(
            "mysql_perf_schema_index_io_waits_seconds_total",
            "The total time of index I/O wait events for each index and operation.",
            l,
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for IndexIoWaits {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT OBJECT_SCHEMA, OBJECT_NAME, ifnull(INDEX_NAME, 'NONE') AS INDEX_NAME, COUNT_FETCH, COUNT_INSERT, \
             COUNT_UPDATE, COUNT_DELETE, SUM_TIMER_FETCH, SUM_TIMER_INSERT, SUM_TIMER_UPDATE, SUM_TIMER_DELETE \
             FROM performance_schema.table_io_waits_summary_by_index_usage WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema')",
        )
        .await?;
        for row in &rows {
            let (schema, name, index) = (text(row, 0), text(row, 1), text(row, 2));
            for (i, op) in ["fetch", "insert", "update", "delete"].iter().enumerate() {
                // Only the no-index row counts inserts.
                if *op == "insert" && index != "NONE" {
                    continue;
                }
                out.counter(&self.total, &[&schema, &name, &index, op], num0(row, 3 + i));
                out.counter(
                    &self.seconds,
                    &[&schema, &name, &index, op],
                    num0(row, 7 + i) / PICO,
                );
            }
        }
        Ok(())
    }
}
