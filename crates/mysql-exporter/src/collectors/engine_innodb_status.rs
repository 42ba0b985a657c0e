//! `SHOW ENGINE INNODB STATUS`: queries inside InnoDB and in queue, read
//! views open.

use exporter_kit::{BuildError, Desc, Emitter};
use mysql_async::Conn;

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

/// (queries inside, queries in queue, read views) found in the status text.
pub fn parse(status: &str) -> (Option<(f64, f64)>, Option<f64>) {
    let mut queries = None;
    let mut views = None;
    for line in status.lines() {
        if let Some(pos) = line.find(" queries inside InnoDB, ") {
            let inside = line[..pos]
                .split_whitespace()
                .last()
                .and_then(|n| n.parse().ok());
            let rest = &line[pos + " queries inside InnoDB, ".len()..];
            let queue = rest.split_whitespace().next().and_then(|n| n.parse().ok());
            if let (Some(a), Some(b)) = (inside, queue)
                && rest.contains("queries in queue")
            {
                queries = Some((a, b));
            }
        } else if let Some(pos) = line.find(" read views open inside InnoDB") {
            views = line[..pos]
                .split_whitespace()
                .last()
                .and_then(|n| n.parse().ok());
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
}
