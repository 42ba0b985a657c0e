//! The http prober: upstream's `probe_http_*` families from our own client
//! over hyper 1 and tokio-rustls, so that each phase (resolve, connect,
//! tls, processing, transfer) is timed, summed over redirects as upstream.
//! Every hop is checked against the target policy; bodies are streamed and
//! `body_size_limit` ends the read as soon as it is passed.

use std::io::Write as _;
use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::time::Instant;

use bytes::Bytes;
use exporter_kit::{Desc, Emitter};
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderMap, HeaderName, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri, Version};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::client::{self, Io, ProxySettings};
use super::tls::{TlsFacts, client_config, server_name};
use super::{DESCS, ProbeCtx, ProbeLog, Resolution, resolve, secs};
use crate::config::{HeaderMatch, HttpProbe};

/// Bodies are kept for the regular expressions up to this much.
const MAX_BODY_KEPT: usize = 64 * 1024 * 1024;

struct Descs {
    duration: Desc,
    content_length: Desc,
    uncompressed: Desc,
    redirects: Desc,
    ssl: Desc,
    status: Desc,
    version: Desc,
    last_modified: Desc,
    failed_cel: Desc,
}

static D: LazyLock<Descs> = LazyLock::new(|| Descs {
    duration: Desc::gauge(
        "probe_http_duration_seconds",
        "Duration of http request by phase, summed over all redirects",
        &["phase"],
    ),
    content_length: Desc::gauge(
        "probe_http_content_length",
        "Length of http content response",
        &[],
    ),
    uncompressed: Desc::gauge(
        "probe_http_uncompressed_body_length",
        "Length of uncompressed response body",
        &[],
    ),
    redirects: Desc::gauge("probe_http_redirects", "The number of redirects", &[]),
    ssl: Desc::gauge(
        "probe_http_ssl",
        "Indicates if SSL was used for the final redirect",
        &[],
    ),
    status: Desc::gauge("probe_http_status_code", "Response HTTP status code", &[]),
    version: Desc::gauge(
        "probe_http_version",
        "Returns the version of HTTP of the probe response",
        &[],
    ),
    last_modified: Desc::gauge(
        "probe_http_last_modified_timestamp_seconds",
        "Returns the Last-Modified HTTP response header in unixtime",
        &[],
    ),
    failed_cel: Desc::gauge(
        "probe_failed_due_to_cel",
        "Indicates if probe failed due to CEL expression not matching",
        &[],
    ),
});

/// Everything the http prober reports; filled as the probe goes, so a
/// probe cut at the deadline still reports what it got.
#[derive(Debug, Default)]
pub struct HttpMetrics {
    pub resolution: Resolution,
    pub resolve: f64,
    pub connect: f64,
    pub tls: f64,
    pub processing: f64,
    pub transfer: f64,
    pub content_length: f64,
    pub uncompressed: f64,
    pub redirects: f64,
    pub ssl: f64,
    pub status: f64,
    pub version: f64,
    pub failed_regex: f64,
    /// Set only when the module has a CEL check, as upstream registers it.
    pub failed_cel: Option<f64>,
    pub last_modified: Option<f64>,
    pub tls_facts: Option<TlsFacts>,
}

impl HttpMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        for (phase, v) in [
            ("resolve", self.resolve),
            ("connect", self.connect),
            ("tls", self.tls),
            ("processing", self.processing),
            ("transfer", self.transfer),
        ] {
            out.gauge(&D.duration, &[phase], v);
        }
        out.gauge(&D.content_length, &[], self.content_length);
        out.gauge(&D.uncompressed, &[], self.uncompressed);
        out.gauge(&D.redirects, &[], self.redirects);
        out.gauge(&D.ssl, &[], self.ssl);
        out.gauge(&D.status, &[], self.status);
        out.gauge(&D.version, &[], self.version);
        out.gauge(&DESCS.failed_regex, &[], self.failed_regex);
        if let Some(v) = self.failed_cel {
            out.gauge(&D.failed_cel, &[], v);
        }
        if let Some(lm) = self.last_modified {
            out.gauge(&D.last_modified, &[], lm);
        }
        if let Some(facts) = &self.tls_facts {
            facts.emit(out);
        }
    }
}

struct Hop {
    resp: hyper::Response<hyper::body::Incoming>,
    tls: Option<TlsFacts>,
    /// Set when processing ended (response headers in).
    headers_at: Instant,
}

/// Probes `target` with `module`, filling `m`. Returns probe success.
/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &HttpProbe,
    m: &mut HttpMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    run(ctx, target, module, m, log)
        .await
        .map_err(|e| format!("Error for HTTP request err={e:?}"))
}

fn with_scheme(target: &str) -> String {
    let lower = target.to_ascii_lowercase();
    if lower.starts_with("http://") || lower.starts_with("https://") {
        target.to_string()
    } else {
        format!("http://{target}")
    }
}

async fn run(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &HttpProbe,
    m: &mut HttpMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    // No QUIC client here. Refusing the module at load would refuse
    // upstream's own default blackbox.yml (its http_2xx_http3 module), so
    // such a probe fails, saying why, instead of speaking HTTP/1.1 or 2.
    if module.enable_http3 {
        return Err(
            "enable_http3: HTTP/3 is not supported by this exporter; the probe fails".into(),
        );
    }
    let mut url: Uri = with_scheme(target)
        .parse()
        .map_err(|e| format!("Could not parse target URL: {e}"))?;
    let module_host = module
        .headers
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("host"))
        .map(|(_, v)| v.clone());
    if let (Some(h), Some(p)) = (&module_host, ctx.hostname)
        && h != p
    {
        return Err(format!(
            "host header defined both in module configuration ({h}) and with URL-parameter 'hostname' ({p})"
        ));
    }
    let mut host_override = ctx.hostname.map(str::to_string).or(module_host);
    let mut method: Method = module
        .method
        .parse()
        .map_err(|_| format!("invalid method {:?}", module.method))?;
    let mut body = request_body(module)?;
    // Built before anything else, as upstream builds its client: a
    // missing ca_file fails the probe also for http:// targets.
    let alpn: &[&[u8]] = if module.enable_http2 {
        &[b"h2", b"http/1.1"]
    } else {
        &[b"http/1.1"]
    };
    let tls_config = client_config(&module.tls_config, alpn)
        .map_err(|e| format!("Error generating HTTP client: {e}"))?;
    let extra_headers = client::extra_headers(module.client.http_headers.iter().flatten())?;
    let auth = client::authorization(&module.client, ctx.tokens, ctx.deadline).await?;
    let first_host = url.host().unwrap_or_default().to_string();
    // Sticky once set, as in Go since 1.24: a redirect back to the first
    // host does not get the credentials again.
    let mut strip_credentials = false;

    let mut hop_index = 0u32;
    let hop = loop {
        strip_credentials = strip_credentials
            || !is_domain_or_subdomain(url.host().unwrap_or_default(), &first_host);
        let hop = one_hop(
            ctx,
            module,
            &tls_config,
            &extra_headers,
            &url,
            &method,
            host_override.as_deref(),
            body.clone(),
            auth.as_ref().filter(|_| !strip_credentials),
            strip_credentials,
            hop_index == 0,
            m,
            log,
        )
        .await?;
        let status = hop.resp.status();
        let location = hop
            .resp
            .headers()
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string);
        let is_redirect = matches!(status.as_u16(), 301 | 302 | 303 | 307 | 308);
        match (is_redirect, location) {
            (true, Some(loc)) => {
                log.warn(format!("Received redirect location={loc}"));
                // Counted as upstream (Go's CheckRedirect): every redirect
                // received, also the one that is not followed.
                let n = hop_index + 1;
                m.redirects = f64::from(n);
                if !module.follow_redirects || n > ctx.max_redirects {
                    log.debug("Not following redirect");
                    break hop;
                }
                hop_index = n;
                let relative = !loc.contains("://") && !loc.starts_with("//");
                url = join(&url, &loc)?;
                if !relative {
                    host_override = None;
                }
                if status == StatusCode::SEE_OTHER
                    || (matches!(status.as_u16(), 301 | 302) && method == Method::POST)
                {
                    if method != Method::HEAD {
                        method = Method::GET;
                    }
                    body = Bytes::new();
                }
                m.processing += secs(hop.headers_at.elapsed());
            }
            _ => break hop,
        }
    };

    let Hop {
        resp,
        tls,
        headers_at,
    } = hop;
    let (parts, incoming) = resp.into_parts();
    m.status = f64::from(parts.status.as_u16());
    m.version = match parts.version {
        Version::HTTP_09 => 0.9,
        Version::HTTP_10 => 1.0,
        Version::HTTP_11 => 1.1,
        Version::HTTP_2 => 2.0,
        Version::HTTP_3 => 3.0,
        _ => 0.0,
    };
    m.content_length = parts
        .headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<f64>().ok())
        .unwrap_or(-1.0);
    if let Some(lm) = parts
        .headers
        .get(header::LAST_MODIFIED)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
        && let Ok(d) = lm.duration_since(std::time::UNIX_EPOCH)
    {
        m.last_modified = Some(d.as_secs_f64());
    }
    log.debug(format!(
        "Received HTTP response status_code={}",
        parts.status.as_u16()
    ));

    let mut success = if module.valid_status_codes.is_empty() {
        parts.status.is_success()
    } else {
        module.valid_status_codes.contains(&parts.status.as_u16())
    };
    if !success {
        log.debug(format!(
            "Invalid HTTP response status code, wanted 2xx status_code={}",
            parts.status.as_u16()
        ));
    }

    if success
        && !(module.fail_if_header_matches.is_empty()
            && module.fail_if_header_not_matches.is_empty())
    {
        success = headers_ok(
            &parts.headers,
            &module.fail_if_header_matches,
            &module.fail_if_header_not_matches,
            log,
        );
        m.failed_regex = if success { 0.0 } else { 1.0 };
    }

    let want_regex = !(module.fail_if_body_matches_regexp.is_empty()
        && module.fail_if_body_not_matches_regexp.is_empty());
    let want_cel = module.fail_if_body_json_matches_cel.is_some()
        || module.fail_if_body_json_not_matches_cel.is_some();
    if want_cel {
        m.failed_cel = Some(0.0);
    }
    let want_body = success && (want_regex || want_cel);
    // As upstream: the configured algorithm decodes the body whatever the
    // response's Content-Encoding says, and a body that does not decode
    // fails the probe (the module said to expect it compressed).
    let read = read_body(
        incoming,
        module.body_size_limit.0,
        &module.compression,
        want_body,
    )
    .await;
    m.transfer += secs(headers_at.elapsed());
    let read = match read {
        Ok(r) => r,
        Err(e) => {
            log.error(format!("Failed to read HTTP response body err={e:?}"));
            return Ok(false);
        }
    };
    m.uncompressed = read.decoded_len as f64;
    if success && want_regex {
        success = body_ok(&read.kept, module, log);
        m.failed_regex = if success { 0.0 } else { 1.0 };
    }
    if success && want_cel {
        success = cel_ok(&read.kept, module, log);
        m.failed_cel = Some(if success { 0.0 } else { 1.0 });
    }

    let is_tls = url.scheme_str() == Some("https");
    m.ssl = if is_tls { 1.0 } else { 0.0 };
    m.tls_facts = tls;
    if success && !module.valid_http_versions.is_empty() {
        let name = match parts.version {
            Version::HTTP_10 => "HTTP/1.0",
            Version::HTTP_11 => "HTTP/1.1",
            Version::HTTP_2 => "HTTP/2.0",
            _ => "HTTP/?",
        };
        if !module.valid_http_versions.iter().any(|v| v == name) {
            log.error(format!("Invalid HTTP version number version={name}"));
            success = false;
        }
    }
    if success && is_tls && module.fail_if_ssl {
        log.error("Final request was over SSL");
        success = false;
    }
    if success && !is_tls && module.fail_if_not_ssl {
        log.error("Final request was not over SSL");
        success = false;
    }
    Ok(success)
}

fn request_body(module: &HttpProbe) -> Result<Bytes, String> {
    if !module.body_file.is_empty() {
        return std::fs::read(&module.body_file)
            .map(Bytes::from)
            .map_err(|e| format!("cannot read body_file {}: {e}", module.body_file));
    }
    Ok(Bytes::from(module.body.clone()))
}

/// Headers Go's client drops when a redirect leaves the first host.
const CREDENTIAL_HEADERS: &[&str] = &[
    "authorization",
    "www-authenticate",
    "cookie",
    "cookie2",
    "proxy-authorization",
    "proxy-authenticate",
];

/// Go's `isDomainOrSubdomain`: credentials set for `example.com` may go to
/// `example.com` and `api.example.com`, never to another host (an IP
/// address only to itself).
fn is_domain_or_subdomain(sub: &str, parent: &str) -> bool {
    let sub = exporter_kit::net::unbracket(sub);
    let parent = exporter_kit::net::unbracket(parent);
    if sub.eq_ignore_ascii_case(parent) {
        return true;
    }
    if sub.contains([':', '%']) || sub.len() <= parent.len() {
        return false;
    }
    let (head, tail) = sub.split_at(sub.len() - parent.len());
    tail.eq_ignore_ascii_case(parent) && head.ends_with('.')
}

/// Resolves `loc` against `base` (RFC 3986, the cases that occur).
fn join(base: &Uri, loc: &str) -> Result<Uri, String> {
    let scheme = base.scheme_str().unwrap_or("http");
    let authority = base.authority().map(|a| a.as_str()).unwrap_or_default();
    let joined = if loc.contains("://") {
        loc.to_string()
    } else if let Some(rest) = loc.strip_prefix("//") {
        format!("{scheme}://{rest}")
    } else if loc.starts_with('/') {
        format!("{scheme}://{authority}{loc}")
    } else {
        let path = base.path();
        let dir = &path[..path.rfind('/').map_or(0, |i| i + 1)];
        let dir = if dir.is_empty() { "/" } else { dir };
        format!("{scheme}://{authority}{dir}{loc}")
    };
    joined
        .parse()
        .map_err(|e| format!("invalid redirect location {loc:?}: {e}"))
}

#[allow(clippy::too_many_arguments)]
async fn one_hop(
    ctx: &ProbeCtx<'_>,
    module: &HttpProbe,
    tls_config: &std::sync::Arc<rustls::ClientConfig>,
    extra_headers: &[(HeaderName, HeaderValue)],
    url: &Uri,
    method: &Method,
    host_override: Option<&str>,
    body: Bytes,
    auth: Option<&HeaderValue>,
    strip_credentials: bool,
    first: bool,
    m: &mut HttpMetrics,
    log: &mut ProbeLog,
) -> Result<Hop, String> {
    let https = match url.scheme_str() {
        Some("http") => false,
        Some("https") => true,
        other => {
            return Err(format!(
                "unsupported protocol scheme {:?}",
                other.unwrap_or("")
            ));
        }
    };
    let host = url.host().ok_or("no host in URL")?.to_string();
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });

    let proxy_settings = ProxySettings::of(&module.client);
    let proxy = proxy_settings.for_url(url)?;
    let t = Instant::now();
    // Upstream leaves out the resolve phase (and its series) when a proxy
    // is configured and skip_resolve_phase_with_proxy is set: the proxy
    // resolves the name.
    let skip_resolve = module.skip_resolve_phase_with_proxy && proxy_settings.configured();
    let ip: Option<IpAddr> = if skip_resolve {
        ctx.policy.check_host(exporter_kit::net::unbracket(&host))?;
        if let Ok(ip) = exporter_kit::net::unbracket(&host).parse::<IpAddr>() {
            ctx.policy.check_addr(None, ip)?;
        }
        None
    } else {
        let mut scratch = Resolution::default();
        let res = if first {
            &mut m.resolution
        } else {
            &mut scratch
        };
        Some(
            resolve(
                &host,
                &module.preferred_ip_protocol,
                module.ip_protocol_fallback,
                ctx.policy,
                res,
                log,
            )
            .await?,
        )
    };
    m.resolve += secs(t.elapsed());

    let connect_host = ip.map_or_else(
        || exporter_kit::net::unbracket(&host).to_string(),
        |ip| ip.to_string(),
    );
    let addr = match ip {
        Some(ip) => SocketAddr::new(ip, port),
        // Only the proxy is dialled: the address is not used.
        None if proxy.is_some() => SocketAddr::new(IpAddr::from([0, 0, 0, 0]), port),
        None => {
            let mut scratch = Resolution::default();
            let ip = resolve(
                &host,
                &module.preferred_ip_protocol,
                module.ip_protocol_fallback,
                ctx.policy,
                &mut scratch,
                log,
            )
            .await?;
            SocketAddr::new(ip, port)
        }
    };
    if let Some(p) = &proxy {
        log.debug(format!("Using proxy proxy={}:{}", p.host, p.port));
    }
    let (tcp, took) = client::connect(&connect_host, addr, proxy.as_ref(), https).await?;
    m.connect += secs(took);

    let mut h2 = false;
    let mut facts = None;
    let stream: Box<dyn Io> = if https {
        let t = Instant::now();
        let default = host_override.map_or(host.as_str(), exporter_kit::net::host_of);
        let sni = module.tls_config.server_name_or(default);
        let tls = tokio_rustls::TlsConnector::from(tls_config.clone())
            .connect(server_name(sni)?, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        m.tls += secs(t.elapsed());
        let conn = tls.get_ref().1;
        h2 = conn.alpn_protocol() == Some(b"h2");
        facts = Some(TlsFacts::from_connection(conn));
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    // Through a proxy, a plain http request names its target in full
    // (the resolved address, as upstream's rewritten URL).
    let absolute_form = proxy.is_some() && !https;

    let t = Instant::now();
    let mut req = Request::builder().method(method.clone());
    req = if h2 {
        req.uri(url.clone()).version(Version::HTTP_2)
    } else if absolute_form {
        // upstream's rewritten URL: the address, and the port if the
        // target named one
        let authority = match (ip, url.port_u16()) {
            (None, _) => url.authority().map_or("", |a| a.as_str()).to_string(),
            (Some(IpAddr::V6(v6)), Some(p)) => format!("[{v6}]:{p}"),
            (Some(IpAddr::V6(v6)), None) => format!("[{v6}]"),
            (Some(v4), Some(p)) => format!("{v4}:{p}"),
            (Some(v4), None) => v4.to_string(),
        };
        let path = url.path_and_query().map_or("/", |p| p.as_str());
        req.uri(format!("http://{authority}{path}"))
            .version(Version::HTTP_11)
    } else {
        req.uri(url.path_and_query().map_or("/", |p| p.as_str()))
            .version(Version::HTTP_11)
    };
    let mut request = req
        .body(Full::new(body))
        .map_err(|e| format!("cannot build request: {e}"))?;
    let headers = request.headers_mut();
    for (k, v) in &module.headers {
        if k.eq_ignore_ascii_case("host") {
            continue;
        }
        let name = HeaderName::from_bytes(k.as_bytes())
            .map_err(|_| format!("invalid header name {k:?}"))?;
        if strip_credentials && CREDENTIAL_HEADERS.contains(&name.as_str()) {
            continue;
        }
        let value =
            HeaderValue::from_str(v).map_err(|_| format!("invalid value for header {k}"))?;
        headers.append(name, value);
    }
    for (name, value) in extra_headers {
        if strip_credentials && CREDENTIAL_HEADERS.contains(&name.as_str()) {
            continue;
        }
        headers.append(name.clone(), value.clone());
    }
    if absolute_form && let Some(a) = proxy.as_ref().and_then(|p| p.authorization.as_ref()) {
        headers.insert(header::PROXY_AUTHORIZATION, a.clone());
    }
    let authority = url
        .authority()
        .map(|a| a.as_str().to_string())
        .unwrap_or_default();
    let host_value = host_override.map(str::to_string).unwrap_or(authority);
    if !h2 {
        headers.insert(
            header::HOST,
            HeaderValue::from_str(&host_value).map_err(|_| "invalid Host")?,
        );
    }
    if !headers.contains_key(header::USER_AGENT) {
        headers.insert(
            header::USER_AGENT,
            HeaderValue::from_static(concat!("Blackbox-Exporter/", env!("CARGO_PKG_VERSION"))),
        );
    }
    if let Some(a) = auth
        && !headers.contains_key(header::AUTHORIZATION)
    {
        headers.insert(header::AUTHORIZATION, a.clone());
    }
    if !module.compression.is_empty() && !headers.contains_key(header::ACCEPT_ENCODING) {
        headers.insert(
            header::ACCEPT_ENCODING,
            HeaderValue::from_str(&module.compression).map_err(|_| "invalid compression")?,
        );
    }
    log.debug(format!("Making HTTP request url={url} host={host_value}"));

    let io = TokioIo::new(stream);
    let deadline = ctx.deadline + std::time::Duration::from_secs(1);
    let resp = if h2 {
        let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
            .await
            .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline, conn).await;
        });
        sender.send_request(request).await
    } else {
        let (mut sender, conn) = hyper::client::conn::http1::handshake(io)
            .await
            .map_err(|e| format!("HTTP handshake: {e}"))?;
        tokio::spawn(async move {
            let _ = tokio::time::timeout_at(deadline, conn).await;
        });
        sender.send_request(request).await
    }
    .map_err(|e| format!("HTTP request failed: {e}"))?;
    m.processing += secs(t.elapsed());
    Ok(Hop {
        resp,
        tls: facts,
        headers_at: Instant::now(),
    })
}

struct BodyRead {
    decoded_len: u64,
    kept: Vec<u8>,
}

/// Counts (and when asked keeps) the decoded body, streaming: stops with an
/// error once `limit` (raw or decoded bytes; 0 = none) is passed.
struct Sink {
    len: u64,
    limit: u64,
    keep: bool,
    kept: Vec<u8>,
}

impl std::io::Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.len += buf.len() as u64;
        if self.limit > 0 && self.len > self.limit {
            return Err(std::io::Error::other("body size limit exceeded"));
        }
        if self.keep {
            let room = MAX_BODY_KEPT.saturating_sub(self.kept.len());
            self.kept.extend_from_slice(&buf[..buf.len().min(room)]);
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

enum Decoder {
    Plain(Sink),
    Gzip(flate2::write::GzDecoder<Sink>),
    Deflate(flate2::write::DeflateDecoder<Sink>),
}

/// `limit` applies to the decoded body, as upstream's MaxBytesReader
/// after the decompressor.
async fn read_body(
    mut body: hyper::body::Incoming,
    limit: u64,
    compression: &str,
    keep: bool,
) -> Result<BodyRead, String> {
    let sink = Sink {
        len: 0,
        limit,
        keep,
        kept: Vec::new(),
    };
    // upstream's deflate is compress/flate: raw DEFLATE, no zlib header
    let mut dec = match compression.to_ascii_lowercase().as_str() {
        "gzip" => Decoder::Gzip(flate2::write::GzDecoder::new(sink)),
        "deflate" => Decoder::Deflate(flate2::write::DeflateDecoder::new(sink)),
        _ => Decoder::Plain(sink),
    };
    while let Some(frame) = body.frame().await {
        let frame = frame.map_err(|e| e.to_string())?;
        let Ok(data) = frame.into_data() else {
            continue;
        };
        match &mut dec {
            Decoder::Plain(s) => s.write_all(&data),
            Decoder::Gzip(d) => d.write_all(&data),
            Decoder::Deflate(d) => d.write_all(&data),
        }
        .map_err(|e| e.to_string())?;
    }
    let sink = match dec {
        Decoder::Plain(s) => s,
        Decoder::Gzip(d) => d.finish().map_err(|e| e.to_string())?,
        Decoder::Deflate(d) => d.finish().map_err(|e| e.to_string())?,
    };
    Ok(BodyRead {
        decoded_len: sink.len,
        kept: sink.kept,
    })
}

fn headers_ok(
    headers: &HeaderMap,
    must_not: &[HeaderMatch],
    must: &[HeaderMatch],
    log: &mut ProbeLog,
) -> bool {
    for hm in must_not {
        let values: Vec<&[u8]> = headers
            .get_all(hm.header.as_str())
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        if values.is_empty() {
            if !hm.allow_missing {
                log.error(format!("Missing required header header={}", hm.header));
                return false;
            }
            continue;
        }
        if values.iter().any(|v| hm.is_match(v)) {
            log.error(format!(
                "Header matched regular expression header={} regexp={}",
                hm.header,
                hm.pattern()
            ));
            return false;
        }
    }
    for hm in must {
        let values: Vec<&[u8]> = headers
            .get_all(hm.header.as_str())
            .iter()
            .map(HeaderValue::as_bytes)
            .collect();
        if values.is_empty() {
            if !hm.allow_missing {
                log.error(format!("Missing required header header={}", hm.header));
                return false;
            }
            continue;
        }
        if !values.iter().any(|v| hm.is_match(v)) {
            log.error(format!(
                "Header did not match regular expression header={} regexp={}",
                hm.header,
                hm.pattern()
            ));
            return false;
        }
    }
    true
}

fn body_ok(body: &[u8], module: &HttpProbe, log: &mut ProbeLog) -> bool {
    for re in &module.fail_if_body_matches_regexp {
        if re.0.is_match(body) {
            log.error(format!(
                "Body matched regular expression regexp={}",
                re.0.as_str()
            ));
            return false;
        }
    }
    for re in &module.fail_if_body_not_matches_regexp {
        if !re.0.is_match(body) {
            log.error(format!(
                "Body did not match regular expression regexp={}",
                re.0.as_str()
            ));
            return false;
        }
    }
    true
}

/// upstream's `matchCELExpressions`: the body as JSON, bound to `body`.
fn cel_ok(body: &[u8], module: &HttpProbe, log: &mut ProbeLog) -> bool {
    let json: serde_json::Value = match serde_json::from_slice(body) {
        Ok(v) => v,
        Err(e) => {
            log.error(format!("Error unmarshalling HTTP body to JSON err={e}"));
            return false;
        }
    };
    let mut context = cel_interpreter::Context::default();
    context.add_variable_from_value("body", cel_value(json));
    for (cel, fail_when) in [
        (&module.fail_if_body_json_matches_cel, true),
        (&module.fail_if_body_json_not_matches_cel, false),
    ] {
        let Some(cel) = cel else { continue };
        match cel.program.execute(&context) {
            Ok(cel_interpreter::Value::Bool(matched)) => {
                if matched == fail_when {
                    log.error(format!(
                        "Body {} CEL expression expression={}",
                        if matched { "matched" } else { "did not match" },
                        cel.expression
                    ));
                    return false;
                }
            }
            Ok(other) => {
                log.error(format!(
                    "CEL evaluation result is not a boolean details={other:?}"
                ));
                return false;
            }
            Err(e) => {
                log.error(format!("Error evaluating CEL expression err={e}"));
                return false;
            }
        }
    }
    true
}

/// JSON as Go's `encoding/json` gives it to cel-go: every number a double.
fn cel_value(v: serde_json::Value) -> cel_interpreter::Value {
    use cel_interpreter::Value;
    match v {
        serde_json::Value::Null => Value::Null,
        serde_json::Value::Bool(b) => Value::Bool(b),
        serde_json::Value::Number(n) => Value::Float(n.as_f64().unwrap_or(f64::NAN)),
        serde_json::Value::String(s) => Value::String(s.into()),
        serde_json::Value::Array(a) => {
            Value::List(a.into_iter().map(cel_value).collect::<Vec<_>>().into())
        }
        serde_json::Value::Object(o) => {
            let map: std::collections::HashMap<String, Value> =
                o.into_iter().map(|(k, v)| (k, cel_value(v))).collect();
            Value::Map(map.into())
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn credentials_go_to_the_same_host_and_its_subdomains_only() {
        assert!(is_domain_or_subdomain("example.com", "example.com"));
        assert!(is_domain_or_subdomain("api.Example.com", "example.com"));
        assert!(!is_domain_or_subdomain("evilexample.com", "example.com"));
        assert!(!is_domain_or_subdomain("example.com", "api.example.com"));
        assert!(!is_domain_or_subdomain("127.0.0.2", "127.0.0.1"));
        assert!(is_domain_or_subdomain("[::1]", "::1"));
        assert!(!is_domain_or_subdomain("[::2]", "[::1]"));
    }

    fn cel_module(matches: Option<&str>, not_matches: Option<&str>) -> HttpProbe {
        let compile = |e: &str| crate::config::Cel::compile(e).expect("compiles");
        HttpProbe {
            fail_if_body_json_matches_cel: matches.map(compile),
            fail_if_body_json_not_matches_cel: not_matches.map(compile),
            ..HttpProbe::default()
        }
    }

    #[test]
    fn cel_expressions_see_the_json_body_as_cel_go_does() {
        let body = br#"{"foo":"bar","baz":"qux","count":3,"items":[1,2,5],"ok":true}"#;
        let mut log = ProbeLog::default();
        let pass = [
            "body.foo == 'bar' && body.baz.startsWith('q')",
            "body.count == 3",
            "body.count > 2.5",
            "body.items.all(x, x > 0)",
            "body.items.exists(i, i == 5)",
            "size(body.items) == 3",
            "body.ok",
            "has(body.foo) && !has(body.missing)",
            "body.baz.matches('^q.x$')",
        ];
        for e in pass {
            assert!(
                cel_ok(body, &cel_module(None, Some(e)), &mut log),
                "{e}: {}",
                log.text()
            );
            assert!(!cel_ok(body, &cel_module(Some(e), None), &mut log), "{e}");
        }
        // not a boolean, an evaluation error, a body that is not JSON
        assert!(!cel_ok(body, &cel_module(None, Some("body.foo")), &mut log));
        assert!(!cel_ok(
            body,
            &cel_module(None, Some("body.missing == 1")),
            &mut log
        ));
        assert!(!cel_ok(
            b"not json",
            &cel_module(None, Some("true")),
            &mut log
        ));
        for bad in ["foo.bar", "", "body.foo ==", "x"] {
            assert!(
                crate::config::Cel::compile(bad).is_err(),
                "{bad:?} compiles"
            );
        }
    }

    #[test]
    fn redirect_locations_resolve() {
        let base: Uri = "http://a.example:8080/x/y?q=1".parse().expect("uri");
        assert_eq!(
            join(&base, "/z").expect("j").to_string(),
            "http://a.example:8080/z"
        );
        assert_eq!(
            join(&base, "z").expect("j").to_string(),
            "http://a.example:8080/x/z"
        );
        assert_eq!(
            join(&base, "https://b/").expect("j").to_string(),
            "https://b/"
        );
        assert_eq!(join(&base, "//c/d").expect("j").to_string(), "http://c/d");
        assert_eq!(with_scheme("127.0.0.1:80"), "http://127.0.0.1:80");
    }
}
