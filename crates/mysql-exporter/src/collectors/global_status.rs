//! `SHOW GLOBAL STATUS`: every numeric status variable as
//! `mysql_global_status_<name>`, with the command, handler, connection
//! error, buffer pool, InnoDB row and performance_schema groups as
//! labelled families.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

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
    generic: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(GlobalStatus {
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
    }))
}

/// Where a status variable goes: a labelled family or its own.
enum Slot<'a> {
    Labelled(&'a Desc, &'a str),
    Generic,
}

impl GlobalStatus {
    fn slot<'a>(&'a self, key: &'a str) -> Slot<'a> {
        let groups: [(&str, &Desc); 6] = [
            ("com_", &self.commands),
            ("handler_", &self.handlers),
            ("connection_errors_", &self.connection_errors),
            ("innodb_rows_", &self.innodb_row_ops),
            ("performance_schema_", &self.performance_schema_lost),
            ("innodb_buffer_pool_pages_", &self.buffer_pool_pages),
        ];
        for (prefix, desc) in groups {
            if let Some(rest) = key.strip_prefix(prefix) {
                if rest.is_empty() {
                    break;
                }
                if prefix == "innodb_buffer_pool_pages_"
                    && !matches!(rest, "data" | "dirty" | "free" | "misc")
                {
                    return Slot::Labelled(&self.buffer_pool_page_changes, rest);
                }
                return Slot::Labelled(desc, rest);
            }
        }
        Slot::Generic
    }
}

#[async_trait::async_trait]
impl Scraper for GlobalStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW GLOBAL STATUS").await?;
        let mut local_uuid = String::new();
        let mut cluster_uuid = String::new();
        let mut provider_version = String::new();
        for row in &rows {
            let (Some(key), Some(raw)) = (bytes(row, 0), bytes(row, 1)) else {
                continue;
            };
            let key = valid_name(&String::from_utf8_lossy(key));
            let Some(value) = parse_status(raw) else {
                let text = String::from_utf8_lossy(raw).into_owned();
                match key.as_str() {
                    "wsrep_local_state_uuid" => local_uuid = text,
                    "wsrep_cluster_state_uuid" => cluster_uuid = text,
                    "wsrep_provider_version" => provider_version = text,
                    _ => {}
                }
                continue;
            };
            match self.slot(&key) {
                Slot::Labelled(desc, label) => {
                    out.value(desc, &[label], value);
                    // 0.14 reported dirty pages in a family of their own;
                    // later releases as state="dirty". Both are kept.
                    if label == "dirty" && key == "innodb_buffer_pool_pages_dirty" {
                        out.gauge(&self.buffer_pool_dirty_pages, &[], value);
                    }
                }
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
        Ok(())
    }
}
