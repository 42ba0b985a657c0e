//! Percona/MariaDB `QUERY_RESPONSE_TIME` plugin: response time histograms
//! (all, read and write queries) when `query_response_time_stats` is ON.
//! Without the plugin this scraper emits nothing, as upstream.

use exporter_kit::{Bucket, BuildError, Desc, Emitter, Histogram};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct QueryResponseTime {
    tables: [(&'static str, Desc); 3],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(QueryResponseTime {
        tables: [
            (
                "QUERY_RESPONSE_TIME",
                Desc::histogram(
                    "mysql_info_schema_query_response_time_seconds",
                    "The number of all queries by duration they took to execute.",
                    &[],
                ),
            ),
            (
                "QUERY_RESPONSE_TIME_READ",
                Desc::histogram(
                    "mysql_info_schema_read_query_response_time_seconds",
                    "The number of read queries by duration they took to execute.",
                    &[],
                ),
            ),
            (
                "QUERY_RESPONSE_TIME_WRITE",
                Desc::histogram(
                    "mysql_info_schema_write_query_response_time_seconds",
                    "The number of write queries by duration they took to execute.",
                    &[],
                ),
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for QueryResponseTime {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let on = match query(conn, "SELECT @@query_response_time_stats").await {
            Ok(rows) => rows
                .first()
                .map(|r| num0(r, 0) != 0.0 || text(r, 0).eq_ignore_ascii_case("on"))
                .unwrap_or(false),
            Err(e) if e.is_unsupported() => false,
            Err(e) => return Err(e),
        };
        if !on {
            tracing::debug!("query_response_time_stats is OFF or missing");
            return Ok(());
        }
        for (table, desc) in &self.tables {
            let rows = match query(
                conn,
                &format!("SELECT TIME, COUNT, TOTAL FROM INFORMATION_SCHEMA.{table}"),
            )
            .await
            {
                Ok(rows) => rows,
                // The read/write tables only exist in Percona Server.
                Err(e) if e.is_unsupported() => continue,
                Err(e) => return Err(e),
            };
            let (mut count, mut sum, mut overflow) = (0u64, 0.0, 0u64);
            let mut buckets = Vec::new();
            for row in &rows {
                let time = text(row, 0);
                let n = num0(row, 1) as u64;
                if time.trim() == "TOO LONG" {
                    overflow = n;
                    continue;
                }
                let Ok(bound) = time.trim().parse::<f64>() else {
                    continue;
                };
                count += n;
                sum += text(row, 2).trim().parse::<f64>().unwrap_or(0.0);
                buckets.push(Bucket {
                    upper_bound: bound,
                    cumulative_count: count,
                });
            }
            out.histogram(
                desc,
                &[],
                Histogram {
                    buckets,
                    sum,
                    count: count + overflow,
                },
            );
        }
        Ok(())
    }
}
