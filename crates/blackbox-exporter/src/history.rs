//! upstream's probe history (`--history.limit`): the landing page's
//! "Recent Probes" table and `/logs?id=` / `/logs?target=&module=`, which
//! answer a past probe's debug output. Failed probes pushed out of the
//! window are kept in a second one of the same size, as upstream.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use exporter_kit::Family;
use exporter_kit::http::{Body, text_response};
use hyper::StatusCode;
use hyper::header::{CONTENT_TYPE, HeaderValue};

use crate::State;
use crate::config::Config;

/// One probe as the history keeps it.
pub struct Entry {
    /// Set by [`History::add`].
    pub id: u64,
    pub module: String,
    pub target: String,
    pub success: bool,
    pub log: String,
    pub families: Vec<Family>,
    /// The config the probe ran with (its module is printed from it).
    pub config: Arc<Config>,
}

impl Entry {
    /// upstream's `DebugOutput`: the log, the metrics, the module.
    pub fn debug_output(&self) -> String {
        let mut metrics = Vec::new();
        exporter_kit::encode::encode_text(&self.families, &mut metrics);
        let module_yaml = self
            .config
            .modules
            .get(&self.module)
            .and_then(|m| serde_norway::to_string(m).ok())
            .unwrap_or_default();
        format!(
            "Logs for the probe:\n{}\n\n\nMetrics that would have been returned:\n{}\n\n\nModule configuration:\n{}",
            self.log,
            String::from_utf8_lossy(&metrics),
            module_yaml
        )
    }
}

#[derive(Default)]
struct Window {
    next_id: u64,
    results: VecDeque<Arc<Entry>>,
    preserved_failures: VecDeque<Arc<Entry>>,
}

pub struct History {
    limit: usize,
    window: Mutex<Window>,
}

impl History {
    pub fn new(limit: usize) -> History {
        History {
            limit,
            window: Mutex::default(),
        }
    }

    pub fn add(&self, mut entry: Entry) -> Arc<Entry> {
        let mut w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        entry.id = w.next_id;
        w.next_id += 1;
        let entry = Arc::new(entry);
        w.results.push_back(entry.clone());
        if w.results.len() > self.limit
            && let Some(oldest) = w.results.pop_front()
            && !oldest.success
        {
            w.preserved_failures.push_back(oldest);
            if w.preserved_failures.len() > self.limit {
                w.preserved_failures.pop_front();
            }
        }
        entry
    }

    /// Oldest first: the preserved failures, then the window.
    pub fn list(&self) -> Vec<Arc<Entry>> {
        let w = self.window.lock().unwrap_or_else(PoisonError::into_inner);
        w.preserved_failures
            .iter()
            .chain(&w.results)
            .cloned()
            .collect()
    }

    fn find(&self, matches: impl Fn(&Entry) -> bool) -> Option<Arc<Entry>> {
        self.list().into_iter().find(|e| matches(e))
    }
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&#34;")
        .replace('\'', "&#39;")
}

/// upstream's landing page, with the recent probes.
pub struct Landing {
    pub state: Arc<State>,
}

#[async_trait::async_trait]
impl exporter_kit::Handler for Landing {
    async fn handle(&self, _req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Body> {
        let mut html = String::from(
            "<html>\n    <head><title>Blackbox Exporter</title></head>\n    <body>\n    <h1>Blackbox Exporter</h1>\n    \
             <p><a href=\"probe?target=prometheus.io&module=http_2xx\">Probe prometheus.io for http_2xx</a></p>\n    \
             <p><a href=\"probe?target=prometheus.io&module=http_2xx&debug=true\">Debug probe prometheus.io for http_2xx</a></p>\n    \
             <p><a href=\"metrics\">Metrics</a></p>\n    <p><a href=\"config\">Configuration</a></p>\n    \
             <h2>Recent Probes</h2>\n    <table border='1'><tr><th>Module</th><th>Target</th><th>Result</th><th>Debug</th>",
        );
        for e in self.state.history.list().iter().rev() {
            html.push_str(&format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td><td><a href='logs?id={}'>Logs</a></td></td>",
                escape(&e.module),
                escape(&e.target),
                if e.success {
                    "Success"
                } else {
                    "<strong>Failure</strong>"
                },
                e.id
            ));
        }
        html.push_str("</table></body>\n    </html>");
        let mut resp = hyper::Response::new(Body::new(bytes::Bytes::from(html)));
        resp.headers_mut()
            .insert(CONTENT_TYPE, HeaderValue::from_static("text/html"));
        resp
    }
}

/// `/logs`: a past probe's debug output, by id or by target (and module).
pub struct Logs {
    pub state: Arc<State>,
}

#[async_trait::async_trait]
impl exporter_kit::Handler for Logs {
    async fn handle(&self, req: hyper::Request<hyper::body::Incoming>) -> hyper::Response<Body> {
        let params: Vec<(String, String)> =
            form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
                .into_owned()
                .collect();
        let get = |name: &str| {
            params
                .iter()
                .find(|(k, _)| k == name)
                .map_or("", |(_, v)| v.as_str())
        };
        let id = get("id").parse::<u64>().ok();
        let (target, module) = (get("target"), get("module"));
        let bad = |msg: &str| text_response(StatusCode::BAD_REQUEST, format!("{msg}\n"));
        if id.is_some() && !target.is_empty() {
            return bad("Probe id and target can't be defined at the same time");
        }
        if id.is_none() && target.is_empty() {
            return bad("Probe id or target must be defined as http query parameters");
        }
        if target.is_empty() && !module.is_empty() {
            return bad("Probe module filter only works in conjunction with target parameter");
        }
        let history = &self.state.history;
        let found = match id {
            Some(id) => history.find(|e| e.id == id).ok_or("Probe id not found"),
            None => history
                .find(|e| e.target == target && (module.is_empty() || e.module == module))
                .ok_or("Probe target not found"),
        };
        match found {
            Ok(entry) => {
                let mut resp = text_response(StatusCode::OK, entry.debug_output());
                resp.headers_mut()
                    .insert(CONTENT_TYPE, HeaderValue::from_static("text/plain"));
                resp
            }
            Err(msg) => text_response(StatusCode::NOT_FOUND, format!("{msg}\n")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(target: &str, success: bool) -> Entry {
        Entry {
            id: 0,
            module: "m".into(),
            target: target.into(),
            success,
            log: String::new(),
            families: Vec::new(),
            config: Arc::default(),
        }
    }

    #[test]
    fn window_keeps_the_last_n_and_failures_pushed_out() {
        let h = History::new(2);
        h.add(entry("a", false));
        h.add(entry("b", true));
        h.add(entry("c", true));
        h.add(entry("d", true));
        let targets: Vec<String> = h.list().iter().map(|e| e.target.clone()).collect();
        assert_eq!(targets, ["a", "c", "d"]);
        assert_eq!(
            h.find(|e| e.id == 3).map(|e| e.target.clone()),
            Some("d".into())
        );
        assert!(h.find(|e| e.id == 1).is_none());
        let none = History::new(0);
        none.add(entry("x", true));
        assert!(none.list().is_empty());
    }
}
