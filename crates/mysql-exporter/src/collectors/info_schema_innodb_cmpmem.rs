//! `information_schema.innodb_cmpmem`: the compressed pages of the buffer
//! pool by page size and buffer pool instance.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct InnodbCmpMem {
    descs: [Desc; 4],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let d = |name: &str, help: &str| {
        Desc::counter(
            &format!("mysql_info_schema_innodb_cmpmem_{name}"),
            help,
            &["page_size", "buffer_pool"],
        )
    };
    Ok(std::sync::Arc::new(InnodbCmpMem {
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
    }))
}

#[async_trait::async_trait]
impl Scraper for InnodbCmpMem {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT page_size, buffer_pool_instance, pages_used, pages_free, relocation_ops, relocation_time FROM information_schema.innodb_cmpmem",
        )
        .await?;
        for row in &rows {
            let (page, pool) = (text(row, 0), text(row, 1));
            let labels = [page.as_str(), pool.as_str()];
            out.counter(&self.descs[0], &labels, num0(row, 2));
            out.counter(&self.descs[1], &labels, num0(row, 3));
            out.counter(&self.descs[2], &labels, num0(row, 4));
            // The server counts microseconds; upstream divides by 1000 and
            // we keep its values so dashboards agree.
            out.counter(&self.descs[3], &labels, num0(row, 5) / 1000.0);
        }
        Ok(())
    }
}
