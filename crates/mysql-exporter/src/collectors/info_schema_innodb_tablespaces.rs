//! InnoDB tablespaces (`information_schema.innodb_tablespaces` on MySQL 8,
//! `innodb_sys_tablespaces` before and on MariaDB): file and allocated
//! sizes.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, column, first_taken, num0, text};

pub struct InnodbTablespaces {
    info: Desc,
    file_size: Desc,
    allocated: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> InnodbTablespaces {
    InnodbTablespaces {
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
    }
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
        self.emit(&rows, out);
        Ok(())
    }
}

impl InnodbTablespaces {
    /// Rows of the tablespaces table, columns found by name.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let get = |name: &str, default: &str| {
                column(row, name)
                    .map(|i| text(row, i))
                    .filter(|s| !s.is_empty())
                    .unwrap_or_else(|| default.to_string())
            };
            let name = get("NAME", "");
            // MariaDB 10.5 dropped SPACE_TYPE: upstream leaves the label
            // empty there, and says NONE only for a NULL.
            let space_type = if column(row, "SPACE_TYPE").is_some() {
                get("SPACE_TYPE", "NONE")
            } else {
                String::new()
            };
            let space = column(row, "SPACE").map(|i| num0(row, i)).unwrap_or(0.0);
            out.gauge(
                &self.info,
                &[
                    &name,
                    &get("FILE_FORMAT", "NONE"),
                    &get("ROW_FORMAT", "NONE"),
                    &space_type,
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
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    fn emit(columns: &[&str], cells: &[&[&str]]) -> Vec<String> {
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&text_rows(columns, cells), &mut out);
        samples(out)
    }

    const EXPECTED: [&str; 4] = [
        r#"gauge mysql_info_schema_innodb_tablespace_file_size_bytes{tablespace_name="sys/sys_config"} 100"#,
        r#"gauge mysql_info_schema_innodb_tablespace_allocated_size_bytes{tablespace_name="sys/sys_config"} 100"#,
        r#"gauge mysql_info_schema_innodb_tablespace_file_size_bytes{tablespace_name="db/compressed"} 300"#,
        r#"gauge mysql_info_schema_innodb_tablespace_allocated_size_bytes{tablespace_name="db/compressed"} 200"#,
    ];

    /// Upstream's TestScrapeInfoSchemaInnodbTablespaces rows (MySQL).
    #[test]
    fn mysql_rows() {
        let got = emit(
            &[
                "SPACE",
                "NAME",
                "FILE_FORMAT",
                "ROW_FORMAT",
                "SPACE_TYPE",
                "FILE_SIZE",
                "ALLOCATED_SIZE",
            ],
            &[
                &[
                    "1",
                    "sys/sys_config",
                    "Barracuda",
                    "Dynamic",
                    "Single",
                    "100",
                    "100",
                ],
                &[
                    "2",
                    "db/compressed",
                    "Barracuda",
                    "Compressed",
                    "Single",
                    "300",
                    "200",
                ],
            ],
        );
        let mut expected = EXPECTED.to_vec();
        expected.extend([
            r#"gauge mysql_info_schema_innodb_tablespace_space_info{file_format="Barracuda",row_format="Dynamic",space_type="Single",tablespace_name="sys/sys_config"} 1"#,
            r#"gauge mysql_info_schema_innodb_tablespace_space_info{file_format="Barracuda",row_format="Compressed",space_type="Single",tablespace_name="db/compressed"} 2"#,
        ]);
        assert_eq!(got, sorted(&expected));
    }

    /// Upstream's TestScrapeInfoSchemaInnodbTablespacesWithoutSpaceType
    /// rows (MariaDB 10.5+): an empty space_type.
    #[test]
    fn mariadb_rows_without_space_type() {
        let got = emit(
            &[
                "SPACE",
                "NAME",
                "FILE_FORMAT",
                "ROW_FORMAT",
                "FILE_SIZE",
                "ALLOCATED_SIZE",
            ],
            &[
                &["1", "sys/sys_config", "Barracuda", "Dynamic", "100", "100"],
                &[
                    "2",
                    "db/compressed",
                    "Barracuda",
                    "Compressed",
                    "300",
                    "200",
                ],
            ],
        );
        let mut expected = EXPECTED.to_vec();
        expected.extend([
            r#"gauge mysql_info_schema_innodb_tablespace_space_info{file_format="Barracuda",row_format="Dynamic",space_type="",tablespace_name="sys/sys_config"} 1"#,
            r#"gauge mysql_info_schema_innodb_tablespace_space_info{file_format="Barracuda",row_format="Compressed",space_type="",tablespace_name="db/compressed"} 2"#,
        ]);
        assert_eq!(got, sorted(&expected));
    }
}
