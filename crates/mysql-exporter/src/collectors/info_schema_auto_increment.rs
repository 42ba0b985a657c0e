//! auto_increment columns and the largest value their type can hold.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use std::collections::HashMap;

use crate::args::Args;
use crate::collectors::tables_pass::{self, TableRow};
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, query, text};

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

/// auto_increment columns: schema, table, column, data type, column type.
/// Read from the .frm files alone, without opening the tables.
const COLUMNS: &str = "SELECT TABLE_SCHEMA, TABLE_NAME, COLUMN_NAME, DATA_TYPE, COLUMN_TYPE \
     FROM information_schema.columns WHERE EXTRA = 'auto_increment'";

/// The largest value of an integer column, as mysqld_exporter's SQL
/// computes it: `pow(2, bits + (column_type LIKE '% unsigned')) - 1`;
/// 0 for a type it has no bits for (its SQL gives NULL).
pub fn max_int(data_type: &str, column_type: &str) -> f64 {
    let bits = match data_type.to_ascii_lowercase().as_str() {
        "tinyint" => 7,
        "smallint" => 15,
        "mediumint" => 23,
        "int" => 31,
        "bigint" => 63,
        _ => return 0.0,
    };
    let unsigned = column_type.to_ascii_lowercase().ends_with(" unsigned");
    2f64.powi(bits + i32::from(unsigned)) - 1.0
}

impl AutoIncrement {
    /// Joins the columns with the tables pass, as upstream's
    /// `columns STRAIGHT_JOIN tables ... WHERE auto_increment IS NOT NULL`.
    fn emit(&self, columns: &[mysql_async::Row], tables: &[TableRow], out: &mut Emitter) {
        let next: HashMap<(&str, &str), f64> = tables
            .iter()
            .filter_map(|t| Some(((t.schema.as_str(), t.name.as_str()), t.auto_increment?)))
            .collect();
        for row in columns {
            let (s, t, c) = (text(row, 0), text(row, 1), text(row, 2));
            let Some(value) = next.get(&(s.as_str(), t.as_str())) else {
                continue;
            };
            out.gauge(&self.value, &[&s, &t, &c], *value);
            out.gauge(
                &self.max,
                &[&s, &t, &c],
                max_int(&text(row, 3), &text(row, 4)),
            );
        }
    }
}

#[async_trait::async_trait]
impl Scraper for AutoIncrement {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let columns = query(conn, COLUMNS).await?;
        let tables = tables_pass::run_part(conn, &tables_pass::filter(None), 0, 1).await?;
        self.emit(&columns, &tables, out);
        Ok(())
    }

    async fn scrape_cx(&self, cx: &Cx<'_>, out: &mut Emitter) -> Scraped {
        let filter = tables_pass::filter(None);
        let columns = async {
            let mut conn = cx.conn().await?;
            query(&mut conn, COLUMNS).await
        };
        let (columns, tables) = futures::join!(columns, tables_pass::tables(cx, &filter));
        self.emit(&columns?, &tables?, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::max_int;

    #[test]
    fn max_values_like_upstream() {
        assert_eq!(max_int("int", "int(11)"), 2147483647.0);
        assert_eq!(max_int("int", "int(10) unsigned"), 4294967295.0);
        assert_eq!(max_int("tinyint", "tinyint(4)"), 127.0);
        assert_eq!(
            max_int("bigint", "bigint(20) unsigned"),
            18446744073709551615.0
        );
        // LIKE '% unsigned' does not match "unsigned zerofill".
        assert_eq!(
            max_int("smallint", "smallint(5) unsigned zerofill"),
            32767.0
        );
        assert_eq!(max_int("decimal", "decimal(10,0)"), 0.0);
    }
}
