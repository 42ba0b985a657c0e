//! `information_schema.table_statistics` summed per schema (userstat=ON).

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::collectors::statistics::userstat_on;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct SchemaStats {
    descs: [Desc; 3],
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> SchemaStats {
    let d = |n: &str, h: &str| {
        Desc::counter(
            &format!("mysql_info_schema_schema_statistics_{n}"),
            h,
            &["schema"],
        )
    };
    SchemaStats {
        descs: [
            d(
                "rows_read_total",
                "The number of rows read from the schema.",
            ),
            d(
                "rows_changed_total",
                "The number of rows changed in the schema.",
            ),
            d(
                "rows_changed_x_indexes_total",
                "The number of rows changed in the schema, multiplied by the number of indexes changed.",
            ),
        ],
    }
}

#[async_trait::async_trait]
impl Scraper for SchemaStats {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        if !userstat_on(cx, conn).await? {
            return Ok(());
        }
        let rows = query(
            conn,
            "SELECT TABLE_SCHEMA, SUM(ROWS_READ), SUM(ROWS_CHANGED), SUM(ROWS_CHANGED_X_INDEXES) \
             FROM information_schema.table_statistics GROUP BY TABLE_SCHEMA",
        )
        .await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl SchemaStats {
    /// Rows of schema and the three sums.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let schema = text(row, 0);
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&schema], num0(row, 1 + i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeSchemaStat rows.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "TABLE_SCHEMA",
                "ROWS_READ",
                "ROWS_CHANGED",
                "ROWS_CHANGED_X_INDEXES",
            ],
            &[&["mysql", "238", "0", "8"], &["default", "99", "1", "0"]],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "counter mysql_info_schema_schema_statistics";
        assert_eq!(
            samples(out),
            sorted(&[
                &format!(r#"{p}_rows_read_total{{schema="mysql"}} 238"#),
                &format!(r#"{p}_rows_changed_total{{schema="mysql"}} 0"#),
                &format!(r#"{p}_rows_changed_x_indexes_total{{schema="mysql"}} 8"#),
                &format!(r#"{p}_rows_read_total{{schema="default"}} 99"#),
                &format!(r#"{p}_rows_changed_total{{schema="default"}} 1"#),
                &format!(r#"{p}_rows_changed_x_indexes_total{{schema="default"}} 0"#),
            ])
        );
    }
}
