//! Request paths and methods folded into bounded label values.
//!
//! A label value taken straight from a request (the raw path, an unknown
//! method) lets any client create series without limit: client_golang's
//! CVE-2022-21698 was exactly that for the method label. Here `route` is
//! the matched route *template* and every path that matches none becomes
//! [`Route::Unmatched`]; `method` is one of the standard methods or
//! `OTHER`; `status` is a known code or a class; `reason` is an
//! [`ErrorReason`]. Each label value also has a small index, so the
//! instrumentation finds a request's series in a table instead of hashing
//! label strings on every request (see [`crate::metrics::Series`]).

use hyper::Method;

/// The API's routes. `template()` is the `route` label value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Route {
    Hello,
    Items,
    Item,
    Checkout,
    Healthz,
    AdminFaults,
    Unmatched,
}

impl Route {
    pub const ALL: [Route; 7] = [
        Route::Hello,
        Route::Items,
        Route::Item,
        Route::Checkout,
        Route::Healthz,
        Route::AdminFaults,
        Route::Unmatched,
    ];

    /// Matches a request path (without query string) to its route.
    pub fn matching(path: &str) -> Route {
        match path {
            "/" => Route::Hello,
            "/api/items" => Route::Items,
            "/api/checkout" => Route::Checkout,
            "/healthz" => Route::Healthz,
            "/admin/faults" => Route::AdminFaults,
            _ => match path.strip_prefix("/api/items/") {
                Some(id) if !id.is_empty() && !id.contains('/') => Route::Item,
                _ => Route::Unmatched,
            },
        }
    }

    /// The route's position in [`Route::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn template(self) -> &'static str {
        match self {
            Route::Hello => "/",
            Route::Items => "/api/items",
            Route::Item => "/api/items/{id}",
            Route::Checkout => "/api/checkout",
            Route::Healthz => "/healthz",
            Route::AdminFaults => "/admin/faults",
            Route::Unmatched => "unmatched",
        }
    }

    /// Routes that the fault knobs act on (the API, not health or admin).
    pub fn faultable(self) -> bool {
        matches!(
            self,
            Route::Hello | Route::Items | Route::Item | Route::Checkout
        )
    }
}

/// The `method` label values: the standard methods, then `OTHER`.
pub const METHOD_LABELS: [&str; 10] = [
    "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "CONNECT", "TRACE", "OTHER",
];

/// A request's `method` label, as an index into [`METHOD_LABELS`] so that
/// the instrumentation can find the label's series without hashing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MethodLabel(u8);

impl MethodLabel {
    /// The standard methods keep their name; anything else is `OTHER`.
    pub fn of(method: &Method) -> MethodLabel {
        MethodLabel(match *method {
            Method::GET => 0,
            Method::HEAD => 1,
            Method::POST => 2,
            Method::PUT => 3,
            Method::DELETE => 4,
            Method::PATCH => 5,
            Method::OPTIONS => 6,
            Method::CONNECT => 7,
            Method::TRACE => 8,
            _ => 9,
        })
    }

    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub fn as_str(self) -> &'static str {
        METHOD_LABELS[self.index()]
    }
}

/// The standard methods keep their name; anything else is `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    MethodLabel::of(method).as_str()
}

/// The `status` label values: the codes the app answers with, then the
/// classes that any other code folds into.
pub const STATUS_LABELS: [&str; 15] = [
    "200", "201", "204", "400", "404", "405", "413", "415", "500", "503", "1xx", "2xx", "3xx",
    "4xx", "5xx",
];

/// A response's `status` label, as an index into [`STATUS_LABELS`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusLabel(u8);

impl StatusLabel {
    /// The code for the codes the app answers with, and the class
    /// (`2xx`...) for anything else, so even a future handler bug cannot
    /// grow the label set past a known bound.
    pub fn of(status: hyper::StatusCode) -> StatusLabel {
        let code = status.as_u16();
        StatusLabel(match code {
            200 => 0,
            201 => 1,
            204 => 2,
            400 => 3,
            404 => 4,
            405 => 5,
            413 => 6,
            415 => 7,
            500 => 8,
            503 => 9,
            _ => match code / 100 {
                1 => 10,
                2 => 11,
                3 => 12,
                4 => 13,
                _ => 14,
            },
        })
    }

    pub fn index(self) -> usize {
        usize::from(self.0)
    }

    pub fn as_str(self) -> &'static str {
        STATUS_LABELS[self.index()]
    }
}

/// The status label of a response (see [`StatusLabel::of`]).
pub fn status_label(status: hyper::StatusCode) -> &'static str {
    StatusLabel::of(status).as_str()
}

/// Why a request failed: the `reason` label of `app_errors_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorReason {
    BadRequest,
    NotFound,
    MethodNotAllowed,
    PayloadTooLarge,
    Injected,
    Internal,
}

impl ErrorReason {
    pub const ALL: [ErrorReason; 6] = [
        ErrorReason::BadRequest,
        ErrorReason::NotFound,
        ErrorReason::MethodNotAllowed,
        ErrorReason::PayloadTooLarge,
        ErrorReason::Injected,
        ErrorReason::Internal,
    ];

    pub fn index(self) -> usize {
        self as usize
    }

    pub fn as_str(self) -> &'static str {
        match self {
            ErrorReason::BadRequest => "bad_request",
            ErrorReason::NotFound => "not_found",
            ErrorReason::MethodNotAllowed => "method_not_allowed",
            ErrorReason::PayloadTooLarge => "payload_too_large",
            ErrorReason::Injected => "injected",
            ErrorReason::Internal => "internal",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_fold_to_templates() {
        assert_eq!(Route::matching("/"), Route::Hello);
        assert_eq!(Route::matching("/api/items/42"), Route::Item);
        assert_eq!(Route::matching("/api/items/42/x"), Route::Unmatched);
        assert_eq!(Route::matching("/api/items/"), Route::Unmatched);
        assert_eq!(Route::matching("/wp-admin.php"), Route::Unmatched);
        assert_eq!(Route::Item.template(), "/api/items/{id}");
    }

    #[test]
    fn unknown_methods_fold_to_other() {
        let m = Method::from_bytes(b"XYZZY").ok();
        assert_eq!(m.as_ref().map(method_label), Some("OTHER"));
        assert_eq!(method_label(&Method::PATCH), "PATCH");
    }

    #[test]
    fn statuses_fold_to_known_codes_or_classes() {
        assert_eq!(status_label(hyper::StatusCode::NOT_FOUND), "404");
        assert_eq!(status_label(hyper::StatusCode::IM_A_TEAPOT), "4xx");
        assert_eq!(status_label(hyper::StatusCode::BAD_GATEWAY), "5xx");
        assert_eq!(status_label(hyper::StatusCode::CREATED), "201");
        assert_eq!(status_label(hyper::StatusCode::SWITCHING_PROTOCOLS), "1xx");
        assert_eq!(status_label(hyper::StatusCode::FOUND), "3xx");
    }

    #[test]
    fn label_indexes_match_their_tables() {
        for (i, route) in Route::ALL.iter().enumerate() {
            assert_eq!(route.index(), i);
        }
        for (i, reason) in ErrorReason::ALL.iter().enumerate() {
            assert_eq!(reason.index(), i);
        }
        for name in &METHOD_LABELS[..9] {
            let m = Method::from_bytes(name.as_bytes()).ok();
            assert_eq!(m.as_ref().map(method_label), Some(*name));
        }
        for code in 100..1000u16 {
            let Ok(status) = hyper::StatusCode::from_u16(code) else {
                continue;
            };
            let label = status_label(status);
            let expected = if STATUS_LABELS[..10].contains(&status.as_str()) {
                status.as_str().to_string()
            } else {
                format!("{}xx", (code / 100).min(5))
            };
            assert_eq!(label, expected, "{code}");
        }
    }
}
