//! `/discover-cluster-nodes`: the nodes of the Redis Cluster behind
//! `--redis.addr`, as a Prometheus HTTP service discovery document, so one
//! `http_sd_configs` entry keeps the scrape targets in step with the
//! cluster's membership.

use std::sync::Arc;

use exporter_kit::Handler;
use exporter_kit::http::{Body, text_response};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Request, Response, StatusCode};

use crate::conn::{self, Target};
use crate::scrape::Scraper;

pub struct DiscoverClusterNodes {
    pub scraper: Arc<Scraper>,
    pub addr: String,
    pub user: String,
    pub is_cluster: bool,
    pub use_hostnames: bool,
}

/// One `CLUSTER NODES` line's address: `ip:port@cport[,hostname[,aux=v]...]`.
/// `None` for a node without an address (`:0@0`, a node being forgotten)
/// or a line that is not a node.
pub fn node_address(line: &str, use_hostnames: bool) -> Option<String> {
    let field = line.split_whitespace().nth(1)?;
    let (endpoint, extra) = match field.split_once(',') {
        Some((endpoint, extra)) => (endpoint, Some(extra)),
        None => (field, None),
    };
    let (ip_port, cport) = endpoint.split_once('@')?;
    let (ip, port) = ip_port.rsplit_once(':')?;
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if ip.is_empty() || !digits(port) || !digits(cport.split(',').next().unwrap_or("")) {
        return None;
    }
    let hostname = extra
        .and_then(|e| e.split(',').next())
        .filter(|h| !h.is_empty() && !h.contains('='));
    let host = match hostname {
        Some(hostname) if use_hostnames => hostname,
        _ => ip,
    };
    Some(format!("{host}:{port}"))
}

/// The discovery document: one target group, `rediss://` when the
/// exporter itself talks TLS to the cluster.
pub fn document(nodes_text: &str, tls: bool, use_hostnames: bool) -> String {
    let scheme = if tls { "rediss" } else { "redis" };
    let targets: Vec<String> = nodes_text
        .lines()
        .filter_map(|line| node_address(line, use_hostnames))
        .map(|node| format!("{scheme}://{node}"))
        .collect();
    serde_json::json!([{ "targets": targets, "labels": {} }]).to_string()
}

#[async_trait::async_trait]
impl Handler for DiscoverClusterNodes {
    async fn handle(&self, _req: Request<Incoming>) -> Response<Body> {
        if !self.is_cluster {
            return text_response(
                StatusCode::BAD_REQUEST,
                "The discovery endpoint is only available on a redis cluster",
            );
        }
        let settings = &self.scraper.settings;
        let target = Target {
            addr: self.addr.clone(),
            user: self.user.clone(),
            password: self.scraper.password_for(&self.addr, &self.user),
            url_credentials: true,
        };
        // upstream first refreshes its cluster client (CLUSTER SLOTS): an
        // unreachable node and one without cluster support both fail there,
        // with its "couldn't connect" message
        let refresh_failed =
            |e: String| format!("Couldn't connect to redis cluster: cluster refresh failed: {e}");
        let nodes = async {
            let client =
                conn::client(&target, &settings.tls).map_err(|e| refresh_failed(e.to_string()))?;
            let mut connection = conn::connect(&client, settings.timeout)
                .await
                .map_err(|e| refresh_failed(e.to_string()))?;
            redis::cmd("CLUSTER")
                .arg("NODES")
                .query_async::<String>(&mut connection)
                .await
                .map_err(|e| {
                    if e.kind() == redis::ErrorKind::Io {
                        format!("Failed to fetch cluster nodes: {e}")
                    } else {
                        refresh_failed(e.to_string())
                    }
                })
        };
        match nodes.await {
            Ok(text) => {
                let tls = conn::with_scheme(&self.addr).starts_with("rediss://");
                let mut resp =
                    text_response(StatusCode::OK, document(&text, tls, self.use_hostnames));
                resp.headers_mut().insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                resp
            }
            Err(reason) => {
                tracing::error!(error = %reason, addr = %crate::scrape::redacted(&self.addr), "discovering cluster nodes failed");
                text_response(StatusCode::INTERNAL_SERVER_ERROR, reason)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NODES: &str = "\
eaf69c70d876558a948ba62af0884a37d42c9627 127.0.0.1:7002@17002 master - 0 1742836359057 3 connected 10923-16383
07c37dfeb235213a872192d90877d0cd55635b91 127.0.0.1:7001@17001,node-b.example master - 0 1426238317239 2 connected 5461-10922
e7d1eecce10fd6bb5eb35b9f99a514335d9ba9ca 10.0.0.3:7000@17000,,shard-id=abc myself,master - 0 0 1 connected 0-5460
6ec23923021cf3ffec47632106199cb7f496ce01 :0@0 master,fail,noaddr - 1 2 3 disconnected
garbage
";

    #[test]
    fn every_addressed_node_becomes_a_target() {
        let doc: serde_json::Value =
            serde_json::from_str(&document(NODES, false, false)).expect("json");
        assert_eq!(
            doc,
            serde_json::json!([{
                "targets": ["redis://127.0.0.1:7002", "redis://127.0.0.1:7001", "redis://10.0.0.3:7000"],
                "labels": {}
            }])
        );
    }

    #[test]
    fn hostnames_and_tls_when_asked() {
        let doc: serde_json::Value =
            serde_json::from_str(&document(NODES, true, true)).expect("json");
        assert_eq!(
            doc[0]["targets"],
            serde_json::json!([
                "rediss://127.0.0.1:7002",
                "rediss://node-b.example:7001",
                // An empty hostname (only aux fields) falls back to the IP.
                "rediss://10.0.0.3:7000"
            ])
        );
    }

    #[test]
    fn ipv6_and_malformed_addresses() {
        assert_eq!(
            node_address("id ::1:7000@17000 master", false).as_deref(),
            Some("::1:7000")
        );
        assert_eq!(node_address("id 1.2.3.4:x@17000 master", false), None);
        assert_eq!(node_address("id 1.2.3.4:7000 master", false), None);
        assert_eq!(node_address("", false), None);
    }
}
