//! node_supervisord_*{name,group}: the processes supervisord runs, from its
//! XML-RPC `supervisor.getAllProcessInfo` at `--collector.supervisord.url`
//! (http://host:port/path, credentials in the URL sent as Basic auth, or
//! unix:///path/to/supervisor.sock). Deprecated upstream, still accepted.

use std::io::{Read, Write};
use std::net::{TcpStream, ToSocketAddrs};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use base64::Engine;
use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::parse::percent_decode;

#[derive(clap::Args, Debug, Clone)]
pub struct SupervisordArgs {
    /// XML RPC endpoint.
    #[arg(
        long = "collector.supervisord.url",
        value_name = "URL",
        env = "SUPERVISORD_URL",
        default_value = "http://localhost:9001/RPC2"
    )]
    pub supervisord_url: String,
}

/// Where the XML-RPC requests go.
#[derive(Debug, Clone, PartialEq)]
pub enum Endpoint {
    Tcp {
        host: String,
        port: u16,
        path: String,
        /// "user:password", sent as Basic auth as Go's HTTP client does.
        userinfo: Option<String>,
    },
    /// upstream posts to http://unix/RPC2 over the socket.
    Unix { socket: String },
}

/// Parses the flag as upstream uses it: unix:// for a socket, http://
/// otherwise. https is refused at startup: this collector has no TLS.
pub fn parse_url(url: &str) -> Result<Endpoint, String> {
    if let Some(rest) = url.strip_prefix("unix://") {
        // unix:///run/supervisor.sock: the host part is empty.
        let path = rest.find('/').map(|i| &rest[i..]).unwrap_or_default();
        if path.is_empty() {
            return Err(format!("no socket path in {url:?}"));
        }
        return Ok(Endpoint::Unix {
            socket: path.to_string(),
        });
    }
    let Some(rest) = url.strip_prefix("http://") else {
        return Err(format!(
            "{url:?}: only http:// and unix:// URLs are supported"
        ));
    };
    let (authority, path) = match rest.find('/') {
        Some(i) => (&rest[..i], &rest[i..]),
        None => (rest, "/"),
    };
    let (userinfo, hostport) = match authority.rsplit_once('@') {
        Some((u, h)) => (Some(u.to_string()), h),
        None => (None, authority),
    };
    let (host, port) = match hostport.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || hostport.starts_with('[') => (
            h,
            p.parse::<u16>()
                .map_err(|_| format!("{url:?}: bad port {p:?}"))?,
        ),
        _ => (hostport, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(format!("{url:?}: no host"));
    }
    Ok(Endpoint::Tcp {
        host: host.to_string(),
        port,
        path: path.to_string(),
        userinfo,
    })
}

pub struct Supervisord {
    endpoint: Endpoint,
    up: Desc,
    state: Desc,
    exit_status: Desc,
    start_time: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let endpoint = parse_url(&args.supervisord.supervisord_url)
        .map_err(|e| BuildError::new(format!("--collector.supervisord.url: {e}")))?;
    tracing::warn!(
        "This collector is deprecated and will be removed in the next major version release."
    );
    let labels = ["name", "group"];
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_supervisord_{n}"), h, &labels);
    Ok(AnyCollector::blocking(Supervisord {
        endpoint,
        up: g("up", "Process Up"),
        state: g("state", "Process State"),
        exit_status: g("exit_status", "Process Exit Status"),
        start_time: Desc::counter(
            "node_supervisord_start_time_seconds",
            "Process start time",
            &labels,
        ),
    }))
}

const REQUEST: &str = "<?xml version=\"1.0\"?>\n<methodCall><methodName>supervisor.getAllProcessInfo</methodName><params></params></methodCall>";

/// Any stream with timeouts from the scrape's deadline.
trait Conn: Read + Write {}
impl<T: Read + Write> Conn for T {}

fn left(deadline: Instant) -> Result<Duration, String> {
    deadline
        .checked_duration_since(Instant::now())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| "the scrape deadline passed".to_string())
}

/// POSTs the call and returns the response body.
fn post(endpoint: &Endpoint, deadline: Instant) -> Result<String, String> {
    let (mut conn, host, path, userinfo): (Box<dyn Conn>, String, &str, Option<&String>) =
        match endpoint {
            Endpoint::Unix { socket } => {
                let s = UnixStream::connect(socket).map_err(|e| format!("{socket}: {e}"))?;
                let t = left(deadline)?;
                s.set_read_timeout(Some(t))
                    .and_then(|()| s.set_write_timeout(Some(t)))
                    .map_err(|e| e.to_string())?;
                (Box::new(s), "unix".to_string(), "/RPC2", None)
            }
            Endpoint::Tcp {
                host,
                port,
                path,
                userinfo,
            } => {
                let addrs = (host.as_str(), *port)
                    .to_socket_addrs()
                    .map_err(|e| format!("{host}: {e}"))?;
                let mut last = format!("{host}: no address");
                let mut stream = None;
                for a in addrs {
                    match TcpStream::connect_timeout(&a, left(deadline)?) {
                        Ok(s) => {
                            stream = Some(s);
                            break;
                        }
                        Err(e) => last = format!("{a}: {e}"),
                    }
                }
                let s = stream.ok_or(last)?;
                let t = left(deadline)?;
                s.set_read_timeout(Some(t))
                    .and_then(|()| s.set_write_timeout(Some(t)))
                    .map_err(|e| e.to_string())?;
                let host = if *port == 80 {
                    host.clone()
                } else {
                    format!("{host}:{port}")
                };
                (Box::new(s), host, path.as_str(), userinfo.as_ref())
            }
        };
    let auth = userinfo
        .map(|u| {
            let u = percent_decode(u);
            format!(
                "Authorization: Basic {}\r\n",
                base64::engine::general_purpose::STANDARD.encode(u)
            )
        })
        .unwrap_or_default();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {host}\r\nUser-Agent: Go-http-client/1.1\r\n{auth}Content-Type: text/xml\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        REQUEST.len()
    );
    conn.write_all(head.as_bytes())
        .and_then(|()| conn.write_all(REQUEST.as_bytes()))
        .map_err(|e| format!("sending the request: {e}"))?;
    let mut raw = Vec::new();
    // A response larger than this is not supervisord's.
    conn.take(64 << 20)
        .read_to_end(&mut raw)
        .map_err(|e| format!("reading the response: {e}"))?;
    parse_http(&raw)
}

/// An HTTP/1.x response read to its end -> the body of a 200.
pub fn parse_http(raw: &[u8]) -> Result<String, String> {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or("no HTTP response header")?;
    let head = String::from_utf8_lossy(&raw[..split]);
    let body = &raw[split + 4..];
    let mut lines = head.split("\r\n");
    let status = lines.next().unwrap_or_default();
    let code = status.split_whitespace().nth(1).unwrap_or_default();
    if code != "200" {
        return Err(format!("HTTP status {:?}", status.trim()));
    }
    let header = |name: &str| {
        head.split("\r\n").skip(1).find_map(|l| {
            let (k, v) = l.split_once(':')?;
            k.trim()
                .eq_ignore_ascii_case(name)
                .then(|| v.trim().to_string())
        })
    };
    let body = if header("transfer-encoding").is_some_and(|t| t.eq_ignore_ascii_case("chunked")) {
        dechunk(body)?
    } else if let Some(len) = header("content-length").and_then(|l| l.parse::<usize>().ok()) {
        body.get(..len)
            .ok_or("body shorter than Content-Length")?
            .to_vec()
    } else {
        body.to_vec()
    };
    String::from_utf8(body).map_err(|_| "response is not UTF-8".to_string())
}

fn dechunk(mut b: &[u8]) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    loop {
        let eol = b
            .windows(2)
            .position(|w| w == b"\r\n")
            .ok_or("truncated chunk")?;
        let size = std::str::from_utf8(&b[..eol]).unwrap_or_default();
        let size = size.split(';').next().unwrap_or_default().trim();
        let size = usize::from_str_radix(size, 16).map_err(|_| "bad chunk size")?;
        b = &b[eol + 2..];
        if size == 0 {
            return Ok(out);
        }
        out.extend_from_slice(b.get(..size).ok_or("truncated chunk")?);
        b = b.get(size + 2..).ok_or("truncated chunk")?;
    }
}

/// An XML-RPC value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(i64),
    Str(String),
    Bool(bool),
    Double(f64),
    Array(Vec<Value>),
    Struct(Vec<(String, Value)>),
    /// nil, dateTime, base64: nothing the collector reads.
    Other,
}

#[derive(Debug, PartialEq)]
enum Token {
    Open(String),
    Close(String),
    /// `<nil/>`
    Empty(String),
    Text(String),
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        rest = &rest[i..];
        let Some(end) = rest.find(';') else { break };
        let entity = &rest[1..end];
        let c = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "apos" => Some('\''),
            e => e
                .strip_prefix("#x")
                .and_then(|h| u32::from_str_radix(h, 16).ok())
                .or_else(|| e.strip_prefix('#').and_then(|d| d.parse().ok()))
                .and_then(char::from_u32),
        };
        match c {
            Some(c) => {
                out.push(c);
                rest = &rest[end + 1..];
            }
            None => {
                out.push('&');
                rest = &rest[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

fn tokenize(xml: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut rest = xml;
    while !rest.is_empty() {
        if let Some(after) = rest.strip_prefix('<') {
            let end = after.find('>').ok_or("unterminated tag")?;
            let tag = &after[..end];
            rest = &after[end + 1..];
            if tag.starts_with('?') || tag.starts_with('!') {
                continue;
            }
            let name = |t: &str| t.split_whitespace().next().unwrap_or_default().to_string();
            if let Some(t) = tag.strip_prefix('/') {
                tokens.push(Token::Close(name(t)));
            } else if let Some(t) = tag.strip_suffix('/') {
                tokens.push(Token::Empty(name(t)));
            } else {
                tokens.push(Token::Open(name(tag)));
            }
        } else {
            let end = rest.find('<').unwrap_or(rest.len());
            tokens.push(Token::Text(unescape(&rest[..end])));
            rest = &rest[end..];
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    at: usize,
    depth: usize,
}

impl Parser {
    fn skip_space(&mut self) {
        while matches!(self.tokens.get(self.at), Some(Token::Text(t)) if t.trim().is_empty()) {
            self.at += 1;
        }
    }

    fn open(&mut self, want: &str) -> Result<(), String> {
        self.skip_space();
        match self.tokens.get(self.at) {
            Some(Token::Open(n)) if n == want => {
                self.at += 1;
                Ok(())
            }
            t => Err(format!("expected <{want}>, got {t:?}")),
        }
    }

    fn close(&mut self, want: &str) -> Result<(), String> {
        self.skip_space();
        match self.tokens.get(self.at) {
            Some(Token::Close(n)) if n == want => {
                self.at += 1;
                Ok(())
            }
            t => Err(format!("expected </{want}>, got {t:?}")),
        }
    }

    fn peek_open(&mut self) -> Option<String> {
        self.skip_space();
        match self.tokens.get(self.at) {
            Some(Token::Open(n)) => Some(n.clone()),
            _ => None,
        }
    }

    /// Text up to the closing tag (empty when none).
    fn text(&mut self) -> String {
        match self.tokens.get(self.at) {
            Some(Token::Text(t)) => {
                self.at += 1;
                t.clone()
            }
            _ => String::new(),
        }
    }

    /// `<value>...</value>`
    fn value(&mut self) -> Result<Value, String> {
        if self.depth > 64 {
            return Err("nested too deep".into());
        }
        self.depth += 1;
        self.open("value")?;
        let v = match self.tokens.get(self.at) {
            // <value>text</value> is a string.
            Some(Token::Text(t)) if !t.trim().is_empty() || self.next_is_close("value") => {
                let t = t.clone();
                self.at += 1;
                Value::Str(t)
            }
            Some(Token::Close(n)) if n == "value" => Value::Str(String::new()),
            _ => {
                self.skip_space();
                match self.tokens.get(self.at) {
                    Some(Token::Empty(_)) => {
                        self.at += 1;
                        Value::Other
                    }
                    Some(Token::Open(kind)) => {
                        let kind = kind.clone();
                        self.at += 1;
                        let v = self.typed(&kind)?;
                        self.close(&kind)?;
                        v
                    }
                    t => return Err(format!("unexpected {t:?} in <value>")),
                }
            }
        };
        self.close("value")?;
        self.depth -= 1;
        Ok(v)
    }

    fn next_is_close(&self, name: &str) -> bool {
        matches!(self.tokens.get(self.at + 1), Some(Token::Close(n)) if n == name)
    }

    fn typed(&mut self, kind: &str) -> Result<Value, String> {
        Ok(match kind {
            "int" | "i4" | "i8" => {
                let t = self.text();
                Value::Int(t.trim().parse().map_err(|_| format!("bad int {t:?}"))?)
            }
            "boolean" => Value::Bool(self.text().trim() == "1"),
            "double" => {
                let t = self.text();
                Value::Double(t.trim().parse().map_err(|_| format!("bad double {t:?}"))?)
            }
            "string" => Value::Str(self.text()),
            "array" => {
                self.open("data")?;
                let mut items = Vec::new();
                while self.peek_open().as_deref() == Some("value") {
                    items.push(self.value()?);
                }
                self.close("data")?;
                Value::Array(items)
            }
            "struct" => {
                let mut members = Vec::new();
                while self.peek_open().as_deref() == Some("member") {
                    self.open("member")?;
                    self.open("name")?;
                    let name = self.text();
                    self.close("name")?;
                    members.push((name, self.value()?));
                    self.close("member")?;
                }
                Value::Struct(members)
            }
            _ => {
                // dateTime.iso8601, base64: read and ignored.
                self.text();
                Value::Other
            }
        })
    }
}

/// A methodResponse -> its value, or the fault as an error.
pub fn parse_response(xml: &str) -> Result<Value, String> {
    let mut p = Parser {
        tokens: tokenize(xml)?,
        at: 0,
        depth: 0,
    };
    p.open("methodResponse")?;
    if p.peek_open().as_deref() == Some("fault") {
        p.open("fault")?;
        let fault = p.value()?;
        let text = match fault {
            Value::Struct(m) => m
                .iter()
                .map(|(k, v)| format!("{k}={v:?}"))
                .collect::<Vec<_>>()
                .join(" "),
            v => format!("{v:?}"),
        };
        return Err(format!("fault: {text}"));
    }
    p.open("params")?;
    p.open("param")?;
    let v = p.value()?;
    p.close("param")?;
    p.close("params")?;
    p.close("methodResponse")?;
    Ok(v)
}

/// The fields the collector reports of one process.
#[derive(Debug, Default, PartialEq)]
pub struct ProcessInfo {
    pub name: String,
    pub group: String,
    pub start: i64,
    pub state: i64,
    pub exit_status: i64,
}

pub fn processes(v: Value) -> Result<Vec<ProcessInfo>, String> {
    let Value::Array(items) = v else {
        return Err("getAllProcessInfo did not return an array".into());
    };
    let mut out = Vec::new();
    for item in items {
        let Value::Struct(members) = item else {
            return Err("a process info is not a struct".into());
        };
        let mut p = ProcessInfo::default();
        for (k, v) in members {
            match (k.as_str(), v) {
                ("name", Value::Str(s)) => p.name = s,
                ("group", Value::Str(s)) => p.group = s,
                ("start", Value::Int(n)) => p.start = n,
                ("state", Value::Int(n)) => p.state = n,
                ("exitstatus", Value::Int(n)) => p.exit_status = n,
                _ => {}
            }
        }
        out.push(p);
    }
    Ok(out)
}

/// STARTING, RUNNING and STOPPING count as up.
fn is_running(state: i64) -> bool {
    matches!(state, 10 | 20 | 40)
}

impl Collector for Supervisord {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let fail = |e: String| CollectError::Backend(format!("unable to call supervisord: {e}"));
        let body = post(&self.endpoint, ctx.deadline).map_err(fail)?;
        let list = parse_response(&body).and_then(processes).map_err(fail)?;
        for p in list {
            let l = [p.name.as_str(), p.group.as_str()];
            out.gauge(&self.state, &l, p.state as f64);
            out.gauge(&self.exit_status, &l, p.exit_status as f64);
            if is_running(p.state) {
                out.gauge(&self.up, &l, 1.0);
                out.counter(&self.start_time, &l, p.start as f64);
            } else {
                out.gauge(&self.up, &l, 0.0);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls() {
        assert_eq!(
            parse_url("http://localhost:9001/RPC2"),
            Ok(Endpoint::Tcp {
                host: "localhost".into(),
                port: 9001,
                path: "/RPC2".into(),
                userinfo: None
            })
        );
        assert_eq!(
            parse_url("http://u:p%40ss@[::1]:9/x"),
            Ok(Endpoint::Tcp {
                host: "::1".into(),
                port: 9,
                path: "/x".into(),
                userinfo: Some("u:p%40ss".into())
            })
        );
        assert_eq!(
            parse_url("unix:///run/supervisor.sock"),
            Ok(Endpoint::Unix {
                socket: "/run/supervisor.sock".into()
            })
        );
        assert!(parse_url("https://localhost:9001/RPC2").is_err());
        assert!(parse_url("http://:9001/").is_err());
        assert!(parse_url("http://h:99999/").is_err());
        assert_eq!(percent_decode("p%40ss%zz"), b"p@ss%zz");
    }

    #[test]
    fn http_bodies() {
        assert_eq!(
            parse_http(b"HTTP/1.0 200 OK\r\nContent-Length: 3\r\n\r\nabcdef"),
            Ok("abc".into())
        );
        assert_eq!(
            parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"),
            Ok("abcde".into())
        );
        assert!(parse_http(b"HTTP/1.1 401 Unauthorized\r\n\r\n").is_err());
        assert!(
            parse_http(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n9\r\nabc").is_err()
        );
        assert!(parse_http(b"garbage").is_err());
    }

    #[test]
    fn responses_faults_and_odd_xml() {
        let ok = "<?xml version='1.0'?>\n<methodResponse>\n<params>\n<param>\n<value><array><data>\n\
            <value><struct>\n<member>\n<name>name</name>\n<value><string>a&amp;b</string></value>\n</member>\n\
            <member>\n<name>group</name>\n<value>g</value>\n</member>\n\
            <member>\n<name>start</name>\n<value><int>1700000000</int></value>\n</member>\n\
            <member>\n<name>state</name>\n<value><i4>20</i4></value>\n</member>\n\
            <member>\n<name>exitstatus</name>\n<value><int>0</int></value>\n</member>\n\
            <member>\n<name>description</name>\n<value><string></string></value>\n</member>\n\
            <member>\n<name>spawnerr</name>\n<value><nil/></value>\n</member>\n\
            </struct></value>\n</data></array></value>\n</param>\n</params>\n</methodResponse>\n";
        let got = processes(parse_response(ok).unwrap()).unwrap();
        assert_eq!(
            got,
            [ProcessInfo {
                name: "a&b".into(),
                group: "g".into(),
                start: 1_700_000_000,
                state: 20,
                exit_status: 0
            }]
        );
        let fault = "<methodResponse><fault><value><struct><member><name>faultCode</name><value><int>1</int></value></member><member><name>faultString</name><value><string>UNKNOWN_METHOD</string></value></member></struct></value></fault></methodResponse>";
        assert!(
            parse_response(fault)
                .unwrap_err()
                .contains("UNKNOWN_METHOD")
        );
        for cut in [10, 40, 100, ok.len() - 20] {
            assert!(parse_response(&ok[..cut]).is_err(), "cut {cut}");
        }
        assert!(parse_response("<methodResponse><params><param><value><int>x</int></value></param></params></methodResponse>").is_err());
        let deep = "<value><array><data>".repeat(100);
        assert!(parse_response(&format!("<methodResponse><params><param>{deep}")).is_err());
        assert_eq!(unescape("&lt;&#65;&#x42;&bogus;&"), "<AB&bogus;&");
    }
}
