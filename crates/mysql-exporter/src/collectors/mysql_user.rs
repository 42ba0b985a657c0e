//! `mysql.user`: per-account resource limits and, with
//! `--collect.mysql.user.privileges`, each `*_priv` column as 0/1.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, num0, query, text, valid_name,
};

pub struct MysqlUser {
    privileges: bool,
    cache: DescCache,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(MysqlUser {
        privileges: args.user_privileges,
        cache: DescCache::default(),
    }))
}

const LIMITS: [&str; 4] = [
    "max_questions",
    "max_updates",
    "max_connections",
    "max_user_connections",
];

#[async_trait::async_trait]
impl Scraper for MysqlUser {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SELECT * FROM mysql.user").await?;
        for row in &rows {
            let user = crate::scraper::column(row, "User")
                .map(|i| text(row, i))
                .unwrap_or_default();
            let host = crate::scraper::column(row, "Host")
                .map(|i| text(row, i))
                .unwrap_or_default();
            for (i, col) in row.columns_ref().iter().enumerate() {
                let name = valid_name(&col.name_str());
                let value = if LIMITS.contains(&name.as_str()) {
                    num0(row, i)
                } else if self.privileges && name.ends_with("_priv") {
                    if bytes(row, i).is_some_and(|b| b.eq_ignore_ascii_case(b"Y")) {
                        1.0
                    } else {
                        0.0
                    }
                } else {
                    continue;
                };
                let desc = self.cache.get(&name, |n| {
                    Desc::try_new(
                        &format!("mysql_mysql_{n}"),
                        &format!("The {n} column of mysql.user."),
                        Kind::Gauge,
                        &["mysql_user", "hostmask"],
                    )
                    .ok()
                });
                if let Some(desc) = desc {
                    out.gauge(&desc, &[&user, &host], value);
                }
            }
        }
        Ok(())
    }
}
