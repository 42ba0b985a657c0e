//! /proc/self/mountstats: the NFS client statistics of each NFS mount.

use super::ParseError;

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Transport {
    pub protocol: String,
    pub bind: f64,
    pub connect: f64,
    pub idle_seconds: f64,
    pub sends: f64,
    pub receives: f64,
    pub bad_xids: f64,
    pub backlog: f64,
    pub max_slots: f64,
    pub sending: f64,
    pub pending: f64,
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct Operation {
    pub name: String,
    /// requests, transmissions, major timeouts, bytes sent, bytes
    /// received, queue ms, rtt ms, execute ms.
    /// Counters as the kernel prints them: u64, exact.
    pub values: [u64; 8],
}

#[derive(Debug, Clone, PartialEq, Default)]
pub struct NfsMount {
    /// Position of the mount among all of the file's `device` lines: the
    /// same as its line in /proc/self/mountinfo.
    pub index: usize,
    pub device: String,
    pub mountpoint: String,
    pub fstype: String,
    pub opts: Vec<(String, String)>,
    pub age: f64,
    pub bytes: Vec<f64>,
    pub events: Vec<f64>,
    pub transports: Vec<Transport>,
    pub operations: Vec<Operation>,
}

impl NfsMount {
    pub fn opt(&self, key: &str) -> Option<&str> {
        self.opts
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn numbers(fields: &[&str]) -> Option<Vec<f64>> {
    fields.iter().map(|f| f.parse::<f64>().ok()).collect()
}

fn transport(f: &[&str]) -> Option<Transport> {
    let proto = *f.first()?;
    let v = numbers(&f[1..])?;
    let g = |i: usize| v.get(i).copied().unwrap_or(0.0);
    match proto {
        // tcp/rdma: port bind connect connect_time idle sends recvs bad_xids req_u backlog_u [max_slots sending_u pending_u]
        "tcp" | "rdma" if v.len() >= 10 => Some(Transport {
            protocol: proto.to_string(),
            bind: g(1),
            connect: g(2),
            idle_seconds: g(4),
            sends: g(5),
            receives: g(6),
            bad_xids: g(7),
            backlog: g(9),
            max_slots: g(10),
            sending: g(11),
            pending: g(12),
        }),
        // udp: port bind sends recvs bad_xids req_u backlog_u [max_slots sending_u pending_u]
        "udp" if v.len() >= 7 => Some(Transport {
            protocol: proto.to_string(),
            bind: g(1),
            sends: g(2),
            receives: g(3),
            bad_xids: g(4),
            backlog: g(6),
            max_slots: g(7),
            sending: g(8),
            pending: g(9),
            ..Transport::default()
        }),
        _ => None,
    }
}

/// The NFS mounts of the file. A mount whose statistics cannot be read is
/// reported and left out; other mounts are not affected.
pub fn parse(text: &str) -> (Vec<NfsMount>, Vec<ParseError>) {
    let mut out: Vec<NfsMount> = Vec::new();
    let mut errors = Vec::new();
    let mut cur: Option<NfsMount> = None;
    let mut bad = false;
    let mut in_ops = false;
    let mut index = 0;
    let finish = |cur: &mut Option<NfsMount>, bad: bool, out: &mut Vec<NfsMount>| {
        if let Some(m) = cur.take().filter(|_| !bad) {
            out.push(m);
        }
    };
    for (i, line) in text.lines().enumerate() {
        if line.starts_with("device ") {
            finish(&mut cur, bad, &mut out);
            bad = false;
            in_ops = false;
            // device D mounted on M with fstype T [statvers=1.1]
            let f: Vec<&str> = line.split_whitespace().collect();
            index += 1;
            if f.len() >= 8 && f[2] == "mounted" && f[3] == "on" && matches!(f[7], "nfs" | "nfs4") {
                cur = Some(NfsMount {
                    index: index - 1,
                    device: f[1].to_string(),
                    mountpoint: f[4].to_string(),
                    fstype: f[7].to_string(),
                    ..NfsMount::default()
                });
            }
            continue;
        }
        let Some(m) = cur.as_mut() else { continue };
        let t = line.trim();
        if t == "per-op statistics" {
            in_ops = true;
            continue;
        }
        let Some((key, rest)) = t.split_once(':') else {
            continue;
        };
        let fields: Vec<&str> = rest.split_whitespace().collect();
        let mut fail = |msg: &str| {
            errors.push(ParseError::new(i + 1, format!("{}: {msg}", m.device)));
            true
        };
        if in_ops {
            let parsed: Option<Vec<u64>> = fields.iter().map(|f| f.parse().ok()).collect();
            match parsed {
                Some(v) if v.len() >= 8 => {
                    let mut values = [0; 8];
                    values.copy_from_slice(&v[..8]);
                    m.operations.push(Operation {
                        name: key.to_string(),
                        values,
                    });
                }
                _ => bad |= fail("bad per-op line"),
            }
            continue;
        }
        match key {
            "opts" => {
                m.opts = rest
                    .trim()
                    .split(',')
                    .map(|kv| match kv.split_once('=') {
                        Some((k, v)) => (k.to_string(), v.to_string()),
                        None => (kv.to_string(), String::new()),
                    })
                    .collect();
            }
            "age" => match fields.first().and_then(|v| v.parse::<f64>().ok()) {
                Some(v) => m.age = v,
                None => bad |= fail("bad age"),
            },
            "bytes" => match numbers(&fields) {
                Some(v) if v.len() >= 8 => m.bytes = v,
                _ => bad |= fail("bad bytes line"),
            },
            "events" => match numbers(&fields) {
                Some(v) if v.len() >= 27 => m.events = v,
                _ => bad |= fail("bad events line"),
            },
            "xprt" => match transport(&fields) {
                Some(x) => m.transports.push(x),
                None => bad |= fail("bad xprt line"),
            },
            _ => {}
        }
    }
    finish(&mut cur, bad, &mut out);
    (out, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    pub const SAMPLE: &str = "device rootfs mounted on / with fstype rootfs
device 192.168.1.1:/srv/test mounted on /mnt/nfs/test with fstype nfs4 statvers=1.1
\topts:\trw,vers=4.0,rsize=1048576,wsize=1048576,proto=tcp,port=0,timeo=600,retrans=2,sec=sys,clientaddr=192.168.1.5,addr=192.168.1.1,local_lock=none
\tage:\t13968
\tevents:\t52 226 0 0 1 13 398 0 0 331 0 47 0 0 77 0 0 77 0 0 0 0 0 0 0 0 0
\tbytes:\t1207640230 0 0 0 1210214218 0 295483 0
\tRPC iostats version: 1.0  p/v: 100003/4 (nfs)
\txprt:\ttcp 832 0 1 0 11 6428 6428 0 12154 0 24 26 5726
\tper-op statistics
\t        NULL: 0 0 0 0 0 0 0 0
\t        READ: 1298 1298 0 207680 1210292152 6 79386 79407
\t       WRITE: 0 0 0 0 0 0 0 0 0

device 192.168.1.2:/broken mounted on /mnt/broken with fstype nfs statvers=1.1
\tage:\tsoon
device proc mounted on /proc with fstype proc
";

    #[test]
    fn mounts() {
        let (m, e) = parse(SAMPLE);
        assert_eq!(m.len(), 1, "{m:?}");
        assert_eq!(e.len(), 1);
        let m = &m[0];
        assert_eq!(m.device, "192.168.1.1:/srv/test");
        assert_eq!(m.opt("proto"), Some("tcp"));
        assert_eq!(m.age, 13968.0);
        assert_eq!(m.events.len(), 27);
        assert_eq!(m.transports[0].sends, 6428.0);
        assert_eq!(m.transports[0].max_slots, 24.0);
        assert_eq!(m.operations.len(), 3);
        assert_eq!(m.operations[1].name, "READ");
        assert_eq!(m.operations[1].values[7], 79407);
    }
}
