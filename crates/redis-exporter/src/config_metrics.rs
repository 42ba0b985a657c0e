//! CONFIG GET *: the database count, `config_maxmemory`/`maxclients`/
//! `io_threads`/`repl_backlog_size`, client output buffer limits, and with
//! `--include-config-metrics` every setting, secrets redacted.

use exporter_kit::Emitter;
use redis::Value;

use crate::descs::Descs;
use crate::resp;

/// Settings whose values are never exported while redaction is on. Wider
/// than upstream's list (masterauth, requirepass, tls-*-pass): anything
/// that looks like a credential.
pub fn is_secret(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.contains("pass") || k.contains("auth") || k.contains("secret") || k.contains("masteruser")
}

/// Writes the config families; returns the `databases` setting (0 when
/// absent or invalid).
pub fn emit(d: &Descs, reply: &Value, include_all: bool, redact: bool, out: &mut Emitter) -> usize {
    let mut databases = 0;
    for (key, value) in resp::raw_pairs(reply) {
        let (Some(key), Some(value)) = (resp::str_ref(key), resp::str_ref(value)) else {
            continue;
        };
        match key {
            "databases" => databases = value.trim().parse::<usize>().unwrap_or(0),
            "maxmemory" | "maxclients" | "io-threads" | "repl-backlog-size" => {
                if let Ok(v) = value.trim().parse::<f64>() {
                    let desc = match key {
                        "maxmemory" => &d.config_maxmemory,
                        "maxclients" => &d.config_maxclients,
                        "io-threads" => &d.config_io_threads,
                        _ => &d.config_repl_backlog_size,
                    };
                    out.gauge(desc, &[], v);
                }
            }
            "client-output-buffer-limit" => output_buffer_limits(d, value, out),
            _ => {}
        }
        if include_all && !(redact && is_secret(key)) {
            out.gauge(&d.config_key_value, &[key, value], 1.0);
            if let Ok(v) = value.trim().parse::<f64>() {
                out.gauge(&d.config_value, &[key], v);
            }
        }
    }
    databases
}

/// `normal 0 0 0 slave 268435456 67108864 60 pubsub 33554432 8388608 60`
fn output_buffer_limits(d: &Descs, value: &str, out: &mut Emitter) {
    let parts: Vec<&str> = value.split_whitespace().collect();
    for chunk in parts.chunks_exact(4) {
        let class = chunk[0];
        // each number on its own, as upstream: a bad one drops only itself
        for (text, desc, limit) in [
            (chunk[1], &d.config_client_output_buffer_limit_bytes, "hard"),
            (chunk[2], &d.config_client_output_buffer_limit_bytes, "soft"),
            (
                chunk[3],
                &d.config_client_output_buffer_limit_overcome_seconds,
                "soft",
            ),
        ] {
            if let Ok(v) = text.parse::<f64>() {
                out.gauge(desc, &[class, limit], v);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use exporter_kit::testing::to_text;

    fn bulk(s: &str) -> Value {
        Value::BulkString(s.as_bytes().to_vec())
    }

    #[test]
    fn secrets_are_redacted_and_numbers_exported() {
        let d = Descs::new("redis").unwrap();
        let reply = Value::Array(vec![
            bulk("requirepass"),
            bulk("hunter2"),
            bulk("masterauth"),
            bulk("s3cret"),
            bulk("maxmemory"),
            bulk("100"),
            bulk("databases"),
            bulk("4"),
            bulk("maxmemory-policy"),
            bulk("noeviction"),
            bulk("client-output-buffer-limit"),
            bulk("normal 0 0 0 slave 268435456 67108864 60"),
        ]);
        let mut out = Emitter::new();
        assert_eq!(emit(&d, &reply, true, true, &mut out), 4);
        let t = to_text(&out.into_families());
        assert!(!t.contains("hunter2") && !t.contains("s3cret") && !t.contains("requirepass"));
        assert!(t.contains("redis_config_maxmemory 100\n"));
        assert!(t.contains("redis_config_value{key=\"maxmemory\"} 100\n"));
        assert!(
            t.contains("redis_config_key_value{key=\"maxmemory-policy\",value=\"noeviction\"} 1\n")
        );
        assert!(testkit::has_sample(
            &t,
            "redis_config_client_output_buffer_limit_bytes{class=\"slave\",limit=\"hard\"} 268435456"
        ));
        let mut out = Emitter::new();
        emit(&d, &reply, true, false, &mut out);
        assert!(to_text(&out.into_families()).contains("hunter2"));
    }

    #[test]
    fn backlog_size_and_each_buffer_limit_number_on_its_own() {
        let d = Descs::new("redis").unwrap();
        let reply = Value::Array(vec![
            bulk("repl-backlog-size"),
            bulk("1048576"),
            bulk("client-output-buffer-limit"),
            bulk("normal 0 x 0 pubsub 33554432 8388608 60"),
        ]);
        let mut out = Emitter::new();
        emit(&d, &reply, false, true, &mut out);
        let t = to_text(&out.into_families());
        for want in [
            "redis_config_repl_backlog_size 1048576",
            "redis_config_client_output_buffer_limit_bytes{class=\"normal\",limit=\"hard\"} 0",
            "redis_config_client_output_buffer_limit_overcome_seconds{class=\"normal\",limit=\"soft\"} 0",
            "redis_config_client_output_buffer_limit_bytes{class=\"pubsub\",limit=\"soft\"} 8388608",
        ] {
            assert!(testkit::has_sample(&t, want), "missing {want:?} in\n{t}");
        }
        assert!(!t.contains("class=\"normal\",limit=\"soft\"} x"));
        assert!(
            !t.contains(
                "redis_config_client_output_buffer_limit_bytes{class=\"normal\",limit=\"soft\"}"
            ),
            "{t}"
        );
    }
}
