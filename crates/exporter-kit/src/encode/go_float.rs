//! Sample values spelled as client_golang spells them, so that a page is
//! byte for byte the upstream exporter's: Go's `strconv.FormatFloat(v, 'g',
//! -1, 64)`, the shortest digits that read back to `v`, in exponent form
//! (`1.5e+06`, `1e-05`) when the decimal exponent is below -4 or at least
//! 6 (Go's `%g` uses precision 6 for that choice when printing shortest).

use std::fmt::Write as _;

/// Text 0.0.4's value writer (prometheus/common `expfmt.writeFloat`).
pub(crate) fn write_text(buf: &mut Vec<u8>, value: f64) {
    if !special(buf, value) {
        write_g(buf, value);
    }
}

/// OpenMetrics' value writer (`expfmt.writeOpenMetricsFloat`): the same
/// digits, with `.0` added when they would read as an integer.
pub(crate) fn write_openmetrics(buf: &mut Vec<u8>, value: f64) {
    if special(buf, value) {
        if value == 0.0 {
            buf.extend_from_slice(b".0");
        }
        return;
    }
    let start = buf.len();
    write_g(buf, value);
    if !buf[start..].iter().any(|&b| b == b'.' || b == b'e') {
        buf.extend_from_slice(b".0");
    }
}

/// NaN, the infinities and zero (of either sign: Go compares `f == 0`).
fn special(buf: &mut Vec<u8>, value: f64) -> bool {
    let text: &[u8] = if value.is_nan() {
        b"NaN"
    } else if value == f64::INFINITY {
        b"+Inf"
    } else if value == f64::NEG_INFINITY {
        b"-Inf"
    } else if value == 0.0 {
        b"0"
    } else {
        return false;
    };
    buf.extend_from_slice(text);
    true
}

/// Longest `{:e}` of an f64: `-2.2250738585072014e-308`.
const SCRATCH: usize = 32;

/// A stack buffer for std's shortest `{:e}` digits: no allocation per value.
struct Scratch {
    bytes: [u8; SCRATCH],
    len: usize,
}

impl std::fmt::Write for Scratch {
    fn write_str(&mut self, s: &str) -> std::fmt::Result {
        let end = self.len + s.len();
        self.bytes
            .get_mut(self.len..end)
            .ok_or(std::fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Finite, non-zero `value` in Go's `%g` shortest form.
fn write_g(buf: &mut Vec<u8>, value: f64) {
    // Integers below 1e6 print as themselves in either notation; they are
    // most samples (counters, sizes), so skip the digit generation.
    if value.fract() == 0.0 && value.abs() < 1e6 {
        let mut itoa = itoa::Buffer::new();
        buf.extend_from_slice(itoa.format(value as i64).as_bytes());
        return;
    }
    let mut scratch = Scratch {
        bytes: [0; SCRATCH],
        len: 0,
    };
    // std's `{:e}` without precision is the shortest round-trip digit
    // string, as Go's precision -1: `d[.ddd]e[-]x`.
    if write!(scratch, "{:e}", value.abs()).is_err() {
        return;
    }
    let text = &scratch.bytes[..scratch.len];
    let Some(e) = text.iter().position(|&b| b == b'e') else {
        return;
    };
    let exp: i32 = std::str::from_utf8(&text[e + 1..])
        .ok()
        .and_then(|x| x.parse().ok())
        .unwrap_or(0);
    let mut digits = [0u8; SCRATCH];
    let mut nd = 0;
    for &b in text[..e].iter().filter(|b| b.is_ascii_digit()) {
        digits[nd] = b;
        nd += 1;
    }
    let digits = &digits[..nd];
    if value < 0.0 {
        buf.push(b'-');
    }
    if !(-4..6).contains(&exp) {
        buf.push(digits[0]);
        if nd > 1 {
            buf.push(b'.');
            buf.extend_from_slice(&digits[1..]);
        }
        buf.push(b'e');
        buf.push(if exp < 0 { b'-' } else { b'+' });
        let magnitude = exp.unsigned_abs();
        if magnitude < 10 {
            buf.push(b'0');
        }
        let mut itoa = itoa::Buffer::new();
        buf.extend_from_slice(itoa.format(magnitude).as_bytes());
        return;
    }
    // Decimal point position: digits[..point] are the integer part.
    let point = exp + 1;
    if point <= 0 {
        buf.extend_from_slice(b"0.");
        buf.extend(std::iter::repeat_n(b'0', point.unsigned_abs() as usize));
        buf.extend_from_slice(digits);
    } else {
        let point = point as usize;
        if point >= nd {
            buf.extend_from_slice(digits);
            buf.extend(std::iter::repeat_n(b'0', point - nd));
        } else {
            buf.extend_from_slice(&digits[..point]);
            buf.push(b'.');
            buf.extend_from_slice(&digits[point..]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(v: f64) -> String {
        let mut b = Vec::new();
        write_text(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    fn om(v: f64) -> String {
        let mut b = Vec::new();
        write_openmetrics(&mut b, v);
        String::from_utf8(b).unwrap()
    }

    /// Expected strings written by hand from Go's strconv rules (and
    /// checked against Debian's prometheus-node-exporter pages, e.g.
    /// `node_memory_MemTotal_bytes 5.13708655616e+11`).
    #[test]
    fn text_matches_go() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0"),
            (-0.0, "0"),
            (1.0, "1"),
            (-1.0, "-1"),
            (3.0, "3"),
            (0.5, "0.5"),
            (0.25, "0.25"),
            (0.1, "0.1"),
            (123456.0, "123456"),
            (999999.0, "999999"),
            (-999999.0, "-999999"),
            (1e6, "1e+06"),
            (-1e6, "-1e+06"),
            (1234567.0, "1.234567e+06"),
            (1500000.0, "1.5e+06"),
            (123456.789, "123456.789"),
            (999999.5, "999999.5"),
            (513708655616.0, "5.13708655616e+11"),
            (0.0001, "0.0001"),
            (0.00012, "0.00012"),
            (0.00001, "1e-05"),
            (1.5e-7, "1.5e-07"),
            (-2.5e-5, "-2.5e-05"),
            (1e20, "1e+20"),
            (1e21, "1e+21"),
            (1e100, "1e+100"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (f64::MIN, "-1.7976931348623157e+308"),
            (f64::MIN_POSITIVE, "2.2250738585072014e-308"),
            (9007199254740992.0, "9.007199254740992e+15"),
            (9007199254740994.0, "9.007199254740994e+15"),
            (18446744073709551615.0, "1.8446744073709552e+19"),
            (1.8446744073709552e19, "1.8446744073709552e+19"),
            (4294967296.0, "4.294967296e+09"),
            (0.3, "0.3"),
            (0.1 + 0.2, "0.30000000000000004"),
            (1.0 / 3.0, "0.3333333333333333"),
            (12.5, "12.5"),
            (100000.5, "100000.5"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(text(v), want, "value {v:e}");
        }
    }

    #[test]
    fn openmetrics_matches_go() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "0.0"),
            (1.0, "1.0"),
            (-1.0, "-1.0"),
            (42.0, "42.0"),
            (0.5, "0.5"),
            (1e6, "1e+06"),
            (1234567.0, "1.234567e+06"),
            (0.00001, "1e-05"),
            (f64::NAN, "NaN"),
            (f64::INFINITY, "+Inf"),
            (f64::NEG_INFINITY, "-Inf"),
        ];
        for &(v, want) in cases {
            assert_eq!(om(v), want, "value {v:e}");
        }
    }

    /// Every finite value reads back exactly, and the spelling follows
    /// Go's notation rule, over a spread of magnitudes and bit patterns.
    #[test]
    fn round_trips_and_picks_notation_by_exponent() {
        let mut bits: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..200_000 {
            // xorshift: cheap deterministic coverage of the bit space.
            bits ^= bits << 13;
            bits ^= bits >> 7;
            bits ^= bits << 17;
            let v = f64::from_bits(bits);
            if !v.is_finite() || v == 0.0 {
                continue;
            }
            let s = text(v);
            assert_eq!(s.parse::<f64>().unwrap(), v, "{s}");
            let log = v.abs().log10();
            // log10 can be off by one right at powers of ten; skip those.
            if (log - log.round()).abs() > 1e-9 {
                let exp = log.floor();
                assert_eq!(
                    s.contains('e'),
                    !(-4.0..6.0).contains(&exp),
                    "{s} (exponent {exp})"
                );
            }
            let om = om(v);
            assert!(om.starts_with(&s), "{om} vs {s}");
        }
    }
}
