//! node_service_*{service,supervisor="runit"}: runit services of a service
//! directory (default /etc/service), from each one's supervise/status, the
//! 20-byte record runsv writes (runsv(8)): TAI64N time of the last state
//! change, pid, paused flag, wanted state ('u'/'d'), term flag, state (0
//! down, 1 run, 2 finish). Deprecated upstream, still accepted.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{is_dir, list_dir};

#[derive(clap::Args, Debug, Clone)]
pub struct RunitArgs {
    /// Path to runit service directory.
    #[arg(
        long = "collector.runit.servicedir",
        value_name = "DIR",
        default_value = "/etc/service"
    )]
    pub runit_servicedir: PathBuf,
}

/// TAI64 label of the Unix epoch: 2^62 + 10 (TAI-UTC offset in 1970).
const TAI_OFFSET: u64 = 4_611_686_018_427_387_914;

/// A supervise/status record.
#[derive(Debug, PartialEq)]
pub struct Status {
    /// Unix time of the last state change.
    pub since: i64,
    pub pid: u32,
    /// 1 when runsv wants the service up, else 0.
    pub want_up: bool,
    /// 0 down, 1 run, 2 finish.
    pub state: u8,
}

pub fn parse_status(b: &[u8]) -> Option<Status> {
    let b = b.get(..20)?;
    let tai = u64::from_be_bytes(b[0..8].try_into().ok()?);
    Some(Status {
        since: tai.wrapping_sub(TAI_OFFSET) as i64,
        pid: u32::from_le_bytes(b[12..16].try_into().ok()?),
        want_up: b[17] == b'u',
        state: b[19],
    })
}

pub struct Runit {
    dir: PathBuf,
    state: Desc,
    desired: Desc,
    normal: Desc,
    changed: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    tracing::warn!(
        "This collector is deprecated and will be removed in the next major version release."
    );
    let labels = ["service", "supervisor"];
    let g = |n: &str, h: &str| Desc::gauge(&format!("node_service_{n}"), h, &labels);
    Ok(AnyCollector::blocking(Runit {
        dir: args.runit.runit_servicedir.clone(),
        state: g("state", "State of runit service."),
        desired: g("desired_state", "Desired state of runit service."),
        normal: g("normal_state", "Normal state of runit service."),
        changed: g(
            "state_last_change_timestamp_seconds",
            "Unix timestamp of the last runit service state change.",
        ),
    }))
}

impl Collector for Runit {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for service in list_dir(&self.dir)? {
            let dir = self.dir.join(&service);
            if !is_dir(&dir) {
                continue;
            }
            let path = dir.join("supervise/status");
            // A service whose runsv has not written a status yet is skipped.
            let status = match std::fs::read(&path) {
                Ok(bytes) => parse_status(&bytes),
                Err(e) => {
                    tracing::debug!(service, error = %e, "Couldn't get status");
                    continue;
                }
            };
            let Some(status) = status else {
                tracing::debug!(service, "Couldn't get status: short supervise/status");
                continue;
            };
            // A `down` file in the service directory: not started at boot.
            let normally_up = !dir.join("down").exists();
            let l = [service.as_str(), "runit"];
            out.gauge(&self.state, &l, f64::from(status.state));
            out.gauge(&self.desired, &l, if status.want_up { 1.0 } else { 0.0 });
            out.gauge(&self.changed, &l, status.since as f64);
            out.gauge(&self.normal, &l, if normally_up { 1.0 } else { 0.0 });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_record() {
        let mut b = Vec::new();
        b.extend_from_slice(&(TAI_OFFSET + 1_700_000_000).to_be_bytes());
        b.extend_from_slice(&[0; 4]);
        b.extend_from_slice(&4242u32.to_le_bytes());
        b.extend_from_slice(&[0, b'u', 0, 1]);
        assert_eq!(
            parse_status(&b),
            Some(Status {
                since: 1_700_000_000,
                pid: 4242,
                want_up: true,
                state: 1
            })
        );
        assert_eq!(parse_status(&b[..19]), None);
    }
}
