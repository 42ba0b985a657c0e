//! kingpin's generated documentation flags: `--help-long` prints the
//! whole help (kingpin's long template), `--help-man` a man page, `--completion-script-bash`/`-zsh` (and `-fish`) a completion
//! script, all from the same clap definition as `--help`. The Debian
//! packages (`cargo xtask deb`) ship their output.

use clap::{Arg, ArgAction, ArgMatches, Command};
use clap_complete::Shell;

const SHELLS: &[(&str, Shell)] = &[
    ("completion-script-bash", Shell::Bash),
    ("completion-script-zsh", Shell::Zsh),
    ("completion-script-fish", Shell::Fish),
];

/// Adds the hidden flags (hidden as in kingpin).
pub fn add_flags(mut cmd: Command) -> Command {
    cmd = cmd.arg(
        Arg::new("help-long")
            .long("help-long")
            .action(ArgAction::SetTrue)
            .hide(true)
            .help("Print the whole help and exit"),
    );
    cmd = cmd.arg(
        Arg::new("help-man")
            .long("help-man")
            .action(ArgAction::SetTrue)
            .hide(true)
            .help("Print a man page and exit"),
    );
    for (id, _) in SHELLS {
        cmd = cmd.arg(
            Arg::new(*id)
                .long(*id)
                .action(ArgAction::SetTrue)
                .hide(true)
                .help("Print a shell completion script and exit"),
        );
    }
    cmd
}

/// The document a flag of [`add_flags`] asked for, rendered from `cmd`.
pub fn requested(cmd: Command, matches: &ArgMatches) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    if matches.get_flag("help-long") {
        let mut cmd = cmd;
        out.extend_from_slice(cmd.render_long_help().to_string().as_bytes());
        return Some(out);
    }
    if matches.get_flag("help-man") {
        // Writing into a Vec cannot fail.
        clap_mangen::Man::new(cmd).render(&mut out).ok()?;
        return Some(out);
    }
    let (_, shell) = SHELLS.iter().find(|(id, _)| matches.get_flag(id))?;
    let mut cmd = cmd;
    let name = cmd.get_name().to_string();
    clap_complete::generate(*shell, &mut cmd, name, &mut out);
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn help_long_prints_the_help_without_hidden_flags() {
        let cmd = add_flags(
            Command::new("exporter").arg(
                Arg::new("web.listen-address")
                    .long("web.listen-address")
                    .help("Addresses on which to expose metrics"),
            ),
        );
        let matches = cmd
            .clone()
            .try_get_matches_from(["exporter", "--help-long"])
            .expect("--help-long parses");
        let out = requested(cmd, &matches).expect("--help-long prints");
        let text = String::from_utf8_lossy(&out);
        assert!(text.contains("--web.listen-address"), "{text}");
        assert!(
            text.contains("Addresses on which to expose metrics"),
            "{text}"
        );
        assert!(!text.contains("--help-man"), "{text}");
    }
}
