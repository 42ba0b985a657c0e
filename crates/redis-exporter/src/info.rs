//! INFO ALL: sections (server, clients, memory, persistence, stats,
//! replication, cpu, commandstats, errorstats, latencystats, keyspace)
//! turned into upstream's families. Pure: text in, series out.

use std::collections::{BTreeMap, HashSet};

use exporter_kit::{Desc, Emitter, Kind, Summary};

use crate::descs::Descs;

/// What the INFO text says about the instance, for the rest of the scrape.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct InfoSummary {
    pub role: String,
    pub cluster_enabled: bool,
    pub sentinel: bool,
}

#[derive(Debug, Clone, Copy)]
pub struct InfoOptions {
    pub include_system_metrics: bool,
    pub include_metrics_for_empty_databases: bool,
}

/// One `key:value` line with the `# Section` it appeared under.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Field<'a> {
    pub section: &'a str,
    pub key: &'a str,
    pub value: &'a str,
}

/// Splits INFO text into fields; lines without a `:` are skipped.
pub fn fields(text: &str) -> impl Iterator<Item = Field<'_>> {
    let mut section = "";
    text.lines().filter_map(move |line| {
        let line = line.trim();
        if let Some(name) = line.strip_prefix("# ") {
            section = name;
            return None;
        }
        if line.len() < 2 {
            return None;
        }
        let (key, value) = line.split_once(':')?;
        Some(Field {
            section,
            key,
            value,
        })
    })
}

fn parse_value(value: &str) -> Option<f64> {
    match value {
        "ok" | "true" | "up" => Some(1.0),
        "err" | "fail" | "false" | "down" => Some(0.0),
        _ => value.parse::<f64>().ok(),
    }
}

/// `a=1,b=2` -> value of `name`.
fn kv<'a>(value: &'a str, name: &str) -> Option<&'a str> {
    value.split(',').find_map(|part| {
        let (k, v) = part.split_once('=')?;
        (k == name).then_some(v)
    })
}

/// `master_host`, `master_1_host`, ... (KeyDB multi-master).
fn is_master_field(key: &str, suffix: &str) -> bool {
    let Some(rest) = key.strip_prefix("master") else {
        return false;
    };
    let rest = match rest.strip_prefix('_') {
        Some(r) => r,
        None => return false,
    };
    if let Some(tail) = rest.strip_prefix(suffix) {
        return tail.is_empty() || !suffix.is_empty();
    }
    // master_<n>_<suffix>
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0
        && rest[digits..]
            .strip_prefix('_')
            .is_some_and(|t| t.starts_with(suffix))
}

fn io_thread_index(key: &str) -> Option<&str> {
    let n = key.strip_prefix("used_active_time_io_thread_")?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

/// `name=1.5` -> 1.5; upstream reads INFO sub-fields by position, so the
/// name is not checked, but a second `=` makes the field invalid.
fn extract_val(part: &str) -> Option<f64> {
    let mut it = part.split('=');
    let (_name, value) = (it.next()?, it.next()?);
    if it.next().is_some() {
        return None;
    }
    value.parse::<f64>().ok()
}

/// One `cmdstat_*` line's numbers.
#[derive(Debug, PartialEq)]
struct CommandStats {
    calls: f64,
    usec: f64,
    /// Redis 6.2+ only: `rejected_calls`, `failed_calls`
    rejected_failed: Option<(f64, f64)>,
}

/// `calls=21,usec=175,usec_per_call=8.33[,rejected_calls=0,failed_calls=0]`,
/// read by position as upstream does: fewer than three parts, or a bad
/// number in any part read, drops the line.
fn command_stats(value: &str) -> Option<CommandStats> {
    let parts: Vec<&str> = value.split(',').collect();
    if parts.len() < 3 {
        return None;
    }
    let calls = extract_val(parts[0])?;
    let usec = extract_val(parts[1])?;
    let rejected_failed = if parts.len() < 5 {
        None
    } else {
        Some((extract_val(parts[3])?, extract_val(parts[4])?))
    };
    Some(CommandStats {
        calls,
        usec,
        rejected_failed,
    })
}

/// `p50=0.001,p99=1.003,p99.9=3.007` -> (50, 0.001), ...; None when a
/// percentile or value is not a number. As upstream, the first character
/// of each name is dropped whatever it is, and a part without exactly one
/// `=` counts as percentile 0 with value 0 (so an empty value is `{0: 0}`).
fn percentiles(value: &str) -> Option<Vec<(f64, f64)>> {
    let mut out: Vec<(f64, f64)> = Vec::new();
    for part in value.split(',') {
        let kv: Vec<&str> = part.split('=').collect();
        let q = match kv[..] {
            [name, v] => {
                let mut chars = name.chars();
                chars.next()?;
                (chars.as_str().parse::<f64>().ok()?, v.parse::<f64>().ok()?)
            }
            _ => (0.0, 0.0),
        };
        // a map upstream: a repeated percentile keeps the last value
        match out.iter_mut().find(|(p, _)| *p == q.0) {
            Some(slot) => *slot = q,
            None => out.push(q),
        }
    }
    Some(out)
}

/// INFO fields `emit` reads once all lines are seen.
const REMEMBERED: [&str; 16] = [
    "redis_mode",
    "valkey_version",
    "valkey_release_stage",
    "role",
    "redis_version",
    "redis_build_id",
    "os",
    "maxmemory_policy",
    "tcp_port",
    "run_id",
    "process_id",
    "master_replid",
    "cluster_enabled",
    "master_host",
    "master_port",
    "slave_read_only",
];

/// Writes the INFO families; `db_count` pads `db_keys` with zeros for the
/// databases INFO leaves out. `now` is the unix time, for
/// `start_time_seconds`.
pub fn emit(
    d: &Descs,
    opts: InfoOptions,
    text: &str,
    db_count: usize,
    now: f64,
    out: &mut Emitter,
) -> InfoSummary {
    let mut summary = InfoSummary::default();
    // the few fields read after the loop (the last occurrence wins)
    let mut values: [Option<&str>; REMEMBERED.len()] = [None; REMEMBERED.len()];
    let mut handled_dbs: HashSet<String> = HashSet::new();
    let mut cmd_stats: BTreeMap<&str, (u64, f64)> = BTreeMap::new();
    let mut latencies: BTreeMap<&str, Vec<(f64, f64)>> = BTreeMap::new();
    let mut master_host = "";
    let mut master_port = "";

    for f in fields(text) {
        if let Some(i) = REMEMBERED.iter().position(|k| *k == f.key) {
            values[i] = Some(f.value);
        }
        if f.section == "Sentinel" {
            summary.sentinel = true;
        }
        if is_master_field(f.key, "host") && f.key.ends_with("_host") {
            master_host = f.value;
        }
        if is_master_field(f.key, "port") && f.key.ends_with("_port") {
            master_port = f.value;
        }
        match f.section {
            "Replication" if replication(d, f.key, f.value, master_host, master_port, out) => {
                continue;
            }
            "Server" => match f.key {
                "uptime_in_seconds" => {
                    if let Ok(up) = f.value.parse::<f64>() {
                        out.gauge(&d.start_time_seconds, &[], (now - up).floor());
                    }
                }
                "configured_hz" => {
                    if let Ok(v) = f.value.parse::<f64>() {
                        out.gauge(&d.configured_hz, &[], v);
                    }
                }
                "hz" => {
                    if let Ok(v) = f.value.parse::<f64>() {
                        out.gauge(&d.hz, &[], v);
                    }
                }
                _ => {}
            },
            "Commandstats" => {
                if let Some(cmd) = f.key.strip_prefix("cmdstat_")
                    && let Some(st) = command_stats(f.value)
                {
                    out.counter(&d.commands_total, &[cmd], st.calls);
                    out.counter(&d.commands_duration_seconds_total, &[cmd], st.usec / 1e6);
                    if let Some((rejected, failed)) = st.rejected_failed {
                        out.counter(&d.commands_rejected_calls_total, &[cmd], rejected);
                        out.counter(&d.commands_failed_calls_total, &[cmd], failed);
                    }
                    cmd_stats.insert(cmd, (st.calls as u64, st.usec));
                }
                continue;
            }
            "Latencystats" => {
                if let Some(cmd) = f.key.strip_prefix("latency_percentiles_usec_")
                    && let Some(qs) = percentiles(f.value)
                {
                    latencies.insert(cmd, qs);
                }
                continue;
            }
            "Errorstats" => {
                if let Some(err) = f.key.strip_prefix("errorstat_")
                    && let Some(count) = extract_val(f.value)
                {
                    out.counter(&d.errors_total, &[err], count);
                }
                continue;
            }
            "Keyspace" if f.key.starts_with("db") && keyspace(d, f.key, f.value, out) => {
                handled_dbs.insert(f.key.to_string());
                continue;
            }
            "Cluster Info" => continue,
            "Sentinel" => {
                sentinel_field(d, f.key, f.value, out);
                continue;
            }
            _ => {}
        }
        field(d, opts, f.key, f.value, out);
    }

    for (cmd, qs) in &latencies {
        if let Some(&(count, sum)) = cmd_stats.get(cmd) {
            out.summary(
                &d.latency_percentiles_usec,
                &[cmd],
                Summary {
                    quantiles: qs.clone(),
                    sum,
                    count,
                },
            );
        }
    }

    if opts.include_metrics_for_empty_databases {
        for i in 0..db_count {
            let db = format!("db{i}");
            if !handled_dbs.contains(&db) {
                out.gauge(&d.db_keys, &[&db], 0.0);
                out.gauge(&d.db_keys_expiring, &[&db], 0.0);
            }
        }
    }

    let present = |k: &str| {
        REMEMBERED
            .iter()
            .position(|r| *r == k)
            .and_then(|i| values[i])
    };
    let get = |k: &str| present(k).unwrap_or("");
    let mut label_values = vec![
        get("role"),
        get("redis_version"),
        get("redis_build_id"),
        get("redis_mode"),
        get("os"),
        get("maxmemory_policy"),
        get("tcp_port"),
        get("run_id"),
        get("process_id"),
        get("master_replid"),
    ];
    // Valkey's own fields become labels only when INFO has them, so the
    // label set follows the server (and changes on an upgrade) as upstream's
    let mut label_names: Vec<&str> = d.instance_info.label_names().collect();
    for extra in ["valkey_version", "valkey_release_stage"] {
        if let Some(v) = present(extra) {
            label_names.push(extra);
            label_values.push(v);
        }
    }
    let instance_info = Desc::new(
        d.instance_info.name(),
        d.instance_info.help(),
        Kind::Gauge,
        &label_names,
    );
    out.gauge(&instance_info, &label_values, 1.0);
    summary.role = get("role").to_string();
    summary.cluster_enabled = get("cluster_enabled") == "1";
    if summary.role == "slave" {
        out.gauge(
            &d.slave_info,
            &[
                get("master_host"),
                get("master_port"),
                get("slave_read_only"),
            ],
            1.0,
        );
    }
    summary
}

/// `sentinel_masters:1`, `master0:name=m,status=ok,address=h:p,slaves=1,sentinels=3`
fn sentinel_field(d: &Descs, key: &str, value: &str, out: &mut Emitter) {
    if let Some(desc) = d.sentinel_info.get(key) {
        out.gauge(desc, &[], value.parse::<i64>().unwrap_or(0) as f64);
        return;
    }
    let Some(n) = key.strip_prefix("master") else {
        return;
    };
    if n.is_empty() || !n.bytes().all(|b| b.is_ascii_digit()) {
        return;
    }
    let name = kv(value, "name").unwrap_or("");
    let status = kv(value, "status").unwrap_or("");
    let address = kv(value, "address").unwrap_or("");
    let num = |k: &str| kv(value, k).and_then(|v| v.parse::<f64>().ok());
    let (Some(slaves), Some(sentinels)) = (num("slaves"), num("sentinels")) else {
        return;
    };
    let ok = if status == "ok" { 1.0 } else { 0.0 };
    out.gauge(&d.sentinel_master_status, &[name, address, status], ok);
    out.gauge(&d.sentinel_master_slaves, &[name, address], slaves);
    out.gauge(&d.sentinel_master_sentinels, &[name, address], sentinels);
}

/// Labelled replication fields; true when the field was handled here.
fn replication(
    d: &Descs,
    key: &str,
    value: &str,
    host: &str,
    port: &str,
    out: &mut Emitter,
) -> bool {
    if is_master_field(key, "link_status") && key.ends_with("_link_status") {
        out.gauge(
            &d.master_link_up,
            &[host, port],
            if value == "up" { 1.0 } else { 0.0 },
        );
        return true;
    }
    let direct = if key.starts_with("slave_repl_offset") {
        Some(&d.slave_repl_offset)
    } else if is_master_field(key, "last_io_seconds_ago") && key.ends_with("last_io_seconds_ago") {
        Some(&d.master_last_io_seconds_ago)
    } else if is_master_field(key, "sync_in_progress") && key.ends_with("sync_in_progress") {
        Some(&d.master_sync_in_progress)
    } else {
        None
    };
    if let Some(desc) = direct {
        // upstream parses these as integers; anything else counts as 0
        let v = value.parse::<i64>().unwrap_or(0);
        out.gauge(desc, &[host, port], v as f64);
        return true;
    }
    if let Some(n) = key.strip_prefix("slave")
        && !n.is_empty()
        && n.bytes().all(|b| b.is_ascii_digit())
    {
        let mut ip = "";
        let mut sport = "";
        let mut state = "";
        let mut offset = None;
        let mut lag = Some(-1.0);
        for part in value.split(',') {
            let Some((k, v)) = part.split_once('=') else {
                return false;
            };
            match k {
                "ip" => ip = v,
                "port" => sport = v,
                "state" => state = v,
                "offset" => offset = v.parse::<f64>().ok(),
                "lag" => lag = v.parse::<f64>().ok(),
                _ => {}
            }
        }
        let (Some(offset), Some(lag)) = (offset, lag) else {
            return false;
        };
        out.gauge(&d.connected_slave_offset_bytes, &[ip, sport, state], offset);
        if lag > -1.0 {
            out.gauge(&d.connected_slave_lag_seconds, &[ip, sport, state], lag);
        }
        return true;
    }
    false
}

/// `db0:keys=1,expires=0,avg_ttl=0[,cached_keys=0]`, read by position as
/// upstream does (so Redis 7.4's `subexpiry` in fourth place is reported as
/// `db_keys_cached`); false when malformed.
fn keyspace(d: &Descs, db: &str, value: &str, out: &mut Emitter) -> bool {
    let parts: Vec<&str> = value.split(',').collect();
    if parts.len() < 2 {
        return false;
    }
    let (Some(keys), Some(expires)) = (extract_val(parts[0]), extract_val(parts[1])) else {
        return false;
    };
    // -1 stands for "not reported", as upstream
    let optional = |i: usize| parts.get(i).map_or(Some(-1.0), |p| extract_val(p));
    let (Some(avg_ttl), Some(cached)) = (optional(2), optional(3)) else {
        return false;
    };
    let avg_ttl = if parts.len() > 2 {
        avg_ttl / 1000.0
    } else {
        avg_ttl
    };
    out.gauge(&d.db_keys, &[db], keys);
    out.gauge(&d.db_keys_expiring, &[db], expires);
    if cached > -1.0 {
        out.gauge(&d.db_keys_cached, &[db], cached);
    }
    if avg_ttl > -1.0 {
        out.gauge(&d.db_avg_ttl_seconds, &[db], avg_ttl);
    }
    true
}

/// An unlabelled field of the gauge/counter maps.
fn field(d: &Descs, opts: InfoOptions, key: &str, value: &str, out: &mut Emitter) {
    if let Some(thread) = io_thread_index(key) {
        if let Ok(v) = value.parse::<f64>() {
            out.counter(&d.active_time_io_thread, &[thread], v);
        }
        return;
    }
    if key == "latest_fork_usec" {
        if let Some(v) = parse_value(value) {
            out.gauge(&d.latest_fork_seconds, &[], v / 1e6);
        }
        return;
    }
    if key == "total_system_memory" {
        if opts.include_system_metrics
            && let Some(v) = parse_value(value)
        {
            out.gauge(&d.total_system_memory_bytes, &[], v);
        }
        return;
    }
    let desc = d.info.get(key).or_else(|| d.cluster_info.get(key));
    if let Some(desc) = desc
        && let Some(v) = parse_value(value)
    {
        out.value(desc, &[], v);
        return;
    }
    // upstream exports every `cluster_*` (and stray `db*`) field under its
    // own name
    if (key.starts_with("cluster_") || key.starts_with("db"))
        && let Some(v) = parse_value(value)
    {
        let name = exporter_kit::desc::sanitize_label_name(key);
        match Desc::try_new(
            &format!("{}_{name}", d.ns),
            &format!("Redis INFO field {name}."),
            Kind::Gauge,
            &[],
        ) {
            Ok(desc) => out.gauge(&desc, &[], v),
            Err(e) => tracing::debug!(field = key, error = %e, "INFO field skipped"),
        }
    }
}

/// CLUSTER INFO (`cluster_state:ok` ...), as gauges named after the fields.
pub fn emit_cluster_info(d: &Descs, text: &str, out: &mut Emitter) {
    for line in text.lines() {
        let Some((key, value)) = line.trim().split_once(':') else {
            continue;
        };
        if let Some(desc) = d.cluster_info.get(key).or_else(|| d.info.get(key))
            && let Some(v) = parse_value(value)
        {
            out.value(desc, &[], v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exporter_kit::testing::to_text;

    const PRIMARY: &str = "# Server\r\nredis_version:7.0.15\r\nredis_mode:standalone\r\nos:Linux\r\nprocess_id:42\r\nrun_id:abc\r\ntcp_port:6379\r\nuptime_in_seconds:100\r\nhz:10\r\n\r\n# Clients\r\nconnected_clients:3\r\n\r\n# Memory\r\nused_memory:1024\r\nmaxmemory_policy:noeviction\r\n\r\n# Persistence\r\nrdb_last_bgsave_status:ok\r\naof_last_write_status:err\r\n\r\n# Stats\r\nkeyspace_hits:5\r\nkeyspace_misses:7\r\nlatest_fork_usec:365\r\n\r\n# Replication\r\nrole:master\r\nconnected_slaves:1\r\nslave0:ip=127.0.0.1,port=16380,state=online,offset=1015,lag=0\r\nmaster_repl_offset:1015\r\n\r\n# Commandstats\r\ncmdstat_set:calls=21,usec=42,usec_per_call=2.00,rejected_calls=0,failed_calls=1\r\ncmdstat_config|get:calls=1,usec=217,usec_per_call=217.00\r\n\r\n# Errorstats\r\nerrorstat_ERR:count=4\r\n\r\n# Latencystats\r\nlatency_percentiles_usec_set:p50=2.007,p99=6.015,p99.9=6.015\r\n\r\n# Keyspace\r\ndb0:keys=22,expires=1,avg_ttl=3554946\r\ndb1:keys=1,expires=0,avg_ttl=0\r\n";

    const REPLICA: &str = "# Replication\r\nrole:slave\r\nmaster_host:127.0.0.1\r\nmaster_port:16379\r\nmaster_link_status:down\r\nmaster_last_io_seconds_ago:3\r\nmaster_sync_in_progress:0\r\nslave_repl_offset:1057\r\nslave_read_only:1\r\n";

    fn render(text: &str, dbs: usize) -> (String, InfoSummary) {
        let d = Descs::new("redis").unwrap();
        let mut out = Emitter::new();
        let opts = InfoOptions {
            include_system_metrics: false,
            include_metrics_for_empty_databases: true,
        };
        let s = emit(&d, opts, text, dbs, 1000.0, &mut out);
        (to_text(&out.into_families()), s)
    }

    #[test]
    fn primary_fields_map_to_upstream_names() {
        let (t, s) = render(PRIMARY, 3);
        assert_eq!(s.role, "master");
        for want in [
            "redis_connected_clients 3\n",
            "redis_memory_used_bytes 1024\n",
            "redis_keyspace_hits_total 5\n",
            "redis_keyspace_misses_total 7\n",
            "redis_rdb_last_bgsave_status 1\n",
            "redis_aof_last_write_status 0\n",
            "redis_latest_fork_seconds 0.000365\n",
            "redis_start_time_seconds 900\n",
            "redis_connected_slaves 1\n",
            "redis_connected_slave_offset_bytes{slave_ip=\"127.0.0.1\",slave_port=\"16380\",slave_state=\"online\"} 1015\n",
            "redis_connected_slave_lag_seconds{slave_ip=\"127.0.0.1\",slave_port=\"16380\",slave_state=\"online\"} 0\n",
            "redis_commands_total{cmd=\"set\"} 21\n",
            "redis_commands_total{cmd=\"config|get\"} 1\n",
            "redis_commands_duration_seconds_total{cmd=\"set\"} 4.2e-5\n",
            "redis_commands_failed_calls_total{cmd=\"set\"} 1\n",
            "redis_errors_total{err=\"ERR\"} 4\n",
            "redis_latency_percentiles_usec{cmd=\"set\",quantile=\"50\"} 2.007\n",
            "redis_latency_percentiles_usec{cmd=\"set\",quantile=\"99.9\"} 6.015\n",
            "redis_latency_percentiles_usec_sum{cmd=\"set\"} 42\n",
            "redis_latency_percentiles_usec_count{cmd=\"set\"} 21\n",
            "redis_db_keys{db=\"db0\"} 22\n",
            "redis_db_keys{db=\"db2\"} 0\n",
            "redis_db_keys_expiring{db=\"db2\"} 0\n",
            "redis_db_avg_ttl_seconds{db=\"db0\"} 3554.946\n",
            "redis_hz 10\n",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
        // pre-6.2 command stats have no rejected/failed counts
        assert!(!t.contains("redis_commands_failed_calls_total{cmd=\"config|get\"}"));
        assert!(t.lines().any(|l| l.starts_with("redis_instance_info{")
            && l.contains("role=\"master\"")
            && l.contains("redis_version=\"7.0.15\"")));
        assert!(!t.contains("redis_slave_info"));
    }

    #[test]
    fn replica_fields_are_labelled_with_the_primary() {
        let (t, s) = render(REPLICA, 0);
        assert_eq!(s.role, "slave");
        for want in [
            "redis_master_link_up{master_host=\"127.0.0.1\",master_port=\"16379\"} 0\n",
            "redis_master_last_io_seconds_ago{master_host=\"127.0.0.1\",master_port=\"16379\"} 3\n",
            "redis_master_sync_in_progress{master_host=\"127.0.0.1\",master_port=\"16379\"} 0\n",
            "redis_slave_repl_offset{master_host=\"127.0.0.1\",master_port=\"16379\"} 1057\n",
            "redis_slave_info{master_host=\"127.0.0.1\",master_port=\"16379\",read_only=\"1\"} 1\n",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
    }

    #[test]
    fn keyspace_lines_are_read_by_position() {
        let (t, _) = render(
            "# Keyspace\r\ndb0:keys=7,expires=2,avg_ttl=1500,subexpiry=3\r\ndb1:keys=4,expires=1\r\ndb2:keys=5,expires=0,avg_ttl=0,cached_keys=9,extra=1\r\n",
            0,
        );
        for want in [
            "redis_db_keys{db=\"db0\"} 7\n",
            "redis_db_keys_expiring{db=\"db0\"} 2\n",
            "redis_db_avg_ttl_seconds{db=\"db0\"} 1.5\n",
            // Redis 7.4 `subexpiry` sits where KeyDB puts cached_keys
            "redis_db_keys_cached{db=\"db0\"} 3\n",
            "redis_db_keys{db=\"db1\"} 4\n",
            "redis_db_keys_cached{db=\"db2\"} 9\n",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
        assert!(!t.contains("redis_db_avg_ttl_seconds{db=\"db1\"}"), "{t}");
        assert!(!t.contains("redis_db_keys_cached{db=\"db1\"}"), "{t}");

        // a bad number anywhere read drops the whole line
        for bad in [
            "keys=3,expires=0,avg_ttl=soon",
            "keys=3,expires=0,avg_ttl=0,cached_keys=many",
            "keys=3=3,expires=0",
            "keys=3",
            "keys=x,expires=0",
        ] {
            let (t, _) = render(&format!("# Keyspace\r\ndb3:{bad}\r\n"), 0);
            assert!(!t.contains("redis_db_keys{db=\"db3\"}"), "{bad}: {t}");
        }
    }

    #[test]
    fn command_stats_need_three_parts_and_good_numbers() {
        assert_eq!(
            command_stats("calls=9,usec=30,usec_per_call=3.33"),
            Some(CommandStats {
                calls: 9.0,
                usec: 30.0,
                rejected_failed: None
            })
        );
        assert_eq!(
            command_stats("calls=9,usec=30,usec_per_call=3.33,rejected_calls=2,failed_calls=4"),
            Some(CommandStats {
                calls: 9.0,
                usec: 30.0,
                rejected_failed: Some((2.0, 4.0))
            })
        );
        for bad in [
            "calls=9,usec=30",
            "nonsense",
            "calls=nine,usec=30,usec_per_call=3.33",
            "calls=9,usec=thirty,usec_per_call=3.33",
            "calls=9,usec=30,usec_per_call=3.33,rejected_calls=x,failed_calls=4",
            "calls=9,usec=30,usec_per_call=3.33,rejected_calls=2,failed_calls=x",
        ] {
            assert_eq!(command_stats(bad), None, "{bad}");
        }
        let (t, _) = render("# Commandstats\r\ncmdstat_get:calls=9,usec=30\r\n", 0);
        assert!(!t.contains("redis_commands_total"), "{t}");
    }

    #[test]
    fn latency_percentiles_parse_like_upstream() {
        assert_eq!(
            percentiles("p50=1.5,p99=2.25,p99.9=4"),
            Some(vec![(50.0, 1.5), (99.0, 2.25), (99.9, 4.0)])
        );
        assert_eq!(percentiles("p75=8"), Some(vec![(75.0, 8.0)]));
        // no `=`: percentile 0, value 0
        assert_eq!(percentiles(""), Some(vec![(0.0, 0.0)]));
        assert_eq!(percentiles("p50=slow"), None);
        assert_eq!(percentiles("=1.0,p99=2.0"), None);
    }

    #[test]
    fn error_stats_take_exactly_one_count() {
        let (t, _) = render(
            "# Errorstats\r\nerrorstat_WRONGTYPE:count=6\r\nerrorstat_BAD:many\r\nerrorstat_NaN:count=x\r\n",
            0,
        );
        assert!(
            testkit::has_sample(&t, "redis_errors_total{err=\"WRONGTYPE\"} 6\n"),
            "{t}"
        );
        assert!(!t.contains("err=\"BAD\""), "{t}");
        assert!(!t.contains("err=\"NaN\""), "{t}");
    }

    #[test]
    fn valkey_fields_become_instance_info_labels_when_present() {
        let (t, _) = render(
            "# Server\r\nredis_version:7.2.4\r\nserver_mode:cluster\r\nvalkey_version:8.1.2\r\nvalkey_release_stage:ga\r\n",
            0,
        );
        let line = t
            .lines()
            .find(|l| l.starts_with("redis_instance_info{"))
            .unwrap_or_default();
        assert!(line.contains("valkey_version=\"8.1.2\""), "{line}");
        assert!(line.contains("valkey_release_stage=\"ga\""), "{line}");
        // only redis_mode fills redis_mode
        assert!(line.contains("redis_mode=\"\""), "{line}");

        let (t, _) = render("# Server\r\nredis_version:7.0.0\r\n", 0);
        assert!(!t.contains("valkey_"), "{t}");
    }

    #[test]
    fn valkey_thread_times_and_dashed_cluster_fields() {
        let (t, _) = render(
            "# CPU\r\nused_active_time_main_thread:12.5\r\nused_active_time_io_thread_0:2.5\r\nused_active_time_io_thread_1:3.5\r\nused_active_time_io_thread_foo:4.5\r\n# Cluster\r\ncluster_stats_messages_auth-req_received:6\r\n",
            0,
        );
        for want in [
            "redis_active_time_main_thread_seconds_total 12.5",
            "redis_active_time_io_thread_seconds_total{thread=\"0\"} 2.5",
            "redis_active_time_io_thread_seconds_total{thread=\"1\"} 3.5",
            "redis_cluster_stats_messages_auth_req_received 6",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
        assert!(!t.contains("foo"), "{t}");
        assert_eq!(
            t.lines()
                .filter(|l| l.starts_with("redis_active_time_io_thread_seconds_total{"))
                .count(),
            2
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            ":",
            "# \r\n::::",
            "# Keyspace\r\ndb0:keys=x",
            "# Replication\r\nslave0:ip",
            "# Commandstats\r\ncmdstat_:",
        ] {
            let _ = render(text, 1);
        }
        assert!(is_master_field("master_1_host", "host"));
        assert!(!is_master_field("masterauth", "host"));
    }
}
