//! `performance_schema.replication_group_members` (MySQL group
//! replication): one info series per member, its columns as labels.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, ScrapeError, Scraped, Scraper, ScraperBox, query, text, valid_name};

pub struct ReplicationGroupMembers;

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(ReplicationGroupMembers))
}

#[async_trait::async_trait]
impl Scraper for ReplicationGroupMembers {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT * FROM performance_schema.replication_group_members",
        )
        .await?;
        emit(&rows, out)
    }
}

/// One info series per member row, its columns (lowered) as labels:
/// MySQL 8 adds MEMBER_ROLE and MEMBER_VERSION to 5.7's five.
fn emit(rows: &[Row], out: &mut Emitter) -> Scraped {
    let Some(first) = rows.first() else {
        return Ok(());
    };
    let names: Vec<String> = first
        .columns_ref()
        .iter()
        .map(|c| valid_name(&c.name_str()))
        .collect();
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let desc = Desc::try_new(
        "mysql_perf_schema_replication_group_member_info",
        "Information about the replication group member: channel_name, member_id, member_host, member_port, member_state. (member_role and member_version where available)",
        Kind::Gauge,
        &refs,
    )
    .map_err(|e| ScrapeError::Other(e.to_string()))?;
    for row in rows {
        let values: Vec<String> = (0..names.len()).map(|i| text(row, i)).collect();
        let values: Vec<&str> = values.iter().map(String::as_str).collect();
        out.gauge(&desc, &values, 1.0);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use crate::fixture::{samples, sorted, text_rows};

    fn emit(columns: &[&str], cells: &[&[&str]]) -> Vec<String> {
        let mut out = exporter_kit::Emitter::new();
        if let Err(e) = super::emit(&text_rows(columns, cells), &mut out) {
            panic!("{e}");
        }
        samples(out)
    }

    /// Upstream's TestScrapePerfReplicationGroupMembers (MySQL 8) rows.
    #[test]
    fn mysql8_rows() {
        let got = emit(
            &[
                "CHANNEL_NAME",
                "MEMBER_ID",
                "MEMBER_HOST",
                "MEMBER_PORT",
                "MEMBER_STATE",
                "MEMBER_ROLE",
                "MEMBER_VERSION",
            ],
            &[
                &[
                    "group_replication_applier",
                    "uuid1",
                    "hostname1",
                    "3306",
                    "ONLINE",
                    "PRIMARY",
                    "8.0.19",
                ],
                &[
                    "group_replication_applier",
                    "uuid2",
                    "hostname2",
                    "3306",
                    "ONLINE",
                    "SECONDARY",
                    "8.0.19",
                ],
            ],
        );
        assert_eq!(
            got,
            sorted(&[
                r#"gauge mysql_perf_schema_replication_group_member_info{channel_name="group_replication_applier",member_host="hostname1",member_id="uuid1",member_port="3306",member_role="PRIMARY",member_state="ONLINE",member_version="8.0.19"} 1"#,
                r#"gauge mysql_perf_schema_replication_group_member_info{channel_name="group_replication_applier",member_host="hostname2",member_id="uuid2",member_port="3306",member_role="SECONDARY",member_state="ONLINE",member_version="8.0.19"} 1"#,
            ])
        );
    }

    /// Upstream's TestScrapePerfReplicationGroupMembersMySQL57 rows.
    #[test]
    fn mysql57_rows() {
        let got = emit(
            &[
                "CHANNEL_NAME",
                "MEMBER_ID",
                "MEMBER_HOST",
                "MEMBER_PORT",
                "MEMBER_STATE",
            ],
            &[&[
                "group_replication_applier",
                "uuid1",
                "hostname1",
                "3306",
                "ONLINE",
            ]],
        );
        assert_eq!(
            got,
            sorted(&[
                r#"gauge mysql_perf_schema_replication_group_member_info{channel_name="group_replication_applier",member_host="hostname1",member_id="uuid1",member_port="3306",member_state="ONLINE"} 1"#,
            ])
        );
    }
}
