//! The icmp prober against loopback (raw socket as root, else a ping socket).

mod common;

use common::*;

#[test]
fn icmp_echo_to_loopback_single_and_smokeping_style() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        "modules:\n  icmp:\n    prober: icmp\n    timeout: 2s\n  smoke:\n    prober: icmp\n    timeout: 3s\n    icmp:\n      packets: 5\n      interval: 50ms\n  meta:\n    prober: icmp\n    timeout: 1s\n  df:\n    prober: icmp\n    timeout: 2s\n    icmp:\n      dont_fragment: true\n      payload_size: 1400\n",
    );
    let ours = start_ours(&cfg, &[]);
    let m = ours.probe("127.0.0.1", "icmp");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_ip_protocol"], 4.0);
    assert!(m["probe_icmp_duration_seconds{phase=\"rtt\"}"] > 0.0);
    assert!(
        !m.contains_key("probe_icmp_packets_sent"),
        "upstream's shape for packets: 1"
    );
    let m = ours.probe("::1", "icmp");
    assert_eq!((m["probe_success"], m["probe_ip_protocol"]), (1.0, 6.0));

    let m = ours.probe("127.0.0.1", "smoke");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(
        (
            m["probe_icmp_packets_sent"],
            m["probe_icmp_packets_received"]
        ),
        (5.0, 5.0)
    );
    assert_eq!(m["probe_icmp_packet_loss_ratio"], 0.0);
    let (min, avg, max) = (
        m["probe_icmp_rtt_seconds{stat=\"min\"}"],
        m["probe_icmp_rtt_seconds{stat=\"avg\"}"],
        m["probe_icmp_rtt_seconds{stat=\"max\"}"],
    );
    assert!(min > 0.0 && min <= avg && avg <= max, "{min} {avg} {max}");
    assert!(m.contains_key("probe_icmp_rtt_seconds{stat=\"stddev\"}"));

    let m = ours.probe("127.0.0.1", "df");
    assert_eq!(
        m["probe_success"], 1.0,
        "DF echo fits loopback's MTU: {m:?}"
    );

    // the metadata block applies to every prober
    assert_eq!(ours.probe("169.254.169.254", "meta")["probe_success"], 0.0);
}
