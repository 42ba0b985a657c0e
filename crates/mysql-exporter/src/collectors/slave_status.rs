//! `SHOW ALL SLAVES STATUS` (MariaDB) or `SHOW SLAVE STATUS` (MySQL,
//! trying the lock-free variants first): every numeric column of every
//! channel as `mysql_slave_status_<column>`.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, ScrapeError, Scraped, Scraper, ScraperBox, bytes, column, parse_status, query,
    text, valid_name,
};

pub struct SlaveStatus {
    generic: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(SlaveStatus {
        generic: DescCache::default(),
    }))
}

const LABELS: [&str; 4] = [
    "master_host",
    "master_uuid",
    "channel_name",
    "connection_name",
];

async fn rows(conn: &mut Conn) -> Result<Vec<Row>, ScrapeError> {
    let mut last = None;
    for q in [
        "SHOW ALL SLAVES STATUS",
        "SHOW SLAVE STATUS NONBLOCKING",
        "SHOW SLAVE STATUS NOLOCK",
        "SHOW SLAVE STATUS",
        "SHOW REPLICA STATUS",
    ] {
        match query(conn, q).await {
            Ok(rows) => return Ok(rows),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| ScrapeError::Other("no slave status query worked".into())))
}

#[async_trait::async_trait]
impl Scraper for SlaveStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        for row in rows(conn).await? {
            let get = |name: &str| {
                column(&row, name)
                    .map(|i| text(&row, i))
                    .unwrap_or_default()
            };
            let labels = [
                get("Master_Host"),
                get("Master_UUID"),
                get("Channel_Name"),
                get("Connection_name"),
            ];
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            for (i, col) in row.columns_ref().iter().enumerate() {
                let Some(value) = bytes(&row, i).and_then(parse_status) else {
                    continue;
                };
                let key = valid_name(&col.name_str());
                let desc = self.generic.get(&key, |k| {
                    Desc::try_new(
                        &format!("mysql_slave_status_{k}"),
                        "Generic metric from SHOW SLAVE STATUS.",
                        Kind::Untyped,
                        &LABELS,
                    )
                    .ok()
                });
                if let Some(desc) = desc {
                    out.untyped(&desc, &labels, value);
                }
            }
        }
        Ok(())
    }
}
