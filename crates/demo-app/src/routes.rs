//! Request paths and methods folded into bounded label values.
//!
//! A label value taken straight from a request (the raw path, an unknown
//! method) lets any client create series without limit: client_golang's
//! CVE-2022-21698 was exactly that for the method label. Here `route` is
//! the matched route *template* and every path that matches none becomes
//! [`Route::Unmatched`]; `method` is one of the standard methods or
//! `OTHER`.

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

/// The standard methods keep their name; anything else is `OTHER`.
pub fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::PATCH => "PATCH",
        Method::OPTIONS => "OPTIONS",
        Method::CONNECT => "CONNECT",
        Method::TRACE => "TRACE",
        _ => "OTHER",
    }
}

/// The status label: the code for the codes the app answers with, and the
/// class (`2xx`...) for anything else, so even a future handler bug cannot
/// grow the label set past a known bound.
pub fn status_label(status: hyper::StatusCode) -> &'static str {
    const KNOWN: &[&str] = &[
        "200", "201", "204", "400", "404", "405", "413", "415", "500", "503",
    ];
    if let Some(known) = KNOWN.iter().find(|k| **k == status.as_str()) {
        return known;
    }
    match status.as_u16() / 100 {
        1 => "1xx",
        2 => "2xx",
        3 => "3xx",
        4 => "4xx",
        _ => "5xx",
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
    }
}
