//! `information_schema.tables`: version, rows and sizes of every table of
//! the chosen databases. The cardinality risk of the exporter: one series
//! per table times five; on a large schema restrict it with
//! `--collect.info_schema.tables.databases`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{ScrapeError, Scraper, ScraperBox, num0, query, text};

pub struct Tables {
    databases: Option<Vec<String>>,
    version: Desc,
    rows: Desc,
    size: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    let databases = (args.tables_databases.trim() != "*").then(|| {
        args.tables_databases
            .split(',')
            .map(|s| s.trim().to_string())
            .filter(|s| !s.is_empty())
            .collect()
    });
    Ok(std::sync::Arc::new(Tables {
        databases,
        version: Desc::gauge(
            "mysql_info_schema_table_version",
            "The version number of the table's .frm file",
            &[
                "schema",
                "table",
                "type",
                "engine",
                "row_format",
                "create_options",
            ],
        ),
        rows: Desc::gauge(
            "mysql_info_schema_table_rows",
            "The estimated number of rows in the table from information_schema.tables",
            &["schema", "table"],
        ),
        size: Desc::gauge(
            "mysql_info_schema_table_size",
            "The size of the table components from information_schema.tables",
            &["schema", "table", "component"],
        ),
    }))
}

/// A string literal for SQL: quotes and backslashes escaped.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

#[async_trait::async_trait]
impl Scraper for Tables {
    async fn scrape(&self, conn: &mut Conn, out: &mut Emitter) -> Result<(), ScrapeError> {
        // One query for every database, not one per database.
        let filter = match &self.databases {
            None => "TABLE_SCHEMA NOT IN ('mysql', 'performance_schema', 'information_schema')"
                .to_string(),
            Some(list) => format!(
                "TABLE_SCHEMA IN ({})",
                list.iter()
                    .map(|d| sql_string(d))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        let sql = format!(
            "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ifnull(ENGINE, 'NONE'), ifnull(VERSION, '0'), \
             ifnull(ROW_FORMAT, 'NONE'), ifnull(TABLE_ROWS, '0'), ifnull(DATA_LENGTH, '0'), \
             ifnull(INDEX_LENGTH, '0'), ifnull(DATA_FREE, '0'), ifnull(CREATE_OPTIONS, 'NONE') \
             FROM information_schema.tables WHERE {filter}"
        );
        let rows = query(conn, &sql).await?;
        for row in &rows {
            let (schema, table) = (text(row, 0), text(row, 1));
            let (kind, engine, format, options) =
                (text(row, 2), text(row, 3), text(row, 5), text(row, 10));
            out.gauge(
                &self.version,
                &[&schema, &table, &kind, &engine, &format, &options],
                num0(row, 4),
            );
            out.gauge(&self.rows, &[&schema, &table], num0(row, 6));
            out.gauge(&self.size, &[&schema, &table, "data_length"], num0(row, 7));
            out.gauge(&self.size, &[&schema, &table, "index_length"], num0(row, 8));
            out.gauge(&self.size, &[&schema, &table, "data_free"], num0(row, 9));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::sql_string("a'b\\"), "'a\\'b\\\\'");
    }
}
