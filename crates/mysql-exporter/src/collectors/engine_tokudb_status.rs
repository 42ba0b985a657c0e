//! `SHOW ENGINE TOKUDB STATUS` (Percona's TokuDB): every numeric line as
//! `mysql_engine_tokudb_status_<name>`.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, parse_status, query, text, valid_name,
};

pub struct EngineTokudbStatus {
    cache: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(EngineTokudbStatus {
        cache: DescCache::default(),
    }))
}

#[async_trait::async_trait]
impl Scraper for EngineTokudbStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW ENGINE TOKUDB STATUS").await?;
        for row in &rows {
            let Some(value) = bytes(row, 2).and_then(parse_status) else {
                continue;
            };
            let name = valid_name(text(row, 1).trim());
            let desc = self.cache.get(&name, |n| {
                Desc::try_new(
                    &format!("mysql_engine_tokudb_status_{n}"),
                    "Generic metric from SHOW ENGINE TOKUDB STATUS.",
                    Kind::Untyped,
                    &[],
                )
                .ok()
            });
            if let Some(desc) = desc {
                out.untyped(&desc, &[], value);
            }
        }
        Ok(())
    }
}
