//! The tcp prober: connect (optionally TLS), then upstream's
//! `query_response` dialogue of expect / send / starttls steps.

use std::net::SocketAddr;

use exporter_kit::Emitter;
use exporter_kit::net::split_host_port_number;

use super::client::Io;
use super::query_response::{self, QueryResponseMetrics, handshake};
use super::{ProbeCtx, ProbeLog, Resolution, resolve};
use crate::config::TcpProbe;

#[derive(Debug, Default)]
pub struct TcpMetrics {
    pub resolution: Resolution,
    pub dialogue: QueryResponseMetrics,
}

impl TcpMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        self.dialogue.emit(out);
    }
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &TcpProbe,
    m: &mut TcpMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    let (host, port) = split_host_port_number(target).map_err(|e| e.to_string())?;
    let ip = resolve(
        host,
        &module.preferred_ip_protocol,
        module.ip_protocol_fallback,
        ctx.policy,
        &mut m.resolution,
        log,
    )
    .await?;
    let addr = SocketAddr::new(ip, port);
    log.debug(format!("Dialing TCP without TLS address={addr}"));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("Error dialing TCP err=\"dial tcp {addr}: connect: {e}\""))?;
    log.debug("Successfully dialed");
    let sni = module
        .tls_config
        .server_name_or(ctx.hostname.unwrap_or(host))
        .to_string();
    let stream: Box<dyn Io> = if module.tls {
        let (s, facts) = handshake(Box::new(tcp), &module.tls_config, &sni).await?;
        m.dialogue.tls_facts = Some(facts);
        s
    } else {
        Box::new(tcp)
    };
    query_response::run(
        stream,
        &module.query_response,
        &module.tls_config,
        &sni,
        &mut m.dialogue,
        log,
    )
    .await
}
