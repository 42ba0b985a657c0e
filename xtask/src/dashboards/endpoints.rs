//! External endpoints, from blackbox-exporter probes: availability, probe
//! phases, HTTP status, TLS expiry and DNS.

use super::{Dashboard, LAYER_SELECTOR, Var, layer_vars, open_row, row, stat, ts};

pub fn dashboard() -> Dashboard {
    Dashboard {
        uid: "ferroscope-endpoints",
        title: "External endpoints",
        description: "Endpoints probed by blackbox-exporter (blackbox_exporter compatible): \
                      availability, response time and its phases, HTTP status codes, TLS \
                      certificate expiry and DNS. Raw metrics only; red lines are \
                      prometheus/rules/endpoints.rules.yml's thresholds."
            .into(),
        vars: {
            let mut vars = layer_vars("probe_success");
            vars.push(Var::query(
                "exporter",
                "exporter job",
                "label_values(blackbox_exporter_build_info, job)",
            ));
            vars
        },
        selector: LAYER_SELECTOR,
        rows: vec![
            open_row(
                "Overview",
                vec![
                    stat("Endpoints up", "Endpoints whose last probe succeeded.")
                        .unit("short")
                        .q("count(probe_success{$S} == 1) or vector(0)", "up"),
                    stat("Endpoints down", "Endpoints whose last probe failed; each one down for a minute fires EndpointDown.")
                        .unit("short")
                        .q("count(probe_success{$S} == 0) or vector(0)", "down")
                        .alert_above(1.0, "EndpointDown"),
                    stat("Availability (dashboard range)", "Share of successful probes of the least available endpoint over the dashboard's time range; below 99.9% an SLO is at risk.")
                        .unit("percentunit")
                        .q("min(avg_over_time(probe_success{$S}[$__range]))", "availability")
                        .colors("red", &[(0.99, "orange"), (0.999, "green")]),
                    stat("Slowest probe", "Response time of the slowest endpoint, averaged over 5 minutes as EndpointSlow computes it.")
                        .unit("s")
                        .q("max(avg_over_time(probe_duration_seconds{$S}[5m]))", "slowest")
                        .alert_above(1.0, "EndpointSlow"),
                    stat("Soonest certificate expiry", "Days until the first TLS certificate of any endpoint expires; below 14 days TlsCertificateExpiring warns, below 3 it pages.")
                        .unit("d")
                        .q("min((probe_ssl_earliest_cert_expiry{$S} - time()) / 86400)", "days")
                        .colors("red", &[(3.0, "orange"), (14.0, "green")])
                        .only_where("an endpoint is probed over TLS"),
                ],
            ),
            open_row(
                "Availability",
                vec![
                    ts("Probe success", "Whether each endpoint's probe succeeded (1) or failed (0); 0 for a minute fires EndpointDown.")
                        .unit("bool")
                        .min(0.0)
                        .max(1.0)
                        .q("probe_success{$S}", "{{instance}}")
                        .alert_below(1.0, "EndpointDown"),
                    ts("Availability (1h)", "Share of successful probes per endpoint over the last hour; below 99.9% an SLO is at risk.")
                        .unit("percentunit")
                        .max(1.0)
                        .q("avg_over_time(probe_success{$S}[1h])", "{{instance}}")
                        .colors("red", &[(0.99, "orange"), (0.999, "green")]),
                ],
            ),
            row(
                "Latency",
                vec![
                    ts("Response time", "Whole probe duration per endpoint (5-minute average, as EndpointSlow computes it); above the red line for 10 minutes fires EndpointSlow.")
                        .unit("s")
                        .q("avg_over_time(probe_duration_seconds{$S}[5m])", "{{instance}}")
                        .alert_above(1.0, "EndpointSlow"),
                    ts("HTTP phases", "Time per phase of HTTP probes (resolve, connect, tls, processing, transfer); the phase that grows is where the slowness is.")
                        .unit("s")
                        .stacked()
                        .q("sum by (instance, phase) (probe_http_duration_seconds{$S})", "{{instance}} {{phase}}")
                        .only_where("an endpoint is probed over HTTP"),
                    ts("DNS lookup time", "Time to resolve each endpoint's host name; slow lookups add to every request.")
                        .unit("s")
                        .q("probe_dns_lookup_time_seconds{$S}", "{{instance}}"),
                ],
            ),
            row(
                "HTTP",
                vec![
                    ts("Status code", "HTTP status of the last probe per endpoint; 5xx means the service fails, 4xx a wrong URL or auth.")
                        .unit("none")
                        .q("probe_http_status_code{$S}", "{{instance}}")
                        .colors("green", &[(400.0, "orange"), (500.0, "red")])
                        .only_where("an endpoint is probed over HTTP"),
                    ts("Redirects and body size", "Redirects followed and the size of the response body; a sudden change often means an error page.")
                        .unit("short")
                        .q("probe_http_redirects{$S}", "{{instance}} redirects")
                        .q("probe_http_content_length{$S}", "{{instance}} content length")
                        .only_where("an endpoint is probed over HTTP"),
                    ts("HTTP version and TLS", "HTTP version of the response and whether it came over TLS (1); plain HTTP on a public endpoint is a finding.")
                        .unit("short")
                        .q("probe_http_version{$S}", "{{instance}} version")
                        .q("probe_http_ssl{$S}", "{{instance}} TLS")
                        .only_where("an endpoint is probed over HTTP"),
                ],
            ),
            row(
                "TLS",
                vec![
                    ts("Certificate expiry", "Days until the earliest certificate of each endpoint's chain expires; below 14 days TlsCertificateExpiring warns, below 3 it pages.")
                        .unit("d")
                        .q("(probe_ssl_earliest_cert_expiry{$S} - time()) / 86400", "{{instance}}")
                        .alert_below(14.0, "TlsCertificateExpiring")
                        .only_where("an endpoint is probed over TLS"),
                    ts("TLS version", "TLS version each endpoint negotiated; below TLS 1.2 is insecure.")
                        .unit("none")
                        .q("probe_tls_version_info{$S}", "{{instance}} {{version}}")
                        .only_where("an endpoint is probed over TLS"),
                ],
            ),
            row(
                "DNS",
                vec![
                    ts("DNS query success", "Whether each DNS probe's query succeeded (1); 0 means the name server fails or the record is missing.")
                        .unit("bool")
                        .q("probe_dns_query_succeeded{$S}", "{{instance}}")
                        .only_where("an endpoint is probed with a dns module"),
                    ts("DNS answers", "Records in the answer section of each DNS probe; 0 answers is an empty (failing) lookup.")
                        .unit("short")
                        .q("probe_dns_answer_rrs{$S}", "{{instance}}")
                        .only_where("an endpoint is probed with a dns module"),
                ],
            ),
            row(
                "blackbox-exporter",
                vec![
                    ts("Config reload", "Whether the exporter's last configuration reload succeeded (1); 0 means it runs an old config.")
                        .unit("bool")
                        .q(r#"blackbox_exporter_config_last_reload_successful{job=~"$exporter"}"#, "{{instance}}")
                        .colors("red", &[(1.0, "green")]),
                    ts("Unknown modules", "Probes per second that asked for a module the config lacks; nonzero is a typo in a scrape config.")
                        .unit("ops")
                        .q(r#"rate(blackbox_module_unknown_total{job=~"$exporter"}[$__rate_interval])"#, "{{instance}}"),
                ],
            ),
        ],
    }
}
