//! `performance_schema.replication_group_members` (MySQL group
//! replication): one info series per member, its columns as labels.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, ScrapeError, Scraped, Scraper, ScraperBox, query, text, valid_name};

pub struct ReplicationGroupMembers;

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(ReplicationGroupMembers))
}

#[async_trait::async_trait]
impl Scraper for ReplicationGroupMembers {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT * FROM performance_schema.replication_group_members",
        )
        .await?;
        let Some(first) = rows.first() else {
            return Ok(());
        };
        let names: Vec<String> = first
            .columns_ref()
            .iter()
            .map(|c| valid_name(&c.name_str()))
            .collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let desc = Desc::try_new(
            "mysql_perf_schema_replication_group_member_info",
            "Information about the replication group member: channel_name, member_id, member_host, member_port, member_state.",
            Kind::Gauge,
            &refs,
        )
        .map_err(|e| ScrapeError::Other(e.to_string()))?;
        for row in &rows {
            let values: Vec<String> = (0..names.len()).map(|i| text(row, i)).collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            out.gauge(&desc, &values, 1.0);
        }
        Ok(())
    }
}
