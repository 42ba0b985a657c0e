//! InnoDB tablespaces (`information_schema.innodb_tablespaces` on MySQL 8,
//! `innodb_sys_tablespaces` before and on MariaDB): file and allocated
//! sizes.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, column, first_taken, num0, text};

pub struct InnodbTablespaces {
    info: Desc,
    file_size: Desc,
    allocated: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(InnodbTablespaces {
        info: Desc::gauge(
            "mysql_info_schema_innodb_tablespace_space_info",
            "The Tablespace information and Space ID.",
            &["tablespace_name", "file_format", "row_format", "space_type"],
        ),
        file_size: Desc::gauge(
            "mysql_info_schema_innodb_tablespace_file_size_bytes",
            "The apparent size of the file, which represents the maximum size of the file, uncompressed.",
            &["tablespace_name"],
        ),
        allocated: Desc::gauge(
            "mysql_info_schema_innodb_tablespace_allocated_size_bytes",
            "The actual size of the file, which is the amount of space allocated on disk.",
            &["tablespace_name"],
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for InnodbTablespaces {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = first_taken(
            cx,
            conn,
            "innodb_tablespaces",
            &[
                "SELECT * FROM information_schema.innodb_tablespaces",
                "SELECT * FROM information_schema.innodb_sys_tablespaces",
            ],
            |_| true,
        )
        .await?;
        for row in &rows {
            let get = |name: &str, default: &str| {
                column(row, name)
                    .map(|i| text(row, i))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| default.to_string())
            };
            let name = get("NAME", "");
            let space = column(row, "SPACE").map(|i| num0(row, i)).unwrap_or(0.0);
            out.gauge(
                &self.info,
                &[
                    &name,
                    &get("FILE_FORMAT", "NONE"),
                    &get("ROW_FORMAT", "NONE"),
                    &get("SPACE_TYPE", "NONE"),
                ],
                space,
            );
            if let Some(i) = column(row, "FILE_SIZE") {
                out.gauge(&self.file_size, &[&name], num0(row, i));
            }
            if let Some(i) = column(row, "ALLOCATED_SIZE") {
                out.gauge(&self.allocated, &[&name], num0(row, i));
            }
        }
        Ok(())
    }
}
