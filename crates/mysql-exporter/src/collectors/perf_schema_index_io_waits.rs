//! `performance_schema.table_io_waits_summary_by_index_usage`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct IndexIoWaits {
    total: Desc,
    seconds: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> IndexIoWaits {
    let l = &["schema", "name", "index", "operation"];
    IndexIoWaits {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl IndexIoWaits {
    /// Rows of schema, table, index, four counts and four timers.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfIndexIOWaits rows: inserts only for the
    /// no-index row, timers from picoseconds.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "OBJECT_SCHEMA",
                "OBJECT_NAME",
                "INDEX_NAME",
                "COUNT_FETCH",
                "COUNT_INSERT",
                "COUNT_UPDATE",
                "COUNT_DELETE",
                "SUM_TIMER_FETCH",
                "SUM_TIMER_INSERT",
                "SUM_TIMER_UPDATE",
                "SUM_TIMER_DELETE",
            ],
            &[
                &[
                    "database",
                    "table",
                    "index",
                    "10",
                    "11",
                    "12",
                    "13",
                    "14000000000000",
                    "15000000000000",
                    "16000000000000",
                    "17000000000000",
                ],
                &[
                    "database",
                    "table",
                    "NONE",
                    "20",
                    "21",
                    "22",
                    "23",
                    "24000000000000",
                    "25000000000000",
                    "26000000000000",
                    "27000000000000",
                ],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let mut expected = Vec::new();
        for (index, ops) in [
            (
                "index",
                vec![("fetch", 10, 14), ("update", 12, 16), ("delete", 13, 17)],
            ),
            (
                "NONE",
                vec![
                    ("fetch", 20, 24),
                    ("insert", 21, 25),
                    ("update", 22, 26),
                    ("delete", 23, 27),
                ],
            ),
        ] {
            for (op, n, secs) in ops {
                let l = format!(
                    r#"{{index="{index}",name="table",operation="{op}",schema="database"}}"#
                );
                expected.push(format!(
                    "counter mysql_perf_schema_index_io_waits_total{l} {n}"
                ));
                expected.push(format!(
                    "counter mysql_perf_schema_index_io_waits_seconds_total{l} {secs}"
                ));
            }
        }
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_eq!(samples(out), sorted(&expected));
    }
}
