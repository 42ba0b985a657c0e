//! `SHOW GLOBAL VARIABLES`: every numeric variable as a gauge
//! `mysql_global_variables_<name>`, plus `mysql_version_info`,
//! `mysql_transaction_isolation` and the Galera info families.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, parse_status, query, valid_name,
};

pub struct GlobalVariables {
    version: Desc,
    isolation: Desc,
    galera_variables: Desc,
    gcache_size: Desc,
    generic: DescCache,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<GlobalVariables, BuildError> {
    Ok(GlobalVariables {
        version: Desc::gauge(
            "mysql_version_info",
            "MySQL version and distribution.",
            &["innodb_version", "version", "version_comment"],
        ),
        isolation: Desc::gauge(
            "mysql_transaction_isolation",
            "MySQL transaction isolation.",
            &["level"],
        ),
        galera_variables: Desc::gauge(
            "mysql_galera_variables_info",
            "PXC/Galera variables information.",
            &["wsrep_cluster_name"],
        ),
        gcache_size: Desc::gauge(
            "mysql_galera_gcache_size_bytes",
            "PXC/Galera gcache size.",
            &[],
        ),
        generic: DescCache::default(),
    })
}

/// `gcache.size = 128M;` in wsrep_provider_options, in bytes; 0 when
/// absent. As upstream's regexp `gcache.size = (\d+)([MG]?);`, the first
/// place that fits counts (its `.` is any character).
pub fn gcache_size(options: &str) -> f64 {
    let fits = |at: usize| -> Option<f64> {
        let rest = options.get(at..)?;
        let rest = rest.strip_prefix("gcache")?;
        let rest = rest.get(rest.chars().next()?.len_utf8()..)?;
        let rest = rest.strip_prefix("size = ")?;
        let end = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        let (digits, rest) = rest.split_at(end);
        let mult = match rest.as_bytes() {
            [b'M', b';', ..] => 1024.0 * 1024.0,
            [b'G', b';', ..] => 1024.0 * 1024.0 * 1024.0,
            [b';', ..] => 1.0,
            _ => return None,
        };
        Some(digits.parse::<f64>().ok()? * mult)
    };
    options
        .match_indices("gcache")
        .find_map(|(at, _)| fits(at))
        .unwrap_or(0.0)
}

impl GlobalVariables {
    /// The families of `SHOW GLOBAL VARIABLES` rows (name, value).
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        let (mut innodb_version, mut version, mut comment) =
            (String::new(), String::new(), String::new());
        let (mut cluster, mut provider_options) = (String::new(), String::new());
        let (mut tx_isolation, mut transaction_isolation) = (String::new(), String::new());
        for row in rows {
            let (Some(key), Some(raw)) = (bytes(row, 0), bytes(row, 1)) else {
                continue;
            };
            let key = valid_name(&String::from_utf8_lossy(key));
            if let Some(value) = parse_status(raw) {
                let desc = self.generic.get(&key, |k| {
                    Desc::try_new(
                        &format!("mysql_global_variables_{k}"),
                        "Generic gauge metric from SHOW GLOBAL VARIABLES.",
                        Kind::Gauge,
                        &[],
                    )
                    .ok()
                });
                if let Some(desc) = desc {
                    out.gauge(&desc, &[], value);
                }
                continue;
            }
            let text = String::from_utf8_lossy(raw).into_owned();
            match key.as_str() {
                "innodb_version" => innodb_version = text,
                "version" => version = text,
                "version_comment" => comment = text,
                "wsrep_cluster_name" => cluster = text,
                "wsrep_provider_options" => provider_options = text,
                "tx_isolation" => tx_isolation = text,
                "transaction_isolation" => transaction_isolation = text,
                _ => {}
            }
        }
        out.gauge(&self.version, &[&innodb_version, &version, &comment], 1.0);
        if !cluster.is_empty() {
            out.gauge(&self.galera_variables, &[&cluster], 1.0);
        }
        if !provider_options.is_empty() {
            out.gauge(&self.gcache_size, &[], gcache_size(&provider_options));
        }
        // The newer name wins when a server has both.
        let isolation = if transaction_isolation.is_empty() {
            tx_isolation
        } else {
            transaction_isolation
        };
        if !isolation.is_empty() {
            out.gauge(&self.isolation, &[&isolation], 1.0);
        }
    }
}

#[async_trait::async_trait]
impl Scraper for GlobalVariables {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW GLOBAL VARIABLES").await?;
        self.emit(&rows, out);
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

    /// Upstream's TestScrapeGlobalVariables rows (a Percona XtraDB
    /// Cluster node): numbers and ON/OFF as gauges, text skipped, the
    /// version, Galera and isolation info families.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["Variable_name", "Value"],
            &[
                &["wait_timeout", "28800"],
                &["version_compile_os", "Linux"],
                &["userstat", "OFF"],
                &["transaction_prealloc_size", "4096"],
                &["tx_isolation", "REPEATABLE-READ"],
                &["tmp_table_size", "16777216"],
                &["tmpdir", "/tmp"],
                &["sync_binlog", "0"],
                &["sync_frm", "ON"],
                &["slow_launch_time", "2"],
                &["innodb_version", "5.6.30-76.3"],
                &["version", "5.6.30-76.3-56"],
                &["version_comment", "Percona XtraDB Cluster..."],
                &["wsrep_cluster_name", "supercluster"],
                &[
                    "wsrep_provider_options",
                    "base_dir = /var/lib/mysql/; debug = no; gcache.dir = /var/lib/mysql/; \
                     gcache.page_size = 128M; gcache.size = 128M; gcomm.thread_prio = ; \
                     gcs.fc_factor = 1.0; socket.recv_buf_size = 212992;",
                ],
            ],
        );
        assert_eq!(
            emit(&rows),
            sorted(&[
                "gauge mysql_global_variables_wait_timeout{} 28800",
                "gauge mysql_global_variables_userstat{} 0",
                "gauge mysql_global_variables_transaction_prealloc_size{} 4096",
                "gauge mysql_global_variables_tmp_table_size{} 16777216",
                "gauge mysql_global_variables_sync_binlog{} 0",
                "gauge mysql_global_variables_sync_frm{} 1",
                "gauge mysql_global_variables_slow_launch_time{} 2",
                r#"gauge mysql_version_info{innodb_version="5.6.30-76.3",version="5.6.30-76.3-56",version_comment="Percona XtraDB Cluster..."} 1"#,
                r#"gauge mysql_galera_variables_info{wsrep_cluster_name="supercluster"} 1"#,
                "gauge mysql_galera_gcache_size_bytes{} 134217728",
                r#"gauge mysql_transaction_isolation{level="REPEATABLE-READ"} 1"#,
            ])
        );
    }

    /// transaction_isolation wins over tx_isolation whatever their order;
    /// no version rows still give the (empty) version info.
    #[test]
    fn isolation_prefers_the_newer_name() {
        let rows = text_rows(
            &["Variable_name", "Value"],
            &[
                &["transaction_isolation", "READ-COMMITTED"],
                &["tx_isolation", "REPEATABLE-READ"],
            ],
        );
        assert_eq!(
            emit(&rows),
            sorted(&[
                r#"gauge mysql_version_info{innodb_version="",version="",version_comment=""} 1"#,
                r#"gauge mysql_transaction_isolation{level="READ-COMMITTED"} 1"#,
            ])
        );
    }

    /// Upstream's TestParseWsrepProviderOptions cases.
    #[test]
    fn gcache() {
        use super::gcache_size;
        assert_eq!(gcache_size(""), 0.0);
        assert_eq!(
            gcache_size("gcache.page_size = 128M; gcache.size = 128M; gcs.fc_debug = 0;"),
            134_217_728.0
        );
        assert_eq!(
            gcache_size("gcache.name = /x; gcache.size = 2G; gcomm.thread_prio = ;"),
            2_147_483_648.0
        );
        assert_eq!(
            gcache_size("gcache.page_size = 128M; gcache.size = 131072; gcomm.thread_prio = ;"),
            131_072.0
        );
        assert_eq!(gcache_size("gcache.size = 1.5G;"), 0.0);
        assert_eq!(gcache_size("gcache.size = x; gcache_size = 7;"), 7.0);
    }
}
