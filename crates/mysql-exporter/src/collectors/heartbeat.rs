//! pt-heartbeat's table: the stored and the current timestamp per
//! server_id, whose difference is the replication delay.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct Heartbeat {
    sql: String,
    stored: Desc,
    now: Desc,
}

fn ident(s: &str) -> String {
    format!("`{}`", s.replace('`', "``"))
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    let now = if args.heartbeat_utc {
        "UTC_TIMESTAMP(6)"
    } else {
        "NOW(6)"
    };
    Ok(std::sync::Arc::new(Heartbeat {
        sql: format!(
            "SELECT UNIX_TIMESTAMP(ts), UNIX_TIMESTAMP({now}), server_id FROM {}.{}",
            ident(&args.heartbeat_database),
            ident(&args.heartbeat_table)
        ),
        stored: Desc::gauge(
            "mysql_heartbeat_stored_timestamp_seconds",
            "Timestamp stored in the heartbeat table.",
            &["server_id"],
        ),
        now: Desc::gauge(
            "mysql_heartbeat_now_timestamp_seconds",
            "Timestamp of the current server.",
            &["server_id"],
        ),
    }))
}

#[async_trait::async_trait]
impl Scraper for Heartbeat {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, &self.sql).await?;
        for row in &rows {
            let server = text(row, 2);
            out.gauge(&self.stored, &[&server], num0(row, 0));
            out.gauge(&self.now, &[&server], num0(row, 1));
        }
        Ok(())
    }
}
