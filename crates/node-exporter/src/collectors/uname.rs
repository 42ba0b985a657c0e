//! node_uname_info from uname(2).

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;

pub struct Uname {
    info: Desc,
}

pub fn build(_args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Uname {
        info: Desc::gauge(
            "node_uname_info",
            "Labeled system information as provided by the uname system call.",
            &[
                "sysname",
                "release",
                "version",
                "machine",
                "nodename",
                "domainname",
            ],
        ),
    }))
}

impl Collector for Uname {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let u = crate::sys::uname();
        out.gauge(
            &self.info,
            &[
                &u.sysname,
                &u.release,
                &u.version,
                &u.machine,
                &u.nodename,
                &u.domainname,
            ],
            1.0,
        );
        Ok(())
    }
}
