//! auto_increment columns and the largest value their type can hold.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{ScrapeError, Scraper, ScraperBox, num0, query, text};

pub struct AutoIncrement {
    value: Desc,
    max: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["schema", "table", "column"];
    Ok(std::sync::Arc::new(AutoIncrement {
        value: Desc::gauge(
            "mysql_info_schema_auto_increment_column",
            "The current value of an auto_increment column from information_schema.",
            l,
        ),
        max: Desc::gauge(
            "mysql_info_schema_auto_increment_column_max",
            "The max value of an auto_increment column from information_schema.",
            l,
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for AutoIncrement {
    async fn scrape(&self, conn: &mut Conn, out: &mut Emitter) -> Result<(), ScrapeError> {
        let rows = query(
            conn,
            "SELECT c.table_schema, c.table_name, c.column_name, t.auto_increment, \
             pow(2, case c.data_type when 'tinyint' then 7 when 'smallint' then 15 when 'mediumint' then 23 \
             when 'int' then 31 when 'bigint' then 63 end + (c.column_type like '% unsigned')) - 1 AS max_int \
             FROM information_schema.columns c STRAIGHT_JOIN information_schema.tables t \
             ON c.table_schema = t.table_schema AND c.table_name = t.table_name \
             WHERE c.extra = 'auto_increment' AND t.auto_increment IS NOT NULL",
        )
        .await?;
        for row in &rows {
            let (s, t, c) = (text(row, 0), text(row, 1), text(row, 2));
            out.gauge(&self.value, &[&s, &t, &c], num0(row, 3));
            out.gauge(&self.max, &[&s, &t, &c], num0(row, 4));
        }
        Ok(())
    }
}
