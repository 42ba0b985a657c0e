//! kingpin's generated documentation flags: `--help-man` prints a man
//! page, `--completion-script-bash`/`-zsh` (and `-fish`) a completion
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
