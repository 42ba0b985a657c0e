//! A Sentinel (INFO shows a `# Sentinel` section): per monitored primary,
//! its settings, quorum check, and how many sentinels and replicas are up.

use exporter_kit::Emitter;
use redis::Value;
use redis::aio::MultiplexedConnection;

use crate::descs::Descs;
use crate::resp;

fn down(flags: &str) -> bool {
    flags.contains("o_down") || flags.contains("s_down")
}

async fn sentinel(conn: &mut MultiplexedConnection, args: &[&str]) -> redis::RedisResult<Value> {
    redis::cmd("SENTINEL").arg(args).query_async(conn).await
}

/// The entries of `SENTINEL <what> <name>` (sentinels or replicas of a
/// master) as field lists; none when the command fails.
async fn peers(
    conn: &mut MultiplexedConnection,
    what: &str,
    name: &str,
) -> Vec<Vec<(String, Value)>> {
    let Ok(v) = sentinel(conn, &[what, name]).await else {
        return Vec::new();
    };
    resp::array(&v)
        .unwrap_or_default()
        .iter()
        .map(|entry| {
            resp::pairs(entry)
                .into_iter()
                .map(|(k, v)| (k, v.clone()))
                .collect()
        })
        .collect()
}

fn field(fields: &[(String, Value)], key: &str) -> Option<String> {
    fields
        .iter()
        .find(|(k, _)| k == key)
        .and_then(|(_, v)| resp::text(v))
}

/// How many entries are not flagged down.
fn healthy(entries: &[Vec<(String, Value)>]) -> f64 {
    entries
        .iter()
        .filter(|fields| field(fields, "flags").is_some_and(|flags| !down(&flags)))
        .count() as f64
}

/// `peer_info`: also `sentinel_peer_info` per other Sentinel
/// (`--include-sentinel-peer-info`, upstream's high-cardinality opt-in).
pub async fn collect(
    d: &Descs,
    conn: &mut MultiplexedConnection,
    out: &mut Emitter,
    peer_info: bool,
) {
    let masters = match sentinel(conn, &["MASTERS"]).await {
        Ok(v) => v,
        Err(e) => {
            tracing::warn!(error = %e, "SENTINEL MASTERS failed; sentinel metrics skipped");
            return;
        }
    };
    for master in resp::array(&masters).unwrap_or_default() {
        let fields = resp::pairs(master);
        let get = |k: &str| {
            fields
                .iter()
                .find(|(n, _)| n == k)
                .and_then(|(_, v)| resp::text(v))
        };
        let (Some(name), Some(ip), Some(port)) = (get("name"), get("ip"), get("port")) else {
            continue;
        };
        let addr = format!("{ip}:{port}");
        let labels = [name.as_str(), addr.as_str()];
        match sentinel(conn, &["CKQUORUM", &name]).await {
            Ok(v) => {
                let msg = resp::text(&v).unwrap_or_default();
                out.gauge(&d.sentinel_master_ckquorum_status, &[&name, &msg], 1.0);
            }
            Err(e) => out.gauge(
                &d.sentinel_master_ckquorum_status,
                &[&name, &e.to_string()],
                0.0,
            ),
        }
        let num = |k: &str| get(k).and_then(|v| v.parse::<f64>().ok()).unwrap_or(0.0);
        out.gauge(&d.sentinel_master_setting_ckquorum, &labels, num("quorum"));
        out.gauge(
            &d.sentinel_master_setting_failover_timeout,
            &labels,
            num("failover-timeout"),
        );
        out.gauge(
            &d.sentinel_master_setting_parallel_syncs,
            &labels,
            num("parallel-syncs"),
        );
        out.gauge(
            &d.sentinel_master_setting_down_after_milliseconds,
            &labels,
            num("down-after-milliseconds"),
        );
        out.gauge(
            &d.sentinel_master_config_epoch,
            &labels,
            num("config-epoch"),
        );
        out.gauge(
            &d.sentinel_master_last_ok_ping_reply_seconds,
            &labels,
            num("last-ok-ping-reply") / 1000.0,
        );

        let sentinels = peers(conn, "SENTINELS", &name).await;
        if peer_info {
            for fields in &sentinels {
                let get = |k: &str| field(fields, k).unwrap_or_default();
                let peer = [
                    get("name"),
                    get("ip"),
                    get("port"),
                    get("runid"),
                    get("flags"),
                ];
                let mut values: Vec<&str> = vec![&name, &addr];
                values.extend(peer.iter().map(String::as_str));
                out.gauge(&d.sentinel_peer_info, &values, 1.0);
            }
        }
        // this sentinel counts itself
        let ok_sentinels = 1.0 + healthy(&sentinels);
        out.gauge(&d.sentinel_master_ok_sentinels, &labels, ok_sentinels);
        let ok_slaves = healthy(&peers(conn, "SLAVES", &name).await);
        out.gauge(&d.sentinel_master_ok_slaves, &labels, ok_slaves);
    }
}

/// `--include-config-metrics` on a Sentinel: `SENTINEL CONFIG GET *`, as
/// upstream; secrets stay hidden while `--redact-config-metrics` is on.
pub async fn config(d: &Descs, conn: &mut MultiplexedConnection, redact: bool, out: &mut Emitter) {
    let reply = match sentinel(conn, &["CONFIG", "GET", "*"]).await {
        Ok(v) => v,
        Err(e) => {
            tracing::error!(error = %e, "SENTINEL CONFIG GET failed; sentinel config metrics skipped");
            return;
        }
    };
    for (key, value) in resp::pairs(&reply) {
        let Some(value) = resp::text(value) else {
            continue;
        };
        if redact && crate::config_metrics::is_secret(&key) {
            continue;
        }
        out.gauge(&d.sentinel_config_key_value, &[&key, &value], 1.0);
        if let Some(v) = crate::keys::parse_go_float(&value) {
            out.gauge(&d.sentinel_config_value, &[&key], v);
        }
    }
}
