//! `performance_schema.replication_applier_status_by_worker` (MySQL 8):
//! commit and apply timestamps of the last and current transaction of
//! each applier worker.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct ApplierByWorker {
    descs: Vec<(&'static str, Desc)>,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let l = &["channel_name", "member_id"];
    let g = |n: &str| {
        Desc::gauge(
            &format!("mysql_perf_schema_{n}_seconds"),
            &format!("Timestamp {n} of the applier worker."),
            l,
        )
    };
    Ok(std::sync::Arc::new(ApplierByWorker {
        descs: vec![
            (
                "LAST_APPLIED_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP",
                g("last_applied_transaction_original_commit_timestamp"),
            ),
            (
                "LAST_APPLIED_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP",
                g("last_applied_transaction_immediate_commit_timestamp"),
            ),
            (
                "LAST_APPLIED_TRANSACTION_START_APPLY_TIMESTAMP",
                g("last_applied_transaction_start_apply_timestamp"),
            ),
            (
                "LAST_APPLIED_TRANSACTION_END_APPLY_TIMESTAMP",
                g("last_applied_transaction_end_apply_timestamp"),
            ),
            (
                "APPLYING_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP",
                g("applying_transaction_original_commit_timestamp"),
            ),
            (
                "APPLYING_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP",
                g("applying_transaction_immediate_commit_timestamp"),
            ),
            (
                "APPLYING_TRANSACTION_START_APPLY_TIMESTAMP",
                g("applying_transaction_start_apply_timestamp"),
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for ApplierByWorker {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let cols: Vec<String> = self
            .descs
            .iter()
            .map(|(c, _)| format!("UNIX_TIMESTAMP({c})"))
            .collect();
        let sql = format!(
            "SELECT CHANNEL_NAME, WORKER_ID, {} FROM performance_schema.replication_applier_status_by_worker",
            cols.join(", ")
        );
        let rows = query(conn, &sql).await?;
        for row in &rows {
            let (channel, worker) = (text(row, 0), text(row, 1));
            for (i, (_, desc)) in self.descs.iter().enumerate() {
                out.gauge(desc, &[&channel, &worker], num0(row, 2 + i));
            }
        }
        Ok(())
    }
}
