//! `--log.level` and `--log.format=logfmt|json` through tracing-subscriber.

use std::fmt::{self, Write as _};

use tracing::field::{Field, Visit};
use tracing::{Event, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

fn push_value(out: &mut String, value: &str) {
    let needs_quotes = value.is_empty()
        || value
            .chars()
            .any(|c| c == ' ' || c == '=' || c == '"' || c.is_control());
    if needs_quotes {
        out.push('"');
        for c in value.chars() {
            match c {
                '"' => out.push_str("\\\""),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                c => out.push(c),
            }
        }
        out.push('"');
    } else {
        out.push_str(value);
    }
}

/// An event's message and fields, in the order they were written.
#[derive(Default)]
struct Fields {
    message: String,
    rest: Vec<(&'static str, serde_json::Value)>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.message = value.to_string();
        } else {
            self.rest.push((field.name(), value.into()));
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.rest.push((field.name(), value.into()));
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let mut text = String::new();
        let _ = write!(text, "{value:?}");
        self.record_str(field, &text);
    }
}

/// The keys every line starts with, in both formats, as Prometheus'
/// promslog writes them: `time`, `level` (lower case), `source`
/// (`file:line`), `msg`; the event's fields follow.
struct Line {
    time: String,
    level: String,
    source: String,
    fields: Fields,
}

impl Line {
    fn of(event: &Event<'_>) -> Line {
        let meta = event.metadata();
        let mut fields = Fields::default();
        event.record(&mut fields);
        Line {
            time: time::OffsetDateTime::now_utc()
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
            level: meta.level().as_str().to_ascii_lowercase(),
            source: format!(
                "{}:{}",
                meta.file().unwrap_or(meta.target()),
                meta.line().unwrap_or(0)
            ),
            fields,
        }
    }

    fn logfmt(&self) -> String {
        let mut line = format!("time={} level={} source=", self.time, self.level);
        push_value(&mut line, &self.source);
        line.push_str(" msg=");
        push_value(&mut line, &self.fields.message);
        for (key, value) in &self.fields.rest {
            line.push(' ');
            line.push_str(key);
            line.push('=');
            match value {
                serde_json::Value::String(s) => push_value(&mut line, s),
                other => push_value(&mut line, &other.to_string()),
            }
        }
        line
    }

    fn json(&self) -> String {
        let mut line = String::from("{");
        let mut first = true;
        let head = [
            ("time", serde_json::Value::from(self.time.as_str())),
            ("level", self.level.as_str().into()),
            ("source", self.source.as_str().into()),
            ("msg", self.fields.message.as_str().into()),
        ];
        for (key, value) in head.iter().chain(self.fields.rest.iter()) {
            if !first {
                line.push(',');
            }
            first = false;
            line.push_str(&serde_json::Value::from(*key).to_string());
            line.push(':');
            line.push_str(&value.to_string());
        }
        line.push('}');
        line
    }
}

/// logfmt (Go's slog text handler) or JSON (its JSON handler), with the
/// same keys.
#[derive(Clone, Copy)]
enum Format {
    Logfmt,
    Json,
}

impl<S, N> FormatEvent<S, N> for Format
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut writer: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        let line = Line::of(event);
        match self {
            Format::Logfmt => writeln!(writer, "{}", line.logfmt()),
            Format::Json => writeln!(writer, "{}", line.json()),
        }
    }
}

/// Installs the global subscriber. Later calls (tests) are no-ops.
///
/// `--log.level`, or `FERROSCOPE_LOG` (`target=level,...`) to debug one
/// module. A `Targets` filter, not an `EnvFilter`: an EnvFilter compiles
/// regexes to parse its directives at every start-up, code and heap that
/// count in the peak RSS of a process that then never uses them.
pub fn init(level: &str, format: &str) {
    use tracing_subscriber::Layer as _;
    use tracing_subscriber::filter::{LevelFilter, Targets};
    use tracing_subscriber::layer::SubscriberExt as _;
    use tracing_subscriber::util::SubscriberInitExt as _;

    let env = std::env::var("FERROSCOPE_LOG").ok();
    let from_env = env.as_deref().map(str::parse::<Targets>);
    let filter = match &from_env {
        Some(Ok(targets)) => targets.clone(),
        _ => level
            .parse::<Targets>()
            .unwrap_or_else(|_| Targets::new().with_default(LevelFilter::INFO)),
    };
    let format = if format == "json" {
        Format::Json
    } else {
        Format::Logfmt
    };
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(std::io::stderr)
                .event_format(format)
                .with_filter(filter),
        )
        .try_init();
    if let (Some(env), Some(Err(err))) = (env, from_env) {
        tracing::warn!(value = %env, error = %err, "FERROSCOPE_LOG is not target=level,...; using --log.level");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_formats_have_the_same_keys_in_the_same_order() {
        let line = Line {
            time: "2026-01-01T00:00:00Z".into(),
            level: "info".into(),
            source: "src/x.rs:1".into(),
            fields: Fields {
                message: "hello \"you\"".into(),
                rest: vec![("address", "[::]:9100".into()), ("tls", false.into())],
            },
        };
        let json: serde_json::Value = serde_json::from_str(&line.json()).unwrap();
        assert_eq!(json["msg"], "hello \"you\"");
        assert_eq!(json["tls"], false);
        assert_eq!(
            line.logfmt(),
            "time=2026-01-01T00:00:00Z level=info source=src/x.rs:1 msg=\"hello \\\"you\\\"\" address=[::]:9100 tls=false"
        );
    }

    #[test]
    fn quoting() {
        let mut s = String::new();
        push_value(&mut s, "plain");
        s.push(' ');
        push_value(&mut s, "has space \"q\"");
        s.push(' ');
        push_value(&mut s, "");
        assert_eq!(s, "plain \"has space \\\"q\\\"\" \"\"");
    }
}
