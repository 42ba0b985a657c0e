//! node_netstat_<Proto>_<Field> (untyped) from /proc/net/netstat,
//! /proc/net/snmp and /proc/net/snmp6, filtered by --collector.netstat.fields.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::sysfs::Regex;
use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, Kind, ScrapeContext,
};

use crate::args::Args;
use crate::parse::{self, netstat};

pub const DEFAULT_FIELDS: &str = r"^(.*_(InErrors|InErrs)|Ip_Forwarding|Ip(6|Ext)_(InOctets|OutOctets)|Icmp6?_(InMsgs|OutMsgs)|TcpExt_(Listen.*|Syncookies.*|TCPSynRetrans|TCPTimeouts|TCPOFOQueue|TCPRcvQDrop)|Tcp_(ActiveOpens|InSegs|OutSegs|OutRsts|PassiveOpens|RetransSegs|CurrEstab)|Udp6?_(InDatagrams|OutDatagrams|NoPorts|RcvbufErrors|SndbufErrors))$";

#[derive(clap::Args, Debug, Clone)]
pub struct NetstatArgs {
    /// Regexp of fields to return for netstat collector.
    #[arg(long = "collector.netstat.fields", value_name = "REGEX", default_value = DEFAULT_FIELDS)]
    pub netstat_fields: String,
}

pub struct Netstat {
    files: [PathBuf; 2],
    snmp6: PathBuf,
    fields: Regex,
    descs: Mutex<exporter_kit::NameMap<String, Option<Desc>>>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Netstat {
        files: [args.proc("net/netstat"), args.proc("net/snmp")],
        snmp6: args.proc("net/snmp6"),
        fields: Regex::new(&args.netstat.netstat_fields)
            .map_err(|e| BuildError::new(format!("--collector.netstat.fields: {e}")))?,
        descs: Mutex::new(exporter_kit::NameMap::default()),
    }))
}

impl Collector for Netstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let texts = [
            crate::sysfs::read_source(&self.files[0])?,
            crate::sysfs::read_source(&self.files[1])?,
        ];
        // IPv6 may be disabled: then snmp6 is absent and upstream goes on without it.
        let snmp6 = crate::sysfs::read_source(&self.snmp6).ok();
        // Room for every field of a current kernel: one allocation.
        let mut all = Vec::with_capacity(512);
        for text in &texts {
            let bad = netstat::parse_pairs_into(text, &mut all);
            parse::log_skipped(&bad, "netstat");
        }
        if let Some(text) = &snmp6 {
            let bad = netstat::parse_snmp6_into(text, &mut all);
            parse::log_skipped(&bad, "snmp6");
        }
        let mut descs = self.descs.lock().unwrap_or_else(|p| p.into_inner());
        // One key buffer: no allocation per field once every field is known.
        let mut key = String::with_capacity(64);
        for (proto, field, value) in all {
            key.clear();
            key.push_str(proto);
            key.push('_');
            key.push_str(field);
            if !descs.contains_key(key.as_str()) {
                let desc = self
                    .fields
                    .is_match(&key)
                    .then(|| {
                        Desc::try_new(
                            &format!("node_netstat_{key}"),
                            &format!("Statistic {key}."),
                            Kind::Untyped,
                            &[],
                        )
                        .ok()
                    })
                    .flatten();
                descs.insert(key.clone(), desc);
            }
            if let Some(Some(d)) = descs.get(key.as_str()) {
                out.untyped(d, &[], value);
            }
        }
        Ok(())
    }
}
