//! `SHOW GLOBAL STATUS`: every numeric status variable as
//! `mysql_global_status_<name>`, with the command, handler, connection
//! error, buffer pool, InnoDB row and performance_schema groups as
//! labelled families, and the Galera status and latency families.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, parse_status, query, valid_name,
};

pub struct GlobalStatus {
    commands: Desc,
    handlers: Desc,
    connection_errors: Desc,
    buffer_pool_pages: Desc,
    buffer_pool_page_changes: Desc,
    buffer_pool_dirty_pages: Desc,
    innodb_row_ops: Desc,
    performance_schema_lost: Desc,
    galera_status: Desc,
    evs_latency: [Desc; 5],
    generic: DescCache,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)?))
}

fn build(_args: &Args) -> Result<GlobalStatus, BuildError> {
    let evs = |name: &str, help: &str| {
        Desc::gauge(&format!("mysql_galera_evs_repl_latency_{name}"), help, &[])
    };
    Ok(GlobalStatus {
        evs_latency: [
            evs(
                "min_seconds",
                "PXC/Galera group communication latency. Min value.",
            ),
            evs(
                "avg_seconds",
                "PXC/Galera group communication latency. Avg value.",
            ),
            evs(
                "max_seconds",
                "PXC/Galera group communication latency. Max value.",
            ),
            evs(
                "stdev",
                "PXC/Galera group communication latency. Standard Deviation.",
            ),
            evs(
                "sample_size",
                "PXC/Galera group communication latency. Sample Size.",
            ),
        ],
        commands: Desc::counter(
            "mysql_global_status_commands_total",
            "Total number of executed MySQL commands.",
            &["command"],
        ),
        handlers: Desc::counter(
            "mysql_global_status_handlers_total",
            "Total number of executed MySQL handlers.",
            &["handler"],
        ),
        connection_errors: Desc::counter(
            "mysql_global_status_connection_errors_total",
            "Total number of MySQL connection errors.",
            &["error"],
        ),
        buffer_pool_pages: Desc::gauge(
            "mysql_global_status_buffer_pool_pages",
            "Innodb buffer pool pages by state.",
            &["state"],
        ),
        buffer_pool_page_changes: Desc::counter(
            "mysql_global_status_buffer_pool_page_changes_total",
            "Innodb buffer pool page state changes.",
            &["operation"],
        ),
        buffer_pool_dirty_pages: Desc::gauge(
            "mysql_global_status_buffer_pool_dirty_pages",
            "Innodb buffer pool dirty pages.",
            &[],
        ),
        innodb_row_ops: Desc::counter(
            "mysql_global_status_innodb_row_ops_total",
            "Total number of MySQL InnoDB row operations.",
            &["operation"],
        ),
        performance_schema_lost: Desc::counter(
            "mysql_global_status_performance_schema_lost_total",
            "Total number of MySQL instrumentations that could not be loaded or created due to memory constraints.",
            &["instrumentation"],
        ),
        galera_status: Desc::gauge(
            "mysql_galera_status_info",
            "PXC/Galera status information.",
            &[
                "wsrep_local_state_uuid",
                "wsrep_cluster_state_uuid",
                "wsrep_provider_version",
            ],
        ),
        generic: DescCache::default(),
    })
}

/// Where a status variable goes: a labelled family, its own, or nowhere.
enum Slot<'a> {
    Labelled(&'a Desc, &'a str),
    Dirty,
    Skip,
    Generic,
}

impl GlobalStatus {
    /// As upstream's `^(com|handler|...)_(.*)$`: the first group the name
    /// starts with decides, even with nothing after its underscore.
    fn slot<'a>(&'a self, key: &'a str) -> Slot<'a> {
        let groups: [(&str, &Desc); 6] = [
            ("com_", &self.commands),
            ("handler_", &self.handlers),
            ("connection_errors_", &self.connection_errors),
            ("innodb_buffer_pool_pages_", &self.buffer_pool_pages),
            ("innodb_rows_", &self.innodb_row_ops),
            ("performance_schema_", &self.performance_schema_lost),
        ];
        for (prefix, desc) in groups {
            if let Some(rest) = key.strip_prefix(prefix) {
                if prefix != "innodb_buffer_pool_pages_" {
                    return Slot::Labelled(desc, rest);
                }
                return match rest {
                    "data" | "free" | "misc" | "old" => Slot::Labelled(desc, rest),
                    "dirty" => Slot::Dirty,
                    // Upstream leaves the total out: the states add up to it.
                    "total" => Slot::Skip,
                    _ => Slot::Labelled(&self.buffer_pool_page_changes, rest),
                };
            }
        }
        Slot::Generic
    }

    /// The families of `SHOW GLOBAL STATUS` rows (name, value).
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        let mut local_uuid = String::new();
        let mut cluster_uuid = String::new();
        let mut provider_version = String::new();
        let mut evs_latency = String::new();
        for row in rows {
            let (Some(raw_key), Some(raw)) = (bytes(row, 0), bytes(row, 1)) else {
                continue;
            };
            let raw_key = String::from_utf8_lossy(raw_key);
            let Some(value) = parse_status(raw) else {
                // Upstream matches the text items by the server's spelling.
                let text = String::from_utf8_lossy(raw).into_owned();
                match &*raw_key {
                    "wsrep_local_state_uuid" => local_uuid = text,
                    "wsrep_cluster_state_uuid" => cluster_uuid = text,
                    "wsrep_provider_version" => provider_version = text,
                    "wsrep_evs_repl_latency" => evs_latency = text,
                    _ => {}
                }
                continue;
            };
            let key = valid_name(&raw_key);
            match self.slot(&key) {
                Slot::Labelled(desc, label) => out.value(desc, &[label], value),
                Slot::Dirty => out.gauge(&self.buffer_pool_dirty_pages, &[], value),
                Slot::Skip => {}
                Slot::Generic => {
                    let desc = self.generic.get(&key, |k| {
                        Desc::try_new(
                            &format!("mysql_global_status_{k}"),
                            "Generic metric from SHOW GLOBAL STATUS.",
                            exporter_kit::Kind::Untyped,
                            &[],
                        )
                        .ok()
                    });
                    if let Some(desc) = desc {
                        out.untyped(&desc, &[], value);
                    }
                }
            }
        }
        if !local_uuid.is_empty() {
            out.gauge(
                &self.galera_status,
                &[&local_uuid, &cluster_uuid, &provider_version],
                1.0,
            );
        }
        // min/avg/max/stdev/sample size, all five or none.
        let latency: Vec<f64> = evs_latency
            .split('/')
            .map_while(|v| v.parse().ok())
            .collect();
        if latency.len() == self.evs_latency.len()
            && evs_latency.split('/').count() == latency.len()
        {
            for (desc, value) in self.evs_latency.iter().zip(latency) {
                out.gauge(desc, &[], value);
            }
        }
    }
}

#[async_trait::async_trait]
impl Scraper for GlobalStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW GLOBAL STATUS").await?;
        self.emit(&rows, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapeGlobalStatus rows: labelled groups, the
    /// buffer pool states (dirty on its own, total left out), ON/OFF and
    /// Primary as numbers, empty text skipped, Galera text items.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["Variable_name", "Value"],
            &[
                &["Com_alter_db", "1"],
                &["Com_show_status", "2"],
                &["Com_select", "3"],
                &["Connection_errors_internal", "4"],
                &["Handler_commit", "5"],
                &["Innodb_buffer_pool_pages_data", "6"],
                &["Innodb_buffer_pool_pages_flushed", "7"],
                &["Innodb_buffer_pool_pages_dirty", "7"],
                &["Innodb_buffer_pool_pages_free", "8"],
                &["Innodb_buffer_pool_pages_misc", "9"],
                &["Innodb_buffer_pool_pages_old", "10"],
                &["Innodb_buffer_pool_pages_total", "11"],
                &["Innodb_buffer_pool_pages_lru_flushed", "13"],
                &["Innodb_buffer_pool_pages_made_not_young", "14"],
                &["Innodb_buffer_pool_pages_made_young", "15"],
                &["Innodb_rows_read", "8"],
                &["Performance_schema_users_lost", "9"],
                &["Slave_running", "OFF"],
                &["Ssl_version", ""],
                &["Uptime", "10"],
                &["validate_password.dictionary_file_words_count", "11"],
                &["wsrep_cluster_status", "Primary"],
                &[
                    "wsrep_local_state_uuid",
                    "6c06e583-686f-11e6-b9e3-8336ad58138c",
                ],
                &[
                    "wsrep_cluster_state_uuid",
                    "6c06e583-686f-11e6-b9e3-8336ad58138c",
                ],
                &["wsrep_provider_version", "3.16(r5c765eb)"],
                &[
                    "wsrep_evs_repl_latency",
                    "0.000227664/0.00034135/0.000544298/6.03708e-05/212",
                ],
            ],
        );
        let Ok(scraper) = super::build(&args(&[])) else {
            panic!("build")
        };
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        assert_eq!(
            samples(out),
            sorted(&[
                r#"counter mysql_global_status_commands_total{command="alter_db"} 1"#,
                r#"counter mysql_global_status_commands_total{command="show_status"} 2"#,
                r#"counter mysql_global_status_commands_total{command="select"} 3"#,
                r#"counter mysql_global_status_connection_errors_total{error="internal"} 4"#,
                r#"counter mysql_global_status_handlers_total{handler="commit"} 5"#,
                r#"gauge mysql_global_status_buffer_pool_pages{state="data"} 6"#,
                r#"counter mysql_global_status_buffer_pool_page_changes_total{operation="flushed"} 7"#,
                r#"gauge mysql_global_status_buffer_pool_dirty_pages{} 7"#,
                r#"gauge mysql_global_status_buffer_pool_pages{state="free"} 8"#,
                r#"gauge mysql_global_status_buffer_pool_pages{state="misc"} 9"#,
                r#"gauge mysql_global_status_buffer_pool_pages{state="old"} 10"#,
                r#"counter mysql_global_status_buffer_pool_page_changes_total{operation="lru_flushed"} 13"#,
                r#"counter mysql_global_status_buffer_pool_page_changes_total{operation="made_not_young"} 14"#,
                r#"counter mysql_global_status_buffer_pool_page_changes_total{operation="made_young"} 15"#,
                r#"counter mysql_global_status_innodb_row_ops_total{operation="read"} 8"#,
                r#"counter mysql_global_status_performance_schema_lost_total{instrumentation="users_lost"} 9"#,
                r#"untyped mysql_global_status_slave_running{} 0"#,
                r#"untyped mysql_global_status_uptime{} 10"#,
                r#"untyped mysql_global_status_validate_password_dictionary_file_words_count{} 11"#,
                r#"untyped mysql_global_status_wsrep_cluster_status{} 1"#,
                r#"gauge mysql_galera_status_info{wsrep_cluster_state_uuid="6c06e583-686f-11e6-b9e3-8336ad58138c",wsrep_local_state_uuid="6c06e583-686f-11e6-b9e3-8336ad58138c",wsrep_provider_version="3.16(r5c765eb)"} 1"#,
                r#"gauge mysql_galera_evs_repl_latency_min_seconds{} 0.000227664"#,
                r#"gauge mysql_galera_evs_repl_latency_avg_seconds{} 0.00034135"#,
                r#"gauge mysql_galera_evs_repl_latency_max_seconds{} 0.000544298"#,
                r#"gauge mysql_galera_evs_repl_latency_stdev{} 0.0000603708"#,
                r#"gauge mysql_galera_evs_repl_latency_sample_size{} 212"#,
            ])
        );
    }

    /// A latency with a word or the wrong number of parts gives none of
    /// the five.
    #[test]
    fn bad_evs_latency_gives_nothing() {
        for bad in ["1/2/3/4", "1/2/x/4/5", "1/2/3/4/5/6"] {
            let rows = text_rows(
                &["Variable_name", "Value"],
                &[&["wsrep_evs_repl_latency", bad]],
            );
            let Ok(scraper) = super::build(&args(&[])) else {
                panic!("build")
            };
            let mut out = exporter_kit::Emitter::new();
            scraper.emit(&rows, &mut out);
            assert!(samples(out).is_empty(), "{bad}");
        }
    }
}
