//! node_systemd_*: unit states, the unit summary, system state, version and
//! virtualization from systemd's manager over D-Bus (the system bus, or with
//! `--collector.systemd.private` systemd's own socket), plus opt-in start
//! times, task counts and restart counts; timer and socket unit figures.

use exporter_kit::{
    AnyCollector, BuildError, CollectError, Collector, Desc, Emitter, ScrapeContext,
};

use crate::args::Args;
use crate::dbus::{self, Connection, Value};
use crate::sysfs::{Regex, regex_flag};

#[derive(clap::Args, Debug, Clone)]
pub struct SystemdArgs {
    /// Regexp of systemd units to include. Units must both match include and not match exclude to be included. [default: .+]
    #[arg(long = "collector.systemd.unit-include", value_name = "REGEX")]
    pub systemd_unit_include: Option<String>,
    /// DEPRECATED: Use --collector.systemd.unit-include
    #[arg(
        long = "collector.systemd.unit-whitelist",
        value_name = "REGEX",
        hide = true
    )]
    pub systemd_unit_whitelist: Option<String>,
    /// Regexp of systemd units to exclude. Units must both match include and not match exclude to be included. [default: .+\.(automount|device|mount|scope|slice)]
    #[arg(long = "collector.systemd.unit-exclude", value_name = "REGEX")]
    pub systemd_unit_exclude: Option<String>,
    /// DEPRECATED: Use collector.systemd.unit-exclude
    #[arg(
        long = "collector.systemd.unit-blacklist",
        value_name = "REGEX",
        hide = true
    )]
    pub systemd_unit_blacklist: Option<String>,
    /// Establish a private, direct connection to systemd without dbus (Strongly discouraged since it requires root. For testing purposes only).
    #[arg(long = "collector.systemd.private", hide = true)]
    pub systemd_private: bool,
    /// Enables service unit tasks metrics unit_tasks_current and unit_tasks_max
    #[arg(long = "collector.systemd.enable-task-metrics")]
    pub systemd_enable_task_metrics: bool,
    /// Enables service unit metric service_restart_total
    #[arg(long = "collector.systemd.enable-restarts-metrics")]
    pub systemd_enable_restarts_metrics: bool,
    /// Enables service unit metric unit_start_time_seconds
    #[arg(long = "collector.systemd.enable-start-time-metrics")]
    pub systemd_enable_start_time_metrics: bool,
}

const DEFAULT_INCLUDE: &str = ".+";
const DEFAULT_EXCLUDE: &str = r".+\.(automount|device|mount|scope|slice)";

/// From this version on the manager has `SystemState` and timers
/// `LastTriggerUSec`; older managers get neither family (as upstream).
const MIN_VERSION_SYSTEM_STATE: f64 = 212.0;

/// The `state` label values of node_systemd_unit_state, in upstream's order.
pub const UNIT_STATES: [&str; 5] = ["active", "activating", "deactivating", "inactive", "failed"];

const DESTINATION: &str = "org.freedesktop.systemd1";
const MANAGER_PATH: &str = "/org/freedesktop/systemd1";
const MANAGER: &str = "org.freedesktop.systemd1.Manager";

/// One row of the manager's ListUnits, the fields the collector reads.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    pub name: String,
    pub load_state: String,
    pub active_state: String,
    pub path: String,
}

pub struct Systemd {
    private: bool,
    include: Regex,
    exclude: Regex,
    task_metrics: bool,
    restarts_metrics: bool,
    start_time_metrics: bool,
    unit: Desc,
    start_time: Desc,
    tasks_current: Desc,
    tasks_max: Desc,
    system_running: Desc,
    summary: Desc,
    restarts: Desc,
    timer_last_trigger: Desc,
    socket_accepted: Desc,
    socket_current: Desc,
    socket_refused: Desc,
    version: Desc,
    virtualization: Desc,
}

/// A deprecated spelling folded into the current one as upstream does: it
/// stands in for an unset current flag, and both set is a startup error.
fn merge(
    current: &Option<String>,
    old: &Option<String>,
    current_flag: &str,
    old_flag: &str,
    default: &str,
) -> Result<String, BuildError> {
    // An empty deprecated flag is as good as unset, as upstream.
    let old = old.as_ref().filter(|o| !o.is_empty());
    match (current, old) {
        (Some(_), Some(_)) => Err(BuildError::new(format!(
            "--collector.systemd.{old_flag} and --collector.systemd.{current_flag} are mutually exclusive"
        ))),
        (None, Some(old)) => {
            tracing::warn!(
                "--collector.systemd.{old_flag} is DEPRECATED and will be removed in 2.0.0, use --collector.systemd.{current_flag}"
            );
            Ok(old.clone())
        }
        (Some(current), _) => Ok(current.clone()),
        (None, _) => Ok(default.to_string()),
    }
}

pub fn build(args: &Args) -> Result<AnyCollector, BuildError> {
    let a = &args.systemd;
    let include = merge(
        &a.systemd_unit_include,
        &a.systemd_unit_whitelist,
        "unit-include",
        "unit-whitelist",
        DEFAULT_INCLUDE,
    )?;
    let exclude = merge(
        &a.systemd_unit_exclude,
        &a.systemd_unit_blacklist,
        "unit-exclude",
        "unit-blacklist",
        DEFAULT_EXCLUDE,
    )?;
    tracing::info!(flag = %include, "Parsed flag --collector.systemd.unit-include");
    tracing::info!(flag = %exclude, "Parsed flag --collector.systemd.unit-exclude");
    let name = |n: &str| format!("node_systemd_{n}");
    let g = |n: &str, h: &str, l: &[&str]| Desc::gauge(&name(n), h, l);
    let c = |n: &str, h: &str, l: &[&str]| Desc::counter(&name(n), h, l);
    Ok(AnyCollector::blocking(Systemd {
        private: a.systemd_private,
        include: regex_flag(
            "collector.systemd.unit-include",
            &format!("^(?:{include})$"),
        )?,
        exclude: regex_flag(
            "collector.systemd.unit-exclude",
            &format!("^(?:{exclude})$"),
        )?,
        task_metrics: a.systemd_enable_task_metrics,
        restarts_metrics: a.systemd_enable_restarts_metrics,
        start_time_metrics: a.systemd_enable_start_time_metrics,
        unit: g("unit_state", "Systemd unit", &["name", "state", "type"]),
        start_time: g(
            "unit_start_time_seconds",
            "Start time of the unit since unix epoch in seconds.",
            &["name"],
        ),
        tasks_current: g(
            "unit_tasks_current",
            "Current number of tasks per Systemd unit",
            &["name"],
        ),
        tasks_max: g(
            "unit_tasks_max",
            "Maximum number of tasks per Systemd unit",
            &["name"],
        ),
        system_running: g(
            "system_running",
            "Whether the system is operational (see 'systemctl is-system-running')",
            &[],
        ),
        summary: g("units", "Summary of systemd unit states", &["state"]),
        restarts: c(
            "service_restart_total",
            "Service unit count of Restart triggers",
            &["name"],
        ),
        timer_last_trigger: g(
            "timer_last_trigger_seconds",
            "Seconds since epoch of last trigger.",
            &["name"],
        ),
        socket_accepted: c(
            "socket_accepted_connections_total",
            "Total number of accepted socket connections",
            &["name"],
        ),
        socket_current: g(
            "socket_current_connections",
            "Current number of socket connections",
            &["name"],
        ),
        // A gauge despite its name: upstream sends it as one.
        socket_refused: g(
            "socket_refused_connections_total",
            "Total number of refused socket connections",
            &["name"],
        ),
        version: g("version", "Detected systemd version", &["version"]),
        virtualization: g(
            "virtualization_info",
            "Detected virtualization technology",
            &["virtualization_type"],
        ),
    }))
}

/// The manager's `Version` -> (the number upstream reports, the label): the
/// first run of 3+ digits with an optional `.N`, e.g. "252.39-1~deb12u2" ->
/// 252.39. No number reads (0, "").
pub fn parse_version(version: &str) -> (f64, String) {
    let digits = |s: &str| s.bytes().take_while(u8::is_ascii_digit).count();
    let bytes = version.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        let n = digits(&version[at..]);
        if n >= 3 {
            let mut end = at + n;
            if bytes.get(end) == Some(&b'.') {
                let frac = digits(&version[end + 1..]);
                if frac > 0 {
                    end += 1 + frac;
                }
            }
            return match version[at..end].parse::<f64>() {
                Ok(v) => (v, version.to_string()),
                Err(_) => (0.0, String::new()),
            };
        }
        at += n.max(1);
    }
    (0.0, String::new())
}

/// Count per ActiveState: the five known states always (0 when none), and
/// any other state a unit is in (e.g. "reloading") as well, as upstream.
pub fn summarize(units: &[Unit]) -> Vec<(String, f64)> {
    let mut counts: Vec<(String, f64)> = UNIT_STATES.iter().map(|s| (s.to_string(), 0.0)).collect();
    for unit in units {
        match counts.iter_mut().find(|(s, _)| *s == unit.active_state) {
            Some((_, n)) => *n += 1.0,
            None => counts.push((unit.active_state.clone(), 1.0)),
        }
    }
    counts
}

/// The units reported one by one: loaded, matching include and not exclude.
pub fn filter<'a>(units: &'a [Unit], include: &Regex, exclude: &Regex) -> Vec<&'a Unit> {
    units
        .iter()
        .filter(|u| {
            let keep =
                include.is_match(&u.name) && !exclude.is_match(&u.name) && u.load_state == "loaded";
            tracing::debug!(unit = %u.name, keep, "filtering unit");
            keep
        })
        .collect()
}

/// A property upstream reads but the unit could not give: logged at debug
/// and the series left out, as upstream.
fn absent<T>(unit: &str, what: &str, r: Result<T, dbus::Error>) -> Option<T> {
    r.map_err(|e| tracing::debug!(unit, error = %e, "couldn't get unit {what}"))
        .ok()
}

const SERVICE: &str = "org.freedesktop.systemd1.Service";
const SOCKET: &str = "org.freedesktop.systemd1.Socket";

/// One connection to the manager for one scrape.
struct Manager(Connection);

impl Manager {
    fn property(&mut self, path: &str, iface: &str, name: &str) -> Result<Value, dbus::Error> {
        self.0.property(DESTINATION, path, iface, name)
    }

    fn string(&mut self, path: &str, iface: &str, name: &str) -> Result<String, dbus::Error> {
        self.property(path, iface, name)?.into_string()
    }

    fn u32(&mut self, path: &str, iface: &str, name: &str) -> Result<u32, dbus::Error> {
        self.property(path, iface, name)?.into_u32()
    }

    fn u64(&mut self, path: &str, iface: &str, name: &str) -> Result<u64, dbus::Error> {
        self.property(path, iface, name)?.into_u64()
    }

    fn list_units(&mut self) -> Result<Vec<Unit>, dbus::Error> {
        let reply = self
            .0
            .call(Some(DESTINATION), MANAGER_PATH, MANAGER, "ListUnits", &[])?;
        let rows = reply
            .into_iter()
            .next()
            .ok_or(dbus::Error::Malformed("empty ListUnits reply"))?
            .into_array()?;
        rows.into_iter().map(parse_unit).collect()
    }
}

/// A ListUnits row (ssssssouso): name, description, load state, active
/// state, sub state, followed unit, object path, job id, job type, job path.
fn parse_unit(row: Value) -> Result<Unit, dbus::Error> {
    let mut f = row.into_struct()?.into_iter();
    let mut text = |skip: usize| -> Result<String, dbus::Error> {
        f.nth(skip)
            .ok_or(dbus::Error::Malformed("short ListUnits row"))?
            .into_string()
    };
    Ok(Unit {
        name: text(0)?,
        load_state: text(1)?,
        active_state: text(0)?,
        path: text(2)?,
    })
}

impl Systemd {
    fn unit_status(&self, m: &mut Manager, units: &[&Unit], out: &mut Emitter) {
        for unit in units {
            let kind = if unit.name.ends_with(".service") {
                Some(SERVICE)
            } else if unit.name.ends_with(".mount") {
                Some("org.freedesktop.systemd1.Mount")
            } else {
                None
            };
            let unit_type = match kind {
                Some(iface) => absent(&unit.name, "type", m.string(&unit.path, iface, "Type"))
                    .unwrap_or_default(),
                None => String::new(),
            };
            for state in UNIT_STATES {
                let active = if state == unit.active_state { 1.0 } else { 0.0 };
                out.gauge(&self.unit, &[&unit.name, state, &unit_type], active);
            }
            if self.restarts_metrics && unit.name.ends_with(".service") {
                // NRestarts is from systemd 235 on.
                let restarts = m.u32(&unit.path, SERVICE, "NRestarts");
                if let Some(n) = absent(&unit.name, "NRestarts", restarts) {
                    out.counter(&self.restarts, &[&unit.name], f64::from(n));
                }
            }
        }
    }

    fn start_times(&self, m: &mut Manager, units: &[&Unit], out: &mut Emitter) {
        for unit in units {
            let usec = if unit.active_state != "active" {
                0
            } else {
                let ts = m.u64(
                    &unit.path,
                    "org.freedesktop.systemd1.Unit",
                    "ActiveEnterTimestamp",
                );
                match absent(&unit.name, "StartTimeUsec", ts) {
                    Some(ts) => ts,
                    None => continue,
                }
            };
            out.gauge(&self.start_time, &[&unit.name], usec as f64 / 1e6);
        }
    }

    fn tasks(&self, m: &mut Manager, units: &[&Unit], out: &mut Emitter) {
        for unit in units.iter().filter(|u| u.name.ends_with(".service")) {
            // u64::MAX is systemd's "no value"/"infinity": no series.
            let current = m.u64(&unit.path, SERVICE, "TasksCurrent");
            if let Some(n) = absent(&unit.name, "TasksCurrent", current)
                && n != u64::MAX
            {
                out.gauge(&self.tasks_current, &[&unit.name], n as f64);
            }
            let max = m.u64(&unit.path, SERVICE, "TasksMax");
            if let Some(n) = absent(&unit.name, "TasksMax", max)
                && n != u64::MAX
            {
                out.gauge(&self.tasks_max, &[&unit.name], n as f64);
            }
        }
    }

    fn timers(&self, m: &mut Manager, units: &[&Unit], out: &mut Emitter) {
        for unit in units.iter().filter(|u| u.name.ends_with(".timer")) {
            let last = m.u64(
                &unit.path,
                "org.freedesktop.systemd1.Timer",
                "LastTriggerUSec",
            );
            if let Some(usec) = absent(&unit.name, "LastTriggerUSec", last) {
                out.gauge(&self.timer_last_trigger, &[&unit.name], usec as f64 / 1e6);
            }
        }
    }

    fn sockets(&self, m: &mut Manager, units: &[&Unit], out: &mut Emitter) {
        for unit in units.iter().filter(|u| u.name.ends_with(".socket")) {
            let name = [unit.name.as_str()];
            let accepted = m.u32(&unit.path, SOCKET, "NAccepted");
            let Some(accepted) = absent(&unit.name, "NAccepted", accepted) else {
                continue;
            };
            out.counter(&self.socket_accepted, &name, f64::from(accepted));
            let current = m.u32(&unit.path, SOCKET, "NConnections");
            let Some(current) = absent(&unit.name, "NConnections", current) else {
                continue;
            };
            out.gauge(&self.socket_current, &name, f64::from(current));
            // NRefused is from systemd 239 on.
            if let Ok(refused) = m.u32(&unit.path, SOCKET, "NRefused") {
                out.gauge(&self.socket_refused, &name, f64::from(refused));
            }
        }
    }
}

impl Collector for Systemd {
    fn update(&self, ctx: &ScrapeContext, out: &mut Emitter) -> Result<(), CollectError> {
        let conn = if self.private {
            Connection::peer(dbus::SYSTEMD_PRIVATE, ctx.deadline)
        } else {
            Connection::system_bus(ctx.deadline)
        };
        let mut m = Manager(conn.map_err(|e| backend("couldn't get dbus connection", e))?);

        let (version, version_label) = match m.string(MANAGER_PATH, MANAGER, "Version") {
            Ok(v) => parse_version(&v),
            Err(e) => {
                tracing::debug!(error = %e, "Unable to get systemd version property, defaulting to 0");
                (0.0, String::new())
            }
        };
        out.gauge(&self.version, &[&version_label], version);

        let virtualization = match m.string(MANAGER_PATH, MANAGER, "Virtualization") {
            Ok(v) if v.is_empty() => "none".to_string(),
            Ok(v) => v,
            Err(e) => {
                tracing::debug!(error = %e, "Could not get Virtualization property");
                "unknown".to_string()
            }
        };
        out.gauge(&self.virtualization, &[&virtualization], 1.0);

        let all = m
            .list_units()
            .map_err(|e| backend("couldn't get units", e))?;
        for (state, count) in summarize(&all) {
            out.gauge(&self.summary, &[&state], count);
        }
        let units = filter(&all, &self.include, &self.exclude);

        self.unit_status(&mut m, &units, out);
        if self.start_time_metrics {
            self.start_times(&mut m, &units, out);
        }
        if self.task_metrics {
            self.tasks(&mut m, &units, out);
        }
        if version >= MIN_VERSION_SYSTEM_STATE {
            self.timers(&mut m, &units, out);
        }
        self.sockets(&mut m, &units, out);

        if version >= MIN_VERSION_SYSTEM_STATE {
            let state = m
                .string(MANAGER_PATH, MANAGER, "SystemState")
                .map_err(|e| backend("couldn't get system state", e))?;
            let running = if state == "running" { 1.0 } else { 0.0 };
            out.gauge(&self.system_running, &[], running);
        }
        Ok(())
    }
}

/// A failed call as the scrape's error, saying what was asked.
fn backend(what: &str, err: dbus::Error) -> CollectError {
    CollectError::Backend(format!("{what}: {err}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(name: &str, load: &str, active: &str) -> Unit {
        Unit {
            name: name.into(),
            load_state: load.into(),
            active_state: active.into(),
            path: String::new(),
        }
    }

    #[test]
    fn version_is_the_first_number_of_three_digits_or_more() {
        assert_eq!(
            parse_version("252.39-1~deb12u2"),
            (252.39, "252.39-1~deb12u2".into())
        );
        assert_eq!(parse_version("v245"), (245.0, "v245".into()));
        assert_eq!(
            parse_version("12.3 then 256"),
            (256.0, "12.3 then 256".into())
        );
        assert_eq!(parse_version("257."), (257.0, "257.".into()));
        assert_eq!(parse_version("unknown"), (0.0, String::new()));
        assert_eq!(parse_version(""), (0.0, String::new()));
    }

    #[test]
    fn summary_has_every_known_state_and_any_other_seen() {
        let units = [
            unit("a.service", "loaded", "active"),
            unit("b.service", "not-found", "inactive"),
            unit("c.service", "loaded", "active"),
            unit("d.service", "loaded", "reloading"),
        ];
        let got = summarize(&units);
        let want: Vec<(String, f64)> = [
            ("active", 2.0),
            ("activating", 0.0),
            ("deactivating", 0.0),
            ("inactive", 1.0),
            ("failed", 0.0),
            ("reloading", 1.0),
        ]
        .iter()
        .map(|(s, n)| (s.to_string(), *n))
        .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn filter_anchors_patterns_and_keeps_only_loaded_units() {
        let units = [
            unit("ssh.service", "loaded", "active"),
            unit("xssh.service.bak", "loaded", "active"),
            unit("-.mount", "loaded", "active"),
            unit("user.slice", "loaded", "active"),
            unit("gone.service", "not-found", "inactive"),
            unit("cron.timer", "loaded", "active"),
        ];
        let re = |p: &str| regex_flag("t", &format!("^(?:{p})$")).unwrap();
        let names = |include: &str, exclude: &str| -> Vec<String> {
            filter(&units, &re(include), &re(exclude))
                .into_iter()
                .map(|u| u.name.clone())
                .collect()
        };
        assert_eq!(
            names(DEFAULT_INCLUDE, DEFAULT_EXCLUDE),
            ["ssh.service", "xssh.service.bak", "cron.timer"]
        );
        // Anchored: "ssh.service" does not match inside "xssh.service.bak".
        assert_eq!(names(r"ssh\.service", DEFAULT_EXCLUDE), ["ssh.service"]);
        assert_eq!(
            names(".+", r".+\.timer|x.*"),
            ["ssh.service", "-.mount", "user.slice"]
        );
    }

    #[test]
    fn deprecated_spellings_stand_in_or_conflict() {
        let s = |v: &str| Some(v.to_string());
        fn m(c: &Option<String>, o: &Option<String>) -> Result<String, BuildError> {
            merge(c, o, "unit-include", "unit-whitelist", DEFAULT_INCLUDE)
        }
        assert_eq!(m(&None, &None).unwrap(), ".+");
        assert_eq!(m(&None, &s("a.+")).unwrap(), "a.+");
        assert_eq!(m(&s("b.+"), &None).unwrap(), "b.+");
        assert_eq!(m(&s("b.+"), &s("")).unwrap(), "b.+");
        let err = m(&s("b.+"), &s("a.+")).unwrap_err().to_string();
        assert_eq!(
            err,
            "--collector.systemd.unit-whitelist and --collector.systemd.unit-include are mutually exclusive"
        );
    }
}
