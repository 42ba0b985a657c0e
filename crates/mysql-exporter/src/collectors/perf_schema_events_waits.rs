//! `performance_schema.events_waits_summary_global_by_event_name`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, PICO, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct EventsWaits {
    total: Desc,
    seconds: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(EventsWaits {
        total: Desc::counter(
            "mysql_perf_schema_events_waits_total",
            "The total events waits by event name.",
            &["event_name"],
        ),
        seconds: Desc::counter(
            "mysql_perf_schema_events_waits_seconds_total",
            "The total seconds of events waits by event name.",
            &["event_name"],
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for EventsWaits {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT EVENT_NAME, COUNT_STAR, SUM_TIMER_WAIT FROM performance_schema.events_waits_summary_global_by_event_name",
        )
        .await?;
        for row in &rows {
            let name = text(row, 0);
            out.counter(&self.total, &[&name], num0(row, 1));
            out.counter(&self.seconds, &[&name], num0(row, 2) / PICO);
        }
        Ok(())
    }
}
