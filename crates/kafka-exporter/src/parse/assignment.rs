//! The consumer protocol's member assignment (the bytes DescribeGroups
//! returns for a member of a "consumer" group): version i16, then an array
//! of (topic string, array of partition i32), then user data (ignored).

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("truncated or malformed assignment at byte {0}")]
pub struct AssignmentError(pub usize);

struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl Reader<'_> {
    fn take(&mut self, n: usize) -> Result<&[u8], AssignmentError> {
        let end = self.pos.checked_add(n).ok_or(AssignmentError(self.pos))?;
        let slice = self
            .buf
            .get(self.pos..end)
            .ok_or(AssignmentError(self.pos))?;
        self.pos = end;
        Ok(slice)
    }
    fn i16(&mut self) -> Result<i16, AssignmentError> {
        let b = self.take(2)?;
        Ok(i16::from_be_bytes([b[0], b[1]]))
    }
    fn i32(&mut self) -> Result<i32, AssignmentError> {
        let b = self.take(4)?;
        Ok(i32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }
    fn count(&mut self) -> Result<usize, AssignmentError> {
        let at = self.pos;
        let n = self.i32()?;
        // An array cannot hold more elements than there are bytes left.
        let n = usize::try_from(n.max(0)).map_err(|_| AssignmentError(at))?;
        if n > self.buf.len() - self.pos {
            return Err(AssignmentError(at));
        }
        Ok(n)
    }
}

/// Topic and partitions assigned to one member. Empty input (a member that
/// has no assignment yet) is an empty list.
pub fn parse_assignment(buf: &[u8]) -> Result<Vec<(String, Vec<i32>)>, AssignmentError> {
    if buf.is_empty() {
        return Ok(Vec::new());
    }
    let mut r = Reader { buf, pos: 0 };
    let _version = r.i16()?;
    let topics = r.count()?;
    let mut out = Vec::with_capacity(topics);
    for _ in 0..topics {
        let at = r.pos;
        let len = usize::try_from(r.i16()?.max(0)).map_err(|_| AssignmentError(at))?;
        let name = String::from_utf8_lossy(r.take(len)?).into_owned();
        let n = r.count()?;
        let mut partitions = Vec::with_capacity(n);
        for _ in 0..n {
            partitions.push(r.i32()?);
        }
        out.push((name, partitions));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encode(topics: &[(&str, &[i32])]) -> Vec<u8> {
        let mut b = vec![0, 1];
        b.extend((topics.len() as i32).to_be_bytes());
        for (t, ps) in topics {
            b.extend((t.len() as i16).to_be_bytes());
            b.extend(t.as_bytes());
            b.extend((ps.len() as i32).to_be_bytes());
            for p in *ps {
                b.extend(p.to_be_bytes());
            }
        }
        b.extend((-1i32).to_be_bytes()); // null user data
        b
    }

    #[test]
    fn parses_topics_and_partitions() {
        let buf = encode(&[("orders", &[0, 2]), ("audit", &[1])]);
        assert_eq!(
            parse_assignment(&buf),
            Ok(vec![
                ("orders".to_string(), vec![0, 2]),
                ("audit".to_string(), vec![1])
            ])
        );
        assert_eq!(parse_assignment(&[]), Ok(vec![]));
    }

    #[test]
    fn rejects_truncated_and_huge_counts() {
        let buf = encode(&[("orders", &[0, 2])]);
        for cut in 1..buf.len() - 4 {
            assert!(parse_assignment(&buf[..cut]).is_err(), "cut at {cut}");
        }
        assert!(parse_assignment(&[0, 0, 0x7f, 0xff, 0xff, 0xff]).is_err());
    }
}
