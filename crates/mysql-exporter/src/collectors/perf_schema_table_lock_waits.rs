//! `performance_schema.table_lock_waits_summary_by_table`: SQL and
//! external lock waits per table and lock kind.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct TableLockWaits {
    sql_total: Desc,
    sql_seconds: Desc,
    ext_total: Desc,
    ext_seconds: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["schema", "name", "operation"];
    Ok(std::sync::Arc::new(TableLockWaits {
        sql_total: Desc::counter(
            "mysql_perf_schema_sql_lock_waits_total",
            "The total number of SQL lock wait events for each table and operation.",
            l,
        ),
        sql_seconds: Desc::counter(
            "mysql_perf_schema_sql_lock_waits_seconds_total",
            "The total time of SQL lock wait events for each table and operation.",
            l,
        ),
        ext_total: Desc::counter(
            "mysql_perf_schema_external_lock_waits_total",
            "The total number of external lock wait events for each table and operation.",
            l,
        ),
        ext_seconds: Desc::counter(
            "mysql_perf_schema_external_lock_waits_seconds_total",
            "The total time of external lock wait events for each table and operation.",
            l,
        ),
    }))
}

/// Column suffix, operation label, external lock?
const KINDS: [(&str, &str, bool); 10] = [
    ("READ_NORMAL", "read_normal", false),
    ("READ_WITH_SHARED_LOCKS", "read_with_shared_locks", false),
    ("READ_HIGH_PRIORITY", "read_high_priority", false),
    ("READ_NO_INSERT", "read_no_insert", false),
    ("WRITE_NORMAL", "write_normal", false),
    ("WRITE_ALLOW_WRITE", "write_allow_write", false),
    ("WRITE_CONCURRENT_INSERT", "write_concurrent_insert", false),
    ("WRITE_LOW_PRIORITY", "write_low_priority", false),
    ("READ_EXTERNAL", "read", true),
    ("WRITE_EXTERNAL", "write", true),
];

#[async_trait::async_trait]
impl Scraper for TableLockWaits {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let counts: Vec<String> = KINDS.iter().map(|(c, _, _)| format!("COUNT_{c}")).collect();
        let timers: Vec<String> = KINDS
            .iter()
            .map(|(c, _, _)| format!("SUM_TIMER_{c}"))
            .collect();
        let sql = format!(
            "SELECT OBJECT_SCHEMA, OBJECT_NAME, {}, {} FROM performance_schema.table_lock_waits_summary_by_table \
             WHERE OBJECT_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema')",
            counts.join(", "),
            timers.join(", ")
        );
        let rows = query(conn, &sql).await?;
        for row in &rows {
            let (schema, name) = (text(row, 0), text(row, 1));
            for (i, (_, op, external)) in KINDS.iter().enumerate() {
                let (total, seconds) = if *external {
                    (&self.ext_total, &self.ext_seconds)
                } else {
                    (&self.sql_total, &self.sql_seconds)
                };
                out.counter(total, &[&schema, &name, op], num0(row, 2 + i));
                out.counter(
                    seconds,
                    &[&schema, &name, op],
                    num0(row, 2 + KINDS.len() + i) / PICO,
                );
            }
        }
        Ok(())
    }
}
