//! Fault injection: what `simulate` asks the running stack to break and
//! repair through the receiver's `/control/<stop|start>/<what>`, and the
//! probed endpoint it can take down.

use std::io::Write;
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use testkit::free_port;

use super::Components;
use super::containers;
use super::http::Response;
use super::restartable::Restartable;

/// The probed endpoint: an HTTP server answering 200 that
/// `simulate endpoint-down` closes (connection refused) and reopens.
pub struct Endpoint {
    pub port: u16,
    down: Arc<AtomicBool>,
}

impl Endpoint {
    pub fn start() -> Endpoint {
        let port = free_port();
        let down = Arc::new(AtomicBool::new(false));
        let flag = down.clone();
        std::thread::spawn(move || {
            loop {
                while flag.load(Ordering::SeqCst) {
                    std::thread::sleep(Duration::from_millis(20));
                }
                let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) else {
                    std::thread::sleep(Duration::from_millis(200));
                    continue;
                };
                let _ = listener.set_nonblocking(true);
                while !flag.load(Ordering::SeqCst) {
                    match listener.accept() {
                        Ok((mut stream, _)) => {
                            let _ = stream.set_nonblocking(false);
                            let _ = stream.set_read_timeout(Some(Duration::from_secs(2)));
                            let mut buf = [0u8; 4096];
                            let _ = std::io::Read::read(&mut stream, &mut buf);
                            let _ = stream.write_all(
                                b"HTTP/1.1 200 OK\r\nContent-Length: 3\r\nConnection: close\r\n\r\nok\n",
                            );
                        }
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            }
        });
        Endpoint { port, down }
    }
}

/// Stops or starts a server of the stack on its own port and data.
fn restart(action: &str, what: &str, part: &mut Restartable) -> Response {
    if !matches!(action, "stop" | "start") {
        return unknown(action, what);
    }
    let run = std::panic::AssertUnwindSafe(|| {
        if action == "stop" {
            part.stop();
        } else {
            part.start();
        }
    });
    match std::panic::catch_unwind(run) {
        Ok(()) => Response::ok(format!("{action} {what}: done\n")),
        Err(_) => Response::status(500, format!("{action} {what} failed (see logs)\n")),
    }
}

/// A control request naming nothing this stack has (a typo, an agent of
/// another layout) fails rather than doing nothing.
fn unknown(action: &str, what: &str) -> Response {
    Response::status(404, format!("no {action} for {what:?} in this stack\n"))
}

/// Breaks (`stop`) or repairs (`start`) one part of the running stack.
pub fn control(action: &str, what: &str, components: &Mutex<Option<Components>>) -> Response {
    let mut guard = components.lock().unwrap_or_else(|e| e.into_inner());
    let Some(c) = guard.as_mut() else {
        return Response::status(503, "stack not running\n");
    };
    if (action, what) == ("stop", "container-memory") {
        let Some(d) = &c.docker else {
            return Response::status(503, "this stack runs no dockerd\n");
        };
        return match containers::oom_kill(d) {
            Ok(done) => Response::ok(done),
            Err(why) => Response::status(500, why),
        };
    }
    if let super::Monitoring::ScaleOut(scale_out) = &mut c.monitoring
        && let Some(part) = scale_out.part(what)
    {
        // A restart of the store or of one agent, on the same port and
        // data (the agent's WAL), as `systemctl stop` / `start`.
        return restart(action, what, part);
    }
    if what == "simulated-host" {
        // The simulated host's node-exporter: the host is down.
        return restart(action, what, &mut c.simhost.exporter);
    }
    let run = std::panic::AssertUnwindSafe(|| {
        match (action, what) {
            // The OOM kill (above) is over when it returns: nothing to repair.
            ("start", "container-memory") => {}
            ("stop", "redis") => c.redis.stop(),
            ("start", "redis") => c.redis.restart(),
            ("stop", "mysql") => c.mariadb.stop(),
            ("start", "mysql") => c.mariadb.restart(),
            ("stop", "endpoint") => c.endpoint.down.store(true, Ordering::SeqCst),
            ("start", "endpoint") => c.endpoint.down.store(false, Ordering::SeqCst),
            ("stop", "redis-clients") => {
                // Few client slots, and a flood of clients beyond them.
                c.redis.cli(&["CONFIG", "SET", "maxclients", "8"]);
                c.redis_flood.store(true, Ordering::SeqCst);
                let flag = c.redis_flood.clone();
                let port = c.redis.port();
                std::thread::spawn(move || {
                    while flag.load(Ordering::SeqCst) {
                        // Short bursts, so the exporter's own connection
                        // usually finds a slot between them.
                        let conns: Vec<_> = (0..12)
                            .filter_map(|_| std::net::TcpStream::connect(("127.0.0.1", port)).ok())
                            .collect();
                        std::thread::sleep(Duration::from_millis(30));
                        drop(conns);
                        std::thread::sleep(Duration::from_millis(400));
                    }
                });
            }
            ("start", "redis-clients") => {
                c.redis_flood.store(false, Ordering::SeqCst);
                c.redis.cli(&["CONFIG", "SET", "maxclients", "10000"]);
            }
            ("stop", "simulated-cpu") => c.simhost.busy.store(true, Ordering::SeqCst),
            ("start", "simulated-cpu") => c.simhost.busy.store(false, Ordering::SeqCst),
            ("stop", "kafka-consumer") => {
                let _ = std::fs::write(&c.kafka_control, "stall\n");
            }
            ("start", "kafka-consumer") => {
                let _ = std::fs::write(&c.kafka_control, "run\n");
            }
            _ => return false,
        }
        true
    });
    match std::panic::catch_unwind(run) {
        Ok(true) => Response::ok(format!("{action} {what}: done\n")),
        Ok(false) => unknown(action, what),
        Err(_) => Response::status(500, format!("{action} {what} failed (see logs)\n")),
    }
}
