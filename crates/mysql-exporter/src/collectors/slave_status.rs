//! `SHOW ALL SLAVES STATUS` (MariaDB) or `SHOW SLAVE STATUS` (MySQL,
//! trying the lock-free variants first): every numeric column of every
//! channel as `mysql_slave_status_<column>`, and MariaDB's GTID
//! positions per domain.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, ScrapeError, Scraped, Scraper, ScraperBox, bytes, parse_status, query, text,
    valid_name,
};

pub struct SlaveStatus {
    generic: DescCache,
    gtid_io_pos: Desc,
    gtid_slave_pos: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<SlaveStatus, BuildError> {
    let gtid = |column: &str| {
        let mut labels = LABELS.to_vec();
        labels.extend(["domain_id", "server_id"]);
        Desc::gauge(
            &format!("mysql_slave_status_{}", column.to_ascii_lowercase()),
            &format!("{column} metric from SHOW SLAVE STATUS."),
            &labels,
        )
    };
    Ok(SlaveStatus {
        generic: DescCache::default(),
        gtid_io_pos: gtid("Gtid_IO_Pos"),
        gtid_slave_pos: gtid("Gtid_Slave_Pos"),
    })
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

impl SlaveStatus {
    /// The families of slave status rows, one row per channel.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            // Upstream looks columns up by their exact spelling.
            let get = |name: &str| {
                row.columns_ref()
                    .iter()
                    .position(|c| c.name_str() == name)
                    .map(|i| text(row, i))
                    .unwrap_or_default()
            };
            let or = |a: String, b: &str| if a.is_empty() { get(b) } else { a };
            let labels = [
                or(get("Master_Host"), "Source_Host"),
                or(get("Master_UUID"), "Source_UUID"),
                get("Channel_Name"),
                get("Connection_name"),
            ];
            let labels: Vec<&str> = labels.iter().map(String::as_str).collect();
            for (i, col) in row.columns_ref().iter().enumerate() {
                let Some(value) = bytes(row, i).and_then(parse_status) else {
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
            for (desc, column) in [
                (&self.gtid_io_pos, "Gtid_IO_Pos"),
                (&self.gtid_slave_pos, "Gtid_Slave_Pos"),
            ] {
                for (domain, server, sequence) in mariadb_gtids(&get(column)) {
                    let mut values = labels.clone();
                    values.extend([domain, server]);
                    out.gauge(desc, &values, sequence);
                }
            }
        }
    }
}

/// A MariaDB GTID list `domain-server-sequence,...`; malformed items are
/// skipped, as upstream does (no trimming: its labels keep any space).
fn mariadb_gtids(list: &str) -> impl Iterator<Item = (&str, &str, f64)> {
    list.split(',')
        .filter(|_| !list.is_empty())
        .filter_map(|gtid| {
            let mut parts = gtid.split('-');
            let (domain, server, sequence) = (parts.next()?, parts.next()?, parts.next()?);
            if parts.next().is_some() {
                return None;
            }
            // Go's ParseUint: digits only, no sign.
            if sequence.is_empty() || !sequence.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            Some((domain, server, sequence.parse::<u64>().ok()? as f64))
        })
}

#[async_trait::async_trait]
impl Scraper for SlaveStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        self.emit(&rows(conn).await?, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, emitted, sorted, text_rows};

    fn emit(rows: &[mysql_async::Row]) -> Vec<String> {
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        emitted(|out| scraper.emit(rows, out))
    }

    /// Upstream's TestScrapeSlaveStatus row: Connecting is 0, Yes 1, the
    /// MariaDB GTID position one gauge per domain.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "Master_Host",
                "Read_Master_Log_Pos",
                "Slave_IO_Running",
                "Slave_SQL_Running",
                "Seconds_Behind_Master",
                "Gtid_IO_Pos",
            ],
            &[&["127.0.0.1", "1", "Connecting", "Yes", "2", "0-1-2,3-4-5"]],
        );
        let labels = r#"channel_name="",connection_name="",master_host="127.0.0.1",master_uuid="""#;
        assert_eq!(
            emit(&rows),
            sorted(&[
                &format!("untyped mysql_slave_status_read_master_log_pos{{{labels}}} 1"),
                &format!("untyped mysql_slave_status_slave_io_running{{{labels}}} 0"),
                &format!("untyped mysql_slave_status_slave_sql_running{{{labels}}} 1"),
                &format!("untyped mysql_slave_status_seconds_behind_master{{{labels}}} 2"),
                r#"gauge mysql_slave_status_gtid_io_pos{channel_name="",connection_name="",domain_id="0",master_host="127.0.0.1",master_uuid="",server_id="1"} 2"#,
                r#"gauge mysql_slave_status_gtid_io_pos{channel_name="",connection_name="",domain_id="3",master_host="127.0.0.1",master_uuid="",server_id="4"} 5"#,
            ])
        );
    }

    /// MySQL 8.4's SHOW REPLICA STATUS names the source `Source_*`; a
    /// binlog file name is no number; bad GTID items are skipped.
    #[test]
    fn source_columns_and_bad_gtids() {
        let rows = text_rows(
            &[
                "Source_Host",
                "Source_UUID",
                "Source_Log_File",
                "Channel_Name",
                "Gtid_Slave_Pos",
            ],
            &[&[
                "db1",
                "u-1",
                "binlog.000042",
                "c1",
                "1-2,0-1-x,0-1-7,-1-2-3",
            ]],
        );
        assert_eq!(
            emit(&rows),
            sorted(&[
                r#"gauge mysql_slave_status_gtid_slave_pos{channel_name="c1",connection_name="",domain_id="0",master_host="db1",master_uuid="u-1",server_id="1"} 7"#,
            ])
        );
    }
}
