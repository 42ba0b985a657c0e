//! `performance_schema.table_io_waits_summary_by_table`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct TableIoWaits {
    total: Desc,
    seconds: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["schema", "name", "operation"];
    Ok(std::sync::Arc::new(TableIoWaits {
        total: Desc::counter(
            "mysql_perf_schema_table_io_waits_total",
            "The total number of table I/O wait events for each table and operation.",
            l,
        ),
        seconds: Desc::counter(
            "mysql_perf_schema_table_io_waits_seconds_total",
            "The total time of table I/O wait events for each table and operation.",
            l,
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for TableIoWaits {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT OBJECT_SCHEMA, OBJECT_NAME, COUNT_FETCH, COUNT_INSERT, COUNT_UPDATE, COUNT_DELETE, \
             SUM_TIMER_FETCH, SUM_TIMER_INSERT, SUM_TIMER_UPDATE, SUM_TIMER_DELETE \
             FROM performance_schema.table_io_waits_summary_by_table WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema')",
        )
        .await?;
        for row in &rows {
            let (schema, name) = (text(row, 0), text(row, 1));
            for (i, op) in ["fetch", "insert", "update", "delete"].iter().enumerate() {
                out.counter(&self.total, &[&schema, &name, op], num0(row, 2 + i));
                out.counter(
                    &self.seconds,
                    &[&schema, &name, op],
                    num0(row, 6 + i) / PICO,
                );
            }
        }
        Ok(())
    }
}
