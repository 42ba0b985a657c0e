//! `SHOW SLAVE HOSTS` (`SHOW REPLICAS`): the replicas registered with this
//! primary.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, column, query, text};

pub struct SlaveHosts {
    info: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(SlaveHosts {
        info: Desc::gauge(
            "mysql_heartbeat_mysql_slave_hosts_info",
            "Information about running slaves",
            &["server_id", "slave_host", "port", "master_id", "slave_uuid"],
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for SlaveHosts {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = match query(conn, "SHOW SLAVE HOSTS").await {
            Ok(rows) => rows,
            Err(_) => query(conn, "SHOW REPLICAS").await?,
        };
        for row in &rows {
            let get = |names: &[&str]| {
                names
                    .iter()
                    .find_map(|n| column(row, n))
                    .map(|i| text(row, i))
                    .unwrap_or_default()
            };
            let labels = [
                get(&["Server_id"]),
                get(&["Host"]),
                get(&["Port"]),
                get(&["Master_id", "Source_id"]),
                get(&["Slave_UUID", "Replica_UUID"]),
            ];
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            out.gauge(&self.info, &labels, 1.0);
        }
        Ok(())
    }
}
