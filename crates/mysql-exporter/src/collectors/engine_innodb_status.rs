//! `SHOW ENGINE INNODB STATUS`: queries inside InnoDB and in queue, read
//! views open.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;
use regex::Regex;
use std::sync::LazyLock;

use crate::args::Args;
use crate::scraper::{Cx, Scraped, Scraper, ScraperBox, query, text};

pub struct EngineInnodbStatus {
    inside: Desc,
    queue: Desc,
    views: Desc,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(EngineInnodbStatus {
        inside: Desc::gauge(
            "mysql_engine_innodb_queries_inside_innodb",
            "Queries inside InnoDB.",
            &[],
        ),
        queue: Desc::gauge(
            "mysql_engine_innodb_queries_in_queue",
            "Queries in queue.",
            &[],
        ),
        views: Desc::gauge(
            "mysql_engine_innodb_read_views_open_inside_innodb",
            "Read views open inside InnoDB.",
            &[],
        ),
    }))
}

/// (queries inside, queries in queue, read views) found in the status
/// text, as upstream's unanchored regexps find them (ASCII digits; the
/// first match of a line; the last line that has one).
pub fn parse(status: &str) -> (Option<(f64, f64)>, Option<f64>) {
    static QUERIES: LazyLock<Option<Regex>> = LazyLock::new(|| {
        Regex::new(r"([0-9]+) queries inside InnoDB, ([0-9]+) queries in queue").ok()
    });
    static VIEWS: LazyLock<Option<Regex>> =
        LazyLock::new(|| Regex::new(r"([0-9]+) read views open inside InnoDB").ok());
    let (Some(queries_re), Some(views_re)) = (&*QUERIES, &*VIEWS) else {
        return (None, None);
    };
    let number = |c: &regex::Captures<'_>, i: usize| c[i].parse::<f64>().unwrap_or(0.0);
    let mut queries = None;
    let mut views = None;
    for line in status.split('\n') {
        if let Some(c) = queries_re.captures(line) {
            queries = Some((number(&c, 1), number(&c, 2)));
        } else if let Some(c) = views_re.captures(line) {
            views = Some(number(&c, 1));
        }
    }
    (queries, views)
}

#[async_trait::async_trait]
impl Scraper for EngineInnodbStatus {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW ENGINE INNODB STATUS").await?;
        let Some(row) = rows.first() else {
            return Ok(());
        };
        let (queries, views) = parse(&text(row, 2));
        if let Some((inside, queue)) = queries {
            out.gauge(&self.inside, &[], inside);
            out.gauge(&self.queue, &[], queue);
        }
        if let Some(v) = views {
            out.gauge(&self.views, &[], v);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn parses_status_lines() {
        let text =
            "----\n0 queries inside InnoDB, 3 queries in queue\n2 read views open inside InnoDB\n";
        assert_eq!(super::parse(text), (Some((0.0, 3.0)), Some(2.0)));
        assert_eq!(super::parse("nothing here"), (None, None));
    }

    /// The lines of upstream's TestScrapeEngineInnodbStatus sample among
    /// others of a status text, and digits glued to a word.
    #[test]
    fn finds_the_lines_among_others() {
        let text = "=====\nTRANSACTIONS\nTrx id counter 67843\nHistory list length 779\n\
                    --------------\nROW OPERATIONS\n--------------\n\
                    661 queries inside InnoDB, 10 queries in queue\n\
                    15 read views open inside InnoDB\n\
                    Process ID=1, Main thread ID=2, state: sleeping\n";
        assert_eq!(super::parse(text), (Some((661.0, 10.0)), Some(15.0)));
        assert_eq!(
            super::parse("x7 queries inside InnoDB, 2 queries in queue"),
            (Some((7.0, 2.0)), None)
        );
    }
}
