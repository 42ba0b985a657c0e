//! Values of single sysfs attributes.

/// An integer as the kernel writes it: decimal, negative, or hex with a
/// `0x` prefix (`flags`, `dev_id`).
pub fn parse_int(text: &str) -> Option<i64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return i64::from_str_radix(hex, 16).ok();
    }
    t.parse::<i64>().ok()
}

/// An unsigned 64-bit counter, decimal or hex with `0x` (the kernel writes
/// FC statistics as hex, `0xffffffffffffffff` when the driver lacks one).
pub fn parse_u64(text: &str) -> Option<u64> {
    let t = text.trim();
    if let Some(hex) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        return u64::from_str_radix(hex, 16).ok();
    }
    t.parse::<u64>().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ints() {
        assert_eq!(parse_int("0x1003"), Some(4099));
        assert_eq!(parse_int(" -1\n"), Some(-1));
        assert_eq!(parse_int("42"), Some(42));
        assert_eq!(parse_int("fast"), None);
        assert_eq!(parse_int(""), None);
        assert_eq!(parse_u64("0xffffffffffffffff"), Some(u64::MAX));
        assert_eq!(parse_u64("0x1f\n"), Some(31));
        assert_eq!(parse_u64("-1"), None);
    }
}
