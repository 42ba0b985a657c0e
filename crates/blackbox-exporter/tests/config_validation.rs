//! Config validation as upstream's `config_test.go`: every invalid module is
//! refused at load with upstream's wording after `error parsing config
//! file: `. The configs are ours, modelled on upstream's testdata.

use blackbox_exporter::config::Config;

/// One module named `m` with `body` (indented under the module).
fn module(body: &str) -> String {
    let indented: String = body.lines().map(|l| format!("    {l}\n")).collect();
    format!("modules:\n  m:\n{indented}")
}

fn load_error(yaml: &str) -> String {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("blackbox.yml");
    std::fs::write(&path, yaml).expect("write config");
    match Config::load(&path) {
        Ok(_) => format!("loaded without error:\n{yaml}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn invalid_modules_are_refused_with_upstreams_wording() {
    let cases: &[(&str, &str)] = &[
        (
            "prober: http\nhttp:\n  bearer_token: t\n  bearer_token_file: /f\n  basic_auth: {username: u, password: mysecret}",
            "at most one of bearer_token & bearer_token_file must be configured",
        ),
        (
            "prober: http\nhttp:\n  bearer_token: t\n  basic_auth: {username: u, password: p}",
            "at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured",
        ),
        (
            "prober: http\nhttp:\n  authorization: {credentials: c}\n  basic_auth: {username: u}",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "prober: http\nhttp:\n  authorization: {credentials: c}\n  bearer_token_file: /f",
            "authorization is not compatible with bearer_token & bearer_token_file",
        ),
        (
            "prober: http\nhttp:\n  authorization: {type: Basic, credentials: c}",
            "authorization type cannot be set to \"basic\", use \"basic_auth\" instead",
        ),
        (
            "prober: http\nhttp:\n  authorization: {credentials: c, credentials_file: /f}",
            "at most one of authorization credentials & credentials_file must be configured",
        ),
        (
            "prober: http\nhttp:\n  basic_auth: {username: u, password: p, password_file: /f}",
            "at most one of basic_auth password, password_file & password_ref must be configured",
        ),
        (
            "prober: http\nhttp:\n  basic_auth: {username: u}\n  oauth2: {client_id: i, token_url: http://127.0.0.1/}",
            "at most one of basic_auth, oauth2 & authorization must be configured",
        ),
        (
            "prober: http\nhttp:\n  oauth2: {token_url: http://127.0.0.1/}",
            "oauth2 client_id must be configured",
        ),
        (
            "prober: http\nhttp:\n  oauth2: {client_id: i}",
            "oauth2 token_url must be configured",
        ),
        (
            "prober: http\nhttp:\n  proxy_from_environment: true\n  proxy_url: http://127.0.0.1:3128/",
            "if proxy_from_environment is configured, proxy_url must not be configured",
        ),
        (
            "prober: http\nhttp:\n  no_proxy: 127.0.0.1",
            "if no_proxy is configured, proxy_url must also be configured",
        ),
        (
            "prober: http\nhttp:\n  proxy_connect_header: {X-A: [b]}",
            "if proxy_connect_header is configured, proxy_url or proxy_from_environment must also be configured",
        ),
        ("prober: invalid", "prober 'invalid' is not valid"),
        ("prober: dns", "query name must be set for DNS module"),
        (
            "prober: dns\ndns:\n  query_name: example.test\n  query_class: X",
            "query class 'X' is not valid",
        ),
        (
            "prober: dns\ndns:\n  query_name: example.test\n  query_type: X",
            "query type 'X' is not valid",
        ),
        (
            "prober: http\nhttp:\n  fail_if_header_not_matches:\n    - header: Access-Control-Allow-Origin\n      allow_missing: false",
            "regexp must be set for HTTP header matchers",
        ),
        (
            "prober: http\nhttp:\n  fail_if_header_matches:\n    - regexp: x",
            "header name must be set for HTTP header matchers",
        ),
        (
            "prober: http\nhttp:\n  compression: gzip\n  headers:\n    Accept-Encoding: deflate",
            "invalid configuration \"Accept-Encoding: deflate\", \"compression: gzip\"",
        ),
        (
            "prober: http\nhttp:\n  compression: gzip\n  headers:\n    accEpt-enCoding: deflate",
            "invalid configuration \"accEpt-enCoding: deflate\", \"compression: gzip\"",
        ),
        (
            "prober: http\nhttp:\n  compression: gzip\n  headers:\n    Accept-Encoding: \"*;q=0.0\"",
            "invalid configuration \"Accept-Encoding: *;q=0.0\", \"compression: gzip\"",
        ),
        (
            "prober: http\nhttp:\n  enable_http3: true\n  enable_http2: false\n  valid_http_versions: [HTTP/3.0, HTTP/2.0]",
            "HTTP/3 and HTTP/2.0/1.1 cannot be used together - only HTTP/3.0 is allowed when enable_http3 is true",
        ),
        (
            "prober: http\nhttp:\n  enable_http3: true",
            "when enable_http3 is true, enable_http2 must be set to false",
        ),
        (
            "prober: http\nhttp:\n  valid_http_versions: [HTTP/3.0]",
            "HTTP/3 cannot be used as a valid HTTP version when enable_http3 is false",
        ),
        (
            "prober: icmp\nicmp:\n  ttl: -1",
            "\"ttl\" cannot be negative",
        ),
        (
            "prober: icmp\nicmp:\n  ttl: 256",
            "\"ttl\" cannot exceed 255",
        ),
        (
            "prober: http\nhttp:\n  body: a\n  body_file: /f",
            "setting body and body_file both are not allowed",
        ),
        (
            "prober: tcp\ntcp:\n  query_response:\n    - expect: a\n      expect_bytes: b",
            "expect and expect_bytes are mutually exclusive",
        ),
    ];
    for (body, want) in cases {
        let got = load_error(&module(body));
        assert_eq!(
            got,
            format!("error parsing config file: {want}"),
            "module:\n{body}"
        );
    }
}

/// What upstream would do and this exporter cannot is refused, naming the
/// key, instead of probing differently.
#[test]
fn keys_this_exporter_cannot_honour_are_refused_naming_them() {
    let cases: &[(&str, &str)] = &[
        (
            "prober: http\nhttp:\n  tls_config: {max_version: TLS11}",
            "tls_config max_version TLS11 is not supported by this exporter: it speaks TLS 1.2 and 1.3 only",
        ),
        (
            "prober: tcp\ntcp:\n  tls: true\n  tls_config: {max_version: TLS10}",
            "tls_config max_version TLS10 is not supported by this exporter: it speaks TLS 1.2 and 1.3 only",
        ),
        (
            "prober: http\nhttp:\n  oauth2: {client_id: i, token_url: http://t/, tls_config: {max_version: TLS10}}",
            "tls_config max_version TLS10 is not supported by this exporter: it speaks TLS 1.2 and 1.3 only",
        ),
        (
            "prober: websocket\nwebsocket:\n  http_config: {tls_config: {max_version: TLS11}}",
            "tls_config max_version TLS11 is not supported by this exporter: it speaks TLS 1.2 and 1.3 only",
        ),
        (
            "prober: http\nhttp:\n  tls_config: {ca_ref: vault-ca}",
            "tls_config ca_ref is not supported by this exporter: there is no secret manager",
        ),
        (
            "prober: http\nhttp:\n  proxy_url: socks5://u:pw@127.0.0.1:1080",
            "proxy_url \"socks5://u:xxxxx@127.0.0.1:1080\" is not supported by this exporter: only http:// proxies",
        ),
        (
            "prober: http\nhttp:\n  oauth2: {client_id: i, token_url: http://t/, grant_type: urn:ietf:params:oauth:grant-type:jwt-bearer}",
            "oauth2 grant_type \"urn:ietf:params:oauth:grant-type:jwt-bearer\" is not supported by this exporter: only client_credentials",
        ),
        (
            "prober: http\nhttp:\n  oauth2: {client_id: i, token_url: http://t/, client_secret_ref: s}",
            "oauth2 client_secret_ref is not supported by this exporter: there is no secret manager",
        ),
    ];
    for (body, want) in cases {
        let got = load_error(&module(body));
        assert_eq!(
            got,
            format!("error parsing config file: {want}"),
            "module:\n{body}"
        );
    }
}

/// yaml.v3's KnownFields wording, with the line of the unknown key.
#[test]
fn unknown_keys_are_named_with_their_line_as_upstream() {
    let yaml = "modules:\n  dns_check:\n    prober: dns\n    dns:\n      query_name: example.com\n      extra_key: 1\n";
    assert_eq!(
        load_error(yaml),
        "error parsing config file: yaml: unmarshal errors:\n  line 6: field extra_key not found in type config.plain"
    );
}

#[test]
fn regex_errors_name_the_expression_as_upstream() {
    for body in [
        "prober: http\nhttp:\n  fail_if_body_matches_regexp: [':[']",
        "prober: http\nhttp:\n  fail_if_body_not_matches_regexp: [':[']",
        "prober: http\nhttp:\n  fail_if_header_matches:\n    - {header: X, regexp: ':['}",
        "prober: tcp\ntcp:\n  query_response:\n    - expect: ':['",
        "prober: unix\nunix:\n  query_response:\n    - expect: ':['",
        "prober: websocket\nwebsocket:\n  query_response:\n    - expect: ':['",
    ] {
        assert_eq!(
            load_error(&module(body)),
            "error parsing config file: \"Could not compile regular expression\" regexp=\":[\""
        );
    }
}

/// A CEL expression that does not compile (upstream's cases: an undeclared
/// variable, an empty expression) refuses the config, naming the module.
#[test]
fn cel_compile_errors_are_load_errors_naming_the_module() {
    for expr in ["foo.bar", "", "body.foo =="] {
        let yaml = format!(
            "modules:\n  json_check:\n    prober: http\n    http:\n      fail_if_body_json_matches_cel: \"{expr}\"\n"
        );
        let got = load_error(&yaml);
        assert!(
            got.starts_with("error parsing config file: modules.json_check.http: \"Could not compile CEL program\""),
            "{expr:?}: {got}"
        );
        assert!(got.contains(&format!("expression=\"{expr}\"")), "{got}");
    }
}

#[test]
fn upstream_accepted_modules_load() {
    let yaml = r#"
modules:
  http_versions:
    prober: http
    http:
      valid_http_versions: ["HTTP/1.1", "HTTP/2", "HTTP/2.0"]
      compression: gzip
      headers:
        Accept-Encoding: "br;q=1.0, gzip;q=0.9, *;q=0.1"
      fail_if_header_matches:
        - header: X-A
          regexp: "^b$"
  http3_only:
    prober: http
    http:
      enable_http3: true
      enable_http2: false
      valid_http_versions: ["HTTP/3.0"]
  authz_default_type:
    prober: http
    http:
      authorization:
        credentials: c
  oauth:
    prober: http
    http:
      oauth2:
        client_id: i
        client_secret: s
        token_url: http://127.0.0.1/token
  proxy:
    prober: http
    http:
      proxy_url: http://127.0.0.1:3128/
      no_proxy: example.test
      proxy_connect_header:
        X-A: [b]
  unix_socket:
    prober: unix
  ws:
    prober: websocket
  icmp_ttl_bounds:
    prober: icmp
    icmp:
      ttl: 255
"#;
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("blackbox.yml");
    std::fs::write(&path, yaml).expect("write config");
    let config = Config::load(&path).expect("upstream accepts every module here");
    assert_eq!(config.modules.len(), 8);
}

/// Every kind of module upstream's example.yml shows (our own modules of
/// the same shapes) loads, each on its own as people copy them.
#[test]
fn example_style_modules_load_one_by_one() {
    let modules = [
        "prober: http\nhttp:\n  valid_http_versions: [\"HTTP/1.1\", \"HTTP/2.0\"]\n  valid_status_codes: []\n  method: GET\n  headers: {Host: vhost.example, Accept-Language: en-US}\n  fail_if_body_matches_regexp: [\"maintenance\"]\n  fail_if_header_not_matches:\n    - {header: Access-Control-Allow-Origin, regexp: '(\\*|example\\.com)'}\n  tls_config: {insecure_skip_verify: false}\n  preferred_ip_protocol: ip4\n  ip_protocol_fallback: false",
        "prober: http\nhttp:\n  proxy_url: http://127.0.0.1:3128\n  skip_resolve_phase_with_proxy: true",
        "prober: http\nhttp:\n  proxy_url: http://127.0.0.1:3128\n  proxy_connect_header:\n    Proxy-Authorization: [Bearer token]",
        "prober: http\ntimeout: 5s\nhttp:\n  method: POST\n  headers: {Content-Type: application/json}\n  body: '{}'",
        "prober: http\nhttp:\n  method: POST\n  body_file: /etc/blackbox/body.json",
        "prober: http\nhttp:\n  basic_auth: {username: user, password: pass}",
        "prober: http\nhttp:\n  fail_if_body_json_not_matches_cel: \"body.status == 'up' && body.checks.all(c, c.ok)\"",
        "prober: http\nhttp:\n  valid_http_versions: [\"HTTP/1.1\", \"HTTP/2\"]\n  follow_redirects: true\n  preferred_ip_protocol: ip4\n  valid_status_codes: [200, 201]\n  oauth2:\n    client_id: probe\n    client_secret: s3cret\n    token_url: https://auth.example/token\n    scopes: [probe]\n    endpoint_params: {audience: api}\n    tls_config:\n      ca_file: /certs/ca.crt",
        "prober: http\nhttp:\n  fail_if_ssl: true\n  fail_if_not_ssl: false",
        "prober: http\nhttp:\n  http_headers:\n    X-Api-Key:\n      files: [/etc/blackbox/api-key]",
        "prober: http\nhttp:\n  compression: gzip\n  headers: {Accept-Encoding: gzip}",
        "prober: tcp\ntcp:\n  query_response:\n    - expect: \"^SSH-2.0-\"\n    - send: \"SSH-2.0-blackbox-ssh-check\"",
        "prober: tcp\ntcp:\n  query_response:\n    - send: \"NICK prober\"\n    - send: \"USER prober prober localhost :prober\"\n    - expect: \"PING :([^ ]+)\"\n      send: \"PONG ${1}\"\n    - expect: \"^:[^ ]+ 001\"",
        "prober: tcp\ntcp:\n  tls: true\n  tls_config: {ca_file: /etc/blackbox/ca.crt, cert_file: /etc/blackbox/c.crt, key_file: /etc/blackbox/c.key, server_name: db.example}",
        "prober: tcp\ntcp:\n  query_response:\n    - expect: \"^220 \"\n    - send: \"EHLO prober\\r\"\n    - expect: \"^250-STARTTLS\"\n    - send: \"STARTTLS\\r\"\n    - expect: \"^220\"\n    - starttls: true\n    - send: \"EHLO prober\\r\"\n    - expect: \"^250-AUTH\"\n    - send: \"QUIT\\r\"",
        "prober: tcp\ntcp:\n  query_response:\n    - expect: \"^SSH-2.0-([^ -]+)(?: (.*))?$\"\n      labels:\n        - {name: ssh_version, value: \"${1}\"}\n        - {name: ssh_comments, value: \"${2}\"}",
        "prober: tcp\ntcp:\n  query_response:\n    - expect_bytes: \"RFB\"",
        "prober: icmp\nicmp:\n  ttl: 5\n  dont_fragment: true\n  payload_size: 1200",
        "prober: dns\ndns:\n  transport_protocol: tcp\n  preferred_ip_protocol: ip4\n  query_name: example.com\n  query_type: MX\n  validate_answer_rrs:\n    fail_if_not_matches_regexp: [\".+\\tIN\\tMX\\t.+\"]",
        "prober: dns\ndns:\n  query_name: example.com\n  query_type: SOA\n  valid_rcodes: [NOERROR]\n  validate_authority_rrs:\n    fail_if_matches_regexp: [\".*\\tIN\\tNS\\t.*\"]",
        "prober: dns\ndns:\n  query_name: example.com\n  query_type: A\n  dns_over_tls: true\n  tls_config: {server_name: dns.example}",
        "prober: grpc\ngrpc:\n  tls: true\n  preferred_ip_protocol: ip4\n  service: health\n  metadata: {authorization: [Bearer x]}",
        "prober: unix\nunix:\n  query_response:\n    - send: PING\n    - expect: \"^PONG\"",
        "prober: websocket\nwebsocket:\n  http_config:\n    basic_auth: {username: u, password: p}\n    tls_config: {insecure_skip_verify: true}\n  headers:\n    X-Some-Header: plain_string_value\n  query_response:\n    - expect: \"^Hello, (.+)\"\n      send: \"Hi ${1}\"",
        "prober: http\nhttp:\n  enable_http3: true\n  enable_http2: false\n  valid_http_versions: [\"HTTP/3.0\"]",
    ];
    for body in modules {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("blackbox.yml");
        std::fs::write(&path, module(body)).expect("write config");
        if let Err(e) = Config::load(&path) {
            panic!("refused: {e}\n{body}");
        }
    }
}
