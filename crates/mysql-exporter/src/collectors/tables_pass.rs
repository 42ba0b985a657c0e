//! One pass over `information_schema.tables` for every scraper of a
//! scrape that needs it (`info_schema.tables`, `auto_increment.columns`).
//!
//! Most of its columns make the server open each table (on MariaDB a
//! table's rows, sizes, row format and AUTO_INCREMENT are read from the
//! opened table, not the .frm). With more tables than `table_open_cache`
//! and `table_definition_cache`, every pass opens them all again: on
//! 10,000 InnoDB tables that is seconds of mostly waiting on page reads.
//! So the pass is done once per scrape, not once per scraper, and a slow
//! one is split by a hash of the table name (a condition on the name
//! alone is checked before the table is opened) over the connections no
//! scraper is waiting for.

use std::sync::Arc;
use std::time::{Duration, Instant};

use mysql_async::Conn;

use crate::scraper::{Cx, ScrapeError, num0, query, text};

/// A pass slower than this is split on the next scrape.
const SPLIT_AFTER: Duration = Duration::from_millis(500);
/// At most this many parts (connections) per pass.
const MAX_PARTS: usize = 4;

/// One row of `information_schema.tables`, NULLs replaced as
/// mysqld_exporter's query does.
#[derive(Debug, Clone)]
pub struct TableRow {
    pub schema: String,
    pub name: String,
    pub kind: String,
    pub engine: String,
    pub version: f64,
    pub row_format: String,
    pub rows: f64,
    pub data_length: f64,
    pub index_length: f64,
    pub data_free: f64,
    pub create_options: String,
    pub auto_increment: Option<f64>,
}

/// `WHERE` condition of a pass over the schemas in `databases` (all when
/// None).
pub fn filter(databases: Option<&[String]>) -> String {
    match databases {
        None => "TRUE".to_string(),
        Some(list) => format!(
            "TABLE_SCHEMA IN ({})",
            list.iter()
                .map(|d| sql_string(d))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
}

/// A string literal for SQL: quotes and backslashes escaped.
pub fn sql_string(s: &str) -> String {
    format!("'{}'", s.replace('\\', "\\\\").replace('\'', "\\'"))
}

fn sql(filter: &str, part: usize, parts: usize) -> String {
    let split = if parts > 1 {
        format!(" AND CRC32(TABLE_NAME) % {parts} = {part}")
    } else {
        String::new()
    };
    format!(
        "SELECT TABLE_SCHEMA, TABLE_NAME, TABLE_TYPE, ifnull(ENGINE, 'NONE'), ifnull(VERSION, '0'), \
         ifnull(ROW_FORMAT, 'NONE'), ifnull(TABLE_ROWS, '0'), ifnull(DATA_LENGTH, '0'), \
         ifnull(INDEX_LENGTH, '0'), ifnull(DATA_FREE, '0'), ifnull(CREATE_OPTIONS, 'NONE'), AUTO_INCREMENT \
         FROM information_schema.tables WHERE {filter}{split}"
    )
}

/// Runs part `part` of `parts` of the pass on `conn`.
pub async fn run_part(
    conn: &mut Conn,
    filter: &str,
    part: usize,
    parts: usize,
) -> Result<Vec<TableRow>, ScrapeError> {
    let rows = query(conn, &sql(filter, part, parts)).await?;
    Ok(rows
        .iter()
        .map(|row| TableRow {
            schema: text(row, 0),
            name: text(row, 1),
            kind: text(row, 2),
            engine: text(row, 3),
            version: num0(row, 4),
            row_format: text(row, 5),
            rows: num0(row, 6),
            data_length: num0(row, 7),
            index_length: num0(row, 8),
            data_free: num0(row, 9),
            create_options: text(row, 10),
            auto_increment: crate::scraper::number(row, 11),
        })
        .collect())
}

/// The rows of this scrape's pass over `filter`, run now or shared with
/// the scraper that already runs it.
pub async fn tables(cx: &Cx<'_>, filter: &str) -> Result<Arc<Vec<TableRow>>, ScrapeError> {
    let name = format!("tables pass {filter}");
    cx.once_per_scrape(&name, || async { run(cx, filter).await.map(Arc::new) })
        .await
}

async fn run(cx: &Cx<'_>, filter: &str) -> Result<Vec<TableRow>, ScrapeError> {
    let target = cx.target;
    let slow = target
        .last_pass
        .lock()
        .unwrap_or_else(|p| p.into_inner())
        .is_some_and(|d| d > SPLIT_AFTER);
    let parts = if slow {
        target.max_connections.clamp(1, MAX_PARTS)
    } else {
        1
    };
    // Recorded even when the pass is cut at the deadline: a pass that
    // never finishes must be split next time.
    let timer = PassTimer {
        target,
        started: Instant::now(),
        parts,
    };
    let mut first = Some(cx.conn().await?);
    let runs = (0..parts).map(|part| {
        let lease = if part == 0 { first.take() } else { None };
        async move {
            let mut conn = match lease {
                Some(conn) => conn,
                None => {
                    // The scrape's other scrapers start with this one: let
                    // them ask for their connection first.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    target.background_conn().await.map_err(ScrapeError::Sql)?
                }
            };
            run_part(&mut conn, filter, part, parts).await
        }
    });
    let mut rows = Vec::new();
    for part in futures::future::join_all(runs).await {
        rows.extend(part?);
    }
    drop(timer);
    Ok(rows)
}

/// Records how long a pass took, as if it had been one query.
struct PassTimer<'a> {
    target: &'a crate::target::Target,
    started: Instant,
    parts: usize,
}

impl Drop for PassTimer<'_> {
    fn drop(&mut self) {
        let took = self.started.elapsed() * u32::try_from(self.parts).unwrap_or(1);
        *self
            .target
            .last_pass
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(took);
    }
}
