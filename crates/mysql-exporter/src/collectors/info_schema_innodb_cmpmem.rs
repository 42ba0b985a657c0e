//! `information_schema.innodb_cmpmem`: the compressed pages of the buffer
//! pool by page size and buffer pool instance.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct InnodbCmpMem {
    descs: [Desc; 4],
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<InnodbCmpMem, BuildError> {
    let d = |name: &str, help: &str| {
        Desc::counter(
            &format!("mysql_info_schema_innodb_cmpmem_{name}"),
            help,
            &["page_size", "buffer_pool"],
        )
    };
    Ok(InnodbCmpMem {
        descs: [
            d(
                "pages_used_total",
                "Number of blocks of the size PAGE_SIZE that are currently in use.",
            ),
            d(
                "pages_free_total",
                "Number of blocks of the size PAGE_SIZE that are currently available for allocation.",
            ),
            d(
                "relocation_ops_total",
                "Number of times a block of the size PAGE_SIZE has been relocated.",
            ),
            d(
                "relocation_time_seconds_total",
                "Total time in seconds spent in relocating blocks.",
            ),
        ],
    })
}

#[async_trait::async_trait]
impl Scraper for InnodbCmpMem {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT page_size, buffer_pool_instance, pages_used, pages_free, relocation_ops, relocation_time FROM information_schema.innodb_cmpmem",
        )
        .await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl InnodbCmpMem {
    /// Rows of page_size, buffer_pool_instance and the four counters.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let (page, pool) = (text(row, 0), text(row, 1));
            let labels = [page.as_str(), pool.as_str()];
            out.counter(&self.descs[0], &labels, num0(row, 2));
            out.counter(&self.descs[1], &labels, num0(row, 3));
            out.counter(&self.descs[2], &labels, num0(row, 4));
            // The server counts microseconds; upstream divides by 1000 and
            // we keep its values so dashboards agree.
            out.counter(&self.descs[3], &labels, num0(row, 5) / 1000.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeInnodbCmpMem row: relocation time divided by
    /// 1000.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "page_size",
                "buffer_pool",
                "pages_used",
                "pages_free",
                "relocation_ops",
                "relocation_time",
            ],
            &[&["1024", "0", "30", "40", "50", "6000"]],
        );
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let labels = r#"buffer_pool="0",page_size="1024""#;
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("counter mysql_info_schema_innodb_cmpmem_pages_used_total{{{labels}}} 30"),
                &format!("counter mysql_info_schema_innodb_cmpmem_pages_free_total{{{labels}}} 40"),
                &format!(
                    "counter mysql_info_schema_innodb_cmpmem_relocation_ops_total{{{labels}}} 50"
                ),
                &format!(
                    "counter mysql_info_schema_innodb_cmpmem_relocation_time_seconds_total{{{labels}}} 6"
                ),
            ])
        );
    }
}
