//! tcpstat: TCP sockets by state and queued bytes. Asks the kernel over
//! netlink (sock_diag) as upstream does, so the queue figures match (for
//! listening sockets netlink reports the backlog limit as the send queue);
//! falls back to /proc/net/tcp{,6} where netlink is unavailable, and
//! reads those files when --path.procfs points elsewhere than /proc.

use std::path::PathBuf;
use std::time::Duration;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::netlink;
use crate::parse::tcp::{self, STATES};
use crate::sysfs::read_source;

const SOCK_DIAG_BY_FAMILY: u16 = 20;

pub struct Tcpstat {
    /// Netlink describes the host's own network namespace, so it is only
    /// used when the procfs flag points at this host's /proc.
    use_netlink: bool,
    v4: PathBuf,
    v6: PathBuf,
    states: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Tcpstat {
        use_netlink: args.procfs == std::path::Path::new("/proc"),
        v4: args.proc("net/tcp"),
        v6: args.proc("net/tcp6"),
        states: Desc::gauge(
            "node_tcp_connection_states",
            "Number of connection states.",
            &["state"],
        ),
    }))
}

impl Tcpstat {
    fn via_netlink(&self, ctx: &ScrapeContext) -> std::io::Result<([u64; 12], u64, u64)> {
        let mut counts = [0u64; 12];
        let (mut tx, mut rx) = (0u64, 0u64);
        let timeout = ctx
            .remaining()
            .clamp(Duration::from_millis(10), Duration::from_secs(5));
        let mut families = vec![libc::AF_INET as u8];
        if self.v6.exists() {
            families.push(libc::AF_INET6 as u8);
        }
        for family in families {
            let req = tcp::diag_request(family);
            let msgs = netlink::dump(libc::NETLINK_SOCK_DIAG, SOCK_DIAG_BY_FAMILY, &req, timeout)?;
            for m in msgs {
                if let Some((state, r, w)) = tcp::diag_message(&m.payload) {
                    if let Some(c) = counts.get_mut(state as usize) {
                        *c += 1;
                    }
                    rx += r;
                    tx += w;
                }
            }
        }
        Ok((counts, tx, rx))
    }

    fn emit(&self, counts: &[u64; 12], tx: u64, rx: u64, out: &mut Emitter) {
        for (code, name) in STATES {
            let n = counts[*code as usize];
            if n > 0 {
                out.gauge(&self.states, &[name], n as f64);
            }
        }
        out.gauge(&self.states, &["tx_queued_bytes"], tx as f64);
        out.gauge(&self.states, &["rx_queued_bytes"], rx as f64);
    }
}

impl Collector for Tcpstat {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        if self.use_netlink {
            match self.via_netlink(ctx) {
                Ok((counts, tx, rx)) => {
                    self.emit(&counts, tx, rx, out);
                    return Ok(());
                }
                Err(e) => tracing::debug!(error = %e, "sock_diag failed, reading /proc/net/tcp"),
            }
        }
        let mut counts = [0u64; 12];
        let (mut tx, mut rx) = (0u64, 0u64);
        let v4 = read_source(&self.v4)?;
        let mut errors = tcp::accumulate(&v4, &mut counts, &mut tx, &mut rx);
        // IPv6 may be disabled: its absence is not an error.
        if let Ok(v6) = read_source(&self.v6) {
            errors.extend(tcp::accumulate(&v6, &mut counts, &mut tx, &mut rx));
        }
        self.emit(&counts, tx, rx, out);
        if let Some(e) = errors.first() {
            return Err(CollectError::parse("/proc/net/tcp", e));
        }
        Ok(())
    }
}
