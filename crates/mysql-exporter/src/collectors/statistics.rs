//! What `info_schema.userstats` and `info_schema.clientstats` share: the
//! userstat check and the column-to-family mapping of
//! `information_schema.{user,client}_statistics`.

use exporter_kit::{Desc, Emitter, Kind};
use mysql_async::Conn;

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
    Ok(rows
        .first()
        .and_then(|r| bytes(r, 1))
        .is_some_and(|v| !v.eq_ignore_ascii_case(b"OFF") && v != b"0"))
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
    for row in &rows {
        let who = text(row, 0);
        for (i, col) in row.columns_ref().iter().enumerate().skip(1) {
            let column = col.name_str().to_ascii_uppercase();
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
    Ok(())
}
