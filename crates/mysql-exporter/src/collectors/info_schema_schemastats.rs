//! `information_schema.table_statistics` summed per schema (userstat=ON).

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::statistics::userstat_on;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct SchemaStats {
    descs: [Desc; 3],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let d = |n: &str, h: &str| {
        Desc::counter(
            &format!("mysql_info_schema_schema_statistics_{n}"),
            h,
            &["schema"],
        )
    };
    Ok(std::sync::Arc::new(SchemaStats {
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
    }))
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
        for row in &rows {
            let schema = text(row, 0);
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&schema], num0(row, 1 + i));
            }
        }
        Ok(())
    }
}
