//! `SHOW ENGINE TOKUDB STATUS` (Percona's TokuDB): every numeric line as
//! `mysql_engine_tokudb_<name>`, named as upstream sanitizes.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, parse_status, query, text,
};

pub struct EngineTokudbStatus {
    cache: DescCache,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(_args: &Args) -> EngineTokudbStatus {
    EngineTokudbStatus {
        cache: DescCache::default(),
    }
}

/// Upstream's `sanitizeTokudbMetric` of the lowered name: `>,:()`
/// dropped, spaces and dashes as `_`, `+` and `/` as `and`. A name still
/// not valid after that is skipped.
fn sanitize(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.to_lowercase().chars() {
        match c {
            '>' | ',' | ':' | '(' | ')' => {}
            ' ' | '-' => out.push('_'),
            '+' | '/' => out.push_str("and"),
            c => out.push(c),
        }
    }
    out
}

impl EngineTokudbStatus {
    /// Rows of type, name and status; the numeric ones as families.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let Some(value) = bytes(row, 2).and_then(parse_status) else {
                continue;
            };
            let name = sanitize(&text(row, 1));
            let desc = self.cache.get(&name, |n| {
                Desc::try_new(
                    &format!("mysql_engine_tokudb_{n}"),
                    "Generic metric from SHOW ENGINE TOKUDB STATUS.",
                    Kind::Untyped,
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

#[async_trait::async_trait]
impl Scraper for EngineTokudbStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW ENGINE TOKUDB STATUS").await?;
        self.emit(&rows, out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestSanitizeTokudbMetric cases.
    #[test]
    fn names_as_upstream() {
        for (raw, want) in [
            (
                "loader: number of calls to loader->close() that failed",
                "loader_number_of_calls_to_loader_close_that_failed",
            ),
            (
                "ft: promotion: stopped anyway, after locking the child",
                "ft_promotion_stopped_anyway_after_locking_the_child",
            ),
            (
                "ft: basement nodes deserialized with fixed-keysize",
                "ft_basement_nodes_deserialized_with_fixed_keysize",
            ),
            (
                "memory: number of bytes used (requested + overhead)",
                "memory_number_of_bytes_used_requested_and_overhead",
            ),
            (
                "ft: uncompressed / compressed bytes written (overall)",
                "ft_uncompressed_and_compressed_bytes_written_overall",
            ),
        ] {
            assert_eq!(super::sanitize(raw), want);
        }
    }

    /// Upstream's TestScrapeEngineTokudbStatus rows: a version and a date
    /// in ctime form are no numbers.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &["Type", "Name", "Status"],
            &[
                &[
                    "TokuDB",
                    "indexer: number of calls to indexer->build() succeeded",
                    "1",
                ],
                &[
                    "TokuDB",
                    "ft: promotion: stopped anyway, after locking the child",
                    "45316247",
                ],
                &[
                    "TokuDB",
                    "memory: mallocator version",
                    "3.3.1-0-g9ef9d9e8c271cdf14f664b871a8f98c827714784",
                ],
                &[
                    "TokuDB",
                    "filesystem: most recent disk full",
                    "Thu Jan  1 00:00:00 1970",
                ],
                &[
                    "TokuDB",
                    "locktree: time spent ending the STO early (seconds)",
                    "9115.904484",
                ],
            ],
        );
        let scraper = super::build(&args(&[]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        assert_eq!(
            samples(out),
            sorted(&[
                "untyped mysql_engine_tokudb_indexer_number_of_calls_to_indexer_build_succeeded{} 1",
                "untyped mysql_engine_tokudb_ft_promotion_stopped_anyway_after_locking_the_child{} 45316247",
                "untyped mysql_engine_tokudb_locktree_time_spent_ending_the_sto_early_seconds{} 9115.904484",
            ])
        );
    }
}
