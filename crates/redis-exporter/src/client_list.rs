//! `--export-client-list`: one `connected_clients_details` series per
//! CLIENT LIST entry.

use exporter_kit::Emitter;

use crate::descs::Descs;

pub fn emit(d: &Descs, text: &str, with_port: bool, now: i64, out: &mut Emitter) {
    for line in text.lines() {
        let get = |name: &str| {
            line.split(' ')
                .find_map(|kv| {
                    kv.split_once('=')
                        .filter(|(k, _)| *k == name)
                        .map(|(_, v)| v)
                })
                .unwrap_or("")
        };
        let addr = get("addr");
        if addr.is_empty() {
            continue;
        }
        let (host, port) = addr.rsplit_once(':').unwrap_or((addr, ""));
        let since = |field: &str| {
            get(field)
                .parse::<i64>()
                .map(|s| (now - s).to_string())
                .unwrap_or_default()
        };
        let created = since("age");
        let idle = since("idle");
        let mut labels = vec![
            get("name"),
            created.as_str(),
            idle.as_str(),
            get("flags"),
            get("db"),
            get("omem"),
            get("cmd"),
            host,
        ];
        if with_port {
            labels.push(port);
            labels.push(get("user"));
            out.gauge(&d.connected_clients_details_with_port, &labels, 1.0);
        } else {
            labels.push(get("user"));
            out.gauge(&d.connected_clients_details, &labels, 1.0);
        }
    }
}
