//! `performance_schema.replication_group_member_stats` of this member.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, column, num0, query};

pub struct MemberStats {
    descs: Vec<(&'static str, Desc)>,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> MemberStats {
    let c = |n: &str, h: &str| Desc::counter(&format!("mysql_perf_schema_{n}"), h, &[]);
    let g = |n: &str, h: &str| Desc::gauge(&format!("mysql_perf_schema_{n}"), h, &[]);
    MemberStats {
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
    }
}

#[async_trait::async_trait]
impl Scraper for MemberStats {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT * FROM performance_schema.replication_group_member_stats WHERE MEMBER_ID = @@server_uuid",
        )
        .await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl MemberStats {
    /// The member's row: the known columns by name, the others ignored.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            for (col, desc) in &self.descs {
                if let Some(i) = column(row, col) {
                    out.value(desc, &[], num0(row, i));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfReplicationGroupMemberStats row: the GTID
    /// set columns are no metrics, the queues gauges.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "CHANNEL_NAME",
                "VIEW_ID",
                "MEMBER_ID",
                "COUNT_TRANSACTIONS_IN_QUEUE",
                "COUNT_TRANSACTIONS_CHECKED",
                "COUNT_CONFLICTS_DETECTED",
                "COUNT_TRANSACTIONS_ROWS_VALIDATING",
                "TRANSACTIONS_COMMITTED_ALL_MEMBERS",
                "LAST_CONFLICT_FREE_TRANSACTION",
                "COUNT_TRANSACTIONS_REMOTE_IN_APPLIER_QUEUE",
                "COUNT_TRANSACTIONS_REMOTE_APPLIED",
                "COUNT_TRANSACTIONS_LOCAL_PROPOSED",
                "COUNT_TRANSACTIONS_LOCAL_ROLLBACK",
            ],
            &[&[
                "group_replication_applier",
                "15813535259046852:43",
                "e14c4f71-025f-11ea-b800-0620049edbec",
                "0",
                "7389775",
                "1",
                "48",
                "0515b3c2-f59f-11e9-881b-0620049edbec:1-15270987,\n8f782839:4-39",
                "0515b3c2-f59f-11e9-881b-0620049edbec:15271011",
                "2",
                "22",
                "7389759",
                "7",
            ]],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        assert_eq!(
            samples(out),
            sorted(&[
                "gauge mysql_perf_schema_transactions_in_queue{} 0",
                "counter mysql_perf_schema_transactions_checked_total{} 7389775",
                "counter mysql_perf_schema_conflicts_detected_total{} 1",
                "counter mysql_perf_schema_transactions_rows_validating_total{} 48",
                "gauge mysql_perf_schema_transactions_remote_in_applier_queue{} 2",
                "counter mysql_perf_schema_transactions_remote_applied_total{} 22",
                "counter mysql_perf_schema_transactions_local_proposed_total{} 7389759",
                "counter mysql_perf_schema_transactions_local_rollback_total{} 7",
            ])
        );
    }
}
