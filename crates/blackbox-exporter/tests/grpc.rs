//! The grpc prober against a gRPC health server the test runs.

mod common;

use common::*;

#[test]
fn grpc_health_serving_not_serving_and_unknown() {
    let server = grpc_health_server();
    let dir = tempfile::tempdir().expect("tempdir");
    let cfg = write_config(
        dir.path(),
        "modules:\n  grpc:\n    prober: grpc\n    timeout: 2s\n  grpc_down:\n    prober: grpc\n    timeout: 2s\n    grpc:\n      service: down\n  grpc_unknown:\n    prober: grpc\n    timeout: 2s\n    grpc:\n      service: nope\n",
    );
    let ours = start_ours(&cfg, &[]);
    let target = server.to_string();
    let m = ours.probe(&target, "grpc");
    assert_eq!(m["probe_success"], 1.0, "{m:?}");
    assert_eq!(m["probe_grpc_status_code"], 0.0);
    assert_eq!(
        m["probe_grpc_healthcheck_response{serving_status=\"SERVING\"}"],
        1.0
    );
    assert_eq!(
        m["probe_grpc_healthcheck_response{serving_status=\"NOT_SERVING\"}"],
        0.0
    );
    assert_eq!(m["probe_grpc_ssl"], 0.0);
    let m = ours.probe(&target, "grpc_down");
    assert_eq!(m["probe_success"], 0.0);
    assert_eq!(
        m["probe_grpc_healthcheck_response{serving_status=\"NOT_SERVING\"}"],
        1.0
    );
    let m = ours.probe(&target, "grpc_unknown");
    assert_eq!(
        (m["probe_success"], m["probe_grpc_status_code"]),
        (0.0, 5.0)
    );
    let m = ours.probe(&format!("127.0.0.1:{}", closed_port()), "grpc");
    assert_eq!(m["probe_success"], 0.0);
}
