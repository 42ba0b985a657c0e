//! /proc/net/tcp and /proc/net/tcp6: connection states and queue sizes.

use super::ParseError;

pub const STATES: &[(u8, &str)] = &[
    (0x01, "established"),
    (0x02, "syn_sent"),
    (0x03, "syn_recv"),
    (0x04, "fin_wait1"),
    (0x05, "fin_wait2"),
    (0x06, "time_wait"),
    (0x07, "close"),
    (0x08, "close_wait"),
    (0x09, "last_ack"),
    (0x0A, "listen"),
    (0x0B, "closing"),
];

/// Adds each socket line to `counts` (indexed by state) and the queues.
pub fn accumulate(
    text: &str,
    counts: &mut [u64; 12],
    tx_queued: &mut u64,
    rx_queued: &mut u64,
) -> Vec<ParseError> {
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.is_empty() {
            continue;
        }
        let parsed = (|| {
            let st = u8::from_str_radix(f.get(3)?, 16).ok()?;
            let (tx, rx) = f.get(4)?.split_once(':')?;
            Some((
                st,
                u64::from_str_radix(tx, 16).ok()?,
                u64::from_str_radix(rx, 16).ok()?,
            ))
        })();
        match parsed {
            Some((st, tx, rx)) if (st as usize) < counts.len() => {
                counts[st as usize] += 1;
                *tx_queued += tx;
                *rx_queued += rx;
            }
            _ => errors.push(ParseError::new(i + 1, format!("bad socket line {line:?}"))),
        }
    }
    errors
}

/// An inet_diag_req_v2 asking for every TCP socket of `family`.
pub fn diag_request(family: u8) -> Vec<u8> {
    let mut req = vec![0u8; 56];
    req[0] = family;
    req[1] = 6; // IPPROTO_TCP
    req[4..8].copy_from_slice(&0xFFFu32.to_ne_bytes()); // every state
    req
}

/// (state, rqueue, wqueue) of one inet_diag_msg.
pub fn diag_message(payload: &[u8]) -> Option<(u8, u64, u64)> {
    let state = *payload.get(1)?;
    let r = u32::from_ne_bytes(payload.get(56..60)?.try_into().ok()?);
    let w = u32::from_ne_bytes(payload.get(60..64)?.try_into().ok()?);
    Some((state, u64::from(r), u64::from(w)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn diag_messages() {
        let mut m = vec![0u8; 72];
        m[1] = 10;
        m[56..60].copy_from_slice(&3u32.to_ne_bytes());
        m[60..64].copy_from_slice(&4096u32.to_ne_bytes());
        assert_eq!(super::diag_message(&m), Some((10, 3, 4096)));
        assert_eq!(super::diag_message(&m[..10]), None);
        assert_eq!(super::diag_request(2).len(), 56);
    }

    #[test]
    fn states_and_queues() {
        let text = "  sl  local_address rem_address   st tx_queue rx_queue\n   0: 0100007F:9DCF 00000000:0000 0A 00000000:00000000 00\n   1: 0100007F:9DCF 0100007F:0001 01 00000010:00000002 00\n   2: junk\n";
        let mut c = [0u64; 12];
        let (mut tx, mut rx) = (0, 0);
        let e = super::accumulate(text, &mut c, &mut tx, &mut rx);
        assert_eq!((c[0x0A], c[1], tx, rx), (1, 1, 16, 2));
        assert_eq!(e.len(), 1);
    }
}
