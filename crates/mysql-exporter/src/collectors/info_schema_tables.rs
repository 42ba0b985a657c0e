//! `information_schema.tables`: version, rows and sizes of every table of
//! the chosen databases. The cardinality risk of the exporter: one series
//! per table times five; on a large schema restrict it with
//! `--collect.info_schema.tables.databases`.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::tables_pass::{self, TableRow};
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox};

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

/// Schemas mysqld_exporter leaves out when told `*`.
const SYSTEM: [&str; 3] = ["mysql", "performance_schema", "information_schema"];

impl Tables {
    /// The pass this scraper needs: over all schemas when told `*` (the
    /// pass `auto_increment.columns` needs too, so both share it), else
    /// over the chosen ones.
    fn filter(&self) -> String {
        tables_pass::filter(self.databases.as_deref())
    }

    fn emit(&self, rows: &[TableRow], out: &mut Emitter) {
        for row in rows {
            if self.databases.is_none() && SYSTEM.contains(&row.schema.as_str()) {
                continue;
            }
            let (schema, table) = (row.schema.as_str(), row.name.as_str());
            out.gauge(
                &self.version,
                &[
                    schema,
                    table,
                    &row.kind,
                    &row.engine,
                    &row.row_format,
                    &row.create_options,
                ],
                row.version,
            );
            out.gauge(&self.rows, &[schema, table], row.rows);
            out.gauge(&self.size, &[schema, table, "data_length"], row.data_length);
            out.gauge(
                &self.size,
                &[schema, table, "index_length"],
                row.index_length,
            );
            out.gauge(&self.size, &[schema, table, "data_free"], row.data_free);
        }
    }
}

#[async_trait::async_trait]
impl Scraper for Tables {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = tables_pass::run_part(conn, &self.filter(), 0, 1).await?;
        self.emit(&rows, out);
        Ok(())
    }

    async fn scrape_cx(&self, cx: &Cx<'_>, out: &mut Emitter) -> Scraped {
        let rows = tables_pass::tables(cx, &self.filter()).await?;
        self.emit(&rows, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn quoting() {
        assert_eq!(super::tables_pass::sql_string("a'b\\"), "'a\\'b\\\\'");
    }
}
