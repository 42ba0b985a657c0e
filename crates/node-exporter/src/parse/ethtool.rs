//! Names node_exporter gives ethtool statistics.

/// `rx_queue_0_packets` -> `received_queue_0_packets`; `tx0_tx_timeouts`
/// -> `tx0_transmitted_timeouts`. Lower case, invalid characters as `_`,
/// leading `_` trimmed, then `rx`/`tx` words spelled out the way a
/// left-to-right, non-overlapping `(^|_)rx(_|$)` replacement does (so
/// `tx_tx_timeouts` becomes `transmitted_tx_timeouts`, as upstream).
pub fn stat_name(raw: &str) -> String {
    let mut clean = exporter_kit::desc::sanitize_metric_name(raw);
    clean.make_ascii_lowercase();
    let clean = clean.trim_start_matches('_');
    let once = replace_word(clean, "rx", "received");
    replace_word(&once, "tx", "transmitted")
}

fn replace_word(s: &str, from: &str, to: &str) -> String {
    let b = s.as_bytes();
    let mut out = String::with_capacity(s.len() + 16);
    let mut i = 0;
    while i < b.len() {
        let prefix = if i == 0 && s[i..].starts_with(from) {
            Some(0)
        } else if b[i] == b'_' && s[i + 1..].starts_with(from) {
            Some(1)
        } else {
            None
        };
        if let Some(p) = prefix {
            let after = i + p + from.len();
            if after == b.len() || b[after] == b'_' {
                if p == 1 {
                    out.push('_');
                }
                out.push_str(to);
                if after < b.len() {
                    out.push('_');
                    i = after + 1;
                } else {
                    i = after;
                }
                continue;
            }
        }
        out.push(b[i] as char);
        i += 1;
    }
    out
}

/// Legacy SUPPORTED_/ADVERTISED_ link-mode bits: (bit, speed in Mb/s,
/// duplex, mode) for the speeds upstream reports.
pub const LINK_MODES: &[(u32, u64, &str, &str)] = &[
    (0, 10, "half", "10baseT"),
    (1, 10, "full", "10baseT"),
    (2, 100, "half", "100baseT"),
    (3, 100, "full", "100baseT"),
    (4, 1000, "half", "1000baseT"),
    (5, 1000, "full", "1000baseT"),
    (12, 10000, "full", "10000baseT"),
    (15, 2500, "full", "2500baseX"),
    (17, 1000, "full", "1000baseKX"),
    (18, 10000, "full", "10000baseKX4"),
    (19, 10000, "full", "10000baseKR"),
    (20, 10000, "full", "10000baseR_FEC"),
];

/// Port types of the supported mask: (bit, label).
pub const PORTS: &[(u32, &str)] = &[
    (7, "TP"),
    (8, "AUI"),
    (9, "MII"),
    (10, "FIBRE"),
    (11, "BNC"),
    (16, "Backplane"),
];

pub const AUTONEG_BIT: u32 = 6;
pub const PAUSE_BIT: u32 = 13;
pub const ASYM_PAUSE_BIT: u32 = 14;

#[cfg(test)]
mod tests {
    use super::stat_name;

    #[test]
    fn names() {
        assert_eq!(stat_name("rx_queue_0_packets"), "received_queue_0_packets");
        assert_eq!(stat_name("tx0_tx_timeouts"), "tx0_transmitted_timeouts");
        assert_eq!(
            stat_name("tx_xdp_tx_drops"),
            "transmitted_xdp_transmitted_drops"
        );
        assert_eq!(stat_name("rx0_kicks"), "rx0_kicks");
        assert_eq!(stat_name("Port.RX-Bytes"), "port_received_bytes");
        assert_eq!(stat_name("__tx"), "transmitted");
        assert_eq!(stat_name("tx_tx_timeouts"), "transmitted_tx_timeouts");
        assert_eq!(stat_name("rx_xdp_tx"), "received_xdp_transmitted");
    }
}
