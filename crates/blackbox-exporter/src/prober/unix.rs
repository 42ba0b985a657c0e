//! The unix prober (upstream 0.28): the target is a stream socket's path;
//! connect (optionally TLS), then the tcp prober's `query_response`
//! dialogue.

use exporter_kit::Emitter;

use super::client::Io;
use super::query_response::{self, QueryResponseMetrics, handshake};
use super::{ProbeCtx, ProbeLog};
use crate::config::UnixProbe;

#[derive(Debug, Default)]
pub struct UnixMetrics {
    pub dialogue: QueryResponseMetrics,
}

impl UnixMetrics {
    pub fn emit(&self, out: &mut Emitter) {
        self.dialogue.emit(out);
    }
}

/// Fails with the message logged as the probe's error.
pub async fn probe(
    _ctx: &ProbeCtx<'_>,
    target: &str,
    module: &UnixProbe,
    m: &mut UnixMetrics,
    log: &mut ProbeLog,
) -> Result<bool, String> {
    log.debug(if module.tls {
        "Dialing unix with TLS"
    } else {
        "Dialing unix without TLS"
    });
    let socket = tokio::net::UnixStream::connect(target).await.map_err(|e| {
        let denied = matches!(e.kind(), std::io::ErrorKind::PermissionDenied);
        if denied {
            format!("Error dialing unix err=\"permission denied connecting to unix socket {target}: {e}\"")
        } else {
            format!("Error dialing unix err=\"dial unix {target}: connect: {e}\"")
        }
    })?;
    log.debug("Successfully dialed");
    // A path is no host name: the certificate is checked against
    // tls_config.server_name, else "localhost".
    let sni = module.tls_config.server_name_or("localhost");
    let stream: Box<dyn Io> = if module.tls {
        let (s, facts) = handshake(Box::new(socket), &module.tls_config, sni).await?;
        m.dialogue.tls_facts = Some(facts);
        s
    } else {
        Box::new(socket)
    };
    query_response::run(
        stream,
        &module.query_response,
        &module.tls_config,
        sni,
        &mut m.dialogue,
        log,
    )
    .await
}
