//! Boolean flags spelled the way upstream's flag parser takes them.
//!
//! kingpin (node_exporter, blackbox_exporter, mysqld_exporter,
//! kafka_exporter) gives every boolean flag `--X` and its negation
//! `--no-X`; Go's `flag` package (redis_exporter, cAdvisor) takes `-X`,
//! `--X` and `-X=false` but has no negation. Both read a value with Go's
//! `strconv.ParseBool`. Every boolean flag of a command built here takes
//! `--X`, `--X=<bool>` and, for kingpin exporters, `--no-X`, so a flag added
//! to an exporter's `Args` gets upstream's spellings without anyone writing
//! them. The last occurrence wins, as with Go's `flag`; kingpin refuses a
//! repeated flag, and accepting it is the friendlier superset.

use std::ffi::OsString;

use clap::{Arg, ArgAction, Command};

/// The value names help shows for a boolean flag that has none.
const VALUE_NAME: &str = "BOOL";

/// Go's `strconv.ParseBool`: the spellings kingpin and Go's `flag` accept.
pub fn parse_go_bool(value: &str) -> Result<bool, String> {
    match value {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Ok(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Ok(false),
        _ => Err(format!(
            "{value:?} is not a boolean (true, false, 1, 0, t, f, TRUE, FALSE, True, False)"
        )),
    }
}

/// Flags that act rather than set a value (`--version` prints and exits):
/// they keep their own shape.
const ACTION_FLAGS: &[&str] = &["version", "help"];

/// Whether `arg`, as its exporter declared it, sets a boolean: a plain
/// switch (`bool` field) or a flag whose value parser yields `bool`.
fn declares_boolean(arg: &Arg) -> bool {
    if ACTION_FLAGS.contains(&arg.get_id().as_str()) || arg.get_long().is_none() {
        return false;
    }
    match arg.get_action() {
        ArgAction::SetTrue => true,
        ArgAction::Set => arg.get_value_parser().type_id() == std::any::TypeId::of::<bool>(),
        _ => false,
    }
}

/// The one shape every boolean flag gets: no value means true, a value
/// only after `=` (the next word is never taken, as upstream), Go's
/// spellings, the last occurrence wins. A switch keeps its default (a
/// plain `bool` field's is false); a flag with no default stays unset
/// unless given, which the collector switches rely on.
fn kingpin_shape(arg: Arg) -> Arg {
    let id = arg.get_id().clone();
    let switch_default =
        matches!(arg.get_action(), ArgAction::SetTrue) && arg.get_default_values().is_empty();
    let unnamed = arg.get_value_names().is_none();
    let mut arg = arg
        .action(ArgAction::Set)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true")
        .value_parser(parse_go_bool)
        .overrides_with(id);
    if switch_default {
        arg = arg.default_value("false");
    }
    if unnamed {
        arg = arg.value_name(VALUE_NAME);
    }
    arg
}

/// Gives every boolean flag of `cmd` the kingpin shape.
pub fn shape(mut cmd: Command) -> Command {
    let ids: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|arg| declares_boolean(arg))
        .map(|arg| arg.get_id().clone())
        .collect();
    for id in ids {
        cmd = cmd.mut_arg(id, kingpin_shape);
    }
    cmd
}

/// A boolean flag of a command that went through [`shape`].
#[derive(Debug, Clone)]
pub struct BoolFlag {
    /// The id its value is stored under in `ArgMatches`.
    pub id: String,
    /// Its name without dashes (`collector.cpu.info`).
    pub long: String,
}

/// Every boolean flag of a shaped command, hidden ones included.
pub fn boolean_flags(cmd: &Command) -> Vec<BoolFlag> {
    cmd.get_arguments()
        .filter(|arg| {
            !ACTION_FLAGS.contains(&arg.get_id().as_str())
                && arg.get_value_parser().type_id() == std::any::TypeId::of::<bool>()
        })
        .filter_map(|arg| {
            Some(BoolFlag {
                id: arg.get_id().to_string(),
                long: arg.get_long()?.to_string(),
            })
        })
        .collect()
}

/// Rewrites `--no-X` as `--X=false` for each boolean flag X that
/// `negatable` admits, as kingpin reads it: only when no flag is itself
/// named `no-X`, never after `--`, never the value of a flag given as the
/// next word, and `--no-X=value` stays as written (kingpin refuses it, and
/// so does clap).
pub fn rewrite_negations(
    cmd: &Command,
    argv: Vec<OsString>,
    negatable: impl Fn(&str) -> bool,
) -> Vec<OsString> {
    let booleans = boolean_flags(cmd);
    let is_boolean = |long: &str| booleans.iter().any(|b| b.long == long);
    let takes_next_word = |long: &str| {
        cmd.get_arguments().any(|arg| {
            arg.get_long() == Some(long)
                && arg.get_action().takes_values()
                && !arg.is_require_equals_set()
                && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
        })
    };
    let declared = |long: &str| cmd.get_arguments().any(|arg| arg.get_long() == Some(long));
    let mut out = Vec::with_capacity(argv.len());
    let mut words = argv.into_iter();
    out.extend(words.next());
    while let Some(word) = words.next() {
        let Some(name) = word.to_str().and_then(|s| s.strip_prefix("--")) else {
            out.push(word);
            continue;
        };
        if name.is_empty() {
            out.push(word);
            out.extend(words);
            break;
        }
        if name.contains('=') {
            out.push(word);
            continue;
        }
        if let Some(flag) = name.strip_prefix("no-")
            && !declared(name)
            && is_boolean(flag)
            && negatable(flag)
        {
            out.push(OsString::from(format!("--{flag}=false")));
            continue;
        }
        let value_follows = takes_next_word(name);
        out.push(word);
        if value_follows {
            out.extend(words.next());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd() -> Command {
        shape(
            Command::new("x")
                .arg(Arg::new("switch").long("switch").action(ArgAction::SetTrue))
                .arg(
                    Arg::new("on")
                        .long("on")
                        .action(ArgAction::Set)
                        .default_value("true")
                        .value_parser(clap::value_parser!(bool)),
                )
                .arg(Arg::new("path").long("path"))
                .arg(Arg::new("count").long("count").action(ArgAction::Count)),
        )
    }

    fn words(argv: &[&str]) -> Vec<OsString> {
        argv.iter().map(OsString::from).collect()
    }

    fn parse(argv: &[&str]) -> Result<(bool, bool), clap::Error> {
        let cmd = cmd();
        let argv = rewrite_negations(&cmd, words(argv), |_| true);
        let m = cmd.try_get_matches_from(argv)?;
        Ok((
            m.get_one::<bool>("switch").copied().unwrap_or_default(),
            m.get_one::<bool>("on").copied().unwrap_or_default(),
        ))
    }

    #[test]
    fn every_spelling_sets_the_value() {
        assert_eq!(parse(&["x"]).ok(), Some((false, true)));
        assert_eq!(parse(&["x", "--switch"]).ok(), Some((true, true)));
        assert_eq!(
            parse(&["x", "--switch=T", "--on=0"]).ok(),
            Some((true, false))
        );
        assert_eq!(parse(&["x", "--no-on"]).ok(), Some((false, false)));
        assert_eq!(
            parse(&["x", "--no-switch", "--switch"]).ok(),
            Some((true, true))
        );
        assert_eq!(parse(&["x", "--on", "--no-on"]).ok(), Some((false, false)));
    }

    #[test]
    fn what_upstream_refuses_is_refused() {
        assert!(parse(&["x", "--switch=yes"]).is_err());
        assert!(parse(&["x", "--no-switch=true"]).is_err());
        assert!(parse(&["x", "--no-path"]).is_err(), "only booleans negate");
        assert!(parse(&["x", "--no-count"]).is_err());
        assert!(
            parse(&["x", "--switch", "false"]).is_err(),
            "a boolean never takes the next word"
        );
    }

    #[test]
    fn values_and_the_end_of_flags_are_left_alone() {
        let cmd = cmd();
        let kept = |argv: &[&str]| rewrite_negations(&cmd, words(argv), |_| true) == words(argv);
        assert!(kept(&["x", "--path", "--no-on"]));
        assert!(kept(&["x", "--", "--no-on"]));
        assert!(!kept(&["x", "--path=p", "--no-on"]));
        let refused = rewrite_negations(&cmd, words(&["x", "--no-on"]), |flag| flag != "on");
        assert_eq!(refused, words(&["x", "--no-on"]));
    }

    #[test]
    fn boolean_flags_are_found_after_shaping() {
        let longs: Vec<String> = boolean_flags(&cmd()).into_iter().map(|b| b.long).collect();
        assert_eq!(longs, ["switch", "on"]);
    }

    #[test]
    fn go_spellings() {
        for t in ["1", "t", "T", "TRUE", "true", "True"] {
            assert_eq!(parse_go_bool(t), Ok(true));
        }
        for f in ["0", "f", "F", "FALSE", "false", "False"] {
            assert_eq!(parse_go_bool(f), Ok(false));
        }
        assert!(parse_go_bool("yes").is_err());
        assert!(parse_go_bool("").is_err());
    }
}
