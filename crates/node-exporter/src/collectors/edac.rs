//! edac: memory controller error counters from /sys/devices/system/edac/mc/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_attr, read_u64};

pub struct Edac {
    dir: PathBuf,
    ce: Desc,
    ue: Desc,
    csrow_ce: Desc,
    csrow_ue: Desc,
    channel_ce: Desc,
    channel_ue: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let chan = ["controller", "csrow", "channel", "dimm_label"];
    Ok(AnyCollector::blocking(Edac {
        dir: args.sys("devices/system/edac/mc"),
        ce: Desc::counter(
            "node_edac_correctable_errors_total",
            "Total correctable memory errors.",
            &["controller"],
        ),
        ue: Desc::counter(
            "node_edac_uncorrectable_errors_total",
            "Total uncorrectable memory errors.",
            &["controller"],
        ),
        csrow_ce: Desc::counter(
            "node_edac_csrow_correctable_errors_total",
            "Total correctable memory errors for this csrow.",
            &["controller", "csrow"],
        ),
        csrow_ue: Desc::counter(
            "node_edac_csrow_uncorrectable_errors_total",
            "Total uncorrectable memory errors for this csrow.",
            &["controller", "csrow"],
        ),
        channel_ce: Desc::counter(
            "node_edac_channel_correctable_errors_total",
            "Total correctable memory errors for this channel.",
            &chan,
        ),
        channel_ue: Desc::counter(
            "node_edac_channel_uncorrectable_errors_total",
            "Total uncorrectable memory errors for this channel.",
            &chan,
        ),
    }))
}

fn numbered<'a>(name: &'a str, prefix: &str) -> Option<&'a str> {
    let n = name.strip_prefix(prefix)?;
    (!n.is_empty() && n.bytes().all(|b| b.is_ascii_digit())).then_some(n)
}

impl Collector for Edac {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        // No EDAC driver: nothing to report, as upstream (success 1).
        let Ok(controllers) = list_dir(&self.dir) else {
            return Ok(());
        };
        for mc in controllers {
            let Some(ctl) = numbered(&mc, "mc") else {
                continue;
            };
            let d = self.dir.join(&mc);
            if let Some(v) = read_u64(&d.join("ce_count")) {
                out.counter(&self.ce, &[ctl], v as f64);
            }
            if let Some(v) = read_u64(&d.join("ue_count")) {
                out.counter(&self.ue, &[ctl], v as f64);
            }
            if let Some(v) = read_u64(&d.join("ce_noinfo_count")) {
                out.counter(&self.csrow_ce, &[ctl, "unknown"], v as f64);
            }
            if let Some(v) = read_u64(&d.join("ue_noinfo_count")) {
                out.counter(&self.csrow_ue, &[ctl, "unknown"], v as f64);
            }
            let Ok(entries) = list_dir(&d) else { continue };
            for row in entries {
                let Some(csrow) = numbered(&row, "csrow") else {
                    continue;
                };
                let r = d.join(&row);
                if let Some(v) = read_u64(&r.join("ce_count")) {
                    out.counter(&self.csrow_ce, &[ctl, csrow], v as f64);
                }
                if let Some(v) = read_u64(&r.join("ue_count")) {
                    out.counter(&self.csrow_ue, &[ctl, csrow], v as f64);
                }
                let Ok(files) = list_dir(&r) else { continue };
                for f in &files {
                    let Some(ch) = f
                        .strip_prefix("ch")
                        .and_then(|s| s.strip_suffix("_ce_count"))
                        .filter(|n| !n.is_empty() && n.bytes().all(|b| b.is_ascii_digit()))
                    else {
                        continue;
                    };
                    // Upstream's spelling of the label: "unknown" when
                    // unreadable, `#` dropped, "csrow"/"channel" set off by
                    // underscores (mc0csrow0channel0 -> mc0_csrow0_channel0).
                    let label = read_attr(&r.join(format!("ch{ch}_dimm_label"))).map_or_else(
                        || "unknown".to_string(),
                        |l| {
                            l.replace('#', "")
                                .replace("csrow", "_csrow")
                                .replace("channel", "_channel")
                        },
                    );
                    let lv = [ctl, csrow, ch, label.as_str()];
                    if let Some(v) = read_u64(&r.join(f)) {
                        out.counter(&self.channel_ce, &lv, v as f64);
                    }
                    if let Some(v) = read_u64(&r.join(format!("ch{ch}_ue_count"))) {
                        out.counter(&self.channel_ue, &lv, v as f64);
                    }
                }
            }
        }
        Ok(())
    }
}
