//! `information_schema.client_statistics` (MariaDB/Percona with
//! userstat=ON).

use exporter_kit::{BuildError, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::statistics;
use crate::scraper::{Cx, DescCache, Scraped, Scraper, ScraperBox};

pub struct ClientStats {
    cache: DescCache,
    known: Vec<&'static str>,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let mut known = statistics::KNOWN.to_vec();
    known.push("MAX_STATEMENT_TIME_EXCEEDED");
    Ok(std::sync::Arc::new(ClientStats {
        cache: DescCache::default(),
        known,
    }))
}

#[async_trait::async_trait]
impl Scraper for ClientStats {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        statistics::scrape(
            cx,
            conn,
            out,
            &statistics::Table {
                name: "client_statistics",
                prefix: "mysql_info_schema_client_statistics",
                label: "client",
                known: &self.known,
            },
            &self.cache,
        )
        .await
    }
}
