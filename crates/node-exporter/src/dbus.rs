//! The D-Bus client of the systemd and logind collectors: a fresh connection
//! per scrape (so a restarted daemon or bus is picked up), method calls with
//! string arguments, and a reader for any reply (the wire format of the
//! D-Bus specification, little-endian out, either endianness in).
//!
//! Written here rather than taken from a D-Bus crate because upstream's
//! `--collector.systemd.private` talks to systemd's own socket, where every
//! reply names "org.freedesktop.systemd1" as its sender; a client that
//! insists a sender be a unique name (":1.42") cannot read those replies.

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::net::UnixStream;
use std::time::Instant;

use crate::parse::percent_decode;

/// systemd's own socket, which go-systemd's NewSystemdConnection dials: a
/// peer-to-peer connection to the manager with no bus daemon between.
pub const SYSTEMD_PRIVATE: &str = "/run/systemd/private";

/// The system bus socket when `$DBUS_SYSTEM_BUS_ADDRESS` is unset.
const SYSTEM_BUS: &str = "/var/run/dbus/system_bus_socket";

/// The largest message the specification allows (128 MiB); a longer length
/// is a broken peer, not an allocation to make.
const MAX_MESSAGE: usize = 128 << 20;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("unsupported D-Bus address {0:?} (only unix:path= and unix:abstract= are)")]
    Address(String),
    #[error("authentication refused: {0}")]
    Auth(String),
    #[error("malformed message: {0}")]
    Malformed(&'static str),
    #[error("{name}: {message}")]
    Remote { name: String, message: String },
    #[error("reply of type {got:?}, expected {want}")]
    Type { got: String, want: &'static str },
    #[error("the scrape deadline passed")]
    Deadline,
}

/// A value read from a message body.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Byte(u8),
    Bool(bool),
    I16(i16),
    U16(u16),
    I32(i32),
    U32(u32),
    I64(i64),
    U64(u64),
    Double(f64),
    /// s, o and g.
    Str(String),
    /// a file descriptor index (h).
    Fd(u32),
    Array(Vec<Value>),
    /// A struct or a dict entry.
    Struct(Vec<Value>),
    Variant(Box<Value>),
}

impl Value {
    fn kind(&self) -> String {
        format!("{self:?}")
            .split('(')
            .next()
            .unwrap_or_default()
            .to_string()
    }

    fn unwrap_variant(self) -> Value {
        match self {
            Value::Variant(v) => v.unwrap_variant(),
            v => v,
        }
    }

    pub fn into_string(self) -> Result<String, Error> {
        match self.unwrap_variant() {
            Value::Str(s) => Ok(s),
            v => Err(Error::Type {
                got: v.kind(),
                want: "string",
            }),
        }
    }

    pub fn into_u32(self) -> Result<u32, Error> {
        match self.unwrap_variant() {
            Value::U32(n) => Ok(n),
            v => Err(Error::Type {
                got: v.kind(),
                want: "uint32",
            }),
        }
    }

    pub fn into_u64(self) -> Result<u64, Error> {
        match self.unwrap_variant() {
            Value::U64(n) => Ok(n),
            v => Err(Error::Type {
                got: v.kind(),
                want: "uint64",
            }),
        }
    }

    pub fn into_bool(self) -> Result<bool, Error> {
        match self.unwrap_variant() {
            Value::Bool(b) => Ok(b),
            v => Err(Error::Type {
                got: v.kind(),
                want: "boolean",
            }),
        }
    }

    pub fn into_array(self) -> Result<Vec<Value>, Error> {
        match self.unwrap_variant() {
            Value::Array(a) => Ok(a),
            v => Err(Error::Type {
                got: v.kind(),
                want: "array",
            }),
        }
    }

    pub fn into_struct(self) -> Result<Vec<Value>, Error> {
        match self.unwrap_variant() {
            Value::Struct(a) => Ok(a),
            v => Err(Error::Type {
                got: v.kind(),
                want: "struct",
            }),
        }
    }
}

/// The reader of one message body (or header field array), which aligns
/// relative to the start of the message as the specification says.
pub struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    big_endian: bool,
    /// Nesting depth guard: the specification caps containers at 64.
    depth: usize,
}

impl<'a> Decoder<'a> {
    /// `buf` starts at the message's first byte; `pos` is where to read.
    pub fn new(buf: &'a [u8], pos: usize, big_endian: bool) -> Decoder<'a> {
        Decoder {
            buf,
            pos,
            big_endian,
            depth: 0,
        }
    }

    fn align(&mut self, n: usize) -> Result<(), Error> {
        let at = self.pos.div_ceil(n) * n;
        if at > self.buf.len() {
            return Err(Error::Malformed("padding past the end"));
        }
        self.pos = at;
        Ok(())
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], Error> {
        let end = self
            .pos
            .checked_add(n)
            .filter(|&e| e <= self.buf.len())
            .ok_or(Error::Malformed("value past the end"))?;
        let b = &self.buf[self.pos..end];
        self.pos = end;
        Ok(b)
    }

    fn fixed<const N: usize>(&mut self) -> Result<[u8; N], Error> {
        self.align(N)?;
        let mut b: [u8; N] = self
            .take(N)?
            .try_into()
            .map_err(|_| Error::Malformed("short value"))?;
        if self.big_endian {
            b.reverse();
        }
        Ok(b)
    }

    fn u32(&mut self) -> Result<u32, Error> {
        self.fixed::<4>().map(u32::from_le_bytes)
    }

    fn string(&mut self, len: usize) -> Result<String, Error> {
        let b = self.take(len)?;
        self.take(1)?; // the terminating NUL
        String::from_utf8(b.to_vec()).map_err(|_| Error::Malformed("string is not UTF-8"))
    }

    /// Reads all values of `signature` in sequence.
    pub fn values(&mut self, signature: &str) -> Result<Vec<Value>, Error> {
        let mut sig = signature.as_bytes();
        let mut out = Vec::new();
        while !sig.is_empty() {
            let (one, rest) = split_type(sig)?;
            out.push(self.value(one)?);
            sig = rest;
        }
        Ok(out)
    }

    fn value(&mut self, t: &[u8]) -> Result<Value, Error> {
        Ok(match t.first().copied() {
            Some(b'y') => Value::Byte(self.take(1)?[0]),
            Some(b'b') => Value::Bool(self.u32()? != 0),
            Some(b'n') => Value::I16(i16::from_le_bytes(self.fixed::<2>()?)),
            Some(b'q') => Value::U16(u16::from_le_bytes(self.fixed::<2>()?)),
            Some(b'i') => Value::I32(i32::from_le_bytes(self.fixed::<4>()?)),
            Some(b'u') => Value::U32(self.u32()?),
            Some(b'h') => Value::Fd(self.u32()?),
            Some(b'x') => Value::I64(i64::from_le_bytes(self.fixed::<8>()?)),
            Some(b't') => Value::U64(u64::from_le_bytes(self.fixed::<8>()?)),
            Some(b'd') => Value::Double(f64::from_le_bytes(self.fixed::<8>()?)),
            Some(b's' | b'o') => {
                let len = self.u32()? as usize;
                Value::Str(self.string(len)?)
            }
            Some(b'g') => {
                let len = usize::from(self.take(1)?[0]);
                Value::Str(self.string(len)?)
            }
            Some(b'v') => {
                let len = usize::from(self.take(1)?[0]);
                let sig = self.string(len)?;
                let (one, rest) = split_type(sig.as_bytes())?;
                if !rest.is_empty() {
                    return Err(Error::Malformed("variant of more than one type"));
                }
                let v = self.nested(|d| d.value(one))?;
                Value::Variant(Box::new(v))
            }
            Some(b'a') => {
                let len = self.u32()? as usize;
                let elem = &t[1..];
                self.align(alignment(elem))?;
                let end = self
                    .pos
                    .checked_add(len)
                    .filter(|&e| e <= self.buf.len())
                    .ok_or(Error::Malformed("array past the end"))?;
                let mut items = Vec::new();
                while self.pos < end {
                    let at = self.pos;
                    items.push(self.nested(|d| d.value(elem))?);
                    if self.pos == at {
                        return Err(Error::Malformed("array of empty elements"));
                    }
                }
                if self.pos != end {
                    return Err(Error::Malformed("array length"));
                }
                Value::Array(items)
            }
            Some(b'(' | b'{') => {
                self.align(8)?;
                let inner = &t[1..t.len() - 1];
                Value::Struct(self.nested(|d| d.values(&String::from_utf8_lossy(inner)))?)
            }
            _ => return Err(Error::Malformed("unknown type code")),
        })
    }

    fn nested<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Error>) -> Result<T, Error> {
        if self.depth >= 64 {
            return Err(Error::Malformed("nested too deep"));
        }
        self.depth += 1;
        let r = f(self);
        self.depth -= 1;
        r
    }
}

/// The alignment of a type's first code.
fn alignment(t: &[u8]) -> usize {
    match t.first() {
        Some(b'y' | b'g' | b'v') => 1,
        Some(b'n' | b'q') => 2,
        Some(b'x' | b't' | b'd' | b'(' | b'{') => 8,
        _ => 4,
    }
}

/// The first complete type of a signature and the rest.
fn split_type(sig: &[u8]) -> Result<(&[u8], &[u8]), Error> {
    let bad = Error::Malformed("bad signature");
    let len = match sig.first() {
        None => return Err(bad),
        Some(b'a') => 1 + split_type(&sig[1..])?.0.len(),
        Some(&open @ (b'(' | b'{')) => {
            let close = if open == b'(' { b')' } else { b'}' };
            let mut depth = 0usize;
            let mut end = None;
            for (i, &c) in sig.iter().enumerate() {
                if c == b'(' || c == b'{' {
                    depth += 1;
                } else if c == b')' || c == b'}' {
                    depth -= 1;
                    if depth == 0 {
                        if c != close {
                            return Err(bad);
                        }
                        end = Some(i + 1);
                        break;
                    }
                }
            }
            end.ok_or(bad)?
        }
        Some(_) => 1,
    };
    Ok(sig.split_at(len))
}

/// A method call or a reply, as it goes on the wire.
struct Encoder(Vec<u8>);

impl Encoder {
    fn pad(&mut self, n: usize) {
        while !self.0.len().is_multiple_of(n) {
            self.0.push(0);
        }
    }

    fn u32(&mut self, v: u32) {
        self.pad(4);
        self.0.extend_from_slice(&v.to_le_bytes());
    }

    fn string(&mut self, s: &str) {
        self.u32(s.len() as u32);
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
    }

    fn signature(&mut self, s: &str) {
        self.0.push(s.len() as u8);
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
    }

    /// A header field whose value is a string-like variant.
    fn field(&mut self, code: u8, sig: &str, value: &str) {
        self.pad(8);
        self.0.push(code);
        self.signature(sig);
        if sig == "g" {
            self.signature(value);
        } else {
            self.string(value);
        }
    }
}

/// A method call message with string arguments.
pub fn method_call(
    serial: u32,
    destination: Option<&str>,
    path: &str,
    interface: &str,
    member: &str,
    args: &[&str],
) -> Vec<u8> {
    let mut body = Encoder(Vec::new());
    for a in args {
        body.string(a);
    }
    let mut m = Encoder(vec![b'l', 1, 0, 1]);
    m.u32(body.0.len() as u32);
    m.u32(serial);
    let mut fields = Encoder(Vec::new());
    // The field array's offsets count from the message start (16 here).
    fields.0.resize(16, 0);
    fields.field(1, "o", path);
    fields.field(2, "s", interface);
    fields.field(3, "s", member);
    if let Some(d) = destination {
        fields.field(6, "s", d);
    }
    if !args.is_empty() {
        fields.field(8, "g", &"s".repeat(args.len()));
    }
    let fields = &fields.0[16..];
    m.u32(fields.len() as u32);
    m.0.extend_from_slice(fields);
    m.pad(8);
    m.0.extend_from_slice(&body.0);
    m.0
}

/// What a reader needs of a received message.
#[derive(Debug)]
pub struct Message {
    pub kind: u8,
    pub reply_serial: Option<u32>,
    pub error_name: Option<String>,
    pub body: Vec<Value>,
}

/// Parses one whole message (`buf` holds exactly it).
pub fn parse_message(buf: &[u8]) -> Result<Message, Error> {
    let big_endian = match buf.first() {
        Some(b'l') => false,
        Some(b'B') => true,
        _ => return Err(Error::Malformed("endianness flag")),
    };
    let kind = *buf.get(1).ok_or(Error::Malformed("short header"))?;
    let mut d = Decoder::new(buf, 4, big_endian);
    let body_len = d.u32()? as usize;
    let _serial = d.u32()?;
    let fields = d.value(b"a(yv)")?.into_array()?;
    let (mut reply_serial, mut error_name, mut signature) = (None, None, String::new());
    for f in fields {
        let mut f = f.into_struct()?.into_iter();
        let (Some(Value::Byte(code)), Some(v)) = (f.next(), f.next()) else {
            return Err(Error::Malformed("header field"));
        };
        match code {
            4 => error_name = Some(v.into_string()?),
            5 => reply_serial = Some(v.into_u32()?),
            8 => signature = v.into_string()?,
            _ => {}
        }
    }
    d.align(8)?;
    if buf.len() - d.pos != body_len {
        return Err(Error::Malformed("body length"));
    }
    let body = d.values(&signature)?;
    Ok(Message {
        kind,
        reply_serial,
        error_name,
        body,
    })
}

/// The length of the message whose fixed 16-byte header is `head`.
fn message_length(head: &[u8; 16]) -> Result<usize, Error> {
    let big_endian = head[0] == b'B';
    let mut d = Decoder::new(head, 4, big_endian);
    let body = d.u32()? as usize;
    d.u32()?;
    let fields = d.u32()? as usize;
    let len = 16usize
        .checked_add(fields.div_ceil(8) * 8)
        .and_then(|n| n.checked_add(body))
        .filter(|&n| n <= MAX_MESSAGE)
        .ok_or(Error::Malformed("message too long"))?;
    Ok(len)
}

pub struct Connection {
    reader: BufReader<UnixStream>,
    serial: u32,
    deadline: Instant,
}

/// A Unix socket path from a D-Bus address (`unix:path=...`, or
/// `unix:abstract=...`), the forms a system bus has.
fn unix_socket(address: &str) -> Result<UnixStream, Error> {
    for one in address.split(';') {
        let Some(params) = one.strip_prefix("unix:") else {
            continue;
        };
        for kv in params.split(',') {
            if let Some(p) = kv.strip_prefix("path=") {
                return Ok(UnixStream::connect(
                    String::from_utf8_lossy(&percent_decode(p)).into_owned(),
                )?);
            }
            if let Some(name) = kv.strip_prefix("abstract=") {
                use std::os::linux::net::SocketAddrExt;
                let addr =
                    std::os::unix::net::SocketAddr::from_abstract_name(percent_decode(name))?;
                return Ok(UnixStream::connect_addr(&addr)?);
            }
        }
    }
    Err(Error::Address(address.to_string()))
}

impl Connection {
    /// The system bus (`$DBUS_SYSTEM_BUS_ADDRESS`, else the standard socket),
    /// authenticated and registered with Hello, as godbus's SystemBusPrivate.
    pub fn system_bus(deadline: Instant) -> Result<Connection, Error> {
        let address = std::env::var("DBUS_SYSTEM_BUS_ADDRESS")
            .unwrap_or_else(|_| format!("unix:path={SYSTEM_BUS}"));
        let mut c = Connection::open(unix_socket(&address)?, deadline)?;
        c.call(
            Some("org.freedesktop.DBus"),
            "/org/freedesktop/DBus",
            "org.freedesktop.DBus",
            "Hello",
            &[],
        )?;
        Ok(c)
    }

    /// A peer-to-peer connection to a socket path (no Hello).
    pub fn peer(path: &str, deadline: Instant) -> Result<Connection, Error> {
        Connection::open(UnixStream::connect(path)?, deadline)
    }

    fn open(stream: UnixStream, deadline: Instant) -> Result<Connection, Error> {
        let mut c = Connection {
            reader: BufReader::new(stream),
            serial: 0,
            deadline,
        };
        c.arm()?;
        // EXTERNAL: the server checks our uid from the socket's credentials.
        let uid = rustix::process::getuid().as_raw().to_string();
        let hex: String = uid.bytes().map(|b| format!("{b:02x}")).collect();
        c.reader
            .get_mut()
            .write_all(format!("\0AUTH EXTERNAL {hex}\r\n").as_bytes())?;
        let mut line = String::new();
        c.reader.by_ref().take(512).read_line(&mut line)?;
        if !line.starts_with("OK ") {
            return Err(Error::Auth(line.trim_end().to_string()));
        }
        // systemd's private socket (252 at least) answers nothing after a
        // BEGIN that did not follow NEGOTIATE_UNIX_FD; godbus and sd-bus
        // always send it, so we do too. No reply here carries descriptors.
        c.reader.get_mut().write_all(b"NEGOTIATE_UNIX_FD\r\n")?;
        line.clear();
        c.reader.by_ref().take(512).read_line(&mut line)?;
        c.reader.get_mut().write_all(b"BEGIN\r\n")?;
        Ok(c)
    }

    /// Socket timeouts from what is left of the scrape's time.
    fn arm(&mut self) -> Result<(), Error> {
        let left = self
            .deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or(Error::Deadline)?;
        let s = self.reader.get_ref();
        s.set_read_timeout(Some(left))?;
        s.set_write_timeout(Some(left))?;
        Ok(())
    }

    /// Calls a method with string arguments and returns the reply's body;
    /// an error reply is an error. Signals and other traffic in between are
    /// skipped.
    pub fn call(
        &mut self,
        destination: Option<&str>,
        path: &str,
        interface: &str,
        member: &str,
        args: &[&str],
    ) -> Result<Vec<Value>, Error> {
        self.arm()?;
        self.serial = self.serial.wrapping_add(1).max(1);
        let serial = self.serial;
        let msg = method_call(serial, destination, path, interface, member, args);
        self.reader.get_mut().write_all(&msg)?;
        loop {
            self.arm()?;
            let mut head = [0u8; 16];
            self.reader.read_exact(&mut head)?;
            let len = message_length(&head)?;
            let mut buf = head.to_vec();
            buf.resize(len, 0);
            self.reader.read_exact(&mut buf[16..])?;
            let m = parse_message(&buf)?;
            if m.reply_serial != Some(serial) {
                continue;
            }
            return match m.kind {
                2 => Ok(m.body),
                3 => Err(Error::Remote {
                    name: m.error_name.unwrap_or_default(),
                    message: m
                        .body
                        .into_iter()
                        .next()
                        .and_then(|v| v.into_string().ok())
                        .unwrap_or_default(),
                }),
                _ => Err(Error::Malformed("reply of an unknown type")),
            };
        }
    }

    /// `org.freedesktop.DBus.Properties.Get(interface, name)`.
    pub fn property(
        &mut self,
        destination: &str,
        path: &str,
        interface: &str,
        name: &str,
    ) -> Result<Value, Error> {
        self.call(
            Some(destination),
            path,
            "org.freedesktop.DBus.Properties",
            "Get",
            &[interface, name],
        )?
        .into_iter()
        .next()
        .ok_or(Error::Malformed("empty Get reply"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A reply built by hand, as the specification lays it out.
    fn reply(reply_serial: u32, signature: &str, body: &[u8]) -> Vec<u8> {
        let mut fields = Encoder(vec![0; 16]);
        fields.pad(8);
        fields.0.extend_from_slice(&[5, 1, b'u', 0]);
        fields.u32(reply_serial);
        fields.field(7, "s", "org.freedesktop.systemd1");
        fields.field(8, "g", signature);
        let fields = fields.0[16..].to_vec();
        let mut m = Encoder(vec![b'l', 2, 1, 1]);
        m.u32(body.len() as u32);
        m.u32(9);
        m.u32(fields.len() as u32);
        m.0.extend_from_slice(&fields);
        m.pad(8);
        m.0.extend_from_slice(body);
        m.0
    }

    #[test]
    fn reads_a_variant_reply_with_a_well_known_sender() {
        // v -> s "252.39"
        let mut body = vec![1, b's', 0, 0];
        body.extend_from_slice(&6u32.to_le_bytes());
        body.extend_from_slice(b"252.39\0");
        let m = parse_message(&reply(3, "v", &body)).unwrap();
        assert_eq!(m.kind, 2);
        assert_eq!(m.reply_serial, Some(3));
        assert_eq!(
            m.body,
            [Value::Variant(Box::new(Value::Str("252.39".into())))]
        );
        let head: [u8; 16] = reply(3, "v", &body)[..16].try_into().unwrap();
        assert_eq!(message_length(&head).unwrap(), reply(3, "v", &body).len());
    }

    #[test]
    fn reads_arrays_of_structs_with_padding() {
        // a(su): [("a", 1), ("bc", 2)]
        let mut b = Encoder(Vec::new());
        b.u32(0); // length, patched below
        b.pad(8);
        let start = b.0.len();
        b.string("a");
        b.u32(1);
        b.pad(8);
        b.string("bc");
        b.u32(2);
        let len = (b.0.len() - start) as u32;
        b.0[..4].copy_from_slice(&len.to_le_bytes());
        let m = parse_message(&reply(1, "a(su)", &b.0)).unwrap();
        let rows = m.body[0].clone().into_array().unwrap();
        assert_eq!(
            rows,
            [
                Value::Struct(vec![Value::Str("a".into()), Value::U32(1)]),
                Value::Struct(vec![Value::Str("bc".into()), Value::U32(2)]),
            ]
        );
    }

    #[test]
    fn a_method_call_reads_back() {
        let msg = method_call(7, Some("org.x"), "/p", "org.x.I", "Get", &["a", "bc"]);
        let m = parse_message(&msg).unwrap();
        assert_eq!(m.kind, 1);
        assert_eq!(m.body, [Value::Str("a".into()), Value::Str("bc".into())]);
    }

    #[test]
    fn truncated_and_hostile_input_is_an_error() {
        let mut body = vec![1, b's', 0, 0];
        body.extend_from_slice(&6u32.to_le_bytes());
        body.extend_from_slice(b"252.39\0");
        let full = reply(3, "v", &body);
        for cut in 0..full.len() {
            assert!(parse_message(&full[..cut]).is_err(), "cut at {cut}");
        }
        // A string length far past the end.
        let mut bad = full.clone();
        let at = full.len() - body.len() + 4;
        bad[at..at + 4].copy_from_slice(&u32::MAX.to_le_bytes());
        assert!(parse_message(&bad).is_err());
        // Unbalanced and unknown signatures.
        assert!(split_type(b"(su").is_err());
        assert!(split_type(b"(s}").is_err());
        assert!(Decoder::new(b"\0\0\0\0", 0, false).values("z").is_err());
        // Nesting past the cap: a variant holding variants.
        let mut deep = Vec::new();
        for _ in 0..100 {
            deep.extend_from_slice(&[1, b'v', 0]);
        }
        assert!(Decoder::new(&deep, 0, false).values("v").is_err());
    }

    #[test]
    fn addresses() {
        assert_eq!(percent_decode("/run/a%20b"), b"/run/a b");
        assert_eq!(percent_decode("%zz%4"), b"%zz%4");
        assert!(matches!(
            unix_socket("tcp:host=127.0.0.1,port=1"),
            Err(Error::Address(_))
        ));
    }
}
