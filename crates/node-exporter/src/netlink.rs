//! A minimal netlink dump client: one request, every reply message back.
//! Used by network_route (rtnetlink) and tcpstat (sock_diag), as upstream
//! asks the kernel over netlink for both. The socket has a receive timeout,
//! so a kernel that does not answer costs one collector, never a hang.
//!
//! The only unsafe code is the libc calls, each checked for errors.

use std::io;
use std::time::Duration;

pub const NLMSG_ERROR: u16 = 2;
pub const NLMSG_DONE: u16 = 3;
pub const NLM_F_REQUEST: u16 = 0x1;
pub const NLM_F_DUMP: u16 = 0x300;
const HDR_LEN: usize = 16;

/// One reply message: its type and payload (after the 16-byte header).
#[derive(Debug, Clone)]
pub struct Message {
    pub kind: u16,
    pub payload: Vec<u8>,
}

struct Fd(i32);

impl Drop for Fd {
    fn drop(&mut self) {
        #[allow(unsafe_code)]
        // SAFETY: the descriptor was returned by socket() and is closed once.
        unsafe {
            libc::close(self.0);
        }
    }
}

fn check(ret: isize) -> io::Result<usize> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret as usize)
    }
}

/// Sends `payload` as a dump request of type `kind` on a netlink socket of
/// `protocol` and collects the replies until NLMSG_DONE.
pub fn dump(
    protocol: i32,
    kind: u16,
    payload: &[u8],
    timeout: Duration,
) -> io::Result<Vec<Message>> {
    #[allow(unsafe_code)]
    // SAFETY: plain socket(2) call; the result is checked.
    let fd = unsafe {
        libc::socket(
            libc::AF_NETLINK,
            libc::SOCK_RAW | libc::SOCK_CLOEXEC,
            protocol,
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fd = Fd(fd);
    let tv = libc::timeval {
        tv_sec: timeout.as_secs() as libc::time_t,
        tv_usec: timeout.subsec_micros() as libc::suseconds_t,
    };
    #[allow(unsafe_code)]
    // SAFETY: tv outlives the call and its size is passed.
    let ret = unsafe {
        libc::setsockopt(
            fd.0,
            libc::SOL_SOCKET,
            libc::SO_RCVTIMEO,
            (&tv as *const libc::timeval).cast(),
            std::mem::size_of::<libc::timeval>() as libc::socklen_t,
        )
    };
    check(ret as isize)?;

    let seq: u32 = 1;
    let len = HDR_LEN + payload.len();
    let mut req = Vec::with_capacity(len);
    req.extend_from_slice(&(len as u32).to_ne_bytes());
    req.extend_from_slice(&kind.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(payload);
    #[allow(unsafe_code)]
    // SAFETY: an all-zero sockaddr_nl is valid; the kernel is pid 0.
    let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
    addr.nl_family = libc::AF_NETLINK as libc::sa_family_t;
    #[allow(unsafe_code)]
    // SAFETY: req and addr outlive the call; their lengths are passed.
    let ret = unsafe {
        libc::sendto(
            fd.0,
            req.as_ptr().cast(),
            req.len(),
            0,
            (&addr as *const libc::sockaddr_nl).cast(),
            std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t,
        )
    };
    check(ret)?;

    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        #[allow(unsafe_code)]
        // SAFETY: buf is writable for buf.len() bytes.
        let n = unsafe { libc::recv(fd.0, buf.as_mut_ptr().cast(), buf.len(), 0) };
        let n = check(n)?;
        if n == 0 {
            return Ok(out);
        }
        let mut off = 0;
        while off + HDR_LEN <= n {
            let h = &buf[off..off + HDR_LEN];
            let msg_len = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]) as usize;
            let msg_kind = u16::from_ne_bytes([h[4], h[5]]);
            if msg_len < HDR_LEN || off + msg_len > n {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "truncated netlink message",
                ));
            }
            let body = &buf[off + HDR_LEN..off + msg_len];
            match msg_kind {
                NLMSG_DONE => return Ok(out),
                NLMSG_ERROR => {
                    let errno = body
                        .get(..4)
                        .map(|b| i32::from_ne_bytes([b[0], b[1], b[2], b[3]]))
                        .unwrap_or(0);
                    if errno != 0 {
                        return Err(io::Error::from_raw_os_error(-errno));
                    }
                }
                _ => out.push(Message {
                    kind: msg_kind,
                    payload: body.to_vec(),
                }),
            }
            off += align(msg_len);
        }
    }
}

/// Netlink's 4-byte alignment.
pub fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// Route attributes (`struct rtattr`: u16 len, u16 type, data) in `data`.
pub fn attributes(mut data: &[u8]) -> Vec<(u16, &[u8])> {
    let mut out = Vec::new();
    while data.len() >= 4 {
        let len = u16::from_ne_bytes([data[0], data[1]]) as usize;
        let kind = u16::from_ne_bytes([data[2], data[3]]);
        if len < 4 || len > data.len() {
            break;
        }
        out.push((kind, &data[4..len]));
        let next = align(len).min(data.len());
        data = &data[next..];
    }
    out
}

/// An interface's name from its index, as `ip` prints it.
pub fn interface_name(index: u32) -> Option<String> {
    let mut buf = [0u8; libc::IF_NAMESIZE];
    #[allow(unsafe_code)]
    // SAFETY: buf holds IF_NAMESIZE bytes as if_indextoname requires.
    let ret = unsafe { libc::if_indextoname(index, buf.as_mut_ptr().cast()) };
    if ret.is_null() {
        return None;
    }
    let end = buf.iter().position(|b| *b == 0).unwrap_or(buf.len());
    String::from_utf8(buf[..end].to_vec()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attributes_stop_at_garbage() {
        let mut data = Vec::new();
        data.extend_from_slice(&8u16.to_ne_bytes());
        data.extend_from_slice(&1u16.to_ne_bytes());
        data.extend_from_slice(&[10, 0, 0, 1]);
        data.extend_from_slice(&200u16.to_ne_bytes());
        data.extend_from_slice(&2u16.to_ne_bytes());
        let a = attributes(&data);
        assert_eq!(a.len(), 1);
        assert_eq!(a[0], (1, &[10u8, 0, 0, 1][..]));
    }

    #[test]
    fn loopback_has_a_name() {
        assert_eq!(interface_name(1).as_deref(), Some("lo"));
    }
}
