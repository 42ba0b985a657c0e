//! `information_schema.user_statistics` (MariaDB/Percona with userstat=ON).

use exporter_kit::{BuildError, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::collectors::statistics;
use crate::scraper::{Cx, DescCache, Scraped, Scraper, ScraperBox};

pub struct UserStats {
    cache: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(UserStats {
        cache: DescCache::default(),
    }))
}

#[async_trait::async_trait]
impl Scraper for UserStats {
    async fn scrape(&self, cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        statistics::scrape(
            cx,
            conn,
            out,
            &statistics::Table {
                name: "user_statistics",
                prefix: "mysql_info_schema_user_statistics",
                label: "user",
                known: statistics::KNOWN,
            },
            &self.cache,
        )
        .await
    }
}
