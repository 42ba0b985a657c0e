//! `performance_schema.replication_applier_status_by_worker` (MySQL 8):
//! commit and apply timestamps of the last and current transaction of
//! each applier worker.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, parse_datetime_micros, query, text};

pub struct ApplierByWorker {
    descs: Vec<(&'static str, Desc)>,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> ApplierByWorker {
    let l = &["channel_name", "member_id"];
    let g = |n: &str| {
        Desc::gauge(
            &format!("mysql_perf_schema_{n}_seconds"),
            &format!("Timestamp {n} of the applier worker."),
            l,
        )
    };
    ApplierByWorker {
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
    }
}

#[async_trait::async_trait]
impl Scraper for ApplierByWorker {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        // The timestamps as the server writes them: upstream reads that
        // text as UTC whatever the session's time zone.
        let cols: Vec<&str> = self.descs.iter().map(|(c, _)| *c).collect();
        let sql = format!(
            "SELECT CHANNEL_NAME, WORKER_ID, {} FROM performance_schema.replication_applier_status_by_worker",
            cols.join(", ")
        );
        let rows = query(conn, &sql).await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl ApplierByWorker {
    /// Rows of channel, worker and the seven timestamps; one that does not
    /// parse (the zero date) is 0.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let (channel, worker) = (text(row, 0), text(row, 1));
            for (i, (_, desc)) in self.descs.iter().enumerate() {
                let seconds = parse_datetime_micros(&text(row, 2 + i)).unwrap_or(0.0);
                out.gauge(desc, &[&channel, &worker], seconds);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfReplicationApplierStatsByWorker rows: the
    /// zero date is 0, the others their Unix time with microseconds.
    #[test]
    fn rows_become_upstreams_families() {
        let zero = "0000-00-00 00:00:00.000000";
        let at = |minute: u32| format!("2019-03-14 00:{minute:02}:00.001000");
        let times: Vec<String> = (0..7).map(at).collect();
        let mut dummy_1 = vec!["dummy_1", "1"];
        dummy_1.extend(times.iter().map(String::as_str));
        let rows = text_rows(
            &[
                "CHANNEL_NAME",
                "WORKER_ID",
                "LAST_APPLIED_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP",
                "LAST_APPLIED_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP",
                "LAST_APPLIED_TRANSACTION_START_APPLY_TIMESTAMP",
                "LAST_APPLIED_TRANSACTION_END_APPLY_TIMESTAMP",
                "APPLYING_TRANSACTION_ORIGINAL_COMMIT_TIMESTAMP",
                "APPLYING_TRANSACTION_IMMEDIATE_COMMIT_TIMESTAMP",
                "APPLYING_TRANSACTION_START_APPLY_TIMESTAMP",
            ],
            &[
                &["dummy_0", "0", zero, zero, zero, zero, zero, zero, zero],
                &dummy_1,
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let names = [
            "last_applied_transaction_original_commit",
            "last_applied_transaction_immediate_commit",
            "last_applied_transaction_start_apply",
            "last_applied_transaction_end_apply",
            "applying_transaction_original_commit",
            "applying_transaction_immediate_commit",
            "applying_transaction_start_apply",
        ];
        let values = [
            "1552521600.001",
            "1552521660.001",
            "1552521720.001",
            "1552521780.001",
            "1552521840.001",
            "1552521900.001",
            "1552521960.001",
        ];
        let mut expected = Vec::new();
        for (name, value) in names.iter().zip(values) {
            let family = format!("gauge mysql_perf_schema_{name}_timestamp_seconds");
            expected.push(format!(
                r#"{family}{{channel_name="dummy_0",member_id="0"}} 0"#
            ));
            expected.push(format!(
                r#"{family}{{channel_name="dummy_1",member_id="1"}} {value}"#
            ));
        }
        let expected: Vec<&str> = expected.iter().map(String::as_str).collect();
        assert_eq!(samples(out), sorted(&expected));
    }
}
