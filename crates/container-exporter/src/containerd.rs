//! Container images, labels and init PIDs from containerd's gRPC API, for
//! hosts where Kubernetes runs containers through containerd instead of
//! Docker (cAdvisor's `--containerd` and `--containerd-namespace`). The
//! CRI plugin labels every container with `io.kubernetes.pod.name`,
//! `io.kubernetes.pod.namespace` and `io.kubernetes.container.name`, so the
//! container labels and the Prometheus relabelling that serve Docker nodes
//! give pods their `namespace`, `pod` and `container` labels here too.
//!
//! The container list is polled (a container appears within one period);
//! scrapes read only the cache. When containerd is absent the poller keeps
//! retrying quietly and raw cgroup metrics keep flowing.

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, RwLock};
use std::time::Duration;

use bytes::Bytes;
use exporter_kit::protowire::{self, WireError};
use http_body_util::{BodyExt, Full};
use hyper::Request;
use hyper_util::rt::{TokioExecutor, TokioIo};

use crate::args::LabelPolicy;
use crate::docker::{Meta, kept_labels};

const POLL: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(5);

#[derive(Debug, thiserror::Error)]
pub enum ContainerdError {
    #[error("containerd socket {0}: {1}")]
    Connect(String, std::io::Error),
    #[error("containerd: {0}")]
    Http(String),
    #[error("containerd answered grpc-status {0}: {1}")]
    Status(String, String),
    #[error("containerd: {0}")]
    Wire(#[from] WireError),
    #[error("containerd did not answer within {0:?}")]
    Timeout(Duration),
}

/// A handle on the cache; cheap to clone.
#[derive(Clone, Default)]
pub struct Containerd {
    containers: Arc<RwLock<HashMap<String, Arc<Meta>>>>,
}

impl Containerd {
    /// Starts polling `endpoint` (`/run/containerd/containerd.sock`, with or
    /// without `unix://`) for the containers of `namespace`. Needs a tokio
    /// runtime.
    pub fn spawn(endpoint: &str, namespace: &str, policy: LabelPolicy) -> Containerd {
        let cache = Containerd::default();
        let containers = cache.containers.clone();
        let socket = PathBuf::from(endpoint.strip_prefix("unix://").unwrap_or(endpoint));
        let namespace = namespace.to_string();
        tokio::spawn(async move {
            let mut reachable = false;
            loop {
                match tokio::time::timeout(TIMEOUT, list(&socket, &namespace, &policy)).await {
                    Ok(Ok(list)) => {
                        if !reachable {
                            tracing::info!(socket = %socket.display(), containers = list.len(), "connected to containerd");
                            reachable = true;
                        }
                        if let Ok(mut c) = containers.write() {
                            *c = list;
                        }
                    }
                    Ok(Err(err)) => {
                        if reachable {
                            tracing::warn!(error = %err, "containerd unavailable; keeping the last known containers");
                            reachable = false;
                        } else {
                            tracing::debug!(error = %err, "containerd unavailable");
                        }
                    }
                    Err(_) => {
                        tracing::debug!(error = %ContainerdError::Timeout(TIMEOUT), "containerd")
                    }
                }
                tokio::time::sleep(POLL).await;
            }
        });
        cache
    }

    pub fn get(&self, id: &str) -> Option<Arc<Meta>> {
        self.containers.read().ok()?.get(id).cloned()
    }
}

/// One unary gRPC call over the Unix socket; the response's first message.
async fn call(
    socket: &std::path::Path,
    namespace: &str,
    method: &str,
    request: &[u8],
) -> Result<Bytes, ContainerdError> {
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| ContainerdError::Connect(socket.display().to_string(), e))?;
    let (mut sender, connection) =
        hyper::client::conn::http2::handshake(TokioExecutor::new(), TokioIo::new(stream))
            .await
            .map_err(|e| ContainerdError::Http(e.to_string()))?;
    let driver = tokio::spawn(connection);
    let req = Request::post(format!("http://containerd{method}"))
        .header("content-type", "application/grpc")
        .header("te", "trailers")
        .header("containerd-namespace", namespace)
        .body(Full::new(Bytes::from(protowire::grpc_frame(request))))
        .map_err(|e| ContainerdError::Http(e.to_string()))?;
    let resp = sender
        .send_request(req)
        .await
        .map_err(|e| ContainerdError::Http(e.to_string()))?;
    let headers = resp.headers().clone();
    let collected = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| ContainerdError::Http(e.to_string()))?;
    driver.abort();
    // A failed call may put its status in the headers (trailers-only).
    let trailers = collected.trailers().cloned().unwrap_or_default();
    let status = trailers
        .get("grpc-status")
        .or_else(|| headers.get("grpc-status"))
        .and_then(|v| v.to_str().ok())
        .unwrap_or("0")
        .to_string();
    if status != "0" {
        let message = trailers
            .get("grpc-message")
            .or_else(|| headers.get("grpc-message"))
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_string();
        return Err(ContainerdError::Status(status, message));
    }
    let body = collected.to_bytes();
    let message = protowire::grpc_message(&body)?;
    Ok(body.slice_ref(message))
}

async fn list(
    socket: &std::path::Path,
    namespace: &str,
    policy: &LabelPolicy,
) -> Result<HashMap<String, Arc<Meta>>, ContainerdError> {
    let containers = call(
        socket,
        namespace,
        "/containerd.services.containers.v1.Containers/List",
        &[],
    )
    .await?;
    let tasks = call(
        socket,
        namespace,
        "/containerd.services.tasks.v1.Tasks/List",
        &[],
    )
    .await?;
    let pids = task_pids(&tasks)?;
    let mut out = HashMap::new();
    for field in protowire::fields(&containers) {
        if let (1, value) = field?
            && let Some(container) = value.as_bytes()
        {
            let (id, meta) = container_meta(container, policy, &pids)?;
            out.insert(id, Arc::new(meta));
        }
    }
    Ok(out)
}

/// `ListTasksResponse`: container id -> init PID of running tasks.
pub fn task_pids(message: &[u8]) -> Result<HashMap<String, u32>, WireError> {
    let mut pids = HashMap::new();
    for field in protowire::fields(message) {
        let (1, value) = field? else { continue };
        let Some(process) = value.as_bytes() else {
            continue;
        };
        let mut id = String::new();
        let mut pid = 0;
        for field in protowire::fields(process) {
            match field? {
                (1, v) => id = v.as_string().unwrap_or_default(),
                (3, v) => pid = v.as_u64().and_then(|p| u32::try_from(p).ok()).unwrap_or(0),
                _ => {}
            }
        }
        if pid > 0 {
            pids.insert(id, pid);
        }
    }
    Ok(pids)
}

/// One `Container` message. cAdvisor names a containerd container by its
/// id; there is no health check.
pub fn container_meta(
    message: &[u8],
    policy: &LabelPolicy,
    pids: &HashMap<String, u32>,
) -> Result<(String, Meta), WireError> {
    let mut id = String::new();
    let mut image = String::new();
    let mut labels = HashMap::new();
    let mut created = None;
    for field in protowire::fields(message) {
        match field? {
            (1, v) => id = v.as_string().unwrap_or_default(),
            (2, v) => {
                let (k, val) = protowire::map_entry(v.as_bytes().unwrap_or_default())?;
                labels.insert(k, val);
            }
            (3, v) => image = v.as_string().unwrap_or_default(),
            (8, v) => {
                for field in protowire::fields(v.as_bytes().unwrap_or_default()) {
                    if let (1, seconds) = field? {
                        created = seconds.as_u64().map(|s| s as f64);
                    }
                }
            }
            _ => {}
        }
    }
    let meta = Meta {
        name: id.as_str().into(),
        image: image.into(),
        labels: kept_labels(
            labels.iter().map(|(k, v)| (k.as_str(), v.as_str())),
            policy,
            |s: &str| Arc::from(s),
        ),
        created,
        started: None,
        pid: pids.get(&id).copied(),
        health: -1.0,
    };
    Ok((id, meta))
}

#[cfg(test)]
mod tests {
    use super::*;
    use exporter_kit::protowire::put_bytes;

    fn entry(k: &str, v: &str) -> Vec<u8> {
        let mut e = Vec::new();
        put_bytes(&mut e, 1, k.as_bytes());
        put_bytes(&mut e, 2, v.as_bytes());
        e
    }

    #[test]
    fn container_labels_image_created_and_pid() {
        // Timestamp { seconds: 1_700_000_000 }
        let mut created = vec![0x08];
        let mut v = 1_700_000_000u64;
        while v >= 0x80 {
            created.push((v as u8 & 0x7f) | 0x80);
            v >>= 7;
        }
        created.push(v as u8);
        let mut c = Vec::new();
        put_bytes(&mut c, 1, b"abc");
        put_bytes(&mut c, 2, &entry("io.kubernetes.pod.name", "web-0"));
        put_bytes(&mut c, 2, &entry("other", "x"));
        put_bytes(&mut c, 3, b"registry.local/web:1");
        put_bytes(&mut c, 5, b"\x0a\x03any");
        put_bytes(&mut c, 8, &created);
        let allow = LabelPolicy::Only(
            ["io.kubernetes.pod.name", "absent"]
                .map(String::from)
                .into(),
        );
        let pids = HashMap::from([("abc".to_string(), 4242)]);
        let (id, meta) = container_meta(&c, &allow, &pids).expect("decodes");
        assert_eq!(id, "abc");
        assert_eq!(
            meta,
            Meta {
                name: "abc".into(),
                image: "registry.local/web:1".into(),
                labels: vec![(Arc::from("io.kubernetes.pod.name"), Arc::from("web-0"))].into(),
                created: Some(1_700_000_000.0),
                started: None,
                pid: Some(4242),
                health: -1.0,
            }
        );
        assert_eq!(meta.label("io.kubernetes.pod.name"), "web-0");
        assert_eq!(meta.label("absent"), "");
        let (_, every) = container_meta(&c, &LabelPolicy::All, &pids).expect("decodes");
        assert_eq!(every.label("other"), "x");
        assert_eq!(every.labels.len(), 2);
    }

    #[test]
    fn stopped_tasks_have_no_pid_and_garbage_is_an_error() {
        let mut running = Vec::new();
        put_bytes(&mut running, 1, b"a");
        running.extend_from_slice(&[0x18, 0x07]); // pid 7
        let mut stopped = Vec::new();
        put_bytes(&mut stopped, 1, b"b");
        let mut msg = Vec::new();
        put_bytes(&mut msg, 1, &running);
        put_bytes(&mut msg, 1, &stopped);
        assert_eq!(
            task_pids(&msg).expect("decodes"),
            HashMap::from([("a".to_string(), 7)])
        );
        assert!(task_pids(&[0x0a, 0x09, 0x01]).is_err());
        assert!(container_meta(&[0x12, 0x02, 0x0a], &LabelPolicy::All, &HashMap::new()).is_err());
    }
}
