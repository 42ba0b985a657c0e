//! `performance_schema.memory_summary_global_by_event_name`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct MemoryEvents {
    prefix: String,
    alloc: Desc,
    free: Desc,
    used: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> MemoryEvents {
    let l = &["event_name"];
    MemoryEvents {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl MemoryEvents {
    /// Rows of event, bytes allocated, freed and in use; the prefix cut off.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let name = text(row, 0);
            let name = name
                .strip_prefix(self.prefix.as_str())
                .unwrap_or(&name)
                .to_string();
            out.counter(&self.alloc, &[&name], num0(row, 1));
            out.counter(&self.free, &[&name], num0(row, 2));
            out.gauge(&self.used, &[&name], num0(row, 3));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfMemoryEvents rows: `memory/` removed, a
    /// negative use kept.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "EVENT_NAME",
                "SUM_NUMBER_OF_BYTES_ALLOC",
                "SUM_NUMBER_OF_BYTES_FREE",
                "CURRENT_NUMBER_OF_BYTES_USED",
            ],
            &[
                &["memory/innodb/event1", "1001", "500", "501"],
                &["memory/performance_schema/event1", "6000", "7", "-83904"],
                &["memory/sql/event1", "30", "4", "26"],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let mut expected = Vec::new();
        for (event, alloc, free, used) in [
            ("innodb/event1", 1001, 500, 501),
            ("performance_schema/event1", 6000, 7, -83904),
            ("sql/event1", 30, 4, 26),
        ] {
            let l = format!(r#"{{event_name="{event}"}}"#);
            let p = "mysql_perf_schema_memory_events";
            expected.push(format!("counter {p}_alloc_bytes_total{l} {alloc}"));
            expected.push(format!("counter {p}_free_bytes_total{l} {free}"));
            expected.push(format!("gauge {p}_used_bytes{l} {used}"));
        }
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_eq!(samples(out), sorted(&expected));
    }
}
