//! The tcp prober: connect (optionally TLS), then upstream's
//! `query_response` dialogue of expect / send / starttls steps.

use std::net::SocketAddr;

use exporter_kit::Emitter;
use exporter_kit::net::split_host_port_number;
use tokio::io::{AsyncBufReadExt, AsyncRead, AsyncWrite, AsyncWriteExt, BufReader};

use super::tls::{TlsFacts, client_config, server_name};
use super::{DESCS, ProbeCtx, ProbeLog, Resolution, resolve};
use crate::config::TcpProbe;

#[derive(Debug, Default)]
pub struct TcpMetrics {
    pub resolution: Resolution,
    pub failed_regex: f64,
    pub tls_facts: Option<TlsFacts>,
}

impl TcpMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        out.gauge(&DESCS.failed_regex, &[], self.failed_regex);
        if let Some(f) = &self.tls_facts {
            f.emit(out);
        }
    }
}

trait Io: AsyncRead + AsyncWrite + Unpin + Send {}
impl<T: AsyncRead + AsyncWrite + Unpin + Send> Io for T {}

pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &TcpProbe,
    m: &mut TcpMetrics,
    log: &mut ProbeLog,
) -> bool {
    match run(ctx, target, module, m, log).await {
        Ok(ok) => ok,
        Err(e) => {
            log.error(e);
            false
        }
    }
}

async fn run(
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
    log.info(format!("Dialing TCP without TLS address={addr}"));
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("Error dialing TCP err=\"dial tcp {addr}: connect: {e}\""))?;
    log.info("Successfully dialed");
    let sni = if module.tls_config.server_name.is_empty() {
        ctx.hostname.unwrap_or(host).to_string()
    } else {
        module.tls_config.server_name.clone()
    };
    let mut stream: Box<dyn Io> = if module.tls {
        let (s, facts) = handshake(Box::new(tcp), module, &sni).await?;
        m.tls_facts = Some(facts);
        s
    } else {
        Box::new(tcp)
    };
    for (i, qr) in module.query_response.iter().enumerate() {
        log.info(format!("Processing query response entry entry_number={i}"));
        let mut send = qr.send.as_bytes().to_vec();
        if let Some(re) = &qr.expect {
            let mut reader = BufReader::new(stream);
            let mut line = Vec::new();
            let matched = loop {
                line.clear();
                let n = reader
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(|e| format!("Error reading from connection err={e}"))?;
                if n == 0 {
                    break false;
                }
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                log.debug(format!(
                    "Read line line={:?}",
                    String::from_utf8_lossy(text)
                ));
                if let Some(caps) = re.0.captures(text) {
                    log.info(format!(
                        "Regexp matched regexp={} line={:?}",
                        re.0.as_str(),
                        String::from_utf8_lossy(text)
                    ));
                    let mut expanded = Vec::new();
                    caps.expand(qr.send.as_bytes(), &mut expanded);
                    send = expanded;
                    break true;
                }
            };
            if !matched {
                m.failed_regex = 1.0;
                log.error(format!("Regexp did not match regexp={}", re.0.as_str()));
                return Ok(false);
            }
            m.failed_regex = 0.0;
            stream = reader.into_inner();
        }
        if !qr.send.is_empty() {
            send.push(b'\n');
            log.debug(format!(
                "Sending line line={:?}",
                String::from_utf8_lossy(&send)
            ));
            stream
                .write_all(&send)
                .await
                .map_err(|e| format!("Failed to send err={e}"))?;
        }
        if qr.starttls {
            log.debug("Upgrading TCP connection to TLS");
            let (s, facts) = handshake(stream, module, &sni).await?;
            m.tls_facts = Some(facts);
            stream = s;
        }
    }
    Ok(true)
}

async fn handshake(
    stream: Box<dyn Io>,
    module: &TcpProbe,
    sni: &str,
) -> Result<(Box<dyn Io>, TlsFacts), String> {
    let config = client_config(&module.tls_config, &[])?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(server_name(sni)?, stream)
        .await
        .map_err(|e| format!("TLS Handshake failed err={e}"))?;
    let facts = TlsFacts::from_connection(tls.get_ref().1);
    Ok((Box::new(tls), facts))
}
