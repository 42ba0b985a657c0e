//! `--export-client-list`: a `connected_client_info` series and the
//! per-client numbers for each CLIENT LIST entry, as redis_exporter 1.88.

use exporter_kit::{Desc, Emitter, Kind};

use crate::descs::Descs;

/// One CLIENT LIST line, read as upstream reads it.
#[derive(Debug, PartialEq)]
struct Client<'a> {
    fields: Vec<(&'a str, &'a str)>,
    host: &'a str,
    port: &'a str,
    age: i64,
    idle: i64,
}

impl<'a> Client<'a> {
    fn get(&self, name: &str) -> Option<&'a str> {
        self.fields
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| *v)
    }

    fn text(&self, name: &str) -> &'a str {
        self.get(name).unwrap_or("")
    }

    /// A count; a value that is not an integer reads as 0, as upstream.
    fn count(&self, name: &str) -> Option<f64> {
        self.get(name)
            .map(|v| v.parse::<i64>().map_or(0.0, |n| n as f64))
    }
}

/// `id=<digits> addr=<...> k=v ...`; None when the line does not start so,
/// when a part is not exactly one `k=v`, when `addr` has no port or when
/// `age`/`idle` are not integers.
fn parse(line: &str) -> Option<Client<'_>> {
    let rest = line.strip_prefix("id=")?;
    let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
    let after = rest[digits..].strip_prefix(" addr=")?;
    if digits == 0 || after.is_empty() || after.starts_with(char::is_whitespace) {
        return None;
    }
    let mut fields = Vec::new();
    for part in line.split(' ') {
        let mut kv = part.split('=');
        let (Some(k), Some(v), None) = (kv.next(), kv.next(), kv.next()) else {
            return None;
        };
        fields.push((k, v));
    }
    let mut client = Client {
        fields,
        host: "",
        port: "",
        age: 0,
        idle: 0,
    };
    if let Some(addr) = client.get("addr") {
        // IPv6 addresses keep their colons: the port is after the last one
        let (host, port) = addr.rsplit_once(':')?;
        client.host = host;
        client.port = port;
    }
    if let Some(age) = client.get("age") {
        client.age = age.parse().ok()?;
    }
    if let Some(idle) = client.get("idle") {
        client.idle = idle.parse().ok()?;
    }
    Some(client)
}

pub fn emit(d: &Descs, text: &str, with_port: bool, now: i64, out: &mut Emitter) {
    for line in text.split('\n') {
        let Some(c) = parse(line) else {
            tracing::debug!(line, "CLIENT LIST line skipped");
            continue;
        };
        let mut names: Vec<&str> = d.connected_client_info.label_names().collect();
        let mut values = vec![
            c.text("id"),
            c.text("name"),
            c.text("flags"),
            c.text("db"),
            c.host,
        ];
        if with_port {
            names.push("port");
            values.push(c.port);
        }
        // user (Redis 6) and resp (Redis 7) label the client when known
        for optional in ["user", "resp"] {
            let v = c.text(optional);
            if !v.is_empty() {
                names.push(optional);
                values.push(v);
            }
        }
        let info = Desc::new(
            d.connected_client_info.name(),
            d.connected_client_info.help(),
            Kind::Gauge,
            &names,
        );
        out.gauge(&info, &values, 1.0);

        let ids = [c.text("id"), c.text("name")];
        for (field, desc) in &d.connected_client {
            let value = match *field {
                "age" => (now - c.age) as f64,
                "idle" => (now - c.idle) as f64,
                other => c.count(other).unwrap_or(0.0),
            };
            out.gauge(desc, &ids, value);
        }
        if let Some(v) = c.count("ssub") {
            out.gauge(&d.connected_client_shard_subscriptions, &ids, v);
        }
        if let Some(v) = c.count("watch") {
            out.gauge(&d.connected_client_watched_keys, &ids, v);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exporter_kit::testing::to_text;

    fn render(text: &str, with_port: bool) -> String {
        let d = Descs::new("redis").unwrap();
        let mut out = Emitter::new();
        emit(&d, text, with_port, 10_000, &mut out);
        to_text(&out.into_families())
    }

    #[test]
    fn a_redis_7_client_is_described_by_upstreams_families() {
        let t = render(
            "id=7 addr=[::1]:6000 laddr=[::1]:6379 fd=9 name=worker age=100 idle=40 flags=N db=2 sub=3 psub=1 ssub=5 watch=2 multi=-1 qbuf=12 qbuf-free=20462 argv-mem=0 obl=4 oll=6 omem=128 tot-mem=22400 events=r cmd=get user=app resp=3\n",
            true,
        );
        let info = t
            .lines()
            .find(|l| l.starts_with("redis_connected_client_info{"))
            .unwrap_or_default();
        for label in [
            "id=\"7\"",
            "name=\"worker\"",
            "flags=\"N\"",
            "db=\"2\"",
            "host=\"[::1]\"",
            "port=\"6000\"",
            "user=\"app\"",
            "resp=\"3\"",
        ] {
            assert!(info.contains(label), "{label} not in {info}");
        }
        for want in [
            "redis_connected_client_created_at_timestamp{id=\"7\",name=\"worker\"} 9900",
            "redis_connected_client_idle_since_timestamp{id=\"7\",name=\"worker\"} 9960",
            "redis_connected_client_channel_subscriptions_count{id=\"7\",name=\"worker\"} 3",
            "redis_connected_client_pattern_matching_subscriptions_count{id=\"7\",name=\"worker\"} 1",
            "redis_connected_client_shard_channel_subscriptions_count{id=\"7\",name=\"worker\"} 5",
            "redis_connected_client_shard_channel_watched_keys{id=\"7\",name=\"worker\"} 2",
            "redis_connected_client_query_buffer_length_bytes{id=\"7\",name=\"worker\"} 12",
            "redis_connected_client_query_buffer_free_space_bytes{id=\"7\",name=\"worker\"} 20462",
            "redis_connected_client_output_buffer_length_bytes{id=\"7\",name=\"worker\"} 4",
            "redis_connected_client_output_list_length{id=\"7\",name=\"worker\"} 6",
            "redis_connected_client_output_buffer_memory_usage_bytes{id=\"7\",name=\"worker\"} 128",
            "redis_connected_client_total_memory_consumed_bytes{id=\"7\",name=\"worker\"} 22400",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
    }

    #[test]
    fn older_clients_lack_the_newer_families_and_labels() {
        let t = render(
            "id=3 addr=10.0.0.5:40000 fd=8 name= age=5 idle=5 flags=N db=0 sub=x psub=0 multi=-1 qbuf=0 qbuf-free=0 obl=0 oll=0 omem=0 events=r cmd=info\n",
            false,
        );
        let info = t
            .lines()
            .find(|l| l.starts_with("redis_connected_client_info{"))
            .unwrap_or_default();
        assert!(!info.contains("port="), "{info}");
        assert!(!info.contains("user="), "{info}");
        assert!(!info.contains("resp="), "{info}");
        assert!(info.contains("host=\"10.0.0.5\""), "{info}");
        assert!(!t.contains("shard_channel"), "{t}");
        // not a number: 0; missing tot-mem: 0
        for want in [
            "redis_connected_client_channel_subscriptions_count{id=\"3\",name=\"\"} 0",
            "redis_connected_client_total_memory_consumed_bytes{id=\"3\",name=\"\"} 0",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
    }

    #[test]
    fn malformed_lines_are_skipped() {
        for line in [
            "",
            "addr=1.2.3.4:5 id=1",
            "id=x addr=1.2.3.4:5",
            "id=1 addr=nohostport",
            "id=1 addr=1.2.3.4:5 age=old",
            "id=1 addr=1.2.3.4:5 idle=never",
            "id=1 addr=1.2.3.4:5 odd",
            "id=1 addr=1.2.3.4:5 a=b=c",
        ] {
            assert_eq!(parse(line), None, "{line}");
        }
        let t = render("id=1 addr=1.2.3.4:5 age=old\nid=2 addr=1.2.3.4:6\n", false);
        assert!(!t.contains("id=\"1\""), "{t}");
        assert!(t.contains("id=\"2\""), "{t}");
    }
}
