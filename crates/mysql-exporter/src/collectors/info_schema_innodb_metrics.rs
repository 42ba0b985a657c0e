//! `information_schema.innodb_metrics` (enabled counters): one family per
//! metric, `_total` counters for counter types, with the buffer pool
//! pages and page I/O grouped by label as upstream does.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

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

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> InnodbMetrics {
    InnodbMetrics {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl InnodbMetrics {
    /// Rows of name, subsystem, type, comment and count.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
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
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeInnodbMetrics rows: page I/O by type (a bad
    /// name skipped), pool pages by state, dirty on its own, total left
    /// out, counters `_total`.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["name", "subsystem", "type", "comment", "count"],
            &[
                &[
                    "lock_timeouts",
                    "lock",
                    "counter",
                    "Number of lock timeouts",
                    "0",
                ],
                &[
                    "buffer_pool_reads",
                    "buffer",
                    "status_counter",
                    "Number of reads directly from disk",
                    "1",
                ],
                &[
                    "buffer_pool_size",
                    "server",
                    "value",
                    "Server buffer pool size in bytes",
                    "2",
                ],
                &[
                    "buffer_page_read_system_page",
                    "buffer_page_io",
                    "counter",
                    "System Pages read",
                    "3",
                ],
                &[
                    "buffer_page_written_undo_log",
                    "buffer_page_io",
                    "counter",
                    "Undo Log Pages written",
                    "4",
                ],
                &[
                    "buffer_pool_pages_dirty",
                    "buffer",
                    "gauge",
                    "Dirty pages",
                    "5",
                ],
                &[
                    "buffer_pool_pages_data",
                    "buffer",
                    "gauge",
                    "Data pages",
                    "6",
                ],
                &[
                    "buffer_pool_pages_total",
                    "buffer",
                    "gauge",
                    "Total pages",
                    "7",
                ],
                &[
                    "NOPE",
                    "buffer_page_io",
                    "counter",
                    "An invalid buffer_page_io metric",
                    "999",
                ],
                &[
                    "buffer_LRU_x",
                    "buffer",
                    "status_counter",
                    "Negative counter",
                    "-1",
                ],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "mysql_info_schema_innodb_metrics";
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("counter {p}_lock_lock_timeouts_total{{}} 0"),
                &format!("counter {p}_buffer_buffer_pool_reads_total{{}} 1"),
                &format!("gauge {p}_server_buffer_pool_size{{}} 2"),
                &format!(r#"counter {p}_buffer_page_read_total{{type="system_page"}} 3"#),
                &format!(r#"counter {p}_buffer_page_written_total{{type="undo_log"}} 4"#),
                &format!("gauge {p}_buffer_pool_dirty_pages{{}} 5"),
                &format!(r#"gauge {p}_buffer_pool_pages{{state="data"}} 6"#),
                &format!("gauge {p}_buffer_buffer_LRU_x{{}} -1"),
            ])
        );
    }
}
