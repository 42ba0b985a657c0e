//! node_netstat_<Proto>_<Field> (untyped) from /proc/net/netstat,
//! /proc/net/snmp and /proc/net/snmp6, filtered by --collector.netstat.fields.

use std::path::PathBuf;
use std::sync::Mutex;

use crate::sysfs::{FieldDescs, Regex, field_desc};
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
    /// A `Proto: names` header line -> the descriptor of each of its
    /// fields that `fields` selects. The kernel writes the same headers
    /// every time, so a scrape looks up a dozen lines instead of 400 field
    /// names, and parses only the values it exports.
    headers: Mutex<exporter_kit::NameMap<String, Vec<Option<Desc>>>>,
    /// An snmp6 field (`Ip6InReceives`) -> its descriptor, if selected.
    snmp6_fields: Mutex<FieldDescs>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Netstat {
        files: [args.proc("net/netstat"), args.proc("net/snmp")],
        snmp6: args.proc("net/snmp6"),
        fields: Regex::new(&args.netstat.netstat_fields)
            .map_err(|e| BuildError::new(format!("--collector.netstat.fields: {e}")))?,
        headers: Mutex::default(),
        snmp6_fields: Mutex::default(),
    }))
}

impl Netstat {
    /// node_netstat_<proto>_<field>, when `fields` selects it.
    fn desc(&self, proto: &str, field: &str) -> Option<Desc> {
        let key = format!("{proto}_{field}");
        if !self.fields.is_match(&key) {
            return None;
        }
        Desc::try_new(
            &format!("node_netstat_{key}"),
            &format!("Statistic {key}."),
            Kind::Untyped,
            &[],
        )
        .ok()
    }

    fn pairs(&self, text: &str, out: &mut Emitter) {
        let (pairs, mut bad_lines) = netstat::pairs(text);
        let mut headers = self.headers.lock().unwrap_or_else(|p| p.into_inner());
        for pair in pairs {
            if !headers.contains_key(pair.header) {
                let descs = pair.names().map(|f| self.desc(pair.proto, f)).collect();
                headers.insert(pair.header.to_string(), descs);
            }
            let Some(descs) = headers.get(pair.header) else {
                continue;
            };
            let values = pair.values().count();
            if values != descs.len() {
                bad_lines.push(parse::ParseError::new(
                    pair.line,
                    format!("{}: {} names, {values} values", pair.proto, descs.len()),
                ));
                continue;
            }
            for (desc, value) in descs.iter().zip(pair.values()) {
                let Some(desc) = desc else { continue };
                match parse::num(pair.line, value) {
                    Ok(v) => out.untyped(desc, &[], v),
                    Err(e) => bad_lines.push(e),
                }
            }
        }
        parse::log_skipped(&bad_lines, "netstat");
    }

    fn snmp6(&self, text: &str, out: &mut Emitter) {
        let (lines, mut bad_lines) = netstat::snmp6_lines(text);
        let mut known = self.snmp6_fields.lock().unwrap_or_else(|p| p.into_inner());
        for l in lines {
            // Keyed as written (`Ip6InReceives`): no name built per line.
            if let Some(desc) = field_desc(&mut known, l.key, || self.desc(l.proto, l.field)) {
                match parse::num(l.line, l.value) {
                    Ok(v) => out.untyped(&desc, &[], v),
                    Err(e) => bad_lines.push(e),
                }
            }
        }
        parse::log_skipped(&bad_lines, "snmp6");
    }
}

impl Collector for Netstat {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let texts = [
            crate::sysfs::read_source(&self.files[0])?,
            crate::sysfs::read_source(&self.files[1])?,
        ];
        // IPv6 may be disabled: then snmp6 is absent and upstream goes on without it.
        let snmp6 = crate::sysfs::read_source(&self.snmp6).ok();
        for text in &texts {
            self.pairs(text, out);
        }
        if let Some(text) = &snmp6 {
            self.snmp6(text, out);
        }
        Ok(())
    }
}
