//! What `info_schema.userstats` and `info_schema.clientstats` share: the
//! userstat check and the column-to-family mapping of
//! `information_schema.{user,client}_statistics`.

use exporter_kit::{Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::scraper::{Cx, DescCache, ScrapeError, Scraped, bytes, num0, query, text};

/// Whether `userstat` is ON (MariaDB, Percona); missing means no.
/// Asked once per scrape for all the scrapers that need it.
pub async fn userstat_on(cx: &Cx<'_>, conn: &mut Conn) -> Result<bool, ScrapeError> {
    cx.once_per_scrape("userstat", || ask_userstat(conn)).await
}

async fn ask_userstat(conn: &mut Conn) -> Result<bool, ScrapeError> {
    let rows = match query(
        conn,
        "SHOW GLOBAL VARIABLES WHERE Variable_Name = 'userstat' OR Variable_Name = 'userstat_running'",
    )
    .await
    {
        Ok(rows) => rows,
        Err(e) if e.is_unsupported() => return Ok(false),
        Err(e) => return Err(e),
    };
    Ok(userstat_rows_on(&rows))
}

/// Upstream reads the first row's value and takes anything but `OFF`
/// as on.
fn userstat_rows_on(rows: &[Row]) -> bool {
    rows.first()
        .and_then(|r| bytes(r, 1))
        .is_some_and(|v| v != b"OFF")
}

/// The family of a statistics column: name suffix and kind.
fn family(column: &str, known: &[&str]) -> (String, Kind) {
    let lower = column.to_ascii_lowercase();
    match column {
        "TOTAL_CONNECTIONS" => (lower, Kind::Counter),
        "CONCURRENT_CONNECTIONS" => (lower, Kind::Gauge),
        "CONNECTED_TIME" => ("connected_time_seconds_total".into(), Kind::Counter),
        "BUSY_TIME" => ("busy_seconds_total".into(), Kind::Counter),
        "CPU_TIME" => ("cpu_time_seconds_total".into(), Kind::Counter),
        c if known.contains(&c) => (format!("{lower}_total"), Kind::Counter),
        _ => (lower, Kind::Untyped),
    }
}

pub const KNOWN: &[&str] = &[
    "BYTES_RECEIVED",
    "BYTES_SENT",
    "BINLOG_BYTES_WRITTEN",
    "ROWS_READ",
    "ROWS_SENT",
    "ROWS_DELETED",
    "ROWS_INSERTED",
    "ROWS_FETCHED",
    "ROWS_UPDATED",
    "TABLE_ROWS_READ",
    "SELECT_COMMANDS",
    "UPDATE_COMMANDS",
    "OTHER_COMMANDS",
    "COMMIT_TRANSACTIONS",
    "ROLLBACK_TRANSACTIONS",
    "DENIED_CONNECTIONS",
    "LOST_CONNECTIONS",
    "ACCESS_DENIED",
    "EMPTY_QUERIES",
    "TOTAL_SSL_CONNECTIONS",
];

/// A statistics table of `information_schema` and the families it gives.
pub struct Table<'a> {
    pub name: &'a str,
    /// Prefix of the family names.
    pub prefix: &'a str,
    /// Name of the label the first column becomes.
    pub label: &'a str,
    /// Columns whose family type is known (the others are untyped).
    pub known: &'a [&'a str],
}

/// Scrapes `information_schema.<table>` (first column: the label).
pub async fn scrape(
    cx: &Cx<'_>,
    conn: &mut Conn,
    out: &mut Emitter,
    table: &Table<'_>,
    cache: &DescCache,
) -> Scraped {
    let Table {
        name: table,
        prefix,
        label,
        known,
    } = *table;
    if !userstat_on(cx, conn).await? {
        tracing::debug!(table, "userstat is OFF: no statistics");
        return Ok(());
    }
    let rows = query(conn, &format!("SELECT * FROM information_schema.{table}")).await?;
    emit(
        &rows,
        out,
        &Table {
            name: table,
            prefix,
            label,
            known,
        },
        cache,
    );
    Ok(())
}

/// The families of a statistics table's rows (first column: the label).
/// Upstream matches the columns by their exact spelling.
fn emit(rows: &[Row], out: &mut Emitter, table: &Table<'_>, cache: &DescCache) {
    let Table {
        name: table,
        prefix,
        label,
        known,
    } = *table;
    for row in rows {
        let who = text(row, 0);
        for (i, col) in row.columns_ref().iter().enumerate().skip(1) {
            let column = col.name_str();
            let desc = cache.get(&column, |c| {
                let (suffix, kind) = family(c, known);
                Desc::try_new(
                    &format!("{prefix}_{suffix}"),
                    &format!("The {c} column of information_schema.{table}."),
                    kind,
                    &[label],
                )
                .ok()
            });
            if let Some(desc) = desc {
                out.value(&desc, &[&who], num0(row, i));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{samples, sorted, text_rows};
    use crate::scraper::DescCache;

    /// Upstream's TestScrapeUserStat row: each known column its typed
    /// family, CONCURRENT_CONNECTIONS a gauge.
    #[test]
    fn user_statistics_rows_become_upstreams_families() {
        let columns = [
            "USER",
            "TOTAL_CONNECTIONS",
            "CONCURRENT_CONNECTIONS",
            "CONNECTED_TIME",
            "BUSY_TIME",
            "CPU_TIME",
            "BYTES_RECEIVED",
            "BYTES_SENT",
            "BINLOG_BYTES_WRITTEN",
            "ROWS_READ",
            "ROWS_SENT",
            "ROWS_DELETED",
            "ROWS_INSERTED",
            "ROWS_UPDATED",
            "SELECT_COMMANDS",
            "UPDATE_COMMANDS",
            "OTHER_COMMANDS",
            "COMMIT_TRANSACTIONS",
            "ROLLBACK_TRANSACTIONS",
            "DENIED_CONNECTIONS",
            "LOST_CONNECTIONS",
            "ACCESS_DENIED",
            "EMPTY_QUERIES",
            "SOMETHING_NEW",
        ];
        let rows = text_rows(
            &columns,
            &[&[
                "user_test",
                "1002",
                "0",
                "127027",
                "286",
                "245",
                "2565104853",
                "21090856",
                "2380108042",
                "767691",
                "1764",
                "8778",
                "1210741",
                "0",
                "1764",
                "1214416",
                "293",
                "2430888",
                "0",
                "0",
                "0",
                "0",
                "0",
                "7",
            ]],
        );
        let mut out = exporter_kit::Emitter::new();
        super::emit(
            &rows,
            &mut out,
            &super::Table {
                name: "user_statistics",
                prefix: "mysql_info_schema_user_statistics",
                label: "user",
                known: super::KNOWN,
            },
            &DescCache::default(),
        );
        let c = "counter mysql_info_schema_user_statistics";
        let u = r#"{user="user_test"}"#;
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("{c}_total_connections{u} 1002"),
                &format!("gauge mysql_info_schema_user_statistics_concurrent_connections{u} 0"),
                &format!("{c}_connected_time_seconds_total{u} 127027"),
                &format!("{c}_busy_seconds_total{u} 286"),
                &format!("{c}_cpu_time_seconds_total{u} 245"),
                &format!("{c}_bytes_received_total{u} 2565104853"),
                &format!("{c}_bytes_sent_total{u} 21090856"),
                &format!("{c}_binlog_bytes_written_total{u} 2380108042"),
                &format!("{c}_rows_read_total{u} 767691"),
                &format!("{c}_rows_sent_total{u} 1764"),
                &format!("{c}_rows_deleted_total{u} 8778"),
                &format!("{c}_rows_inserted_total{u} 1210741"),
                &format!("{c}_rows_updated_total{u} 0"),
                &format!("{c}_select_commands_total{u} 1764"),
                &format!("{c}_update_commands_total{u} 1214416"),
                &format!("{c}_other_commands_total{u} 293"),
                &format!("{c}_commit_transactions_total{u} 2430888"),
                &format!("{c}_rollback_transactions_total{u} 0"),
                &format!("{c}_denied_connections_total{u} 0"),
                &format!("{c}_lost_connections_total{u} 0"),
                &format!("{c}_access_denied_total{u} 0"),
                &format!("{c}_empty_queries_total{u} 0"),
                &format!("untyped mysql_info_schema_user_statistics_something_new{u} 7"),
            ])
        );
    }

    /// Upstream's TestScrapeClientStat row (a shorter one: the columns
    /// go the same way as the user statistics'), with MariaDB's
    /// MAX_STATEMENT_TIME_EXCEEDED known to client statistics only.
    #[test]
    fn client_statistics_rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "CLIENT",
                "TOTAL_CONNECTIONS",
                "CONCURRENT_CONNECTIONS",
                "BYTES_RECEIVED",
                "MAX_STATEMENT_TIME_EXCEEDED",
            ],
            &[&["localhost", "1002", "0", "2565104853", "3"]],
        );
        let mut known = super::KNOWN.to_vec();
        known.push("MAX_STATEMENT_TIME_EXCEEDED");
        let mut out = exporter_kit::Emitter::new();
        super::emit(
            &rows,
            &mut out,
            &super::Table {
                name: "client_statistics",
                prefix: "mysql_info_schema_client_statistics",
                label: "client",
                known: &known,
            },
            &DescCache::default(),
        );
        let p = "mysql_info_schema_client_statistics";
        let c = r#"{client="localhost"}"#;
        assert_eq!(
            samples(out),
            sorted(&[
                &format!("counter {p}_total_connections{c} 1002"),
                &format!("gauge {p}_concurrent_connections{c} 0"),
                &format!("counter {p}_bytes_received_total{c} 2565104853"),
                &format!("counter {p}_max_statement_time_exceeded_total{c} 3"),
            ])
        );
    }

    #[test]
    fn userstat_is_on_unless_off() {
        let rows = |v: &str| text_rows(&["Variable_name", "Value"], &[&["userstat", v]]);
        assert!(super::userstat_rows_on(&rows("ON")));
        assert!(!super::userstat_rows_on(&rows("OFF")));
        assert!(!super::userstat_rows_on(&[]));
    }
}
