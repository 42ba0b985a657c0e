//! `information_schema.innodb_cmp`: compression operations by page size.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct InnodbCmp {
    descs: [Desc; 5],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let d = |name: &str, help: &str| {
        Desc::counter(
            &format!("mysql_info_schema_innodb_cmp_{name}"),
            help,
            &["page_size"],
        )
    };
    Ok(std::sync::Arc::new(InnodbCmp {
        descs: [
            d(
                "compress_ops_total",
                "Number of times a B-tree page of the size PAGE_SIZE has been compressed.",
            ),
            d(
                "compress_ops_ok_total",
                "Number of times a B-tree page of the size PAGE_SIZE has been successfully compressed.",
            ),
            d(
                "compress_time_seconds_total",
                "Total time in seconds spent in attempts to compress B-tree pages.",
            ),
            d(
                "uncompress_ops_total",
                "Number of times a B-tree page of the size PAGE_SIZE has been uncompressed.",
            ),
            d(
                "uncompress_time_seconds_total",
                "Total time in seconds spent in uncompressing B-tree pages.",
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for InnodbCmp {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT page_size, compress_ops, compress_ops_ok, compress_time, uncompress_ops, uncompress_time FROM information_schema.innodb_cmp",
        )
        .await?;
        for row in &rows {
            let page = text(row, 0);
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&page], num0(row, i + 1));
            }
        }
        Ok(())
    }
}
