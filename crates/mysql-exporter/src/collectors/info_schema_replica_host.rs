//! Aurora's `information_schema.replica_host_status`: CPU, lag and
//! latencies of each instance of the cluster. Elsewhere the table does not
//! exist; as upstream, that is not an error (no families, success 1), so
//! `mysql_exporter_last_scrape_error` stays 0 on MySQL and MariaDB.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, ScrapeError, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct ReplicaHost {
    descs: [(Desc, f64); 5],
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["server_id", "role"];
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_info_schema_replica_host_{n}"), h, l);
    Ok(std::sync::Arc::new(ReplicaHost {
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
    }))
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
        for row in &rows {
            let (id, role) = (text(row, 0), text(row, 1));
            for (i, (desc, div)) in self.descs.iter().enumerate() {
                out.gauge(desc, &[&id, &role], num0(row, 2 + i) / div);
            }
        }
        Ok(())
    }
}
