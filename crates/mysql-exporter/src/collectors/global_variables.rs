//! `SHOW GLOBAL VARIABLES`: every numeric variable as a gauge
//! `mysql_global_variables_<name>`, plus `mysql_version_info`,
//! `mysql_transaction_isolation` and the Galera info families.

use exporter_kit::{BuildError, Desc, Emitter, Kind};
use mysql_async::Conn;

use crate::args::Args;
use crate::scraper::{
    Cx, DescCache, Scraped, Scraper, ScraperBox, bytes, parse_status, query, valid_name,
};

pub struct GlobalVariables {
    version: Desc,
    isolation: Desc,
    galera_variables: Desc,
    gcache_size: Desc,
    generic: DescCache,
}

pub fn new(_args: &Args) -> Result<ScraperBox, BuildError> {
    Ok(std::sync::Arc::new(GlobalVariables {
        version: Desc::gauge(
            "mysql_version_info",
            "MySQL version and distribution.",
            &["innodb_version", "version", "version_comment"],
        ),
        isolation: Desc::gauge(
            "mysql_transaction_isolation",
            "MySQL transaction isolation.",
            &["level"],
        ),
        galera_variables: Desc::gauge(
            "mysql_galera_variables_info",
            "PXC/Galera variables information.",
            &["wsrep_cluster_name"],
        ),
        gcache_size: Desc::gauge(
            "mysql_galera_gcache_size_bytes",
            "PXC/Galera gcache size.",
            &[],
        ),
        generic: DescCache::default(),
    }))
}

/// `gcache.size = 128M;` in wsrep_provider_options, in bytes.
pub fn gcache_size(options: &str) -> Option<f64> {
    let start = options.find("gcache.size = ")? + "gcache.size = ".len();
    let rest = &options[start..];
    let end = rest.find(';')?;
    let value = &rest[..end];
    let (digits, mult) = match value.as_bytes().last()? {
        b'M' => (&value[..value.len() - 1], 1024.0 * 1024.0),
        b'G' => (&value[..value.len() - 1], 1024.0 * 1024.0 * 1024.0),
        _ => (value, 1.0),
    };
    Some(digits.parse::<f64>().ok()? * mult)
}

#[async_trait::async_trait]
impl Scraper for GlobalVariables {
    async fn scrape(&self, _cx: &Cx<'_>, conn: &mut Conn, out: &mut Emitter) -> Scraped {
        let rows = query(conn, "SHOW GLOBAL VARIABLES").await?;
        let (mut innodb_version, mut version, mut comment) =
            (String::new(), String::new(), String::new());
        let (mut cluster, mut provider_options, mut isolation) =
            (String::new(), String::new(), String::new());
        for row in &rows {
            let (Some(key), Some(raw)) = (bytes(row, 0), bytes(row, 1)) else {
                continue;
            };
            let key = valid_name(&String::from_utf8_lossy(key));
            if let Some(value) = parse_status(raw) {
                let desc = self.generic.get(&key, |k| {
                    Desc::try_new(
                        &format!("mysql_global_variables_{k}"),
                        "Generic gauge metric from SHOW GLOBAL VARIABLES.",
                        Kind::Gauge,
                        &[],
                    )
                    .ok()
                });
                if let Some(desc) = desc {
                    out.gauge(&desc, &[], value);
                }
                continue;
            }
            let text = String::from_utf8_lossy(raw).into_owned();
            match key.as_str() {
                "innodb_version" => innodb_version = text,
                "version" => version = text,
                "version_comment" => comment = text,
                "wsrep_cluster_name" => cluster = text,
                "wsrep_provider_options" => provider_options = text,
                "tx_isolation" | "transaction_isolation" => isolation = text,
                _ => {}
            }
        }
        out.gauge(&self.version, &[&innodb_version, &version, &comment], 1.0);
        if !isolation.is_empty() {
            out.gauge(&self.isolation, &[&isolation], 1.0);
        }
        if !cluster.is_empty() {
            out.gauge(&self.galera_variables, &[&cluster], 1.0);
        }
        if !provider_options.is_empty() {
            out.gauge(
                &self.gcache_size,
                &[],
                gcache_size(&provider_options).unwrap_or(0.0),
            );
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn gcache() {
        assert_eq!(
            super::gcache_size("a = b; gcache.size = 128M; x"),
            Some(134_217_728.0)
        );
        assert_eq!(super::gcache_size("gcache.size = 100;"), Some(100.0));
        assert_eq!(super::gcache_size("nothing"), None);
    }
}
