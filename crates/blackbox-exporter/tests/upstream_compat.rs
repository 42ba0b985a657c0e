//! Side by side with Debian's prometheus-blackbox-exporter (0.23) on the
//! same blackbox.yml: the same probe_success verdict for every case, and
//! family coverage of at least 98% per prober (as `cargo xtask compat`
//! reports it). What we exposed is catalog/blackbox-exporter.tsv.

mod common;

use std::collections::BTreeMap;

use common::*;

#[test]
fn same_verdicts_and_families_as_upstream() {
    let good = cert(2020, 2100);
    let expired = cert(2019, 2021);
    let web = HttpServer::start();
    let tls_web = HttpServer::start_tls(&good);
    let old_web = HttpServer::start_tls(&expired);
    let banner = banner_server();
    let refused = closed_port();
    let dns = dns_server().to_string();
    let grpc = grpc_health_server().to_string();

    let dir = tempfile::tempdir().expect("tempdir");
    let ca = dir.path().join("ca.pem");
    std::fs::write(&ca, &good.cert_pem).expect("ca");
    let cfg = write_config(
        dir.path(),
        &format!(
            r#"
modules:
  http_2xx:
    prober: http
    timeout: 2s
  http_ip4:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
      ip_protocol_fallback: false
  http_404:
    prober: http
    http:
      valid_status_codes: [404]
  no_follow:
    prober: http
    http:
      follow_redirects: false
  short:
    prober: http
    timeout: 1s
  limited:
    prober: http
    http:
      body_size_limit: 1MB
  body_regex:
    prober: http
    http:
      fail_if_body_matches_regexp: ["nominal"]
  header_must:
    prober: http
    http:
      fail_if_header_not_matches:
        - header: X-Version
          regexp: "^build-[0-9]+$"
  https_ca:
    prober: http
    http:
      tls_config:
        ca_file: {ca}
  https_insecure:
    prober: http
    http:
      tls_config:
        insecure_skip_verify: true
  tcp_connect:
    prober: tcp
    timeout: 2s
  ssh_banner:
    prober: tcp
    timeout: 2s
    tcp:
      query_response:
        - expect: "^SSH-2.0-([^ ]+)"
        - send: "PING"
        - expect: "^PONG$"
  wrong_banner:
    prober: tcp
    timeout: 1s
    tcp:
      query_response:
        - expect: "^220 smtp"
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
  icmp:
    prober: icmp
    timeout: 2s
  icmp4_ttl:
    prober: icmp
    timeout: 2s
    icmp:
      preferred_ip_protocol: ip4
      ttl: 32
      payload_size: 100
  grpc:
    prober: grpc
    timeout: 2s
    grpc:
      preferred_ip_protocol: ip4
  grpc_down:
    prober: grpc
    timeout: 2s
    grpc:
      preferred_ip_protocol: ip4
      service: down
  grpc_unknown:
    prober: grpc
    timeout: 2s
    grpc:
      preferred_ip_protocol: ip4
      service: nope
  tcp_tls:
    prober: tcp
    tcp:
      tls: true
      tls_config:
        ca_file: {ca}
"#,
            ca = ca.display()
        ),
    );
    let ours = start_ours(&cfg, &[]);
    let upstream = start_upstream(&cfg);

    let cases: Vec<(&str, &str, String)> = vec![
        ("http", "http_2xx", web.url("/ok")),
        ("http", "http_ip4", web.url("/ok")),
        ("http", "http_2xx", web.url("/status/500")),
        ("http", "http_404", web.url("/status/404")),
        ("http", "http_2xx", web.url("/redirect/3")),
        ("http", "no_follow", web.url("/redirect/3")),
        ("http", "http_2xx", web.url("/redirect/30")),
        ("http", "short", web.url("/slow")),
        ("http", "limited", web.url("/huge")),
        ("http", "body_regex", web.url("/ok")),
        ("http", "header_must", web.url("/ok")),
        ("http", "https_ca", tls_web.url("/ok")),
        ("http", "https_ca", old_web.url("/ok")),
        ("http", "https_insecure", old_web.url("/ok")),
        ("http", "http_2xx", format!("http://127.0.0.1:{refused}/")),
        (
            "http",
            "http_2xx",
            "http://does-not-exist.invalid/".to_string(),
        ),
        ("tcp", "tcp_connect", banner.to_string()),
        ("tcp", "ssh_banner", banner.to_string()),
        ("tcp", "wrong_banner", banner.to_string()),
        ("tcp", "tcp_connect", format!("127.0.0.1:{refused}")),
        ("tcp", "tcp_tls", tls_web.addr.to_string()),
        ("icmp", "icmp", "127.0.0.1".to_string()),
        ("icmp", "icmp4_ttl", "127.0.0.1".to_string()),
        ("icmp", "icmp", "::1".to_string()),
        ("grpc", "grpc", grpc.clone()),
        ("grpc", "grpc_down", grpc.clone()),
        ("grpc", "grpc_unknown", grpc.clone()),
        ("grpc", "grpc", format!("127.0.0.1:{refused}")),
        ("dns", "dns_a", dns.clone()),
        ("dns", "dns_a_tcp", dns.clone()),
        ("dns", "dns_soa", dns.clone()),
        ("dns", "dns_nx", dns.clone()),
        ("dns", "dns_nx_ok", dns.clone()),
    ];
    let mut worst: BTreeMap<&str, f64> = BTreeMap::new();
    let mut report = String::new();
    let mut exposed = Vec::new();
    for (i, (prober, module, target)) in cases.iter().enumerate() {
        // both at once: the cases that wait for a timeout cost it once
        let (up_url, our_url) = (
            probe_url(&upstream.base(), target, module),
            probe_url(&ours.server.url(""), target, module),
        );
        let (theirs, mine) = std::thread::scope(|s| {
            let t = s.spawn(|| get(&up_url).1);
            let m = get(&our_url).1;
            (t.join().expect("upstream probe"), m)
        });
        let (t, m) = (parse(&theirs), parse(&mine));
        assert_eq!(
            m.get("probe_success"),
            t.get("probe_success"),
            "case {i} {module} {target}: upstream\n{theirs}\nours\n{mine}"
        );
        for key in [
            "probe_http_status_code",
            "probe_http_redirects",
            "probe_http_ssl",
            "probe_http_content_length",
            "probe_http_version",
            "probe_ip_protocol",
            "probe_ip_addr_hash",
            "probe_failed_due_to_regex",
            "probe_ssl_earliest_cert_expiry",
            "probe_http_last_modified_timestamp_seconds",
            "probe_dns_answer_rrs",
            "probe_dns_authority_rrs",
            "probe_dns_additional_rrs",
            "probe_dns_query_succeeded",
            "probe_dns_serial",
            "probe_icmp_reply_hop_limit",
            "probe_grpc_status_code",
            "probe_grpc_ssl",
        ] {
            if let (Some(a), Some(b)) = (t.get(key), m.get(key)) {
                assert_eq!(
                    a, b,
                    "case {i} {module} {target}: {key}\nupstream\n{theirs}\nours\n{mine}"
                );
            }
        }
        // Known, documented gap (README): the hop limit of IPv6 echo replies
        // needs ancillary data (IPV6_RECVHOPLIMIT), which this exporter does
        // not read; IPv4 replies report it.
        let ignores: &[&str] = if *prober == "icmp" && target.contains(':') {
            &["^probe_icmp_reply_hop_limit$"]
        } else {
            &[]
        };
        let coverage = testkit::exposition::coverage(&theirs, &mine, ignores);
        exposed.push(mine);
        report.push_str(&format!(
            "{prober} {module} {target}: {:.1}% {:?}\n",
            coverage.coverage_pct, coverage.missing
        ));
        let w = worst.entry(prober).or_insert(100.0);
        *w = w.min(coverage.coverage_pct);
    }
    eprintln!("{report}");
    exposed.push(get(&ours.server.url("/metrics")).1);
    let exposed: Vec<&str> = exposed.iter().map(String::as_str).collect();
    testkit::catalog::check(
        "blackbox-exporter",
        "blackbox-exporter's /metrics and its probes of every case of \
         crates/blackbox-exporter/tests/upstream_compat.rs",
        &exposed,
    );
    for (prober, pct) in &worst {
        assert!(*pct >= 98.0, "{prober}: coverage {pct}% < 98%\n{report}");
    }
}
