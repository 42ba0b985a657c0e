//! node_cpu_vulnerabilities_info{codename,state,mitigation} from
//! /sys/devices/system/cpu/vulnerabilities/ (ABI: sysfs-devices-system-cpu).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{list_dir, read_string};

pub struct CpuVulnerabilities {
    dir: PathBuf,
    info: Desc,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(CpuVulnerabilities {
        dir: args.sys("devices/system/cpu/vulnerabilities"),
        info: Desc::gauge(
            "node_cpu_vulnerabilities_info",
            "Details of each CPU vulnerability reported by sysfs. The value of the series is an int encoded state of the vulnerability. The same state is stored as a string in the label",
            &["codename", "state", "mitigation"],
        ),
    }))
}

/// A file's text -> (state, mitigation). The state is the leading "Not
/// affected" / "Vulnerable" / "Mitigation" / "Unknown" (any case); the
/// mitigation is the words after the first one, or the whole text when the
/// state is not recognised.
pub fn parse(text: &str) -> (&'static str, String) {
    let text = text.trim();
    let lower = text.to_lowercase();
    let rest = || {
        text.split_whitespace()
            .skip(1)
            .collect::<Vec<_>>()
            .join(" ")
    };
    if lower.starts_with("not affected") {
        ("not affected", String::new())
    } else if lower.starts_with("vulnerable") {
        ("vulnerable", rest())
    } else if lower.starts_with("mitigation") {
        ("mitigation", rest())
    } else if lower.starts_with("unknown") {
        ("unknown", rest())
    } else {
        ("unknown", text.to_string())
    }
}

impl Collector for CpuVulnerabilities {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for codename in list_dir(&self.dir)? {
            let path = self.dir.join(&codename);
            let text = read_string(&path).map_err(|e| CollectError::io(&path, e))?;
            let (state, mitigation) = parse(&text);
            out.gauge(&self.info, &[&codename, state, &mitigation], 1.0);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn states_and_mitigations() {
        assert_eq!(parse("Not affected\n"), ("not affected", String::new()));
        assert_eq!(parse("Vulnerable\n"), ("vulnerable", String::new()));
        assert_eq!(
            parse("Mitigation: PTI\n"),
            ("mitigation", "PTI".to_string())
        );
        assert_eq!(
            parse("Vulnerable: Clear CPU buffers attempted, no microcode\n"),
            (
                "vulnerable",
                "Clear CPU buffers attempted, no microcode".to_string()
            )
        );
        assert_eq!(
            parse("KVM: Mitigation\n"),
            ("unknown", "KVM: Mitigation".to_string())
        );
    }
}
