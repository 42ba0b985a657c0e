//! `information_schema.table_statistics` (userstat=ON): rows read and
//! changed per table.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::statistics::userstat_on;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct TableStats {
    descs: [Desc; 3],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let d = |n: &str, h: &str| {
        Desc::counter(
            &format!("mysql_info_schema_table_statistics_{n}"),
            h,
            &["schema", "table"],
        )
    };
    Ok(std::sync::Arc::new(TableStats {
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
    }))
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
        for row in &rows {
            let (schema, table) = (text(row, 0), text(row, 1));
            for (i, desc) in self.descs.iter().enumerate() {
                out.counter(desc, &[&schema, &table], num0(row, 2 + i));
            }
        }
        Ok(())
    }
}
