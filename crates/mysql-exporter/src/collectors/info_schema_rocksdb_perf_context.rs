//! `information_schema.ROCKSDB_PERF_CONTEXT` (MyRocks): RocksDB's per-table
//! perf context counters, one family per statistic mysqld_exporter knows
//! (`mysql_info_schema_rocksdb_perf_context_<stat>`), by schema, table and
//! partition. Statistics it does not know are skipped, as upstream does.
//! A server without MyRocks lacks the table: the scraper is skipped with
//! a logged reason.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

/// STAT_TYPE and help, in upstream's order.
const STATS: &[(&str, &str)] = &[
    (
        "USER_KEY_COMPARISON_COUNT",
        "Total number of user key comparisons performed in binary search.",
    ),
    (
        "BLOCK_CACHE_HIT_COUNT",
        "Total number of block read operations from cache.",
    ),
    (
        "BLOCK_READ_COUNT",
        "Total number of block read operations from disk.",
    ),
    ("BLOCK_READ_BYTE", "Total number of bytes read from disk."),
    (
        "GET_READ_BYTES",
        "Number of bytes read during Get operations.",
    ),
    (
        "MULTIGET_READ_BYTES",
        "Number of bytes read during MultiGet operations.",
    ),
    (
        "ITER_READ_BYTES",
        "Number of bytes read during iterator operations.",
    ),
    (
        "INTERNAL_KEY_SKIPPED_COUNT",
        "Count of internal keys skipped during operations.",
    ),
    (
        "INTERNAL_DELETE_SKIPPED_COUNT",
        "Count of internal delete operations that were skipped.",
    ),
    (
        "INTERNAL_RECENT_SKIPPED_COUNT",
        "Count of recently skipped internal operations.",
    ),
    (
        "INTERNAL_MERGE_COUNT",
        "Total number of internal merge operations.",
    ),
    (
        "GET_FROM_MEMTABLE_COUNT",
        "Number of Get operations served from the memtable.",
    ),
    (
        "SEEK_ON_MEMTABLE_COUNT",
        "Count of seek operations in the memtable.",
    ),
    (
        "NEXT_ON_MEMTABLE_COUNT",
        "Count of next operations in the memtable.",
    ),
    (
        "PREV_ON_MEMTABLE_COUNT",
        "Count of previous operations in the memtable.",
    ),
    (
        "SEEK_CHILD_SEEK_COUNT",
        "Count of child seek operations in RocksDB.",
    ),
    (
        "BLOOM_MEMTABLE_HIT_COUNT",
        "Count of successful hits in the bloom filter for memtable searches.",
    ),
    (
        "BLOOM_MEMTABLE_MISS_COUNT",
        "Count of misses in the bloom filter for memtable searches.",
    ),
    (
        "BLOOM_SST_HIT_COUNT",
        "Count of successful hits in the bloom filter for SSTable searches.",
    ),
    (
        "BLOOM_SST_MISS_COUNT",
        "Count of misses in the bloom filter for SSTable searches.",
    ),
    (
        "KEY_LOCK_WAIT_COUNT",
        "Count of key lock wait events in RocksDB.",
    ),
    (
        "IO_BYTES_WRITTEN",
        "Total number of bytes written by I/O operations in RocksDB.",
    ),
    (
        "IO_BYTES_READ",
        "Total number of bytes read by I/O operations in RocksDB.",
    ),
];

pub struct RocksDbPerfContext {
    /// STAT_TYPE and its family.
    descs: Vec<(&'static str, Desc)>,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    let descs = STATS
        .iter()
        .map(|(stat, help)| {
            let name = format!(
                "mysql_info_schema_rocksdb_perf_context_{}",
                stat.to_ascii_lowercase()
            );
            (
                *stat,
                Desc::counter(&name, help, &["schema", "table", "part"]),
            )
        })
        .collect();
    Ok(std::sync::Arc::new(RocksDbPerfContext { descs }))
}

#[async_trait::async_trait]
impl Scraper for RocksDbPerfContext {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(
            conn,
            "SELECT TABLE_SCHEMA, TABLE_NAME, ifnull(PARTITION_NAME, ''), STAT_TYPE, VALUE \
             FROM information_schema.ROCKSDB_PERF_CONTEXT",
        )
        .await?;
        for row in &rows {
            let stat = text(row, 3);
            let Some((_, desc)) = self.descs.iter().find(|(s, _)| *s == stat) else {
                continue;
            };
            let (schema, table, part) = (text(row, 0), text(row, 1), text(row, 2));
            out.counter(desc, &[&schema, &table, &part], num0(row, 4));
        }
        Ok(())
    }
}
