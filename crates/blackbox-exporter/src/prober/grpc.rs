//! The grpc prober: one `grpc.health.v1.Health/Check` call over HTTP/2
//! (h2c, or TLS with ALPN h2), encoded by hand: the request and response
//! are one-field protobuf messages, so no gRPC stack is needed.

use std::net::SocketAddr;
use std::sync::LazyLock;
use std::time::Duration;

use bytes::Bytes;
use exporter_kit::net::{INVALID_PORT, split_host_port, unbracket};
use exporter_kit::{Desc, Emitter, protowire};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue, TE};
use hyper_util::rt::{TokioExecutor, TokioIo};

use super::tls::{TlsFacts, client_config, server_name};
use super::{ProbeCtx, ProbeLog, Resolution, resolve};
use crate::config::GrpcProbe;

const STATUSES: [&str; 4] = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"];

struct Descs {
    duration: Desc,
    ssl: Desc,
    status_code: Desc,
    health: Desc,
}

static D: LazyLock<Descs> = LazyLock::new(|| Descs {
    duration: Desc::gauge(
        "probe_grpc_duration_seconds",
        "Duration of gRPC request by phase",
        &["phase"],
    ),
    ssl: Desc::gauge(
        "probe_grpc_ssl",
        "Indicates if SSL was used for the connection",
        &[],
    ),
    status_code: Desc::gauge("probe_grpc_status_code", "Response gRPC status code", &[]),
    health: Desc::gauge(
        "probe_grpc_healthcheck_response",
        "Response HealthCheck response",
        &["serving_status"],
    ),
});

#[derive(Debug, Default)]
pub struct GrpcMetrics {
    pub resolution: Resolution,
    pub check: f64,
    pub ssl: f64,
    pub status_code: f64,
    pub serving: Option<usize>,
    pub tls_facts: Option<TlsFacts>,
}

impl GrpcMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        out.gauge(&D.duration, &["resolve"], self.resolution.lookup_seconds);
        out.gauge(&D.duration, &["check"], self.check);
        out.gauge(&D.ssl, &[], self.ssl);
        out.gauge(&D.status_code, &[], self.status_code);
        for (i, s) in STATUSES.iter().enumerate() {
            out.gauge(
                &D.health,
                &[s],
                if self.serving == Some(i) { 1.0 } else { 0.0 },
            );
        }
        match &self.tls_facts {
            Some(f) => f.emit(out),
            // upstream's grpc prober always registers this gauge
            None => out.gauge(&super::DESCS.ssl_earliest, &[], 0.0),
        }
    }
}

/// `HealthCheckRequest { service }`, length-prefixed for gRPC.
pub fn encode_request(service: &str) -> Vec<u8> {
    let mut msg = Vec::new();
    if !service.is_empty() {
        protowire::put_bytes(&mut msg, 1, service.as_bytes());
    }
    protowire::grpc_frame(&msg)
}

/// The `status` field of a framed `HealthCheckResponse` (0 when absent).
pub fn decode_status(body: &[u8]) -> Result<u64, String> {
    let msg = protowire::grpc_message(body).map_err(|e| e.to_string())?;
    let mut status = 0;
    for field in protowire::fields(msg) {
        if let (1, value) = field.map_err(|e| e.to_string())? {
            status = value.as_u64().unwrap_or(0);
        }
    }
    Ok(status)
}

fn grpc_status(h: &HeaderMap) -> Option<f64> {
    h.get("grpc-status")?.to_str().ok()?.parse().ok()
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &GrpcProbe,
    m: &mut GrpcMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    let hostport = target
        .strip_prefix("grpc://")
        .or_else(|| target.strip_prefix("http://"))
        .or_else(|| target.strip_prefix("https://"))
        .unwrap_or(target)
        .trim_end_matches('/');
    let default_port = if module.tls { 443 } else { 80 };
    // As upstream: an authority that does not split is a host alone, and
    // an empty port is the scheme's.
    let (host, port) = match split_host_port(hostport) {
        Ok((host, "")) => (host, default_port),
        Ok((host, port)) => (
            host,
            port.parse()
                .map_err(|_| format!("address {hostport}: {INVALID_PORT}"))?,
        ),
        Err(_) => (unbracket(hostport), default_port),
    };
    let ip = resolve(
        host,
        &module.preferred_ip_protocol,
        module.ip_protocol_fallback,
        ctx.policy,
        &mut m.resolution,
        log,
    )
    .await?;
    let start = std::time::Instant::now();
    let r = check(
        module,
        hostport,
        host,
        SocketAddr::new(ip, port),
        ctx,
        m,
        log,
    )
    .await;
    m.check = start.elapsed().as_secs_f64();
    r
}

async fn check(
    module: &GrpcProbe,
    hostport: &str,
    host: &str,
    addr: SocketAddr,
    ctx: &ProbeCtx<'_>,
    m: &mut GrpcMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    // Until a call completes, as grpc-go reports a failed dial: Unavailable.
    m.status_code = 14.0;
    let tcp = tokio::net::TcpStream::connect(addr)
        .await
        .map_err(|e| format!("dial tcp {addr}: {e}"))?;
    let _ = tcp.set_nodelay(true);
    let deadline = ctx.deadline + Duration::from_secs(1);
    let request = Request::builder()
        .method("POST")
        .uri(format!(
            "{}://{hostport}/grpc.health.v1.Health/Check",
            if module.tls { "https" } else { "http" }
        ))
        .header(CONTENT_TYPE, HeaderValue::from_static("application/grpc"))
        .header(TE, HeaderValue::from_static("trailers"))
        .body(Full::new(Bytes::from(encode_request(&module.service))))
        .map_err(|e| e.to_string())?;
    log.debug(format!(
        "Checking gRPC health service={:?} address={addr}",
        module.service
    ));
    let resp = if module.tls {
        let config = client_config(&module.tls_config, &[b"h2"])?;
        let sni = module.tls_config.server_name_or(host);
        let tls = tokio_rustls::TlsConnector::from(config)
            .connect(server_name(sni)?, tcp)
            .await
            .map_err(|e| format!("TLS handshake failed: {e}"))?;
        m.ssl = 1.0;
        m.tls_facts = Some(TlsFacts::from_connection(tls.get_ref().1));
        send(TokioIo::new(tls), request, deadline).await?
    } else {
        send(TokioIo::new(tcp), request, deadline).await?
    };
    let (parts, body) = resp.into_parts();
    let collected = body
        .collect()
        .await
        .map_err(|e| format!("reading gRPC response: {e}"))?;
    let trailers = collected.trailers().cloned();
    let data = collected.to_bytes();
    let code = trailers
        .as_ref()
        .and_then(grpc_status)
        .or_else(|| grpc_status(&parts.headers))
        .unwrap_or(2.0);
    m.status_code = code;
    if code != 0.0 {
        log.error(format!("gRPC call failed grpc_status={code}"));
        return Ok(false);
    }
    let status = decode_status(&data)? as usize;
    m.serving = Some(status.min(3));
    let name = STATUSES.get(status).copied().unwrap_or("UNKNOWN");
    log.debug(format!("Health check answered status={name}"));
    Ok(status == 1)
}

async fn send<I>(
    io: I,
    request: Request<Full<Bytes>>,
    deadline: tokio::time::Instant,
) -> Result<hyper::Response<hyper::body::Incoming>, String>
where
    I: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, conn) = hyper::client::conn::http2::handshake(TokioExecutor::new(), io)
        .await
        .map_err(|e| format!("HTTP/2 handshake: {e}"))?;
    tokio::spawn(async move {
        let _ = tokio::time::timeout_at(deadline, conn).await;
    });
    sender
        .send_request(request)
        .await
        .map_err(|e| format!("gRPC request failed: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn health_messages() {
        assert_eq!(encode_request(""), vec![0, 0, 0, 0, 0]);
        assert_eq!(
            encode_request("ab"),
            vec![0, 0, 0, 0, 4, 0x0a, 2, b'a', b'b']
        );
        assert_eq!(decode_status(&[0, 0, 0, 0, 2, 0x08, 1]), Ok(1));
        assert_eq!(decode_status(&[0, 0, 0, 0, 0]), Ok(0));
        assert!(decode_status(&[0]).is_err());
    }
}
