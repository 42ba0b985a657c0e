//! The security guarantees beyond a plain probe: the deny list cannot be
//! bypassed through other spellings of the local host, secrets are never
//! shown, and credentials do not follow a redirect to another host.

mod common;

use common::*;

const DENY_LOOPBACK: &[&str] = &[
    "--probe.deny-target",
    "127.0.0.0/8",
    "--probe.deny-target",
    "::1",
];

const PROBERS: &str = r#"
modules:
  http_2xx:
    prober: http
    timeout: 2s
  http_ip6:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip6
  tcp_connect:
    prober: tcp
    timeout: 2s
  icmp:
    prober: icmp
    timeout: 2s
  dns:
    prober: dns
    timeout: 2s
    dns:
      query_name: example.test
  grpc:
    prober: grpc
    timeout: 2s
"#;

/// Every spelling of the unspecified address and of loopback that a
/// resolver or URL parser accepts, as `host` and as `host:port`.
fn local_host_spellings(port: u16) -> Vec<(String, String)> {
    [
        "0.0.0.0",
        "0",
        "0x0",
        "0.0",
        "[::]",
        "[0:0:0:0:0:0:0:0]",
        "[::ffff:0.0.0.0]",
        "[::ffff:127.0.0.1]",
        "127.0.0.1",
        "127.1",
        "0x7f000001",
        "[::1]",
    ]
    .iter()
    .map(|h| (h.to_string(), format!("{h}:{port}")))
    .collect()
}

/// Probes with `debug=true` and asserts the deny list refused the target.
fn assert_denied(ours: &Ours, target: &str, module: &str) {
    let (status, body) = get(&format!(
        "{}&debug=true",
        probe_url(&ours.server.url(""), target, module)
    ));
    assert_eq!(status, 200, "{module} {target}: {body}");
    assert!(
        body.contains("probe_success 0"),
        "{module} {target} was not refused: {body}"
    );
    assert!(
        body.contains("denied by --probe.deny-target"),
        "{module} {target} failed for another reason than the deny list: {body}"
    );
}

#[test]
fn unspecified_address_reaches_the_local_host_without_a_deny_list() {
    // The premise of the deny-list tests: 0.0.0.0 really reaches a server
    // that listens only on 127.0.0.1.
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), PROBERS), &[]);
    let target = format!("http://0.0.0.0:{}/ok", web.addr.port());
    assert_eq!(ours.probe(&target, "http_2xx")["probe_success"], 1.0);
}

#[test]
fn deny_list_covers_every_spelling_of_the_local_host_for_every_prober() {
    let web = HttpServer::start();
    let banner = banner_server();
    let dns = dns_server();
    let grpc = grpc_health_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), PROBERS), DENY_LOOPBACK);

    for (_, hostport) in local_host_spellings(web.addr.port()) {
        for module in ["http_2xx", "http_ip6"] {
            assert_denied(&ours, &format!("http://{hostport}/ok"), module);
        }
    }
    for (_, hostport) in local_host_spellings(banner.port()) {
        assert_denied(&ours, &hostport, "tcp_connect");
    }
    for (_, hostport) in local_host_spellings(dns.port()) {
        assert_denied(&ours, &hostport, "dns");
    }
    for (_, hostport) in local_host_spellings(grpc.port()) {
        assert_denied(&ours, &hostport, "grpc");
    }
    for (host, _) in local_host_spellings(0) {
        assert_denied(
            &ours,
            host.trim_start_matches('[').trim_end_matches(']'),
            "icmp",
        );
    }
}

#[test]
fn deny_list_is_checked_on_every_redirect_hop() {
    // The exporter may reach the redirecting server (127.0.0.2 is allowed),
    // but not the unspecified address it redirects to.
    let web = HttpServer::start_on("127.0.0.2");
    let target_port = HttpServer::start().addr.port();
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(
        &write_config(dir.path(), PROBERS),
        &[
            "--probe.deny-target",
            "127.0.0.1/32",
            "--probe.deny-target",
            "::1",
        ],
    );
    assert_eq!(
        ours.probe(&web.url("/ok"), "http_2xx")["probe_success"],
        1.0,
        "the redirecting server itself is allowed"
    );
    for (_, hostport) in local_host_spellings(target_port) {
        let to = format!("http://{hostport}/ok");
        let q: String = form_urlencoded::Serializer::new(String::new())
            .append_pair("to", &to)
            .finish();
        assert_denied(&ours, &web.url(&format!("/goto?{q}")), "http_2xx");
    }
}

const SECRETS: &str = r#"
modules:
  secrets:
    prober: http
    timeout: 2s
    http:
      basic_auth:
        username: probe
        password: basic-pass-1
      proxy_url: http://proxyuser:proxy-pass-2@127.0.0.1:9/
      proxy_connect_header:
        Proxy-Authorization: [connect-secret-3]
      http_headers:
        X-Api-Key:
          values: [visible-value]
          secrets: [header-secret-4]
      tls_config:
        key: tls-key-5
  oauth:
    prober: http
    timeout: 2s
    http:
      oauth2:
        client_id: probe
        client_secret: oauth-secret-6
        token_url: http://127.0.0.1:9/token
        endpoint_params: {audience: visible}
  bearer:
    prober: http
    timeout: 2s
    http:
      bearer_token: bearer-7
  authz:
    prober: http
    timeout: 2s
    http:
      authorization:
        credentials: authz-8
"#;

const SECRET_VALUES: &[&str] = &[
    "basic-pass-1",
    "proxy-pass-2",
    "connect-secret-3",
    "header-secret-4",
    "tls-key-5",
    "oauth-secret-6",
    "bearer-7",
    "authz-8",
];

#[test]
fn secrets_are_never_shown_by_config_or_debug() {
    let web = HttpServer::start();
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), SECRETS), &[]);
    let (status, config) = get(&ours.server.url("/config"));
    assert_eq!(status, 200);
    let mut shown = vec![config.clone()];
    for module in ["secrets", "oauth", "bearer", "authz"] {
        let (status, body) = get(&format!(
            "{}&debug=true",
            probe_url(&ours.server.url(""), &web.url("/ok"), module)
        ));
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Module configuration:"), "{body}");
        shown.push(body);
    }
    for text in &shown {
        for secret in SECRET_VALUES {
            assert!(!text.contains(secret), "{secret} shown in:\n{text}");
        }
    }
    // As upstream prints them: `<secret>`, URL passwords as `xxxxx`.
    assert!(
        config.contains("proxy_url: http://proxyuser:xxxxx@127.0.0.1:9/"),
        "{config}"
    );
    assert!(config.contains("client_secret: <secret>"), "{config}");
    assert!(config.contains("- <secret>"), "{config}");
    assert!(config.contains("visible-value"), "{config}");
    assert!(config.contains("audience: visible"), "{config}");
}

const CREDENTIALS: &str = r#"
modules:
  headers:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
      headers:
        Authorization: Bearer header-token
        Cookie: session=header-cookie
        Proxy-Authorization: Basic cHJveHk6cHc=
        X-Probe: kept
  basic:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
      basic_auth:
        username: probe
        password: hunter2
  bearer:
    prober: http
    timeout: 2s
    http:
      preferred_ip_protocol: ip4
      bearer_token: s3cr3t-token
"#;

fn goto(server: &HttpServer, to: &str) -> String {
    let q: String = form_urlencoded::Serializer::new(String::new())
        .append_pair("to", to)
        .finish();
    server.url(&format!("/goto?{q}"))
}

const CREDENTIAL_HEADERS: &[&str] = &["authorization", "cookie", "proxy-authorization"];

#[test]
fn credentials_are_dropped_when_a_redirect_changes_host() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), CREDENTIALS), &[]);
    for module in ["headers", "basic", "bearer"] {
        let first = HttpServer::start();
        let other = HttpServer::start_on("127.0.0.2");
        let m = ours.probe(&goto(&first, &other.url("/ok")), module);
        assert_eq!(
            (m["probe_success"], m["probe_http_redirects"]),
            (1.0, 1.0),
            "{module}"
        );
        let at_first = first.received();
        assert!(
            at_first[0].header("authorization").is_some(),
            "{module}: the first host gets the credentials: {at_first:?}"
        );
        let at_other = other.received();
        assert_eq!(at_other.len(), 1, "{module}: {at_other:?}");
        for name in CREDENTIAL_HEADERS {
            assert_eq!(
                at_other[0].header(name),
                None,
                "{module}: {name} followed the redirect to another host"
            );
        }
        if module == "headers" {
            assert_eq!(at_first[0].header("cookie"), Some("session=header-cookie"));
            assert_eq!(at_other[0].header("x-probe"), Some("kept"));
        }
    }
}

#[test]
fn credentials_follow_a_redirect_on_the_same_host_until_it_is_left() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ours = start_ours(&write_config(dir.path(), CREDENTIALS), &[]);
    let first = HttpServer::start();
    // same host, another port: kept, as Go compares host names
    let same_host = HttpServer::start();
    let m = ours.probe(&goto(&first, &same_host.url("/ok")), "headers");
    assert_eq!(m["probe_success"], 1.0);
    let received = same_host.received();
    for name in CREDENTIAL_HEADERS {
        assert!(received[0].header(name).is_some(), "{name}: {received:?}");
    }
    // first -> other host -> back to first: still dropped (sticky, as Go)
    let back = HttpServer::start();
    let other = HttpServer::start_on("127.0.0.2");
    let chain = goto(&other, &back.url("/ok"));
    let m = ours.probe(&goto(&back, &chain), "basic");
    assert_eq!((m["probe_success"], m["probe_http_redirects"]), (1.0, 2.0));
    let at_back = back.received();
    assert_eq!(at_back.len(), 2, "{at_back:?}");
    assert!(at_back[0].header("authorization").is_some());
    assert_eq!(at_back[1].header("authorization"), None, "{at_back:?}");
}
