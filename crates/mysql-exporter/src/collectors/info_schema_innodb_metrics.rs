//! `information_schema.innodb_metrics` (enabled counters): one family per
//! metric, `_total` counters for counter types, with the buffer pool
//! pages and page I/O grouped by label as upstream does.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, ScrapeError, Scraped, Scraper, ScraperBox, first_taken, num0, text, valid_name,
};

pub struct InnodbMetrics {
    page_read: Desc,
    page_written: Desc,
    pool_pages: Desc,
    dirty_pages: Desc,
    generic: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(InnodbMetrics {
        page_read: Desc::counter(
            "mysql_info_schema_innodb_metrics_buffer_page_read_total",
            "Total number of buffer pages read total.",
            &["type"],
        ),
        page_written: Desc::counter(
            "mysql_info_schema_innodb_metrics_buffer_page_written_total",
            "Total number of buffer pages written total.",
            &["type"],
        ),
        pool_pages: Desc::gauge(
            "mysql_info_schema_innodb_metrics_buffer_pool_pages",
            "Total number of buffer pool pages by state.",
            &["state"],
        ),
        dirty_pages: Desc::gauge(
            "mysql_info_schema_innodb_metrics_buffer_pool_dirty_pages",
            "Total number of dirty pages in the buffer pool.",
            &[],
        ),
        generic: DescCache::default(),
    }))
}

#[async_trait::async_trait]
impl Scraper for InnodbMetrics {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        const BASE: &str =
            "SELECT name, subsystem, type, comment, count FROM information_schema.innodb_metrics";
        // MySQL has a STATUS column; MariaDB 10.5+ an ENABLED one.
        let rows = first_taken(
            cx,
            conn,
            "innodb_metrics",
            &[
                format!("{BASE} WHERE status = 'enabled'").as_str(),
                format!("{BASE} WHERE enabled = 1").as_str(),
            ],
            ScrapeError::is_unsupported,
        )
        .await?;
        for row in &rows {
            let (name, subsystem, kind, comment) =
                (text(row, 0), text(row, 1), text(row, 2), text(row, 3));
            let value = num0(row, 4);
            if subsystem == "buffer_page_io" {
                if let Some(rest) = name.strip_prefix("buffer_page_read_") {
                    out.counter(&self.page_read, &[rest], value);
                } else if let Some(rest) = name.strip_prefix("buffer_page_written_") {
                    out.counter(&self.page_written, &[rest], value);
                } else {
                    tracing::debug!(name, "unexpected buffer_page_io metric");
                }
                continue;
            }
            if subsystem == "buffer"
                && let Some(state) = name.strip_prefix("buffer_pool_pages_")
            {
                match state {
                    "total" => {}
                    "dirty" => out.gauge(&self.dirty_pages, &[], value),
                    _ => out.gauge(&self.pool_pages, &[state], value),
                }
                continue;
            }
            let counter = (kind == "counter" || kind == "status_counter") && value >= 0.0;
            // Upstream keeps the server's case (buffer_LRU_...).
            let base = format!("mysql_info_schema_innodb_metrics_{subsystem}_{name}");
            let key = if counter {
                format!("{base}_total")
            } else {
                base
            };
            let desc = self.generic.get(&key, |k| {
                let k = exporter_kit::desc::sanitize_label_name(k);
                let help = if comment.is_empty() {
                    valid_name(&name)
                } else {
                    comment.clone()
                };
                Desc::try_new(
                    &k,
                    &help,
                    if counter { Kind::Counter } else { Kind::Gauge },
                    &[],
                )
                .ok()
            });
            if let Some(desc) = desc {
                out.value(&desc, &[], value);
            }
        }
        Ok(())
    }
}
