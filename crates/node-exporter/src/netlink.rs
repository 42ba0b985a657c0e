//! A minimal netlink dump client: one request, every reply message back.
//! Used by network_route (rtnetlink) and tcpstat (sock_diag), as upstream
//! asks the kernel over netlink for both. The socket has a receive timeout,
//! so a kernel that does not answer costs one collector, never a hang.
//!
//! The socket calls are rustix's: no unsafe code here.

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

/// Sends `payload` as a dump request of type `kind` on a netlink socket of
/// `protocol` (`libc::NETLINK_*`) and collects the replies until NLMSG_DONE.
pub fn dump(
    protocol: i32,
    kind: u16,
    payload: &[u8],
    timeout: Duration,
) -> io::Result<Vec<Message>> {
    use rustix::net::{AddressFamily, Protocol, SocketFlags, SocketType};

    // rustix spells protocol 0 (NETLINK_ROUTE) as no protocol.
    let protocol = u32::try_from(protocol)
        .ok()
        .and_then(std::num::NonZeroU32::new)
        .map(Protocol::from_raw);
    let fd = rustix::net::socket_with(
        AddressFamily::NETLINK,
        SocketType::RAW,
        SocketFlags::CLOEXEC,
        protocol,
    )?;
    rustix::net::sockopt::set_socket_timeout(
        &fd,
        rustix::net::sockopt::Timeout::Recv,
        Some(timeout),
    )?;

    let seq: u32 = 1;
    let len = HDR_LEN + payload.len();
    let mut req = Vec::with_capacity(len);
    req.extend_from_slice(&(len as u32).to_ne_bytes());
    req.extend_from_slice(&kind.to_ne_bytes());
    req.extend_from_slice(&(NLM_F_REQUEST | NLM_F_DUMP).to_ne_bytes());
    req.extend_from_slice(&seq.to_ne_bytes());
    req.extend_from_slice(&0u32.to_ne_bytes());
    req.extend_from_slice(payload);
    // The kernel is port 0.
    let kernel = rustix::net::netlink::SocketAddrNetlink::new(0, 0);
    rustix::net::sendto(&fd, &req, rustix::net::SendFlags::empty(), &kernel)?;

    let mut out = Vec::new();
    let mut buf = vec![0u8; 64 * 1024];
    loop {
        let (n, _) = rustix::net::recv(&fd, &mut buf[..], rustix::net::RecvFlags::empty())?;
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

/// One attribute (`struct nlattr`/`rtattr`: u16 len, u16 type, data),
/// padded to netlink's alignment: what [`attributes`] reads back.
pub fn attribute(kind: u16, data: &[u8]) -> Vec<u8> {
    let mut v = Vec::with_capacity(align(4 + data.len()));
    v.extend_from_slice(&((4 + data.len()) as u16).to_ne_bytes());
    v.extend_from_slice(&kind.to_ne_bytes());
    v.extend_from_slice(data);
    v.resize(align(v.len()), 0);
    v
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
    use rustix::net::{AddressFamily, SocketFlags, SocketType};
    // SIOCGIFNAME on any socket, as if_indextoname(3) does.
    let fd = rustix::net::socket_with(
        AddressFamily::INET,
        SocketType::DGRAM,
        SocketFlags::CLOEXEC,
        None,
    )
    .ok()?;
    rustix::net::netdevice::index_to_name(&fd, index).ok()
}
