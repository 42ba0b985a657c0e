//! node_logind_sessions{seat,remote,type,class}: sessions registered in
//! systemd-logind, from org.freedesktop.login1 on the system bus. Every
//! combination of the known label values is reported (0 when none), for
//! each seat and for sessions without one (seat="").

use std::collections::HashMap;

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::dbus::{self, Connection, Value};

const REMOTE_VALUES: [&str; 2] = ["true", "false"];
const TYPE_VALUES: [&str; 7] = [
    "other",
    "unspecified",
    "tty",
    "x11",
    "wayland",
    "mir",
    "web",
];
const CLASS_VALUES: [&str; 5] = ["other", "user", "greeter", "lock-screen", "background"];

const DESTINATION: &str = "org.freedesktop.login1";
const PATH: &str = "/org/freedesktop/login1";
const MANAGER: &str = "org.freedesktop.login1.Manager";
const SESSION: &str = "org.freedesktop.login1.Session";

/// One session's labels.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Session {
    pub seat: String,
    pub remote: &'static str,
    pub session_type: String,
    pub class: String,
}

pub struct Logind {
    sessions: Desc,
}

pub fn build(_args: &Args) -> Result<AnyCollector, BuildError> {
    Ok(AnyCollector::blocking(Logind {
        sessions: Desc::gauge(
            "node_logind_sessions",
            "Number of sessions registered in logind.",
            &["seat", "remote", "type", "class"],
        ),
    }))
}

/// A value outside upstream's list counts as "other".
fn known_or_other(value: &str, known: &[&str]) -> String {
    if known.contains(&value) {
        value.to_string()
    } else {
        "other".to_string()
    }
}

/// The series: every (remote, type, class, seat) with its session count.
pub fn series(seats: &[String], sessions: &[Session]) -> Vec<([String; 4], f64)> {
    let mut counts: HashMap<&Session, f64> = HashMap::new();
    for s in sessions {
        *counts.entry(s).or_default() += 1.0;
    }
    let mut out = Vec::new();
    for remote in REMOTE_VALUES {
        for session_type in TYPE_VALUES {
            for class in CLASS_VALUES {
                for seat in seats {
                    let key = Session {
                        seat: seat.clone(),
                        remote,
                        session_type: session_type.to_string(),
                        class: class.to_string(),
                    };
                    let n = counts.get(&key).copied().unwrap_or(0.0);
                    out.push((
                        [
                            seat.clone(),
                            remote.to_string(),
                            session_type.to_string(),
                            class.to_string(),
                        ],
                        n,
                    ));
                }
            }
        }
    }
    out
}

fn array(reply: Vec<Value>, what: &'static str) -> Result<Vec<Value>, dbus::Error> {
    reply
        .into_iter()
        .next()
        .ok_or(dbus::Error::Malformed(what))?
        .into_array()
}

/// The seat ids, then "" for sessions without a seat.
fn list_seats(c: &mut Connection) -> Result<Vec<String>, dbus::Error> {
    let rows = array(
        c.call(Some(DESTINATION), PATH, MANAGER, "ListSeats", &[])?,
        "empty ListSeats reply",
    )?;
    let mut seats = Vec::with_capacity(rows.len() + 1);
    for row in rows {
        let id = row.into_struct()?.into_iter().next();
        seats.push(
            id.ok_or(dbus::Error::Malformed("ListSeats row"))?
                .into_string()?,
        );
    }
    seats.push(String::new());
    Ok(seats)
}

/// (seat, object path) of each session (rows are susso: id, uid, user,
/// seat, path).
fn list_sessions(c: &mut Connection) -> Result<Vec<(String, String)>, dbus::Error> {
    let rows = array(
        c.call(Some(DESTINATION), PATH, MANAGER, "ListSessions", &[])?,
        "empty ListSessions reply",
    )?;
    rows.into_iter()
        .map(|row| {
            let mut f = row.into_struct()?.into_iter().skip(3);
            match (f.next(), f.next()) {
                (Some(seat), Some(path)) => Ok((seat.into_string()?, path.into_string()?)),
                _ => Err(dbus::Error::Malformed("ListSessions row")),
            }
        })
        .collect()
}

/// A session's labels; a session whose properties cannot be read is left
/// out, as upstream.
fn session(c: &mut Connection, seat: String, path: &str) -> Option<Session> {
    let mut get = |name: &str| c.property(DESTINATION, path, SESSION, name);
    let read = (|| -> Result<Session, dbus::Error> {
        let remote = if get("Remote")?.into_bool()? {
            "true"
        } else {
            "false"
        };
        let session_type = get("Type")?.into_string()?;
        let class = get("Class")?.into_string()?;
        Ok(Session {
            seat,
            remote,
            session_type: known_or_other(&session_type, &TYPE_VALUES),
            class: known_or_other(&class, &CLASS_VALUES),
        })
    })();
    read.map_err(|e| tracing::debug!(session = path, error = %e, "couldn't read session"))
        .ok()
}

impl Collector for Logind {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let fail = |what: &str, e: dbus::Error| CollectError::Backend(format!("{what}: {e}"));
        let mut c = Connection::system_bus(ctx.deadline)
            .map_err(|e| fail("unable to connect to dbus", e))?;
        let seats = list_seats(&mut c).map_err(|e| fail("unable to get seats", e))?;
        let listed = list_sessions(&mut c).map_err(|e| fail("unable to get sessions", e))?;
        let sessions: Vec<Session> = listed
            .into_iter()
            .filter_map(|(seat, path)| session(&mut c, seat, &path))
            .collect();
        for (labels, n) in series(&seats, &sessions) {
            let l = [
                labels[0].as_str(),
                labels[1].as_str(),
                labels[2].as_str(),
                labels[3].as_str(),
            ];
            out.gauge(&self.sessions, &l, n);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_combination_per_seat_and_unknown_values_count_as_other() {
        let seats = vec!["seat0".to_string(), String::new()];
        let s = |seat: &str, remote, t: &str, class: &str| Session {
            seat: seat.into(),
            remote,
            session_type: known_or_other(t, &TYPE_VALUES),
            class: known_or_other(class, &CLASS_VALUES),
        };
        let sessions = [
            s("seat0", "false", "x11", "user"),
            s("seat0", "false", "x11", "user"),
            s("", "true", "tty", "user"),
            s("", "true", "vnc", "manager"),
        ];
        let got = series(&seats, &sessions);
        assert_eq!(got.len(), 2 * 7 * 5 * 2);
        let find = |seat: &str, remote: &str, t: &str, class: &str| {
            got.iter()
                .find(|(l, _)| l == &[seat, remote, t, class].map(String::from))
                .map(|(_, n)| *n)
        };
        assert_eq!(find("seat0", "false", "x11", "user"), Some(2.0));
        assert_eq!(find("", "true", "tty", "user"), Some(1.0));
        // "vnc" and "manager" are not upstream's values: other/other.
        assert_eq!(find("", "true", "other", "other"), Some(1.0));
        assert_eq!(find("seat0", "true", "x11", "user"), Some(0.0));
        let total: f64 = got.iter().map(|(_, n)| n).sum();
        assert_eq!(total, 4.0);
    }
}
