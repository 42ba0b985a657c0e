//! The websocket prober (upstream's master): an HTTP/1.1 upgrade of a
//! `ws://` or `wss://` target with the module's credentials and headers,
//! then the `query_response` dialogue over messages (each `expect` reads
//! one data message; `send` goes out as a text message).

use std::net::{IpAddr, SocketAddr};
use std::sync::LazyLock;
use std::time::Instant;

use exporter_kit::{Desc, Emitter};
use futures::{SinkExt, StreamExt};
use hyper::Uri;
use tokio_tungstenite::tungstenite::{self, Message, client::IntoClientRequest};

use super::client::{self, Io, ProxySettings};
use super::tls::{client_config, server_name};
use super::{ProbeCtx, ProbeLog, Resolution, resolve, secs};
use crate::config::WebsocketProbe;

struct Descs {
    status: Desc,
    upgraded: Desc,
    failed_regex: Desc,
    duration: Desc,
}

static D: LazyLock<Descs> = LazyLock::new(|| Descs {
    status: Desc::gauge(
        "probe_websocket_status_code",
        "Response HTTP status code",
        &[],
    ),
    upgraded: Desc::gauge(
        "probe_websocket_connection_upgraded",
        "Indicates if the websocket connection was successfully upgraded",
        &[],
    ),
    failed_regex: Desc::gauge(
        "probe_websocket_failed_due_to_regex",
        "Indicates if probe failed due to regex",
        &[],
    ),
    duration: Desc::gauge(
        "probe_websocket_duration_seconds",
        "Duration of websocket request by phase",
        &["phase"],
    ),
});

#[derive(Debug, Default)]
pub struct WebsocketMetrics {
    pub resolution: Resolution,
    pub status: f64,
    pub upgraded: f64,
    pub failed_regex: f64,
    /// resolve, connect, processing, transfer: each only once measured.
    pub phases: Vec<(&'static str, f64)>,
}

impl WebsocketMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.resolution.emit(out);
        out.gauge(&D.status, &[], self.status);
        out.gauge(&D.upgraded, &[], self.upgraded);
        out.gauge(&D.failed_regex, &[], self.failed_regex);
        for (phase, v) in &self.phases {
            out.gauge(&D.duration, &[phase], *v);
        }
    }
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    ctx: &ProbeCtx<'_>,
    target: &str,
    module: &WebsocketProbe,
    m: &mut WebsocketMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    let url: Uri = target
        .parse()
        .map_err(|e| format!("Could not parse target URL err={e}"))?;
    let secure = match url.scheme_str() {
        Some("ws") => false,
        Some("wss") => true,
        other => {
            return Err(format!(
                "Error dialing websocket err=\"malformed ws or wss URL (scheme {:?})\"",
                other.unwrap_or("")
            ));
        }
    };
    let client = &module.http_config;
    // As upstream: the TLS config is built before anything else.
    let tls_config = client_config(&client.tls_config, &[b"http/1.1"])
        .map_err(|e| format!("Error creating TLS config err={e}"))?;
    let host = exporter_kit::net::unbracket(url.host().unwrap_or_default()).to_string();
    let port = url.port_u16().unwrap_or(if secure { 443 } else { 80 });
    let ip: IpAddr = resolve(
        &host,
        &module.preferred_ip_protocol,
        module.ip_protocol_fallback,
        ctx.policy,
        &mut m.resolution,
        log,
    )
    .await
    .map_err(|e| format!("Error resolving address err={e}"))?;
    m.phases.push(("resolve", m.resolution.lookup_seconds));

    let mut request = target
        .into_client_request()
        .map_err(|e| format!("Could not parse target URL err={e}"))?;
    let headers = request.headers_mut();
    if let Some(auth) = client::authorization(client, ctx.tokens, ctx.deadline).await? {
        headers.insert(hyper::header::AUTHORIZATION, auth);
    }
    for (name, value) in client::extra_headers(
        module
            .headers
            .iter()
            .chain(client.http_headers.iter().flatten()),
    )? {
        headers.append(name, value);
    }

    let dial_start = Instant::now();
    // Through a proxy, ws:// is tunneled too (as gorilla's dialer does).
    let proxy = ProxySettings::of(client).for_url(&ws_as_http(&url, secure)?)?;
    let (tcp, connect) = client::connect(
        &ip.to_string(),
        SocketAddr::new(ip, port),
        proxy.as_ref(),
        true,
    )
    .await?;
    m.phases.push(("connect", secs(connect)));
    let stream: Box<dyn Io> = if secure {
        let sni = client.tls_config.server_name_or(&host);
        let tls = tokio_rustls::TlsConnector::from(tls_config)
            .connect(server_name(sni)?, tcp)
            .await
            .map_err(|e| format!("Error dialing websocket err=\"tls: {e}\""))?;
        // upstream reports no certificate facts for websocket probes
        Box::new(tls)
    } else {
        Box::new(tcp)
    };
    let handshake = tokio_tungstenite::client_async(request, stream).await;
    m.phases.push((
        "processing",
        (secs(dial_start.elapsed()) - secs(connect)).max(0.0),
    ));
    let mut ws = match handshake {
        Ok((ws, resp)) => {
            m.status = f64::from(resp.status().as_u16());
            ws
        }
        Err(tungstenite::Error::Http(resp)) => {
            m.status = f64::from(resp.status().as_u16());
            return Err(format!(
                "Error dialing websocket err=\"websocket: bad handshake\" status_code={}",
                resp.status().as_u16()
            ));
        }
        Err(e) => return Err(format!("Error dialing websocket err=\"{e}\"")),
    };
    m.upgraded = 1.0;

    if module.query_response.is_empty() {
        let _ = ws.close(None).await;
        return Ok(true);
    }
    let transfer = Instant::now();
    let mut ok = true;
    for qr in &module.query_response {
        let mut send = qr.send.as_bytes().to_vec();
        if let Some(re) = &qr.expect {
            let message = loop {
                match ws.next().await {
                    Some(Ok(Message::Text(t))) => break t.as_bytes().to_vec(),
                    Some(Ok(Message::Binary(b))) => break b.to_vec(),
                    Some(Ok(Message::Close(_))) | None => {
                        log.error("Error reading message err=\"connection closed\"");
                        ok = false;
                        break Vec::new();
                    }
                    Some(Ok(_)) => continue,
                    Some(Err(e)) => {
                        log.error(format!("Error reading message err={e}"));
                        ok = false;
                        break Vec::new();
                    }
                }
            };
            if !ok {
                break;
            }
            match re.0.captures(&message) {
                Some(caps) => {
                    log.debug(format!(
                        "regexp matched regexp={} line={:?}",
                        re.0.as_str(),
                        String::from_utf8_lossy(&message)
                    ));
                    let mut expanded = Vec::new();
                    caps.expand(qr.send.as_bytes(), &mut expanded);
                    send = expanded;
                }
                None => {
                    log.error(format!(
                        "Regexp did not match regexp={} line={:?}",
                        re.0.as_str(),
                        String::from_utf8_lossy(&message)
                    ));
                    ok = false;
                    break;
                }
            }
        }
        if !send.is_empty() {
            let text = String::from_utf8_lossy(&send).into_owned();
            if let Err(e) = ws.send(Message::text(text)).await {
                log.error(format!("Error sending message err={e}"));
                ok = false;
                break;
            }
        }
    }
    m.failed_regex = if ok { 0.0 } else { 1.0 };
    m.phases.push(("transfer", secs(transfer.elapsed())));
    let _ = ws.close(None).await;
    Ok(ok)
}

/// The proxy rules are written for http(s) URLs.
fn ws_as_http(url: &Uri, secure: bool) -> Result<Uri, String> {
    let authority = url.authority().map_or("", |a| a.as_str());
    format!("{}://{authority}/", if secure { "https" } else { "http" })
        .parse()
        .map_err(|e| format!("Could not parse target URL err={e}"))
}
