//! What prometheus/common's HTTP client does for the http and websocket
//! probers: credentials (basic, bearer, authorization, oauth2 client
//! credentials with a token cache), `http_headers`, and proxies
//! (`proxy_url` / `no_proxy` / `proxy_from_environment` with Go's
//! `httpproxy` rules, CONNECT for https, `proxy_connect_header`).

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::header::{self, HeaderName, HeaderValue};
use hyper::{Method, Request, Uri};
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};

use super::tls::{client_config, server_name};
use crate::config::{HttpClientConfig, HttpHeader, OAuth2, ProxyUrl, Secret};

pub trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

/// The `Authorization` value of a client config, fetching (or taking from
/// the cache) an oauth2 token when one is configured.
pub async fn authorization(
    client: &HttpClientConfig,
    tokens: &TokenCache,
    deadline: tokio::time::Instant,
) -> Result<Option<HeaderValue>, String> {
    use base64::Engine as _;
    let value = if let Some(b) = &client.basic_auth {
        let user = if b.username_file.is_empty() {
            b.username.clone()
        } else {
            read_secret_file(&b.username_file)?
        };
        let pass = secret_or_file(&b.password, &b.password_file)?;
        Some(format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("{user}:{pass}"))
        ))
    } else if let Some(a) = &client.authorization {
        let kind = if a.kind.is_empty() {
            "Bearer"
        } else {
            a.kind.as_str()
        };
        let cred = secret_or_file(&a.credentials, &a.credentials_file)?;
        Some(format!("{kind} {cred}"))
    } else if let Some(o) = &client.oauth2 {
        Some(tokens.token(o, deadline).await?)
    } else if !client.bearer_token.is_empty() {
        Some(format!("Bearer {}", client.bearer_token.0))
    } else if !client.bearer_token_file.is_empty() {
        Some(format!(
            "Bearer {}",
            read_secret_file(&client.bearer_token_file)?
        ))
    } else {
        None
    };
    value.map(|v| sensitive(&v)).transpose()
}

fn sensitive(v: &str) -> Result<HeaderValue, String> {
    let mut v = HeaderValue::from_str(v)
        .map_err(|_| "credentials are not a valid header value".to_string())?;
    v.set_sensitive(true);
    Ok(v)
}

fn secret_or_file(secret: &Secret, file: &str) -> Result<String, String> {
    if file.is_empty() {
        Ok(secret.0.clone())
    } else {
        read_secret_file(file)
    }
}

pub fn read_secret_file(path: &str) -> Result<String, String> {
    std::fs::read_to_string(path)
        .map(|s| s.trim().to_string())
        .map_err(|e| format!("cannot read secret file {path}: {e}"))
}

/// `http_headers` (prometheus/common) or websocket `headers`: every value,
/// secret and file content, in that order, appended to the request.
pub fn extra_headers<'a>(
    headers: impl IntoIterator<Item = (&'a String, &'a HttpHeader)>,
) -> Result<Vec<(HeaderName, HeaderValue)>, String> {
    let mut out = Vec::new();
    for (name, h) in headers {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid header name {name:?}"))?;
        let files = h
            .files
            .iter()
            .map(|f| read_secret_file(f))
            .collect::<Result<Vec<_>, _>>()?;
        let plain = h.values.iter().map(|v| (v.as_str(), false));
        let secret = h.secrets.iter().map(|s| (s.0.as_str(), true));
        let from_files = files.iter().map(|v| (v.as_str(), true));
        for (v, hide) in plain.chain(secret).chain(from_files) {
            let mut value =
                HeaderValue::from_str(v).map_err(|_| format!("invalid value for header {name}"))?;
            value.set_sensitive(hide);
            out.push((name.clone(), value));
        }
    }
    Ok(out)
}

/// Where a request goes when a proxy applies.
#[derive(Debug, Clone)]
pub struct ProxyTarget {
    pub host: String,
    pub port: u16,
    pub authorization: Option<HeaderValue>,
    pub connect_headers: Vec<(HeaderName, HeaderValue)>,
}

/// The proxy settings of a client config (or of its oauth2 block).
pub struct ProxySettings<'a> {
    pub url: &'a ProxyUrl,
    pub no_proxy: &'a str,
    pub from_environment: bool,
    pub connect_header: &'a std::collections::BTreeMap<String, Vec<Secret>>,
}

impl<'a> ProxySettings<'a> {
    pub fn of(c: &'a HttpClientConfig) -> Self {
        ProxySettings {
            url: &c.proxy_url,
            no_proxy: &c.no_proxy,
            from_environment: c.proxy_from_environment,
            connect_header: &c.proxy_connect_header,
        }
    }

    pub fn of_oauth2(o: &'a OAuth2) -> Self {
        ProxySettings {
            url: &o.proxy_url,
            no_proxy: &o.no_proxy,
            from_environment: o.proxy_from_environment,
            connect_header: &o.proxy_connect_header,
        }
    }

    pub fn configured(&self) -> bool {
        self.from_environment || !self.url.is_empty()
    }

    /// The proxy for `url`, as prometheus/common's `ProxyConfig.Proxy`:
    /// `proxy_url` alone proxies everything; with `no_proxy`, and from
    /// the environment, Go's `httpproxy` rules apply (which never proxy
    /// localhost or loopback addresses).
    pub fn for_url(&self, url: &Uri) -> Result<Option<ProxyTarget>, String> {
        let https = url.scheme_str() == Some("https");
        let host = exporter_kit::net::unbracket(url.host().unwrap_or_default()).to_string();
        let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
        let (proxy, no_proxy) = if self.from_environment {
            let proxy = if https {
                env(&["HTTPS_PROXY", "https_proxy"])
            } else {
                env(&["HTTP_PROXY", "http_proxy"])
            };
            (proxy, env(&["NO_PROXY", "no_proxy"]).unwrap_or_default())
        } else if self.url.is_empty() {
            return Ok(None);
        } else if self.no_proxy.is_empty() {
            return parse_proxy(&self.url.0, self.connect_header).map(Some);
        } else {
            (Some(self.url.0.clone()), self.no_proxy.to_string())
        };
        let Some(proxy) = proxy.filter(|p| !p.is_empty()) else {
            return Ok(None);
        };
        if !use_proxy(&host, port, &no_proxy) {
            return Ok(None);
        }
        parse_proxy(&proxy, self.connect_header).map(Some)
    }
}

fn env(names: &[&str]) -> Option<String> {
    names
        .iter()
        .find_map(|n| std::env::var(n).ok().filter(|v| !v.is_empty()))
}

/// A proxy URL (Go's httpproxy takes `host:port` as `http://host:port`);
/// only HTTP proxies are spoken here (checked at load for `proxy_url`).
fn parse_proxy(
    raw: &str,
    connect_header: &std::collections::BTreeMap<String, Vec<Secret>>,
) -> Result<ProxyTarget, String> {
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("http://{raw}")
    };
    let uri: Uri = with_scheme
        .parse()
        .map_err(|_| "invalid proxy URL".to_string())?;
    if uri.scheme_str() != Some("http") {
        return Err(format!(
            "proxy scheme {:?} is not supported (only http proxies)",
            uri.scheme_str().unwrap_or("")
        ));
    }
    let authority = uri.authority().ok_or("proxy URL without host")?.as_str();
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u), h),
        None => (None, authority),
    };
    let host = exporter_kit::net::host_of(hostport).to_string();
    let port = uri.port_u16().unwrap_or(80);
    let authorization = userinfo
        .map(|u| {
            use base64::Engine as _;
            let (user, pass) = u.split_once(':').unwrap_or((u, ""));
            let decoded = format!("{}:{}", percent_decode(user), percent_decode(pass));
            sensitive(&format!(
                "Basic {}",
                base64::engine::general_purpose::STANDARD.encode(decoded)
            ))
        })
        .transpose()?;
    let mut connect_headers = Vec::new();
    for (name, values) in connect_header {
        let name = HeaderName::from_bytes(name.as_bytes())
            .map_err(|_| format!("invalid proxy_connect_header name {name:?}"))?;
        for v in values {
            connect_headers.push((name.clone(), sensitive(&v.0)?));
        }
    }
    Ok(ProxyTarget {
        host,
        port,
        authorization,
        connect_headers,
    })
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `httpproxy.Config.useProxy`.
fn use_proxy(host: &str, port: u16, no_proxy: &str) -> bool {
    if host.eq_ignore_ascii_case("localhost") {
        return false;
    }
    let ip = host.parse::<IpAddr>().ok();
    if ip.is_some_and(|ip| ip.is_loopback()) {
        return false;
    }
    let host = host.to_ascii_lowercase();
    for entry in no_proxy.split(',') {
        let entry = entry.trim().to_ascii_lowercase();
        if entry.is_empty() {
            continue;
        }
        if entry == "*" {
            return false;
        }
        if let Ok(net) = entry.parse::<ipnet::IpNet>() {
            if ip.is_some_and(|ip| net.contains(&ip)) {
                return false;
            }
            continue;
        }
        if let Ok(entry_ip) = exporter_kit::net::unbracket(&entry).parse::<IpAddr>() {
            if ip == Some(entry_ip) {
                return false;
            }
            continue;
        }
        let (name, entry_port) = match entry.rsplit_once(':') {
            Some((n, p)) => (n, p.parse::<u16>().ok()),
            None => (entry.as_str(), None),
        };
        if entry_port.is_some_and(|p| p != port) || ip.is_some() {
            continue;
        }
        let name = name.strip_prefix('*').unwrap_or(name);
        let matched = match name.strip_prefix('.') {
            // ".example.com": subdomains only
            Some(_) => host.ends_with(name),
            // "example.com": itself and its subdomains
            None => host == name || host.ends_with(&format!(".{name}")),
        };
        if matched {
            return false;
        }
    }
    true
}

/// Connects to `addr`, through `proxy` when given: a CONNECT tunnel when
/// `tunnel` (https targets), else a plain connection to the proxy that
/// then gets absolute-form requests. Returns the stream and the time the
/// TCP connect took.
pub async fn connect(
    addr_host: &str,
    addr: SocketAddr,
    proxy: Option<&ProxyTarget>,
    tunnel: bool,
) -> Result<(tokio::net::TcpStream, Duration), String> {
    let start = Instant::now();
    let Some(p) = proxy else {
        let tcp = tokio::net::TcpStream::connect(addr)
            .await
            .map_err(|e| format!("dial tcp {addr}: connect: {e}"))?;
        let _ = tcp.set_nodelay(true);
        return Ok((tcp, start.elapsed()));
    };
    let mut tcp = tokio::net::TcpStream::connect((p.host.as_str(), p.port))
        .await
        .map_err(|e| format!("proxyconnect tcp: dial tcp {}:{}: {e}", p.host, p.port))?;
    let _ = tcp.set_nodelay(true);
    let took = start.elapsed();
    if tunnel {
        let target = if addr_host.contains(':') {
            format!("[{addr_host}]:{}", addr.port())
        } else {
            format!("{addr_host}:{}", addr.port())
        };
        let mut req = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n").into_bytes();
        let auth = p
            .authorization
            .iter()
            .map(|v| (&header::PROXY_AUTHORIZATION, v));
        for (name, value) in auth.chain(p.connect_headers.iter().map(|(n, v)| (n, v))) {
            req.extend_from_slice(name.as_str().as_bytes());
            req.extend_from_slice(b": ");
            req.extend_from_slice(value.as_bytes());
            req.extend_from_slice(b"\r\n");
        }
        req.extend_from_slice(b"\r\n");
        tcp.write_all(&req)
            .await
            .map_err(|e| format!("proxy CONNECT: {e}"))?;
        let head = read_head(&mut tcp).await?;
        let status = head
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse::<u16>().ok())
            .ok_or("proxy CONNECT: malformed response")?;
        if !(200..300).contains(&status) {
            let line = head.lines().next().unwrap_or_default();
            return Err(format!("proxy CONNECT refused: {line}"));
        }
    }
    Ok((tcp, took))
}

/// Reads a response head byte by byte, so nothing after it (the tunneled
/// server's first bytes) is consumed.
async fn read_head(s: &mut tokio::net::TcpStream) -> Result<String, String> {
    let mut head = Vec::new();
    while !head.ends_with(b"\r\n\r\n") {
        if head.len() > 16 * 1024 {
            return Err("proxy CONNECT: response head too long".into());
        }
        let b = s
            .read_u8()
            .await
            .map_err(|e| format!("proxy CONNECT: {e}"))?;
        head.push(b);
    }
    Ok(String::from_utf8_lossy(&head).into_owned())
}

/// oauth2 tokens by client and endpoint, kept until they expire (Go's
/// `oauth2.ReuseTokenSource`, which renews 10 s before the expiry).
#[derive(Default)]
pub struct TokenCache {
    tokens: Mutex<HashMap<String, (String, Option<Instant>)>>,
}

impl TokenCache {
    async fn token(&self, o: &OAuth2, deadline: tokio::time::Instant) -> Result<String, String> {
        let secret = secret_or_file(&o.client_secret, &o.client_secret_file)?;
        let key = format!(
            "{}\u{0}{}\u{0}{}\u{0}{:?}\u{0}{:?}",
            o.token_url, o.client_id, secret, o.scopes, o.endpoint_params
        );
        if let Ok(tokens) = self.tokens.lock()
            && let Some((token, expiry)) = tokens.get(&key)
            && expiry.is_none_or(|e| Instant::now() + Duration::from_secs(10) < e)
        {
            return Ok(token.clone());
        }
        let (token, expiry) = tokio::time::timeout_at(deadline, fetch_token(o, &secret))
            .await
            .map_err(|_| "oauth2: token request timed out".to_string())??;
        if let Ok(mut tokens) = self.tokens.lock() {
            tokens.insert(key, (token.clone(), expiry));
        }
        Ok(token)
    }
}

/// The client credentials grant (RFC 6749 4.4) with the client's
/// credentials in a Basic header, as Go's oauth2 tries first.
async fn fetch_token(o: &OAuth2, secret: &str) -> Result<(String, Option<Instant>), String> {
    use base64::Engine as _;
    let url: Uri = o
        .token_url
        .parse()
        .map_err(|e| format!("oauth2: invalid token_url: {e}"))?;
    let https = match url.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        _ => return Err("oauth2: token_url must be http or https".into()),
    };
    let host = exporter_kit::net::unbracket(url.host().unwrap_or_default()).to_string();
    let port = url.port_u16().unwrap_or(if https { 443 } else { 80 });
    let proxy = ProxySettings::of_oauth2(o).for_url(&url)?;
    let addr = match host.parse::<IpAddr>() {
        Ok(ip) => SocketAddr::new(ip, port),
        Err(_) => tokio::net::lookup_host((host.as_str(), port))
            .await
            .map_err(|e| format!("oauth2: cannot resolve {host}: {e}"))?
            .next()
            .ok_or_else(|| format!("oauth2: no address for {host}"))?,
    };
    let (tcp, _) = connect(&host, addr, proxy.as_ref(), https).await?;
    let stream: Box<dyn Io> = if https {
        let config = client_config(&o.tls_config, &[b"http/1.1"])?;
        let sni = o.tls_config.server_name_or(&host);
        Box::new(
            tokio_rustls::TlsConnector::from(config)
                .connect(server_name(sni)?, tcp)
                .await
                .map_err(|e| format!("oauth2: TLS handshake failed: {e}"))?,
        )
    } else {
        Box::new(tcp)
    };
    let mut form = form_urlencoded_pairs(&[("grant_type", "client_credentials")]);
    if !o.scopes.is_empty() {
        form.push('&');
        form.push_str(&form_urlencoded_pairs(&[("scope", &o.scopes.join(" "))]));
    }
    for (k, v) in &o.endpoint_params {
        form.push('&');
        form.push_str(&form_urlencoded_pairs(&[(k, v)]));
    }
    let target = if proxy.is_some() && !https {
        url.to_string()
    } else {
        url.path_and_query().map_or("/", |p| p.as_str()).to_string()
    };
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!(
            "{}:{}",
            form_escape(&o.client_id),
            form_escape(secret)
        ))
    );
    let mut req = Request::builder()
        .method(Method::POST)
        .uri(target)
        .header(
            header::HOST,
            url.authority().map_or("", |a| a.as_str()).to_string(),
        )
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::AUTHORIZATION, sensitive(&basic)?);
    if let Some(p) = proxy.as_ref().filter(|_| !https)
        && let Some(a) = &p.authorization
    {
        req = req.header(header::PROXY_AUTHORIZATION, a.clone());
    }
    let req = req
        .body(Full::new(Bytes::from(form)))
        .map_err(|e| format!("oauth2: {e}"))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| format!("oauth2: {e}"))?;
    let conn = tokio::spawn(conn);
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| format!("oauth2: token request failed: {e}"))?;
    let status = resp.status();
    let body = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| format!("oauth2: reading token response: {e}"))?
        .to_bytes();
    conn.abort();
    if !status.is_success() {
        return Err(format!(
            "oauth2: cannot fetch token: {status}\nResponse: {}",
            String::from_utf8_lossy(&body[..body.len().min(512)])
        ));
    }
    #[derive(serde::Deserialize)]
    struct TokenResponse {
        access_token: String,
        #[serde(default)]
        token_type: String,
        #[serde(default)]
        expires_in: Option<u64>,
    }
    let t: TokenResponse = serde_json::from_slice(&body)
        .map_err(|e| format!("oauth2: invalid token response: {e}"))?;
    if t.access_token.is_empty() {
        return Err("oauth2: server response missing access_token".into());
    }
    // Go's Token.Type(): "bearer" in any case is spelled "Bearer".
    let kind = if t.token_type.is_empty() || t.token_type.eq_ignore_ascii_case("bearer") {
        "Bearer".to_string()
    } else {
        t.token_type
    };
    let expiry = t
        .expires_in
        .filter(|s| *s > 0)
        .map(|s| Instant::now() + Duration::from_secs(s));
    Ok((format!("{kind} {}", t.access_token), expiry))
}

fn form_urlencoded_pairs(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{}={}", form_escape(k), form_escape(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// `application/x-www-form-urlencoded` escaping (Go's `url.QueryEscape`).
fn form_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_follows_go_httpproxy() {
        assert!(!use_proxy("localhost", 80, ""));
        assert!(!use_proxy("127.0.0.1", 80, ""));
        assert!(!use_proxy("::1", 80, ""));
        assert!(use_proxy("example.com", 80, ""));
        assert!(!use_proxy("example.com", 80, "*"));
        assert!(!use_proxy("example.com", 80, "example.com"));
        assert!(!use_proxy("api.example.com", 80, "example.com"));
        assert!(use_proxy("example.com", 80, ".example.com"));
        assert!(!use_proxy("api.example.com", 80, ".example.com"));
        assert!(!use_proxy("api.example.com", 80, "*.example.com"));
        assert!(use_proxy("badexample.com", 80, "example.com"));
        assert!(!use_proxy("example.com", 8080, "example.com:8080"));
        assert!(use_proxy("example.com", 80, "example.com:8080"));
        assert!(!use_proxy("10.1.2.3", 80, "10.0.0.0/8"));
        assert!(use_proxy("192.0.2.1", 80, "10.0.0.0/8, example.com"));
        assert!(!use_proxy("192.0.2.1", 80, "192.0.2.1"));
    }

    #[test]
    fn proxy_url_credentials_become_proxy_authorization() {
        let p = parse_proxy(
            "http://us%40er:p%3Ass@proxy.example:3128",
            &Default::default(),
        )
        .expect("proxy");
        assert_eq!((p.host.as_str(), p.port), ("proxy.example", 3128));
        // base64("us@er:p:ss")
        assert_eq!(
            p.authorization.expect("auth").to_str().expect("ascii"),
            "Basic dXNAZXI6cDpzcw=="
        );
        assert!(parse_proxy("socks5://proxy:1080", &Default::default()).is_err());
        assert_eq!(
            parse_proxy("proxy.example:3128", &Default::default())
                .expect("bare host:port")
                .port,
            3128
        );
    }

    #[test]
    fn form_escaping_is_go_query_escape() {
        assert_eq!(form_escape("a b&c=d/é"), "a+b%26c%3Dd%2F%C3%A9");
    }
}
