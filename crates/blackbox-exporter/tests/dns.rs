//! The dns prober against a DNS server the test runs in-process.

mod common;

use common::*;

const CONFIG: &str = r#"
modules:
  dns_a:
    prober: dns
    dns:
      query_name: example.test
      query_type: A
      validate_answer_rrs:
        fail_if_not_matches_regexp: ["example\\.test\\.\t.*\tIN\tA\t127\\.0\\.0\\.1"]
  dns_a_tcp:
    prober: dns
    dns:
      transport_protocol: tcp
      query_name: example.test
      query_type: A
  dns_soa:
    prober: dns
    dns:
      query_name: soa.test
      query_type: SOA
  dns_nx:
    prober: dns
    dns:
      query_name: missing.test
      query_type: A
  dns_nx_ok:
    prober: dns
    dns:
      query_name: missing.test
      query_type: A
      valid_rcodes: [NXDOMAIN]
  dns_must_not_be_local:
    prober: dns
    dns:
      query_name: example.test
      query_type: A
      validate_answer_rrs:
        fail_if_matches_regexp: ["127\\.0\\.0\\.1"]
"#;

#[test]
fn dns_queries_rcodes_and_rr_validation() {
    let dns = dns_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), CONFIG), &[]);
    let target = dns.to_string();
    let m = ours.probe(&target, "dns_a");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(
        (
            m["probe_dns_answer_rrs"],
            m["probe_dns_authority_rrs"],
            m["probe_dns_additional_rrs"]
        ),
        (1.0, 1.0, 1.0)
    );
    assert_eq!(m["probe_dns_query_succeeded"], 1.0);
    for phase in ["resolve", "connect", "request"] {
        assert!(m.contains_key(&format!("probe_dns_duration_seconds{{phase=\"{phase}\"}}")));
    }
    assert_eq!(ours.probe(&target, "dns_a_tcp")["probe_success"], 1.0);
    let m = ours.probe(&target, "dns_soa");
    assert_eq!(
        (m["probe_success"], m["probe_dns_serial"]),
        (1.0, 2_026_112_501.0)
    );
    let m = ours.probe(&target, "dns_nx");
    assert_eq!(
        (m["probe_success"], m["probe_dns_query_succeeded"]),
        (0.0, 1.0)
    );
    assert_eq!(ours.probe(&target, "dns_nx_ok")["probe_success"], 1.0);
    assert_eq!(
        ours.probe(&target, "dns_must_not_be_local")["probe_success"],
        0.0
    );
}
