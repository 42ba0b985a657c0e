//! `SHOW BINARY LOGS`: total size, number of files and the number of the
//! last file, when the binary log is on.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct BinlogSize {
    size: Desc,
    files: Desc,
    number: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(BinlogSize {
        size: Desc::gauge(
            "mysql_binlog_size_bytes",
            "Combined size of all registered binlog files.",
            &[],
        ),
        files: Desc::gauge(
            "mysql_binlog_files",
            "Number of registered binlog files.",
            &[],
        ),
        number: Desc::gauge(
            "mysql_binlog_file_number",
            "The last binlog file number.",
            &[],
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for BinlogSize {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let on = query(conn, "SELECT @@log_bin").await?;
        if on.first().map(|r| num0(r, 0)) != Some(1.0) {
            return Ok(());
        }
        let rows = query(conn, "SHOW BINARY LOGS").await?;
        let size: f64 = rows.iter().map(|r| num0(r, 1)).sum();
        out.gauge(&self.size, &[], size);
        out.gauge(&self.files, &[], rows.len() as f64);
        if let Some(last) = rows.last() {
            let name = text(last, 0);
            let n = name
                .rsplit_once('.')
                .and_then(|(_, n)| n.parse::<f64>().ok())
                .unwrap_or(0.0);
            out.gauge(&self.number, &[], n);
        }
        Ok(())
    }
}
