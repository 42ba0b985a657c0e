//! `information_schema.table_statistics` (userstat=ON): rows read and
//! changed per table.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::collectors::statistics::userstat_on;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct TableStats {
    descs: [Desc; 3],
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> TableStats {
    let d = |n: &str, h: &str| {
        Desc::counter(
            &format!("mysql_info_schema_table_statistics_{n}"),
            h,
            &["schema", "table"],
        )
    };
    TableStats {
        descs: [
            d("rows_read_total", "The number of rows read from the table."),
            d(
                "rows_changed_total",
                "The number of rows changed in the table.",
            ),
            d(
                "rows_changed_x_indexes_total",
                "The number of rows changed in the table, multiplied by the number of indexes changed.",
            ),
        ],
    }
}

#[async_trait::async_trait]
impl Scraper for TableStats {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        if !userstat_on(cx, conn).await? {
            return Ok(());
        }
        let rows = query(
            conn,
            "SELECT TABLE_SCHEMA, TABLE_NAME, ROWS_READ, ROWS_CHANGED, ROWS_CHANGED_X_INDEXES FROM information_schema.table_statistics",
        )
        .await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl TableStats {
    /// Rows of schema, table and the three counters.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let (schema, table) = (text(row, 0), text(row, 1));
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&schema, &table], num0(row, 2 + i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeTableStat rows.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "TABLE_SCHEMA",
                "TABLE_NAME",
                "ROWS_READ",
                "ROWS_CHANGED",
                "ROWS_CHANGED_X_INDEXES",
            ],
            &[
                &["mysql", "db", "238", "0", "8"],
                &["mysql", "proxies_priv", "99", "1", "0"],
                &["mysql", "user", "1064", "2", "5"],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let c = "counter mysql_info_schema_table_statistics";
        let mut expected = Vec::new();
        for (table, read, changed, x) in [
            ("db", 238, 0, 8),
            ("proxies_priv", 99, 1, 0),
            ("user", 1064, 2, 5),
        ] {
            let l = format!(r#"{{schema="mysql",table="{table}"}}"#);
            expected.push(format!("{c}_rows_read_total{l} {read}"));
            expected.push(format!("{c}_rows_changed_total{l} {changed}"));
            expected.push(format!("{c}_rows_changed_x_indexes_total{l} {x}"));
        }
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_eq!(samples(out), sorted(&expected));
    }
}
