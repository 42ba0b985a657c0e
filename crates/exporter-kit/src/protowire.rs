//! Reading the protocol buffers wire format and gRPC's message framing:
//! enough for the few answers exporters decode by hand (a gRPC health
//! check, containerd's container list) without a protobuf runtime or
//! generated code. Unknown fields are skipped, as protobuf requires, so
//! newer servers with more fields still decode.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WireError {
    #[error("truncated protobuf message")]
    Truncated,
    #[error("malformed varint")]
    BadVarint,
    #[error("unsupported protobuf wire type {0}")]
    WireType(u64),
    #[error("compressed gRPC messages are not supported")]
    Compressed,
}

/// One field's value, by wire type.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    Varint(u64),
    Fixed64(u64),
    /// Strings, bytes, embedded messages, packed repeated fields.
    Bytes(&'a [u8]),
    Fixed32(u32),
}

impl<'a> Value<'a> {
    pub fn as_u64(self) -> Option<u64> {
        match self {
            Value::Varint(v) | Value::Fixed64(v) => Some(v),
            Value::Fixed32(v) => Some(u64::from(v)),
            Value::Bytes(_) => None,
        }
    }

    pub fn as_bytes(self) -> Option<&'a [u8]> {
        match self {
            Value::Bytes(b) => Some(b),
            _ => None,
        }
    }

    /// A string field; invalid UTF-8 is replaced rather than refused.
    pub fn as_string(self) -> Option<String> {
        self.as_bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }
}

pub(crate) fn varint(buf: &[u8]) -> Result<(u64, usize), WireError> {
    let mut value = 0u64;
    for (i, byte) in buf.iter().enumerate().take(10) {
        value |= u64::from(byte & 0x7f) << (7 * i);
        if byte & 0x80 == 0 {
            return Ok((value, i + 1));
        }
    }
    if buf.len() < 10 {
        Err(WireError::Truncated)
    } else {
        Err(WireError::BadVarint)
    }
}

/// The fields of one message, in wire order: `(field number, value)`.
/// Stops at the first malformed field with its error.
pub struct Fields<'a> {
    rest: &'a [u8],
    failed: bool,
}

pub fn fields(message: &[u8]) -> Fields<'_> {
    Fields {
        rest: message,
        failed: false,
    }
}

impl<'a> Fields<'a> {
    fn take(&mut self, n: usize) -> Result<&'a [u8], WireError> {
        if self.rest.len() < n {
            return Err(WireError::Truncated);
        }
        let (head, tail) = self.rest.split_at(n);
        self.rest = tail;
        Ok(head)
    }

    fn next_field(&mut self) -> Result<(u32, Value<'a>), WireError> {
        let (key, n) = varint(self.rest)?;
        self.rest = &self.rest[n..];
        let number = u32::try_from(key >> 3).map_err(|_| WireError::BadVarint)?;
        let value = match key & 7 {
            0 => {
                let (v, n) = varint(self.rest)?;
                self.rest = &self.rest[n..];
                Value::Varint(v)
            }
            1 => {
                let b = self.take(8)?;
                Value::Fixed64(u64::from_le_bytes(
                    b.try_into().map_err(|_| WireError::Truncated)?,
                ))
            }
            2 => {
                let (len, n) = varint(self.rest)?;
                self.rest = &self.rest[n..];
                let len = usize::try_from(len).map_err(|_| WireError::Truncated)?;
                Value::Bytes(self.take(len)?)
            }
            5 => {
                let b = self.take(4)?;
                Value::Fixed32(u32::from_le_bytes(
                    b.try_into().map_err(|_| WireError::Truncated)?,
                ))
            }
            other => return Err(WireError::WireType(other)),
        };
        Ok((number, value))
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = Result<(u32, Value<'a>), WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.failed || self.rest.is_empty() {
            return None;
        }
        let field = self.next_field();
        self.failed = field.is_err();
        Some(field)
    }
}

/// A `map<string, string>` entry (an embedded message with key 1, value 2).
pub fn map_entry(entry: &[u8]) -> Result<(String, String), WireError> {
    let mut key = String::new();
    let mut value = String::new();
    for field in fields(entry) {
        match field? {
            (1, v) => key = v.as_string().unwrap_or_default(),
            (2, v) => value = v.as_string().unwrap_or_default(),
            _ => {}
        }
    }
    Ok((key, value))
}

fn put_varint(buf: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        buf.push((v as u8 & 0x7f) | 0x80);
        v >>= 7;
    }
    buf.push(v as u8);
}

/// Appends a length-delimited field (a string, bytes or an embedded message).
pub fn put_bytes(buf: &mut Vec<u8>, number: u32, bytes: &[u8]) {
    put_varint(buf, u64::from(number) << 3 | 2);
    put_varint(buf, bytes.len() as u64);
    buf.extend_from_slice(bytes);
}

/// Frames `message` as one uncompressed gRPC message.
pub fn grpc_frame(message: &[u8]) -> Vec<u8> {
    let mut framed = Vec::with_capacity(message.len() + 5);
    framed.push(0);
    // A message over 4 GiB cannot be framed; exporters send a few bytes.
    framed.extend_from_slice(
        &u32::try_from(message.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    framed.extend_from_slice(message);
    framed
}

/// The first gRPC message of a unary response body.
pub fn grpc_message(body: &[u8]) -> Result<&[u8], WireError> {
    let header = body.get(..5).ok_or(WireError::Truncated)?;
    if header[0] != 0 {
        return Err(WireError::Compressed);
    }
    let len = u32::from_be_bytes([header[1], header[2], header[3], header[4]]);
    let len = usize::try_from(len).map_err(|_| WireError::Truncated)?;
    body.get(5..5 + len).ok_or(WireError::Truncated)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_wire_type_and_skips_unknown_fields() {
        // 1: varint 150, 2: "hi", 3: fixed64 7, 4: fixed32 9, 15: varint 1
        let msg = [
            0x08, 0x96, 0x01, 0x12, 0x02, b'h', b'i', 0x19, 7, 0, 0, 0, 0, 0, 0, 0, 0x25, 9, 0, 0,
            0, 0x78, 0x01,
        ];
        let got: Vec<_> = fields(&msg).collect::<Result<_, _>>().expect("valid");
        assert_eq!(
            got,
            vec![
                (1, Value::Varint(150)),
                (2, Value::Bytes(b"hi")),
                (3, Value::Fixed64(7)),
                (4, Value::Fixed32(9)),
                (15, Value::Varint(1)),
            ]
        );
    }

    #[test]
    fn malformed_input_is_an_error_never_a_panic() {
        assert_eq!(
            fields(&[0x12, 0x05, b'a']).last(),
            Some(Err(WireError::Truncated))
        );
        assert_eq!(fields(&[0x0b]).last(), Some(Err(WireError::WireType(3))));
        assert_eq!(
            fields(&[0x08, 0x80]).last(),
            Some(Err(WireError::Truncated))
        );
        assert_eq!(
            fields(&[
                0x08, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff
            ])
            .last(),
            Some(Err(WireError::BadVarint))
        );
        // Every prefix of a valid message fails cleanly or decodes.
        let msg = [0x0a, 0x04, 0x0a, 0x02, b'i', b'd', 0x10, 0x01];
        for end in 0..msg.len() {
            let _ = fields(&msg[..end]).count();
        }
    }

    #[test]
    fn grpc_framing_round_trips() {
        let framed = grpc_frame(b"\x08\x01");
        assert_eq!(framed, [0, 0, 0, 0, 2, 0x08, 0x01]);
        assert_eq!(grpc_message(&framed), Ok(&b"\x08\x01"[..]));
        assert_eq!(grpc_message(&framed[..6]), Err(WireError::Truncated));
        assert_eq!(grpc_message(&[1, 0, 0, 0, 0]), Err(WireError::Compressed));
    }

    #[test]
    fn writes_what_it_reads() {
        let long = "x".repeat(300);
        let mut msg = Vec::new();
        put_bytes(&mut msg, 1, long.as_bytes());
        put_bytes(&mut msg, 20, b"");
        let got: Vec<_> = fields(&msg).collect::<Result<_, _>>().expect("valid");
        assert_eq!(
            got,
            vec![(1, Value::Bytes(long.as_bytes())), (20, Value::Bytes(b""))]
        );
    }

    #[test]
    fn map_entries() {
        let entry = [0x0a, 0x01, b'k', 0x12, 0x01, b'v'];
        assert_eq!(map_entry(&entry), Ok(("k".into(), "v".into())));
    }
}
