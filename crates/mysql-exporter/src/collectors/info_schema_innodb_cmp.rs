//! `information_schema.innodb_cmp`: compression operations by page size.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct InnodbCmp {
    descs: [Desc; 5],
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<InnodbCmp, BuildError> {
    let d = |name: &str, help: &str| {
        Desc::counter(
            &format!("mysql_info_schema_innodb_cmp_{name}"),
            help,
            &["page_size"],
        )
    };
    Ok(InnodbCmp {
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
    })
}

#[async_trait::async_trait]
impl Scraper for InnodbCmp {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT page_size, compress_ops, compress_ops_ok, compress_time, uncompress_ops, uncompress_time FROM information_schema.innodb_cmp",
        )
        .await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl InnodbCmp {
    /// Rows of page_size and the five counters.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let page = text(row, 0);
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&page], num0(row, i + 1));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeInnodbCmp row: times stay as the server gives
    /// them.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "page_size",
                "compress_ops",
                "compress_ops_ok",
                "compress_time",
                "uncompress_ops",
                "uncompress_time",
            ],
            &[&["1024", "10", "20", "30", "40", "50"]],
        );
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        assert_eq!(
            samples(out),
            sorted(&[
                r#"counter mysql_info_schema_innodb_cmp_compress_ops_total{page_size="1024"} 10"#,
                r#"counter mysql_info_schema_innodb_cmp_compress_ops_ok_total{page_size="1024"} 20"#,
                r#"counter mysql_info_schema_innodb_cmp_compress_time_seconds_total{page_size="1024"} 30"#,
                r#"counter mysql_info_schema_innodb_cmp_uncompress_ops_total{page_size="1024"} 40"#,
                r#"counter mysql_info_schema_innodb_cmp_uncompress_time_seconds_total{page_size="1024"} 50"#,
            ])
        );
    }
}
