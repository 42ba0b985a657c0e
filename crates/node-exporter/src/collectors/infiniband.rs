//! infiniband: InfiniBand HCAs and port counters from /sys/class/infiniband/.

use std::path::PathBuf;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::sysfs::{Filter, list_dir, read_attr, read_u64};

#[derive(clap::Args, Debug, Clone)]
pub struct InfinibandArgs {
    /// Regexp of InfiniBand devices to include (mutually exclusive to device-exclude).
    #[arg(long = "collector.infiniband.device-include", value_name = "REGEX")]
    pub infiniband_device_include: Option<String>,
    /// Regexp of InfiniBand devices to exclude (mutually exclusive to device-include).
    #[arg(long = "collector.infiniband.device-exclude", value_name = "REGEX")]
    pub infiniband_device_exclude: Option<String>,
}

/// (directory under ports/<n>/, file, family suffix, factor). The data
/// counters count 32-bit words, hence the factor 4 for bytes.
const COUNTERS: &[(&str, &str, &str, f64)] = &[
    (
        "counters",
        "excessive_buffer_overrun_errors",
        "excessive_buffer_overrun_errors_total",
        1.0,
    ),
    ("counters", "link_downed", "link_downed_total", 1.0),
    (
        "counters",
        "link_error_recovery",
        "link_error_recovery_total",
        1.0,
    ),
    (
        "counters",
        "local_link_integrity_errors",
        "local_link_integrity_errors_total",
        1.0,
    ),
    (
        "counters",
        "multicast_rcv_packets",
        "multicast_packets_received_total",
        1.0,
    ),
    (
        "counters",
        "multicast_xmit_packets",
        "multicast_packets_transmitted_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_constraint_errors",
        "port_constraint_errors_received_total",
        1.0,
    ),
    (
        "counters",
        "port_xmit_constraint_errors",
        "port_constraint_errors_transmitted_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_data",
        "port_data_received_bytes_total",
        4.0,
    ),
    (
        "counters",
        "port_xmit_data",
        "port_data_transmitted_bytes_total",
        4.0,
    ),
    (
        "counters",
        "port_rcv_discards",
        "port_discards_received_total",
        1.0,
    ),
    (
        "counters",
        "port_xmit_discards",
        "port_discards_transmitted_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_errors",
        "port_errors_received_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_packets",
        "port_packets_received_total",
        1.0,
    ),
    (
        "counters",
        "port_xmit_packets",
        "port_packets_transmitted_total",
        1.0,
    ),
    (
        "counters",
        "port_xmit_wait",
        "port_transmit_wait_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_remote_physical_errors",
        "port_receive_remote_physical_errors_total",
        1.0,
    ),
    (
        "counters",
        "port_rcv_switch_relay_errors",
        "port_receive_switch_relay_errors_total",
        1.0,
    ),
    ("counters", "symbol_error", "symbol_error_total", 1.0),
    (
        "counters",
        "unicast_rcv_packets",
        "unicast_packets_received_total",
        1.0,
    ),
    (
        "counters",
        "unicast_xmit_packets",
        "unicast_packets_transmitted_total",
        1.0,
    ),
    ("counters", "VL15_dropped", "vl15_dropped_total", 1.0),
    (
        "counters_ext",
        "port_multicast_rcv_packets",
        "legacy_multicast_packets_received_total",
        1.0,
    ),
    (
        "counters_ext",
        "port_multicast_xmit_packets",
        "legacy_multicast_packets_transmitted_total",
        1.0,
    ),
    (
        "counters_ext",
        "port_rcv_data_64",
        "legacy_data_received_bytes_total",
        4.0,
    ),
    (
        "counters_ext",
        "port_rcv_packets_64",
        "legacy_packets_received_total",
        1.0,
    ),
    (
        "counters_ext",
        "port_unicast_rcv_packets",
        "legacy_unicast_packets_received_total",
        1.0,
    ),
    (
        "counters_ext",
        "port_unicast_xmit_packets",
        "legacy_unicast_packets_transmitted_total",
        1.0,
    ),
    (
        "counters_ext",
        "port_xmit_data_64",
        "legacy_data_transmitted_bytes_total",
        4.0,
    ),
    (
        "counters_ext",
        "port_xmit_packets_64",
        "legacy_packets_transmitted_total",
        1.0,
    ),
    // hw_counters/ (Mellanox), node_exporter 1.11+.
    (
        "hw_counters",
        "duplicate_request",
        "duplicate_requests_packets_total",
        1.0,
    ),
    (
        "hw_counters",
        "implied_nak_seq_err",
        "implied_nak_seq_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "local_ack_timeout_err",
        "local_ack_timeout_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "np_cnp_sent",
        "np_cnp_packets_sent_total",
        1.0,
    ),
    (
        "hw_counters",
        "np_ecn_marked_roce_packets",
        "np_ecn_marked_roce_packets_received_total",
        1.0,
    ),
    (
        "hw_counters",
        "out_of_buffer",
        "out_of_buffer_drops_total",
        1.0,
    ),
    (
        "hw_counters",
        "out_of_sequence",
        "out_of_sequence_packets_received_total",
        1.0,
    ),
    (
        "hw_counters",
        "packet_seq_err",
        "packet_sequence_errors_total",
        1.0,
    ),
    ("hw_counters", "req_cqe_error", "req_cqes_errors_total", 1.0),
    (
        "hw_counters",
        "req_cqe_flush_error",
        "req_cqes_flush_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "req_remote_access_errors",
        "req_remote_access_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "req_remote_invalid_request",
        "req_remote_invalid_request_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "resp_cqe_error",
        "resp_cqes_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "resp_cqe_flush_error",
        "resp_cqes_flush_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "resp_local_length_error",
        "resp_local_length_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "resp_remote_access_errors",
        "resp_remote_access_errors_total",
        1.0,
    ),
    (
        "hw_counters",
        "rnr_nak_retry_err",
        "rnr_nak_retry_packets_received_total",
        1.0,
    ),
    (
        "hw_counters",
        "roce_adp_retrans",
        "roce_adp_retransmits_total",
        1.0,
    ),
    (
        "hw_counters",
        "roce_adp_retrans_to",
        "roce_adp_retransmits_timeout_total",
        1.0,
    ),
    (
        "hw_counters",
        "roce_slow_restart",
        "roce_slow_restart_used_total",
        1.0,
    ),
    (
        "hw_counters",
        "roce_slow_restart_cnps",
        "roce_slow_restart_cnps_total",
        1.0,
    ),
    (
        "hw_counters",
        "roce_slow_restart_trans",
        "roce_slow_restart_total",
        1.0,
    ),
    (
        "hw_counters",
        "rp_cnp_handled",
        "rp_cnp_packets_handled_total",
        1.0,
    ),
    (
        "hw_counters",
        "rp_cnp_ignored",
        "rp_cnp_ignored_packets_received_total",
        1.0,
    ),
    (
        "hw_counters",
        "rx_atomic_requests",
        "rx_atomic_requests_total",
        1.0,
    ),
    (
        "hw_counters",
        "rx_dct_connect",
        "rx_dct_connect_requests_total",
        1.0,
    ),
    (
        "hw_counters",
        "rx_read_requests",
        "rx_read_requests_total",
        1.0,
    ),
    (
        "hw_counters",
        "rx_write_requests",
        "rx_write_requests_total",
        1.0,
    ),
    (
        "hw_counters",
        "rx_icrc_encapsulated",
        "rx_icrc_encapsulated_errors_total",
        1.0,
    ),
];

pub struct Infiniband {
    dir: PathBuf,
    filter: Filter,
    info: Desc,
    state: Desc,
    phys_state: Desc,
    rate: Desc,
    lifespan: Desc,
    counters: Vec<Desc>,
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.infiniband;
    let port = ["device", "port"];
    Ok(AnyCollector::blocking(Infiniband {
        dir: args.sys("class/infiniband"),
        filter: Filter::new(
            "collector.infiniband.device-include/exclude",
            a.infiniband_device_include.as_deref(),
            a.infiniband_device_exclude.as_deref(),
        )?,
        info: Desc::gauge(
            "node_infiniband_info",
            "Non-numeric data from /sys/class/infiniband/<device>, value is always 1.",
            &["device", "board_id", "firmware_version", "hca_type"],
        ),
        state: Desc::gauge(
            "node_infiniband_state_id",
            "State of the InfiniBand port (0: no change, 1: down, 2: init, 3: armed, 4: active, 5: act defer)",
            &port,
        ),
        phys_state: Desc::gauge(
            "node_infiniband_physical_state_id",
            "Physical state of the InfiniBand port (0: no change, 1: sleep, 2: polling, 3: disable, 4: shift, 5: link up, 6: link error recover, 7: phytest)",
            &port,
        ),
        rate: Desc::gauge(
            "node_infiniband_rate_bytes_per_second",
            "Maximum signal transfer rate",
            &port,
        ),
        lifespan: Desc::gauge(
            "node_infiniband_lifespan_seconds",
            "The maximum period in seconds which defines the aging of the counter reads. Two consecutive reads within this period might return the same values.",
            &port,
        ),
        counters: COUNTERS
            .iter()
            .map(|(_, file, name, _)| {
                Desc::counter(
                    &format!("node_infiniband_{name}"),
                    &format!("InfiniBand port counter {file}."),
                    &port,
                )
            })
            .collect(),
    }))
}

/// `4: ACTIVE` -> 4.
fn state_id(text: &str) -> Option<f64> {
    text.split(':').next()?.trim().parse::<f64>().ok()
}

/// `40 Gb/sec (4X QDR)` -> bytes per second.
fn rate_bytes(text: &str) -> Option<f64> {
    let mut f = text.split_whitespace();
    let v = f.next()?.parse::<f64>().ok()?;
    let unit = f.next()?;
    let bits = match unit {
        "Gb/sec" => v * 1e9,
        "Mb/sec" => v * 1e6,
        _ => return None,
    };
    Some(bits / 8.0)
}

impl Collector for Infiniband {
    fn update(&self, _ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        for dev in list_dir(&self.dir)? {
            if self.filter.ignored(&dev) {
                continue;
            }
            let d = self.dir.join(&dev);
            let attr = |f: &str| read_attr(&d.join(f)).unwrap_or_default();
            out.gauge(
                &self.info,
                &[&dev, &attr("board_id"), &attr("fw_ver"), &attr("hca_type")],
                1.0,
            );
            let Ok(ports) = list_dir(&d.join("ports")) else {
                continue;
            };
            for port in ports {
                let p = d.join("ports").join(&port);
                let lv = [dev.as_str(), port.as_str()];
                if let Some(v) = read_attr(&p.join("state")).and_then(|s| state_id(&s)) {
                    out.gauge(&self.state, &lv, v);
                }
                if let Some(v) = read_attr(&p.join("phys_state")).and_then(|s| state_id(&s)) {
                    out.gauge(&self.phys_state, &lv, v);
                }
                if let Some(v) = read_attr(&p.join("rate")).and_then(|s| rate_bytes(&s)) {
                    out.gauge(&self.rate, &lv, v);
                }
                // hw_counters/lifespan is in milliseconds; whole seconds as upstream.
                if let Some(ms) = read_u64(&p.join("hw_counters/lifespan")) {
                    out.gauge(&self.lifespan, &lv, (ms / 1000) as f64);
                }
                for ((dir, file, _, factor), desc) in COUNTERS.iter().zip(&self.counters) {
                    if let Some(v) = read_u64(&p.join(dir).join(file)) {
                        out.counter(desc, &lv, v as f64 * factor);
                    }
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn states_and_rates() {
        assert_eq!(super::state_id("4: ACTIVE"), Some(4.0));
        assert_eq!(super::state_id("bogus"), None);
        assert_eq!(super::rate_bytes("40 Gb/sec (4X QDR)"), Some(5e9));
        assert_eq!(super::rate_bytes("2.5 Gb/sec (1X SDR)"), Some(312500000.0));
        assert_eq!(super::rate_bytes("fast"), None);
    }
}
