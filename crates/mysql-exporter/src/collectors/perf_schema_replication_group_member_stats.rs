//! `performance_schema.replication_group_member_stats` of this member.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, column, num0, query};

pub struct MemberStats {
    descs: Vec<(&'static str, Desc)>,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let c = |n: &str, h: &str| Desc::counter(&format!("mysql_perf_schema_{n}"), h, &[]);
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_perf_schema_{n}"), h, &[]);
    Ok(std::sync::Arc::new(MemberStats {
        descs: vec![
            (
                "COUNT_TRANSACTIONS_IN_QUEUE",
                g(
                    "transactions_in_queue",
                    "The number of transactions in the queue pending conflict detection checks.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_CHECKED",
                c(
                    "transactions_checked_total",
                    "The number of transactions that have been checked for conflicts.",
                ),
            ),
            (
                "COUNT_CONFLICTS_DETECTED",
                c(
                    "conflicts_detected_total",
                    "The number of transactions that have not passed the conflict detection check.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_ROWS_VALIDATING",
                c(
                    "transactions_rows_validating_total",
                    "Number of transaction rows which can be used for certification, but have not been garbage collected.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE",
                g(
                    "transactions_remote_in_applier_queue",
                    "The number of transactions that this member has received from the replication group which are waiting to be applied.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_REMOTE_APPLIED",
                c(
                    "transactions_remote_applied_total",
                    "Number of transactions this member has received from the group and applied.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_LOCAL_PROPOSED",
                c(
                    "transactions_local_proposed_total",
                    "Number of transactions which originated on this member and were sent to the group.",
                ),
            ),
            (
                "COUNT_TRANSACTIONS_LOCAL_ROLLBACK",
                c(
                    "transactions_local_rollback_total",
                    "Number of transactions which originated on this member and were rolled back by the group.",
                ),
            ),
        ],
    }))
}

#[async_trait::async_trait]
impl Scraper for MemberStats {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT * FROM performance_schema.replication_group_member_stats WHERE MEMBER_ID = @@server_uuid",
        )
        .await?;
        for row in &rows {
            for (col, desc) in &self.descs {
                if let Some(i) = column(row, col) {
                    out.value(desc, &[], num0(row, i));
                }
            }
        }
        Ok(())
    }
}
