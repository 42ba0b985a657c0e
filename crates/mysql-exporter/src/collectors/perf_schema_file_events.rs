//! `performance_schema.file_summary_by_event_name`: file I/O by event and
//! mode (read, write, misc).

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct FileEvents {
    total: Desc,
    seconds: Desc,
    bytes: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["event_name", "mode"];
    Ok(std::sync::Arc::new(FileEvents {
        total: Desc::counter(
            "mysql_perf_schema_file_events_total",
            "The total file events by event name/mode.",
            l,
        ),
        seconds: Desc::counter(
            "mysql_perf_schema_file_events_seconds_total",
            "The total seconds of file events by event name/mode.",
            l,
        ),
        bytes: Desc::counter(
            "mysql_perf_schema_file_events_bytes_total",
            "The total bytes of file events by event name/mode.",
            l,
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for FileEvents {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT EVENT_NAME, COUNT_READ, SUM_TIMER_READ, SUM_NUMBER_OF_BYTES_READ, COUNT_WRITE, SUM_TIMER_WRITE, \
             SUM_NUMBER_OF_BYTES_WRITE, COUNT_MISC, SUM_TIMER_MISC FROM performance_schema.file_summary_by_event_name",
        )
        .await?;
        for row in &rows {
            let n = text(row, 0);
            out.counter(&self.total, &[&n, "read"], num0(row, 1));
            out.counter(&self.seconds, &[&n, "read"], num0(row, 2) / PICO);
            out.counter(&self.bytes, &[&n, "read"], num0(row, 3));
            out.counter(&self.total, &[&n, "write"], num0(row, 4));
            out.counter(&self.seconds, &[&n, "write"], num0(row, 5) / PICO);
            out.counter(&self.bytes, &[&n, "write"], num0(row, 6));
            out.counter(&self.total, &[&n, "misc"], num0(row, 7));
            out.counter(&self.seconds, &[&n, "misc"], num0(row, 8) / PICO);
        }
        Ok(())
    }
}
