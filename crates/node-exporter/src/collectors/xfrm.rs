//! node_xfrm_*_packets_total: the IPsec transformation error counters of
//! /proc/net/xfrm_stat (Documentation/networking/xfrm_proc.rst).

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::read_source;

/// The kernel's counter names upstream exports, with their help; every one
/// is exposed on each scrape (0 when the kernel does not print it).
const FIELDS: &[(&str, &str)] = &[
    ("XfrmInError", "All errors not matched by other"),
    ("XfrmInBufferError", "No buffer is left"),
    ("XfrmInHdrError", "Header error"),
    (
        "XfrmInNoStates",
        "No state is found i.e. Either inbound SPI, address, or IPsec protocol at SA is wrong",
    ),
    (
        "XfrmInStateProtoError",
        "Transformation protocol specific error e.g. SA key is wrong",
    ),
    ("XfrmInStateModeError", "Transformation mode specific error"),
    (
        "XfrmInStateSeqError",
        "Sequence error i.e. Sequence number is out of window",
    ),
    ("XfrmInStateExpired", "State is expired"),
    (
        "XfrmInStateMismatch",
        "State has mismatch option e.g. UDP encapsulation type is mismatch",
    ),
    ("XfrmInStateInvalid", "State is invalid"),
    (
        "XfrmInTmplMismatch",
        "No matching template for states e.g. Inbound SAs are correct but SP rule is wrong",
    ),
    (
        "XfrmInNoPols",
        "No policy is found for states e.g. Inbound SAs are correct but no SP is found",
    ),
    ("XfrmInPolBlock", "Policy discards"),
    ("XfrmInPolError", "Policy error"),
    ("XfrmOutError", "All errors which is not matched others"),
    ("XfrmOutBundleGenError", "Bundle generation error"),
    ("XfrmOutBundleCheckError", "Bundle check error"),
    ("XfrmOutNoStates", "No state is found"),
    (
        "XfrmOutStateProtoError",
        "Transformation protocol specific error",
    ),
    (
        "XfrmOutStateModeError",
        "Transformation mode specific error",
    ),
    (
        "XfrmOutStateSeqError",
        "Sequence error i.e. Sequence number overflow",
    ),
    ("XfrmOutStateExpired", "State is expired"),
    ("XfrmOutPolBlock", "Policy discards"),
    ("XfrmOutPolDead", "Policy is dead"),
    ("XfrmOutPolError", "Policy error"),
    (
        "XfrmFwdHdrError",
        "Forward routing of a packet is not allowed",
    ),
    ("XfrmOutStateInvalid", "State is invalid, perhaps expired"),
    (
        "XfrmAcquireError",
        "State hasn’t been fully acquired before use",
    ),
];

pub struct Xfrm {
    path: PathBuf,
    descs: Vec<Desc>,
}

/// `XfrmInStateProtoError` -> `node_xfrm_in_state_proto_error_packets_total`.
fn family_name(field: &str) -> String {
    let mut name = String::from("node_xfrm");
    for c in field.trim_start_matches("Xfrm").chars() {
        if c.is_ascii_uppercase() {
            name.push('_');
        }
        name.push(c.to_ascii_lowercase());
    }
    name.push_str("_packets_total");
    name
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Xfrm {
        path: args.proc("net/xfrm_stat"),
        descs: FIELDS
            .iter()
            .map(|(field, help)| Desc::counter(&family_name(field), help, &[]))
            .collect(),
    }))
}

impl Collector for Xfrm {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let text = read_source(&self.path)?;
        let mut values = [0f64; FIELDS.len()];
        for line in text.lines() {
            let fields: Vec<&str> = line.split_whitespace().collect();
            let bad = || {
                CollectError::parse(
                    self.path.display().to_string(),
                    format!("bad line {line:?}"),
                )
            };
            let [name, value] = fields[..] else {
                return Err(bad());
            };
            let value: i64 = value.parse().map_err(|_| bad())?;
            if let Some(i) = FIELDS.iter().position(|(f, _)| *f == name) {
                values[i] = value as f64;
            }
        }
        for (desc, value) in self.descs.iter().zip(values) {
            out.counter(desc, &[], value);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::family_name;

    #[test]
    fn names_are_snake_case_packets_totals() {
        assert_eq!(
            family_name("XfrmInNoPols"),
            "node_xfrm_in_no_pols_packets_total"
        );
        assert_eq!(
            family_name("XfrmFwdHdrError"),
            "node_xfrm_fwd_hdr_error_packets_total"
        );
    }
}
