//! `SHOW SLAVE HOSTS` (`SHOW REPLICAS`): the replicas registered with this
//! primary.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{Cx, ScrapeError, Scraped, Scraper, ScraperBox, query, text};

pub struct SlaveHosts {
    info: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<SlaveHosts, BuildError> {
    Ok(SlaveHosts {
        info: Desc::gauge(
            "mysql_heartbeat_mysql_slave_hosts_info",
            "Information about running slaves",
            &["server_id", "slave_host", "port", "master_id", "slave_uuid"],
        ),
    })
}

/// Whether Go's `uuid.Parse` takes `s`: 36-character hyphenated form,
/// optionally `urn:uuid:`-prefixed or in braces, or 32 hex digits.
fn is_uuid(s: &str) -> bool {
    let hex = |t: &str| t.bytes().all(|b| b.is_ascii_hexdigit());
    let hyphenated = |t: &str| {
        t.len() == 36
            && t.bytes().enumerate().all(|(i, b)| match i {
                8 | 13 | 18 | 23 => b == b'-',
                _ => b.is_ascii_hexdigit(),
            })
    };
    match s.len() {
        32 => hex(s),
        36 => hyphenated(s),
        38 => s.starts_with('{') && s.ends_with('}') && hyphenated(&s[1..37]),
        45 => {
            s.get(..9)
                .is_some_and(|p| p.eq_ignore_ascii_case("urn:uuid:"))
                && hyphenated(&s[9..])
        }
        _ => false,
    }
}

impl SlaveHosts {
    /// Rows by position, as upstream reads them: Server_id, Host, Port,
    /// then Master_id[, Slave_UUID] or (old servers) Rpl_recovery_rank,
    /// Master_id; a fifth column that is no UUID is the master id.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let (server, host, port) = (text(row, 0), text(row, 1), text(row, 2));
            let (fourth, fifth) = (text(row, 3), text(row, 4));
            let (master, uuid) = if row.len() == 5 {
                if is_uuid(&fifth) {
                    (fourth, fifth)
                } else {
                    (fifth, String::new())
                }
            } else {
                (fourth, String::new())
            };
            out.gauge(&self.info, &[&server, &host, &port, &master, &uuid], 1.0);
        }
    }
}

#[async_trait::async_trait]
impl Scraper for SlaveHosts {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        // MySQL 8.4 dropped SHOW SLAVE HOSTS: only its syntax error moves
        // on to SHOW REPLICAS, so that a missing privilege is reported as
        // such.
        let rows = match query(conn, "SHOW SLAVE HOSTS").await {
            Ok(rows) => rows,
            Err(ScrapeError::Sql(mysql_async::Error::Server(e))) if e.code == 1064 => {
                query(conn, "SHOW REPLICAS").await?
            }
            Err(e) => return Err(e),
        };
        self.emit(&rows, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    fn emit(columns: &[&str], cells: &[&[&str]]) -> Vec<String> {
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&text_rows(columns, cells), &mut out);
        samples(out)
    }

    const FAMILY: &str = "gauge mysql_heartbeat_mysql_slave_hosts_info";

    /// Upstream's TestScrapeSlaveHostsOldFormat rows.
    #[test]
    fn old_format() {
        let got = emit(
            &[
                "Server_id",
                "Host",
                "Port",
                "Rpl_recovery_rank",
                "Master_id",
            ],
            &[&["380239978", "backup_server_1", "0", "1", "192168011"]],
        );
        assert_eq!(
            got,
            sorted(&[&format!(
                r#"{FAMILY}{{master_id="192168011",port="0",server_id="380239978",slave_host="backup_server_1",slave_uuid=""}} 1"#
            )])
        );
    }

    /// Upstream's TestScrapeSlaveHostsNewFormat and the SHOW REPLICAS
    /// columns of its fallback test.
    #[test]
    fn new_format_and_show_replicas() {
        for uuid_column in ["Slave_UUID", "Replica_UUID"] {
            let got = emit(
                &["Server_id", "Host", "Port", "Master_id", uuid_column],
                &[&[
                    "192168010",
                    "iconnect2",
                    "3306",
                    "192168011",
                    "14cb6624-7f93-11e0-b2c0-c80aa9429562",
                ]],
            );
            assert_eq!(
                got,
                sorted(&[&format!(
                    r#"{FAMILY}{{master_id="192168011",port="3306",server_id="192168010",slave_host="iconnect2",slave_uuid="14cb6624-7f93-11e0-b2c0-c80aa9429562"}} 1"#
                )])
            );
        }
    }

    /// Upstream's TestScrapeSlaveHostsWithoutSlaveUuid rows (MySQL 5.5,
    /// MariaDB 10.5).
    #[test]
    fn without_uuid() {
        let got = emit(
            &["Server_id", "Host", "Port", "Master_id"],
            &[&["1921680101", "athena", "3306", "192168012"]],
        );
        assert_eq!(
            got,
            sorted(&[&format!(
                r#"{FAMILY}{{master_id="192168012",port="3306",server_id="1921680101",slave_host="athena",slave_uuid=""}} 1"#
            )])
        );
    }

    #[test]
    fn uuid_forms_as_go() {
        assert!(super::is_uuid("14cb6624-7f93-11e0-b2c0-c80aa9429562"));
        assert!(super::is_uuid("{14cb6624-7f93-11e0-b2c0-c80aa9429562}"));
        assert!(super::is_uuid(
            "urn:uuid:14cb6624-7f93-11e0-b2c0-c80aa9429562"
        ));
        assert!(super::is_uuid("14cb66247f9311e0b2c0c80aa9429562"));
        assert!(!super::is_uuid("192168011"));
        assert!(!super::is_uuid(""));
        assert!(!super::is_uuid("14cb6624-7f93-11e0-b2c0-c80aa942956z"));
    }
}
