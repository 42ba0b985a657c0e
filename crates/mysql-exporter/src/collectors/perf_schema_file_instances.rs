//! `performance_schema.file_summary_by_instance`: I/O per file, filtered
//! by `--collect.perf_schema.file_instances.filter` and with
//! `--collect.perf_schema.file_instances.remove_prefix` cut off.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::{Conn, Row};

use crate::args::Args;
use crate::collectors::tables_pass::sql_string;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, num0, query, text};

pub struct FileInstances {
    filter: String,
    prefix: String,
    total: Desc,
    bytes: Desc,
}

pub fn new(args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(build(args)))
}

fn build(args: &Args) -> FileInstances {
    let l = &["file_name", "event_name", "mode"];
    FileInstances {
        filter: args.file_instances_filter.clone(),
        prefix: args.file_instances_remove_prefix.clone(),
        total: Desc::counter(
            "mysql_perf_schema_file_instances_total",
            "The total number of file events by file name/mode.",
            l,
        ),
        bytes: Desc::counter(
            "mysql_perf_schema_file_instances_bytes",
            "The number of bytes processed by file read/write operations.",
            l,
        ),
    }
}

#[async_trait::async_trait]
impl Scraper for FileInstances {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let sql = format!(
            "SELECT FILE_NAME, EVENT_NAME, COUNT_READ, COUNT_WRITE, SUM_NUMBER_OF_BYTES_READ, SUM_NUMBER_OF_BYTES_WRITE \
             FROM performance_schema.file_summary_by_instance WHERE FILE_NAME REGEXP {}",
            sql_string(&self.filter)
        );
        let rows = query(conn, &sql).await?;
        self.emit(&rows, out);
        Ok(())
    }
}

impl FileInstances {
    /// Rows of file, event and the four counters; the prefix cut off.
    fn emit(&self, rows: &[Row], out: &mut Emitter) {
        for row in rows {
            let file = text(row, 0);
            let file = file
                .strip_prefix(self.prefix.as_str())
                .unwrap_or(&file)
                .to_string();
            let event = text(row, 1);
            out.counter(&self.total, &[&file, &event, "read"], num0(row, 2));
            out.counter(&self.total, &[&file, &event, "write"], num0(row, 3));
            out.counter(&self.bytes, &[&file, &event, "read"], num0(row, 4));
            out.counter(&self.bytes, &[&file, &event, "write"], num0(row, 5));
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::fixture::{args, samples, sorted, text_rows};

    /// Upstream's TestScrapePerfFileInstances rows with the default
    /// prefix removed.
    #[test]
    fn rows_become_upstreams_families() {
        let rows = text_rows(
            &[
                "FILE_NAME",
                "EVENT_NAME",
                "COUNT_READ",
                "COUNT_WRITE",
                "SUM_NUMBER_OF_BYTES_READ",
                "SUM_NUMBER_OF_BYTES_WRITE",
            ],
            &[
                &["/var/lib/mysql/db1/file", "event1", "3", "4", "725", "128"],
                &["db3/file", "event3", "45", "32", "1337", "326"],
            ],
        );
        let scraper = super::build(&args(&["--collect.perf_schema.file_instances.filter", ""]));
        let mut out = exporter_kit::Emitter::new();
        scraper.emit(&rows, &mut out);
        let p = "counter mysql_perf_schema_file_instances";
        assert_eq!(
            samples(out),
            sorted(&[
                &format!(r#"{p}_total{{event_name="event1",file_name="db1/file",mode="read"}} 3"#),
                &format!(r#"{p}_total{{event_name="event1",file_name="db1/file",mode="write"}} 4"#),
                &format!(
                    r#"{p}_bytes{{event_name="event1",file_name="db1/file",mode="read"}} 725"#
                ),
                &format!(
                    r#"{p}_bytes{{event_name="event1",file_name="db1/file",mode="write"}} 128"#
                ),
                &format!(r#"{p}_total{{event_name="event3",file_name="db3/file",mode="read"}} 45"#),
                &format!(
                    r#"{p}_total{{event_name="event3",file_name="db3/file",mode="write"}} 32"#
                ),
                &format!(
                    r#"{p}_bytes{{event_name="event3",file_name="db3/file",mode="read"}} 1337"#
                ),
                &format!(
                    r#"{p}_bytes{{event_name="event3",file_name="db3/file",mode="write"}} 326"#
                ),
            ])
        );
    }
}
