//! The API's handlers, wrapped in the RED instrumentation.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use bytes::Bytes;
use exporter_kit::http::Body;
use http_body_util::{BodyExt, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::faults::Faults;
use crate::metrics::Metrics;
use crate::routes::{ErrorReason, MethodLabel, Route, StatusLabel};

/// The most items the in-memory store keeps; beyond it the oldest go, so a
/// long load run cannot grow the process without bound.
pub const MAX_ITEMS: usize = 10_000;

#[derive(Debug, Clone, serde::Serialize)]
struct Item {
    id: u64,
    name: String,
    price: f64,
}

#[derive(Debug)]
struct Store {
    items: BTreeMap<u64, Item>,
    next_id: u64,
}

impl Store {
    fn insert(&mut self, name: String, price: f64) -> Item {
        let id = self.next_id;
        self.next_id += 1;
        let item = Item { id, name, price };
        self.items.insert(id, item.clone());
        while self.items.len() > MAX_ITEMS {
            self.items.pop_first();
        }
        item
    }
}

struct Inner {
    metrics: Metrics,
    faults: Faults,
    store: Mutex<Store>,
    max_body: usize,
    instrument: bool,
}

/// The application; cheap to clone (one shared state).
#[derive(Clone)]
pub struct App(Arc<Inner>);

/// Decrements the in-flight gauge even when the client goes away and
/// hyper drops the request's future.
struct InFlight<'a>(&'a prometheus::IntGauge);

impl Drop for InFlight<'_> {
    fn drop(&mut self) {
        self.0.dec();
    }
}

#[async_trait::async_trait]
impl exporter_kit::Handler for App {
    async fn handle(&self, req: Request<Incoming>) -> Response<Body> {
        let inner = &self.0;
        if !inner.instrument {
            return self.serve(Route::matching(req.uri().path()), req).await;
        }
        let start = Instant::now();
        let method = MethodLabel::of(req.method());
        let route = Route::matching(req.uri().path());
        let metrics = &inner.metrics;
        metrics.in_flight.inc();
        let _guard = InFlight(&metrics.in_flight);
        let resp = self.serve(route, req).await;
        let elapsed = start.elapsed();
        let status = resp.status();
        let series = &metrics.series;
        series
            .requests(method, route, StatusLabel::of(status))
            .inc();
        series
            .duration(method, route)
            .observe(elapsed.as_secs_f64());
        if status.is_client_error() || status.is_server_error() {
            let reason = resp.extensions().get::<ErrorReason>().map_or(
                if status.is_server_error() {
                    ErrorReason::Internal
                } else {
                    ErrorReason::BadRequest
                },
                |r| *r,
            );
            series.errors(route, reason).inc();
        }
        resp
    }
}

fn json_response(status: StatusCode, value: &Value) -> Response<Body> {
    let mut body = serde_json::to_vec(value).unwrap_or_default();
    body.push(b'\n');
    let mut resp = Response::new(Full::new(Bytes::from(body)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    resp
}

fn error(status: StatusCode, reason: ErrorReason, message: impl Into<String>) -> Response<Body> {
    let mut resp = json_response(status, &json!({ "error": message.into() }));
    resp.extensions_mut().insert(reason);
    resp
}

fn method_not_allowed(allow: &'static str) -> Response<Body> {
    let mut resp = error(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorReason::MethodNotAllowed,
        format!("method not allowed; use {allow}"),
    );
    resp.headers_mut()
        .insert(header::ALLOW, HeaderValue::from_static(allow));
    resp
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewItem {
    name: String,
    price: f64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Checkout {
    item_ids: Vec<u64>,
    #[serde(default = "default_currency")]
    currency: String,
}

fn default_currency() -> String {
    "EUR".to_string()
}

/// The currencies the business metric is labelled with (a closed set).
const CURRENCIES: &[&str] = &["EUR", "USD", "GBP"];

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct FaultUpdate {
    latency_ms: Option<f64>,
    error_rate: Option<f64>,
}

impl App {
    pub fn new(metrics: Metrics, faults: Faults, max_body: usize, instrument: bool) -> App {
        let mut store = Store {
            items: BTreeMap::new(),
            next_id: 1,
        };
        store.insert("teapot".to_string(), 18.5);
        store.insert("kettle".to_string(), 32.0);
        store.insert("mug".to_string(), 6.25);
        metrics.items.set(store.items.len() as i64);
        App(Arc::new(Inner {
            metrics,
            faults,
            store: Mutex::new(store),
            max_body,
            instrument,
        }))
    }

    pub fn faults(&self) -> &Faults {
        &self.0.faults
    }

    fn store(&self) -> std::sync::MutexGuard<'_, Store> {
        // A panic while holding the lock cannot leave the map half-written
        // in a way that matters here; keep serving.
        self.0
            .store
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    async fn serve(&self, route: Route, req: Request<Incoming>) -> Response<Body> {
        if route.faultable() {
            let latency = self.0.faults.latency();
            if latency > Duration::ZERO {
                tokio::time::sleep(latency).await;
            }
            if self.0.faults.should_fail() {
                return error(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    ErrorReason::Injected,
                    "injected fault (see /admin/faults)",
                );
            }
        }
        let method = req.method().clone();
        match (route, method) {
            (Route::Hello, Method::GET | Method::HEAD) => exporter_kit::http::text_response(
                StatusCode::OK,
                "Hello from ferroscope demo-app!\n",
            ),
            (Route::Hello, _) => method_not_allowed("GET, HEAD"),
            (Route::Healthz, Method::GET | Method::HEAD) => {
                json_response(StatusCode::OK, &json!({ "status": "ok" }))
            }
            (Route::Healthz, _) => method_not_allowed("GET, HEAD"),
            (Route::Items, Method::GET | Method::HEAD) => {
                let items: Vec<Item> = self
                    .store()
                    .items
                    .values()
                    .rev()
                    .take(100)
                    .cloned()
                    .collect();
                json_response(StatusCode::OK, &json!({ "items": items }))
            }
            (Route::Items, Method::POST) => match self.body::<NewItem>(req).await {
                Ok(new) => {
                    if new.name.trim().is_empty() || new.name.len() > 200 {
                        return error(
                            StatusCode::BAD_REQUEST,
                            ErrorReason::BadRequest,
                            "name must be 1 to 200 characters",
                        );
                    }
                    if !new.price.is_finite() || new.price < 0.0 {
                        return error(
                            StatusCode::BAD_REQUEST,
                            ErrorReason::BadRequest,
                            "price must be a non-negative number",
                        );
                    }
                    let (item, count) = {
                        let mut store = self.store();
                        let item = store.insert(new.name, new.price);
                        (item, store.items.len())
                    };
                    self.0.metrics.items.set(count as i64);
                    json_response(StatusCode::CREATED, &json!(item))
                }
                Err(resp) => resp,
            },
            (Route::Items, _) => method_not_allowed("GET, HEAD, POST"),
            (Route::Item, Method::GET | Method::HEAD) => {
                let id = req.uri().path().rsplit('/').next().unwrap_or("");
                let Ok(id) = id.parse::<u64>() else {
                    return error(
                        StatusCode::BAD_REQUEST,
                        ErrorReason::BadRequest,
                        "item id must be a number",
                    );
                };
                match self.store().items.get(&id) {
                    Some(item) => json_response(StatusCode::OK, &json!(item)),
                    None => error(
                        StatusCode::NOT_FOUND,
                        ErrorReason::NotFound,
                        format!("no item {id}"),
                    ),
                }
            }
            (Route::Item, _) => method_not_allowed("GET, HEAD"),
            (Route::Checkout, Method::POST) => match self.body::<Checkout>(req).await {
                Ok(order) => self.checkout(order),
                Err(resp) => resp,
            },
            (Route::Checkout, _) => method_not_allowed("POST"),
            (Route::AdminFaults, Method::GET | Method::HEAD) => self.fault_state(),
            (Route::AdminFaults, Method::PUT | Method::POST) => {
                match self.body::<FaultUpdate>(req).await {
                    Ok(update) => self.update_faults(update),
                    Err(resp) => resp,
                }
            }
            (Route::AdminFaults, _) => method_not_allowed("GET, HEAD, PUT, POST"),
            (Route::Unmatched, _) => error(
                StatusCode::NOT_FOUND,
                ErrorReason::NotFound,
                "no such route",
            ),
        }
    }

    fn checkout(&self, order: Checkout) -> Response<Body> {
        let Some(currency) = CURRENCIES.iter().find(|c| **c == order.currency) else {
            return error(
                StatusCode::BAD_REQUEST,
                ErrorReason::BadRequest,
                format!("currency must be one of {}", CURRENCIES.join(", ")),
            );
        };
        if order.item_ids.is_empty() || order.item_ids.len() > 100 {
            return error(
                StatusCode::BAD_REQUEST,
                ErrorReason::BadRequest,
                "item_ids must hold 1 to 100 ids",
            );
        }
        let mut total = 0.0;
        {
            let store = self.store();
            for id in &order.item_ids {
                match store.items.get(id) {
                    Some(item) => total += item.price,
                    None => {
                        return error(
                            StatusCode::NOT_FOUND,
                            ErrorReason::NotFound,
                            format!("no item {id}"),
                        );
                    }
                }
            }
        }
        self.0.metrics.orders.inc();
        self.0
            .metrics
            .order_value
            .with_label_values(&[currency])
            .inc_by(total);
        json_response(
            StatusCode::CREATED,
            &json!({ "status": "confirmed", "items": order.item_ids.len(), "total": total, "currency": currency }),
        )
    }

    fn fault_state(&self) -> Response<Body> {
        let f = &self.0.faults;
        json_response(
            StatusCode::OK,
            &json!({
                "latency_ms": f.latency().as_secs_f64() * 1e3,
                "error_rate": f.error_rate(),
            }),
        )
    }

    fn update_faults(&self, update: FaultUpdate) -> Response<Body> {
        if let Some(ms) = update.latency_ms {
            if !(0.0..=60_000.0).contains(&ms) {
                return error(
                    StatusCode::BAD_REQUEST,
                    ErrorReason::BadRequest,
                    "latency_ms must be 0 to 60000",
                );
            }
            self.0.faults.set_latency(Duration::from_secs_f64(ms / 1e3));
        }
        if let Some(rate) = update.error_rate {
            if !(0.0..=1.0).contains(&rate) {
                return error(
                    StatusCode::BAD_REQUEST,
                    ErrorReason::BadRequest,
                    "error_rate must be 0 to 1",
                );
            }
            self.0.faults.set_error_rate(rate);
        }
        tracing::info!(
            latency = ?self.0.faults.latency(),
            error_rate = self.0.faults.error_rate(),
            "fault knobs changed"
        );
        self.fault_state()
    }

    /// Reads and parses a JSON body: 413 beyond the size limit, 415 for a
    /// non-JSON content type, 400 with serde's message for malformed JSON.
    async fn body<T: serde::de::DeserializeOwned>(
        &self,
        req: Request<Incoming>,
    ) -> Result<T, Response<Body>> {
        let too_large = || {
            error(
                StatusCode::PAYLOAD_TOO_LARGE,
                ErrorReason::PayloadTooLarge,
                format!("request body is larger than {} bytes", self.0.max_body),
            )
        };
        let headers = req.headers();
        if let Some(ct) = headers.get(header::CONTENT_TYPE) {
            let ct = ct.to_str().unwrap_or("");
            let mime = ct.split(';').next().unwrap_or("").trim();
            if !mime.eq_ignore_ascii_case("application/json") {
                return Err(error(
                    StatusCode::UNSUPPORTED_MEDIA_TYPE,
                    ErrorReason::BadRequest,
                    "send the body as application/json",
                ));
            }
        }
        let declared = headers
            .get(header::CONTENT_LENGTH)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.parse::<u64>().ok());
        if declared.is_some_and(|n| n > self.0.max_body as u64) {
            return Err(too_large());
        }
        let bytes = match Limited::new(req.into_body(), self.0.max_body)
            .collect()
            .await
        {
            Ok(collected) => collected.to_bytes(),
            Err(err) => {
                if err
                    .downcast_ref::<http_body_util::LengthLimitError>()
                    .is_some()
                {
                    return Err(too_large());
                }
                return Err(error(
                    StatusCode::BAD_REQUEST,
                    ErrorReason::BadRequest,
                    format!("reading the request body: {err}"),
                ));
            }
        };
        serde_json::from_slice(&bytes).map_err(|e| {
            error(
                StatusCode::BAD_REQUEST,
                ErrorReason::BadRequest,
                format!("malformed JSON: {e}"),
            )
        })
    }
}
