//! `performance_schema.memory_summary_global_by_event_name`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct MemoryEvents {
    prefix: String,
    alloc: Desc,
    free: Desc,
    used: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["event_name"];
    Ok(std::sync::Arc::new(MemoryEvents {
        prefix: args.memory_events_remove_prefix.clone(),
        alloc: Desc::counter(
            "mysql_perf_schema_memory_events_alloc_bytes_total",
            "The total number of bytes allocated by events.",
            l,
        ),
        free: Desc::counter(
            "mysql_perf_schema_memory_events_free_bytes_total",
            "The total number of bytes freed by events.",
            l,
        ),
        used: Desc::gauge(
            "mysql_perf_schema_memory_events_used_bytes",
            "The number of bytes currently allocated by events.",
            l,
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for MemoryEvents {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT EVENT_NAME, SUM_NUMBER_OF_BYTES_ALLOC, SUM_NUMBER_OF_BYTES_FREE, CURRENT_NUMBER_OF_BYTES_USED \
             FROM performance_schema.memory_summary_global_by_event_name WHERE COUNT_ALLOC > 0",
        )
        .await?;
        for row in &rows {
            let name = text(row, 0);
            let name = name
                .strip_prefix(self.prefix.as_str())
                .unwrap_or(&name)
                .to_string();
            out.counter(&self.alloc, &[&name], num0(row, 1));
            out.counter(&self.free, &[&name], num0(row, 2));
            out.gauge(&self.used, &[&name], num0(row, 3));
        }
        Ok(())
    }
}
