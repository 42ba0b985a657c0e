//! upstream's `query_response` dialogue, shared by the tcp and unix
//! probers: per entry, read lines until `expect` matches (its captures fill
//! `send` and `labels`), compare `expect_bytes`, send `send` and a newline,
//! upgrade with `starttls`.

use exporter_kit::{Desc, Emitter};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

use super::client::Io;
use super::tls::{TlsFacts, client_config, server_name};
use super::{DESCS, ProbeLog};
use crate::config::{QueryResponse, TlsConfig};

static FAILED_BYTES: std::sync::LazyLock<Desc> = std::sync::LazyLock::new(|| {
    Desc::gauge(
        "probe_failed_due_to_bytes",
        "Indicates if probe failed due to bytes",
        &[],
    )
});

/// What the dialogue reports; filled as it goes.
#[derive(Debug, Default)]
pub struct QueryResponseMetrics {
    pub failed_regex: f64,
    pub failed_bytes: f64,
    /// `probe_expect_info`: the label names and their expanded values.
    pub expect_info: Vec<(Vec<String>, Vec<String>)>,
    pub tls_facts: Option<TlsFacts>,
}

impl QueryResponseMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        out.gauge(&DESCS.failed_regex, &[], self.failed_regex);
        out.gauge(&FAILED_BYTES, &[], self.failed_bytes);
        for (names, values) in &self.expect_info {
            let names: Vec<&str> = names.iter().map(String::as_str).collect();
            let values: Vec<&str> = values.iter().map(String::as_str).collect();
            let desc = Desc::gauge("probe_expect_info", "Explicit content matched", &names);
            out.gauge(&desc, &values, 1.0);
        }
        if let Some(f) = &self.tls_facts {
            f.emit(out);
        }
    }
}

/// A TLS handshake over `stream` with `tls` (no ALPN), named `sni`.
pub async fn handshake(
    stream: Box<dyn Io>,
    tls: &TlsConfig,
    sni: &str,
) -> Result<(Box<dyn Io>, TlsFacts), String> {
    let config = client_config(tls, &[])?;
    let tls = tokio_rustls::TlsConnector::from(config)
        .connect(server_name(sni)?, stream)
        .await
        .map_err(|e| format!("TLS Handshake failed err={e}"))?;
    let facts = TlsFacts::from_connection(tls.get_ref().1);
    Ok((Box::new(tls), facts))
}

/// Runs the dialogue; `Ok(false)` when an expectation failed.
pub async fn run(
    stream: Box<dyn Io>,
    entries: &[QueryResponse],
    tls: &TlsConfig,
    sni: &str,
    m: &mut QueryResponseMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    // One reader across entries, as upstream's scanner: lines that arrived
    // together are not lost between two expects.
    let mut reader = BufReader::new(stream);
    for (i, qr) in entries.iter().enumerate() {
        log.debug(format!("Processing query response entry entry_number={i}"));
        let mut send = qr.send.as_bytes().to_vec();
        if let Some(re) = &qr.expect {
            let mut line = Vec::new();
            let matched = loop {
                line.clear();
                let n = reader
                    .read_until(b'\n', &mut line)
                    .await
                    .map_err(|e| format!("Error reading from connection err={e}"))?;
                if n == 0 {
                    break None;
                }
                let text = line.strip_suffix(b"\n").unwrap_or(&line);
                let text = text.strip_suffix(b"\r").unwrap_or(text);
                log.debug(format!(
                    "Read line line={:?}",
                    String::from_utf8_lossy(text)
                ));
                if let Some(caps) = re.0.captures(text) {
                    log.debug(format!(
                        "Regexp matched regexp={} line={:?}",
                        re.0.as_str(),
                        String::from_utf8_lossy(text)
                    ));
                    let expand = |template: &str| {
                        let mut out = Vec::new();
                        caps.expand(template.as_bytes(), &mut out);
                        out
                    };
                    send = expand(&qr.send);
                    if !qr.labels.is_empty() {
                        m.expect_info.push((
                            qr.labels.iter().map(|l| l.name.clone()).collect(),
                            qr.labels
                                .iter()
                                .map(|l| String::from_utf8_lossy(&expand(&l.value)).into_owned())
                                .collect(),
                        ));
                    }
                    break Some(());
                }
            };
            if matched.is_none() {
                m.failed_regex = 1.0;
                log.error(format!("Regexp did not match regexp={}", re.0.as_str()));
                return Ok(false);
            }
            m.failed_regex = 0.0;
        }
        if !qr.expect_bytes.is_empty() {
            let want = qr.expect_bytes.as_bytes();
            let mut got = vec![0; want.len()];
            if let Err(e) = reader.read_exact(&mut got).await {
                log.error(format!(
                    "Read less data than expected expected={want:?} err={e}"
                ));
                return Ok(false);
            }
            if got != want {
                m.failed_bytes = 1.0;
                log.error(format!(
                    "Bytes did not match expected={want:?} bytes={got:?}"
                ));
                return Ok(false);
            }
            log.debug(format!("Bytes matched expected={want:?}"));
            m.failed_bytes = 0.0;
        }
        if !send.is_empty() {
            send.push(b'\n');
            log.debug(format!(
                "Sending line line={:?}",
                String::from_utf8_lossy(&send)
            ));
            reader
                .get_mut()
                .write_all(&send)
                .await
                .map_err(|e| format!("Failed to send err={e}"))?;
        }
        if qr.starttls {
            log.debug("Upgrading connection to TLS");
            let (s, facts) = handshake(reader.into_inner(), tls, sni).await?;
            m.tls_facts = Some(facts);
            reader = BufReader::new(s);
        }
    }
    Ok(true)
}
