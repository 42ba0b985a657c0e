//! `SHOW BINARY LOGS`: total size, number of files and the number of the
//! last file, when the binary log is on.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct BinlogSize {
    size: Desc,
    files: Desc,
    number: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<BinlogSize, BuildError> {
    Ok(BinlogSize {
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
    })
}

#[async_trait::async_trait]
impl Scraper for BinlogSize {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let on = query(conn, "SELECT @@log_bin").await?;
        if on.first().map(|r| num0(r, 0)) != Some(1.0) {
            return Ok(());
        }
        let rows = query(conn, "SHOW BINARY LOGS").await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl BinlogSize {
    /// `SHOW BINARY LOGS` rows (Log_name, File_size[, Encrypted]).
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        let size: f64 = rows.iter().map(|r| num0(r, 1)).sum();
        out.gauge(&self.size, &[], size);
        out.gauge(&self.files, &[], rows.len() as f64);
        // Upstream takes the part after the first dot of the last file
        // name (0 when it is no number); it crashes without one, where we
        // leave the family out.
        if let Some(part) = rows
            .last()
            .and_then(|r| text(r, 0).split('.').nth(1).map(str::to_owned))
        {
            out.gauge(&self.number, &[], part.parse().unwrap_or(0.0));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, emitted, sorted, text_rows};

    fn emit(rows: &[mysql_async::Row]) -> Vec<String> {
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        emitted(|out| scraper.emit(rows, out))
    }

    /// Upstream's TestScrapeBinlogSize rows.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["Log_name", "File_size"],
            &[
                &["centos6-bin.000001", "1813"],
                &["centos6-bin.000002", "120"],
                &["centos6-bin.000444", "573009"],
            ],
        );
        assert_eq!(
            emit(&rows),
            sorted(&[
                "gauge mysql_binlog_size_bytes{} 574942",
                "gauge mysql_binlog_files{} 3",
                "gauge mysql_binlog_file_number{} 444",
            ])
        );
    }

    /// MySQL 8's third column; a name with more dots gives upstream's 0.
    #[test]
    fn encrypted_column_and_dotted_names() {
        let rows = text_rows(
            &["Log_name", "File_size", "Encrypted"],
            &[&["my.bin.000007", "10", "No"]],
        );
        assert_eq!(
            emit(&rows),
            sorted(&[
                "gauge mysql_binlog_size_bytes{} 10",
                "gauge mysql_binlog_files{} 1",
                "gauge mysql_binlog_file_number{} 0",
            ])
        );
    }
}
