//! The scrape deadline from `X-Prometheus-Scrape-Timeout-Seconds`.
//!
//! The header is request input: any value (negative, zero, NaN, infinite,
//! `1e308`, garbage) must give a sane deadline, and no arithmetic on it
//! may panic (`Duration::from_secs_f64(1e308)` and `Instant + huge` both
//! do). Values out of range fall back to the default or are clamped.

use std::time::{Duration, Instant};

/// The longest budget a scraper can ask for. Prometheus' scrape timeout
/// is at most its scrape interval; a day covers any real one and keeps
/// `Instant::now() + budget` (and later additions of slack) far from
/// overflow.
pub const MAX_SCRAPE_TIMEOUT: Duration = Duration::from_secs(24 * 3600);

/// Seconds from a flag or header as a duration, `None` when the value is
/// not a positive finite number (or rounds to zero). Values above [`MAX_SCRAPE_TIMEOUT`] are
/// clamped to it.
pub fn seconds(value: f64) -> Option<Duration> {
    if !(value.is_finite() && value > 0.0) {
        return None;
    }
    match Duration::try_from_secs_f64(value) {
        Ok(d) if d.is_zero() => None,
        Ok(d) => Some(d.min(MAX_SCRAPE_TIMEOUT)),
        Err(_) => Some(MAX_SCRAPE_TIMEOUT),
    }
}

/// The scraper's timeout in the header value, as Prometheus writes it
/// (`"10"`, `"9.5"`); `None` for anything else.
pub fn parse_header(value: &str) -> Option<Duration> {
    value.trim().parse::<f64>().ok().and_then(seconds)
}

/// How long a scrape may take: the scraper's timeout less `offset`, or
/// `default` when the header is absent or unreadable. An offset as large
/// as the timeout is ignored rather than leaving no time at all, as
/// before.
pub fn budget(header: Option<&str>, default: Duration, offset: Duration) -> Duration {
    let timeout = header
        .and_then(parse_header)
        .unwrap_or(default)
        .min(MAX_SCRAPE_TIMEOUT);
    match timeout.checked_sub(offset) {
        Some(left) if !left.is_zero() => left,
        _ => timeout,
    }
}

/// `now + budget`, never panicking: an instant the platform cannot
/// represent falls back to the longest budget that it can.
pub fn deadline(now: Instant, budget: Duration) -> Instant {
    now.checked_add(budget)
        .or_else(|| now.checked_add(MAX_SCRAPE_TIMEOUT))
        .unwrap_or(now)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const DEFAULT: Duration = Duration::from_secs(10);
    const OFFSET: Duration = Duration::from_millis(500);

    #[test]
    fn what_prometheus_sends() {
        assert_eq!(
            budget(Some("10"), DEFAULT, OFFSET),
            Duration::from_millis(9500)
        );
        assert_eq!(
            budget(Some(" 2.5 "), DEFAULT, OFFSET),
            Duration::from_secs(2)
        );
        assert_eq!(budget(None, DEFAULT, OFFSET), Duration::from_millis(9500));
        // An offset that would leave nothing keeps the whole timeout.
        assert_eq!(
            budget(Some("0.2"), DEFAULT, OFFSET),
            Duration::from_millis(200)
        );
    }

    #[test]
    fn values_found_to_panic_before() {
        for huge in ["1e308", "1e19", "18446744073709551616", "inf", "+Infinity"] {
            let b = budget(Some(huge), DEFAULT, OFFSET);
            assert!(b <= MAX_SCRAPE_TIMEOUT, "{huge}: {b:?}");
            let _ = deadline(Instant::now(), b);
        }
        for fallback in ["-1", "0", "NaN", "-inf", "", "ten", "1e-400", "0x10"] {
            assert_eq!(
                budget(Some(fallback), DEFAULT, OFFSET),
                Duration::from_millis(9500),
                "{fallback:?}"
            );
        }
    }

    proptest! {
        #[test]
        fn any_header_gives_a_sane_budget(header in any::<String>()) {
            let b = budget(Some(&header), DEFAULT, OFFSET);
            prop_assert!(!b.is_zero() && b <= MAX_SCRAPE_TIMEOUT);
            let now = Instant::now();
            prop_assert!(deadline(now, b) >= now);
        }

        #[test]
        fn any_number_gives_a_sane_budget(value in any::<f64>(), default_s in any::<f64>(), offset_s in any::<f64>()) {
            let default = seconds(default_s).unwrap_or(DEFAULT);
            let offset = seconds(offset_s).unwrap_or_default();
            let b = budget(Some(&value.to_string()), default, offset);
            prop_assert!(!b.is_zero() && b <= MAX_SCRAPE_TIMEOUT);
            let _ = deadline(Instant::now(), b);
        }

        #[test]
        fn numeric_looking_text_never_panics(text in "[-+]?[0-9]{0,40}(\\.[0-9]{0,40})?([eE][-+]?[0-9]{0,5})?") {
            let b = budget(Some(&text), DEFAULT, OFFSET);
            prop_assert!(!b.is_zero() && b <= MAX_SCRAPE_TIMEOUT);
        }
    }
}
