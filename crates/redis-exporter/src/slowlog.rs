//! SLOWLOG LEN and the newest SLOWLOG entry.

use exporter_kit::Emitter;
use redis::Value;

use crate::descs::Descs;
use crate::resp;

pub fn emit(d: &Descs, len: &Value, last: &Value, out: &mut Emitter) {
    if let Some(n) = resp::float(len) {
        out.gauge(&d.slowlog_length, &[], n);
    }
    if resp::is_error(last) {
        return;
    }
    let entry = resp::array(last)
        .and_then(|a| a.first())
        .and_then(resp::array);
    let (id, usec) = match entry {
        Some(e) if e.len() >= 3 => (
            resp::float(&e[0]).unwrap_or(0.0),
            resp::float(&e[2]).unwrap_or(0.0),
        ),
        _ => (0.0, 0.0),
    };
    out.gauge(&d.slowlog_last_id, &[], id);
    out.gauge(&d.last_slow_execution_duration_seconds, &[], usec / 1e6);
}
