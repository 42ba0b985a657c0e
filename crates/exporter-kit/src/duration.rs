//! Durations as upstream exporters spell them in flags and config files:
//! Go's `time.ParseDuration` (`500ms`, `1m30s`, `1.5h`) and Prometheus'
//! `model.Duration`, which adds days, weeks and years (`7d`, `1w`).

use std::time::Duration;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{text:?} is not a duration ({reason}); write it like 500ms, 15s, 1m30s")]
pub struct DurationError {
    pub text: String,
    pub reason: &'static str,
}

const GO_UNITS: &[(&str, f64)] = &[
    ("ns", 1e-9),
    ("us", 1e-6),
    ("µs", 1e-6),
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
];

const PROMETHEUS_UNITS: &[(&str, f64)] = &[
    ("ms", 1e-3),
    ("s", 1.0),
    ("m", 60.0),
    ("h", 3600.0),
    ("d", 86400.0),
    ("w", 604800.0),
    ("y", 31536000.0),
];

fn parse(text: &str, units: &[(&str, f64)]) -> Result<Duration, DurationError> {
    let err = |reason| DurationError {
        text: text.to_string(),
        reason,
    };
    let mut rest = text.trim();
    if rest == "0" {
        return Ok(Duration::ZERO);
    }
    if rest.is_empty() {
        return Err(err("empty"));
    }
    let mut seconds = 0.0f64;
    while !rest.is_empty() {
        let number_end = rest
            .find(|c: char| !(c.is_ascii_digit() || c == '.'))
            .unwrap_or(rest.len());
        let value: f64 = rest[..number_end]
            .parse()
            .map_err(|_| err("a number is missing or malformed"))?;
        rest = &rest[number_end..];
        let unit_end = rest
            .find(|c: char| c.is_ascii_digit() || c == '.')
            .unwrap_or(rest.len());
        let Some(&(_, scale)) = units.iter().find(|(unit, _)| *unit == &rest[..unit_end]) else {
            return Err(err(if unit_end == 0 {
                "a unit is missing"
            } else {
                "unknown unit"
            }));
        };
        seconds += value * scale;
        rest = &rest[unit_end..];
    }
    Duration::try_from_secs_f64(seconds).map_err(|_| err("out of range"))
}

/// Go's `time.ParseDuration` units: ns, us (µs), ms, s, m, h.
pub fn parse_go(text: &str) -> Result<Duration, DurationError> {
    parse(text, GO_UNITS)
}

/// Prometheus' durations: ms, s, m, h, d, w, y.
pub fn parse_prometheus(text: &str) -> Result<Duration, DurationError> {
    parse(text, PROMETHEUS_UNITS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_durations() {
        assert_eq!(parse_go("5s"), Ok(Duration::from_secs(5)));
        assert_eq!(parse_go("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_go("1m30s"), Ok(Duration::from_secs(90)));
        assert_eq!(parse_go("1.5h"), Ok(Duration::from_secs(5400)));
        assert_eq!(parse_go("250us"), Ok(Duration::from_micros(250)));
        assert_eq!(parse_go("0"), Ok(Duration::ZERO));
        for bad in ["", "5", "5x", "s", "1d", "-1s", "1e400s"] {
            assert!(parse_go(bad).is_err(), "{bad:?} accepted");
        }
    }

    #[test]
    fn prometheus_durations() {
        assert_eq!(parse_prometheus("7d"), Ok(Duration::from_secs(7 * 86400)));
        assert_eq!(parse_prometheus("1w2d"), Ok(Duration::from_secs(9 * 86400)));
        assert_eq!(parse_prometheus("1m30s"), Ok(Duration::from_secs(90)));
        assert!(parse_prometheus("5ns").is_err());
    }

    #[test]
    fn errors_say_what_is_wrong() {
        let err = parse_go("10 parsecs").unwrap_err().to_string();
        assert!(
            err.contains("10 parsecs") && err.contains("unknown unit"),
            "{err}"
        );
    }
}
