//! `mysql.user`: per-account resource limits and, with
//! `--collect.mysql.user.privileges`, each `*_priv` column as 0/1.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, column, num0, query, text, valid_name,
};

pub struct MysqlUser {
    privileges: bool,
    cache: DescCache,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> MysqlUser {
    MysqlUser {
        privileges: args.user_privileges,
        cache: DescCache::default(),
    }
}

const LIMITS: [&str; 4] = [
    "max_questions",
    "max_updates",
    "max_connections",
    "max_user_connections",
];

/// The privilege columns upstream's query names (MariaDB's later ones,
/// such as Delete_history_priv, are not among them).
const PRIVILEGES: [&str; 29] = [
    "select_priv",
    "insert_priv",
    "update_priv",
    "delete_priv",
    "create_priv",
    "drop_priv",
    "reload_priv",
    "shutdown_priv",
    "process_priv",
    "file_priv",
    "grant_priv",
    "references_priv",
    "index_priv",
    "alter_priv",
    "show_db_priv",
    "super_priv",
    "create_tmp_table_priv",
    "lock_tables_priv",
    "execute_priv",
    "repl_slave_priv",
    "repl_client_priv",
    "create_view_priv",
    "show_view_priv",
    "create_routine_priv",
    "alter_routine_priv",
    "create_user_priv",
    "event_priv",
    "trigger_priv",
    "create_tablespace_priv",
];

impl MysqlUser {
    /// `mysql.user` rows: the limits, and with the flag each privilege
    /// column as upstream's `parsePrivilege` reads it (`Y` 1, `N` 0,
    /// anything else left out).
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let user = column(row, "User")
                .map(|i| text(row, i))
                .unwrap_or_default();
            let host = column(row, "Host")
                .map(|i| text(row, i))
                .unwrap_or_default();
            for (i, col) in row.columns_ref().iter().enumerate() {
                let raw = col.name_str();
                let name = valid_name(&raw);
                let value = if LIMITS.contains(&name.as_str()) {
                    num0(row, i)
                } else if self.privileges && PRIVILEGES.contains(&name.as_str()) {
                    match bytes(row, i) {
                        Some(b"Y") => 1.0,
                        Some(b"N") => 0.0,
                        _ => continue,
                    }
                } else {
                    continue;
                };
                let desc = self.cache.get(&name, |n| {
                    let help = if LIMITS.contains(&n) {
                        format!("The number of {n} by user.")
                    } else {
                        format!("{raw} by user.")
                    };
                    Desc::try_new(
                        &format!("mysql_mysql_{n}"),
                        &help,
                        Kind::Gauge,
                        &["mysql_user", "hostmask"],
                    )
                    .ok()
                });
                if let Some(desc) = desc {
                    out.gauge(&desc, &[&user, &host], value);
                }
            }
        }
    }
}

#[async_trait::async_trait]
impl Scraper for MysqlUser {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SELECT * FROM mysql.user").await?;
        self.emit(&rows, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream has no test of its own: rows written from its query.
    /// Limits always; with the flag, its privilege columns as Y/N only.
    #[test]
    fn limits_and_privileges_as_upstream() {
        let rows = text_rows(
            &[
                "Host",
                "User",
                "Select_priv",
                "Super_priv",
                "Delete_history_priv",
                "max_questions",
                "max_updates",
                "max_connections",
                "max_user_connections",
                "max_statement_time",
            ],
            &[&["%", "app", "Y", "N", "Y", "10", "20", "30", "40", "0.5"]],
        );
        let l = r#"{hostmask="%",mysql_user="app"}"#;
        let limits = [
            format!("gauge mysql_mysql_max_questions{l} 10"),
            format!("gauge mysql_mysql_max_updates{l} 20"),
            format!("gauge mysql_mysql_max_connections{l} 30"),
            format!("gauge mysql_mysql_max_user_connections{l} 40"),
        ];
        for (flags, privileges) in [
            (&[][..], vec![]),
            (
                &["--collect.mysql.user.privileges"][..],
                vec![
                    format!("gauge mysql_mysql_select_priv{l} 1"),
                    format!("gauge mysql_mysql_super_priv{l} 0"),
                ],
            ),
        ] {
            let scraper = super::build(&args(flags));
            let mut out = exporter_kit::Emitter::new();
            scraper.emit(&rows, &mut out);
            let mut expected: Vec<&str> = limits.iter().map(String::as_str).collect();
            expected.extend(privileges.iter().map(String::as_str));
            assert_eq!(samples(out), sorted(&expected), "{flags:?}");
        }
    }
}
