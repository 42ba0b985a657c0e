//! Aurora's `information_schema.replica_host_status`: CPU, lag and
//! latencies of each instance of the cluster. Elsewhere the table does not
//! exist; as upstream, that is not an error (no families, success 1), so
//! `mysql_exporter_last_scrape_error` stays 0 on MySQL and MariaDB.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, ScrapeError, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct ReplicaHost {
    descs: [(Desc, f64); 5],
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> ReplicaHost {
    let l = &["server_id", "role"];
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_info_schema_replica_host_{n}"), h, l);
    ReplicaHost {
        descs: [
            (g("cpu_percent", "The CPU usage as a percentage."), 1.0),
            (
                g(
                    "replica_latency_seconds",
                    "The source-replica latency in seconds.",
                ),
                1e6,
            ),
            (g("lag_seconds", "The replica lag in seconds."), 1e3),
            (
                g(
                    "log_stream_speed",
                    "The log stream speed in kilobytes per second.",
                ),
                1.0,
            ),
            (
                g(
                    "replay_latency_seconds",
                    "The current replay latency in seconds.",
                ),
                1e6,
            ),
        ],
    }
}

#[async_trait::async_trait]
impl Scraper for ReplicaHost {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = match query(
            conn,
            "SELECT SERVER_ID, if(SESSION_ID = 'MASTER_SESSION_ID', 'writer', 'reader') AS ROLE, CPU, \
             MASTER_SLAVE_LATENCY_IN_MICROSECONDS, REPLICA_LAG_IN_MILLISECONDS, LOG_STREAM_SPEED_IN_KiB_PER_SECOND, \
             CURRENT_REPLAY_LATENCY_IN_MICROSECONDS FROM information_schema.replica_host_status",
        )
        .await
        {
            Ok(rows) => rows,
            // 1109: unknown table (not Aurora).
            Err(ScrapeError::Sql(mysql_async::Error::Server(e))) if e.code == 1109 => {
                tracing::debug!("information_schema.replica_host_status is not available");
                return Ok(());
            }
            Err(e) => return Err(e),
        };
        self.emit(&rows, out);
        Ok(())
    }
}

impl ReplicaHost {
    /// Rows of server id, role and the five figures, in seconds where upstream converts.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let (id, role) = (text(row, 0), text(row, 1));
            for (i, (desc, div)) in self.descs.iter().enumerate() {
                out.gauge(desc, &[&id, &role], num0(row, 2 + i) / div);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeReplicaHost rows (Aurora): microseconds and
    /// milliseconds become seconds (0.020069000244140625 and ...624 are
    /// one double; this is its shortest spelling).
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "SERVER_ID",
                "ROLE",
                "CPU",
                "MASTER_SLAVE_LATENCY_IN_MICROSECONDS",
                "REPLICA_LAG_IN_MILLISECONDS",
                "LOG_STREAM_SPEED_IN_KiB_PER_SECOND",
                "CURRENT_REPLAY_LATENCY_IN_MICROSECONDS",
            ],
            &[
                &[
                    "dbtools-cluster-us-west-2c",
                    "reader",
                    "1.2531328201293945",
                    "250000",
                    "20.069000244140625",
                    "2.0368164549078225",
                    "500000",
                ],
                &[
                    "dbtools-cluster-writer",
                    "writer",
                    "1.9607843160629272",
                    "250000",
                    "0",
                    "2.0368164549078225",
                    "0",
                ],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "gauge mysql_info_schema_replica_host";
        let r = r#"{role="reader",server_id="dbtools-cluster-us-west-2c"}"#;
        let w = r#"{role="writer",server_id="dbtools-cluster-writer"}"#;
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("{p}_cpu_percent{r} 1.2531328201293945"),
                &format!("{p}_replica_latency_seconds{r} 0.25"),
                &format!("{p}_lag_seconds{r} 0.020069000244140624"),
                &format!("{p}_log_stream_speed{r} 2.0368164549078225"),
                &format!("{p}_replay_latency_seconds{r} 0.5"),
                &format!("{p}_cpu_percent{w} 1.9607843160629272"),
                &format!("{p}_replica_latency_seconds{w} 0.25"),
                &format!("{p}_lag_seconds{w} 0"),
                &format!("{p}_log_stream_speed{w} 2.0368164549078225"),
                &format!("{p}_replay_latency_seconds{w} 0"),
            ])
        );
    }
}
