//! Percona/MariaDB `QUERY_RESPONSE_TIME` plugin: response time histograms
//! (all, read and write queries) when `query_response_time_stats` is ON.
//! Without the plugin this scraper emits nothing, as upstream.

use exporter_kit::{Bucket, BuildError, Desc, Emitter, Histogram};
use mysql_async::{Conn, Row};

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

/// One table's rows (TIME, COUNT, TOTAL) as upstream's histogram: every
/// row counts and adds its total; a row whose TIME is no number (`TOO
/// LONG`) or 0 is no bucket. A bucket's count is the running count at its
/// row, the last row of a bound winning.
fn histogram(rows: &[Row]) -> Histogram {
    let parse = |row: &Row, i: usize| text(row, i).trim().parse::<f64>().unwrap_or(0.0);
    let (mut count, mut sum) = (0u64, 0.0);
    let mut buckets: Vec<Bucket> = Vec::new();
    for row in rows {
        count += num0(row, 1) as u64;
        sum += parse(row, 2);
        let bound = parse(row, 0);
        if bound == 0.0 {
            continue;
        }
        buckets.retain(|b| b.upper_bound != bound);
        buckets.push(Bucket {
            upper_bound: bound,
            cumulative_count: count,
        });
    }
    buckets.sort_by(|a, b| a.upper_bound.total_cmp(&b.upper_bound));
    Histogram {
        buckets,
        sum,
        count,
    }
}

#[async_trait::async_trait]
impl Scraper for QueryResponseTime {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        // Upstream scans the variable into a number: anything else (no
        // plugin, an error) means no histograms and no error.
        let on = match query(conn, "SELECT @@query_response_time_stats").await {
            Ok(rows) => rows.first().is_some_and(|r| num0(r, 0) != 0.0),
            Err(_) => false,
        };
        if !on {
            tracing::debug!("query_response_time_stats is OFF or missing");
            return Ok(());
        }
        for (i, (table, desc)) in self.tables.iter().enumerate() {
            let rows = match query(
                conn,
                &format!("SELECT TIME, COUNT, TOTAL FROM INFORMATION_SCHEMA.{table}"),
            )
            .await
            {
                Ok(rows) => rows,
                // The read/write tables only exist in Percona Server; the
                // first must be there when the variable is ON.
                Err(_) if i > 0 => continue,
                Err(e) => return Err(e),
            };
            out.histogram(desc, &[], histogram(&rows));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use exporter_kit::{Bucket, Histogram};

    use crate::fixture::text_rows;

    /// Upstream's TestScrapeQueryResponseTime table: the TOO LONG row
    /// adds to the count only; buckets are cumulative.
    #[test]
    fn rows_become_upstreams_histogram() {
        let rows = text_rows(
            &["TIME", "COUNT", "TOTAL"],
            &[
                &["0.000001", "124", "0.000000"],
                &["0.000010", "179", "0.000797"],
                &["0.000100", "2859", "0.107321"],
                &["0.001000", "1085", "0.335395"],
                &["0.010000", "269", "0.522264"],
                &["0.100000", "11", "0.344209"],
                &["1.000000", "1", "0.267369"],
                &["10.000000", "0", "0.000000"],
                &["100.000000", "0", "0.000000"],
                &["1000.000000", "0", "0.000000"],
                &["10000.000000", "0", "0.000000"],
                &["100000.000000", "0", "0.000000"],
                &["1000000.000000", "0", "0.000000"],
                &["TOO LONG", "0", "TOO LONG"],
            ],
        );
        let expected = [
            (1e-6, 124),
            (1e-5, 303),
            (1e-4, 3162),
            (1e-3, 4247),
            (1e-2, 4516),
            (0.1, 4527),
            (1.0, 4528),
            (10.0, 4528),
            (100.0, 4528),
            (1000.0, 4528),
            (10000.0, 4528),
            (100000.0, 4528),
            (1e6, 4528),
        ];
        let got = super::histogram(&rows);
        assert_eq!(
            got.buckets
                .iter()
                .map(|b| (b.upper_bound, b.cumulative_count))
                .collect::<Vec<_>>(),
            expected
        );
        assert_eq!(got.count, 4528);
        assert!((got.sum - 1.577355).abs() < 1e-9, "{}", got.sum);
    }

    /// Queries slower than the last bound count, not as a bucket; a
    /// bound seen twice keeps its later count; buckets come sorted.
    #[test]
    fn overflow_and_odd_rows() {
        let rows = text_rows(
            &["TIME", "COUNT", "TOTAL"],
            &[
                &[" 1.000000", "2", " 0.5"],
                &["0.100000", "1", "0.05"],
                &["1.000000", "3", "1"],
                &["TOO LONG", "4", "TOO LONG"],
            ],
        );
        assert_eq!(
            super::histogram(&rows),
            Histogram {
                buckets: vec![
                    Bucket {
                        upper_bound: 0.1,
                        cumulative_count: 3
                    },
                    Bucket {
                        upper_bound: 1.0,
                        cumulative_count: 6
                    },
                ],
                sum: 1.55,
                count: 10,
            }
        );
    }
}
