//! The per-command preparation of the clap tree (a `--help` for every
//! command, a flag given twice takes its last value, pflag's
//! `--switch=BOOL`), and the leaves that build (and prepare) themselves
//! only when clap parses them: an empty command no longer builds and
//! drops the whole tree of ~150 commands.
//!
//! What is prepared depends on the [`Mode`] of the thread building the
//! tree: [`Mode::Raw`] (the derive's own tree, as completion scripts and
//! the usage messages read it), [`Mode::Plain`] (help is rendered from
//! it: `--tty`, not `--tty[=<TTY>]`) or [`Mode::Parsing`].

use std::cell::{Cell, RefCell};
use std::fmt;

use clap::{ArgMatches, Args, Command, FromArgMatches, Subcommand};

/// What the commands built on this thread are prepared for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// As derived: nothing added.
    Raw,
    /// Help and last-wins, every leaf built at once (help lists them all).
    Plain,
    /// [`Mode::Plain`] and pflag's boolean values; a [`Lazy`] leaf is built
    /// only if argv selects it.
    Parsing,
}

thread_local! {
    static MODE: Cell<Mode> = const { Cell::new(Mode::Raw) };
    static ROUTE: RefCell<Route> = const { RefCell::new(Route::All) };
}

/// Which of the root's commands the trees built on this thread hold.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Route {
    /// Every command (help, completion, errors that suggest a command).
    All,
    /// None: the root alone, to read its own flags.
    RootOnly,
    /// Only the command of this name or alias, which argv names.
    Only(String),
}

/// Restores the previous [`Route`] when dropped.
pub struct RouteGuard(Route);

/// Sets the route of this thread until the guard is dropped.
pub fn set_route(route: Route) -> RouteGuard {
    RouteGuard(ROUTE.replace(route))
}

impl Drop for RouteGuard {
    fn drop(&mut self) {
        ROUTE.set(std::mem::replace(&mut self.0, Route::All));
    }
}

/// The root command argv names, read with the flags of `root` (the root
/// alone, prepared for parsing): the first word that is neither one of
/// its flags nor a flag's value. `None` where argv is not that plain
/// (an unknown flag, `--`, a cluster of short flags): the whole tree is
/// parsed then, and clap's errors and suggestions stay its own.
pub fn route_of(args: &[String], root: &Command) -> Option<String> {
    let takes_value = |a: &clap::Arg| {
        a.get_action().takes_values()
            && !a.is_require_equals_set()
            && a.get_num_args().is_none_or(|n| n.min_values() > 0)
    };
    let mut words = args.iter().skip(1);
    while let Some(word) = words.next() {
        let arg = if let Some(long) = word.strip_prefix("--") {
            if long.is_empty() {
                return None;
            }
            if long.contains('=') {
                continue;
            }
            root.get_arguments().find(|a| {
                a.get_long() == Some(long)
                    || a.get_all_aliases().is_some_and(|al| al.contains(&long))
            })?
        } else if let Some(short) = word.strip_prefix('-') {
            let mut chars = short.chars();
            let (Some(c), None) = (chars.next(), chars.next()) else {
                return None;
            };
            root.get_arguments().find(|a| a.get_short() == Some(c))?
        } else {
            return Some(word.clone());
        };
        // A flag that may take several values could take the next word
        // too: left to clap.
        if arg.get_num_args().is_some_and(|n| n.max_values() > 1) {
            return None;
        }
        if takes_value(arg) {
            words.next()?;
        }
    }
    None
}

/// The root's commands, as the derive adds them, or only the one of the
/// thread's [`Route`]: clap copies each global flag into every command
/// under the root as it builds the root, and with ~70 of them that was
/// most of the parse of a command line.
pub struct Routed<T>(pub T);

impl<T: Subcommand> Subcommand for Routed<T> {
    fn augment_subcommands(cmd: Command) -> Command {
        Self::routed(cmd, T::augment_subcommands)
    }
    fn augment_subcommands_for_update(cmd: Command) -> Command {
        Self::routed(cmd, T::augment_subcommands_for_update)
    }
    fn has_subcommand(name: &str) -> bool {
        T::has_subcommand(name)
    }
}

impl<T> Routed<T> {
    fn routed(cmd: Command, augment: fn(Command) -> Command) -> Command {
        let route = ROUTE.with(|r| r.borrow().clone());
        match route {
            Route::All => augment(cmd),
            Route::RootOnly => cmd,
            Route::Only(name) => {
                let all = augment(Command::new("routed"));
                match all.find_subcommand(&name) {
                    Some(only) => cmd.subcommand(only.clone()),
                    // Not a command: the whole tree, for clap's error.
                    None => augment(cmd),
                }
            }
        }
    }
}

impl<T: FromArgMatches> FromArgMatches for Routed<T> {
    fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches(m).map(Routed)
    }
    fn from_arg_matches_mut(m: &mut ArgMatches) -> Result<Self, clap::Error> {
        T::from_arg_matches_mut(m).map(Routed)
    }
    fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches(m)
    }
    fn update_from_arg_matches_mut(&mut self, m: &mut ArgMatches) -> Result<(), clap::Error> {
        self.0.update_from_arg_matches_mut(m)
    }
}

impl<T: fmt::Debug> fmt::Debug for Routed<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// Restores the previous [`Mode`] when dropped.
pub struct ModeGuard(Mode);

/// Sets the mode of this thread until the guard is dropped.
pub fn set_mode(mode: Mode) -> ModeGuard {
    ModeGuard(MODE.replace(mode))
}

impl Drop for ModeGuard {
    fn drop(&mut self) {
        MODE.set(self.0);
    }
}

/// Prepares one command (not its subcommands) for the current mode.
pub fn prepare(cmd: Command) -> Command {
    match MODE.get() {
        Mode::Raw => cmd,
        Mode::Plain => with_help(last_wins(cmd)),
        Mode::Parsing => with_bool_values(with_help(last_wins(cmd))),
    }
}

/// Prepares `cmd` and the command groups under it; the leaves prepare
/// themselves ([`Lazy`], [`Eager`]).
pub fn prepare_groups(cmd: Command) -> Command {
    prepare(cmd).mut_subcommands(|s| {
        if s.has_subcommands() {
            prepare_groups(s)
        } else {
            s
        }
    })
}

/// Podman's flag parser: a flag given twice takes its last value
/// (`--tz=A --tz=B`), list flags collect every value.
fn last_wins(cmd: Command) -> Command {
    cmd.args_override_self(true)
}

/// The root's own `-h/--help` (one line per option) turns clap's help
/// flag off in every subcommand too: give each one without a `--help`
/// of its own `--help`, and `-h` where the command has no `-h` flag
/// (`run -h` is `--hostname`, as in Podman).
fn with_help(cmd: Command) -> Command {
    if cmd.get_arguments().any(|a| a.get_long() == Some("help")) {
        return cmd;
    }
    let short_free = !cmd.get_arguments().any(|a| a.get_short() == Some('h'));
    let mut help = clap::Arg::new("help")
        .long("help")
        .help(format!("Help for {}", cmd.get_name()))
        .action(clap::ArgAction::HelpShort);
    if short_free {
        help = help.short('h');
    }
    cmd.arg(help)
}

fn with_bool_values(cmd: Command) -> Command {
    let mut cmd = cmd;
    let switches: Vec<clap::Id> = cmd
        .get_arguments()
        .filter(|a| matches!(a.get_action(), clap::ArgAction::SetTrue))
        .map(|a| a.get_id().clone())
        .collect();
    for id in switches {
        cmd = cmd.mut_arg(id, bool_switch);
    }
    cmd
}

/// pflag's boolean flags: `--tty`, `--tty=false`, `-t` (a value only
/// after `=`, so `-it` and `--rm IMAGE` stay what they are).
fn bool_switch(arg: clap::Arg) -> clap::Arg {
    // A switch declared with a default of its own keeps it.
    let default = arg
        .get_default_values()
        .first()
        .cloned()
        .unwrap_or_else(|| "false".into());
    arg.action(clap::ArgAction::Set)
        .num_args(0..=1)
        .require_equals(true)
        .default_missing_value("true")
        .default_value(default)
        .value_parser(clap::builder::BoolishValueParser::new())
        .hide_possible_values(true)
}

/// A leaf command whose arguments are added (and prepared) only when
/// clap builds it, i.e. when argv names it, while parsing
/// ([`Mode::Parsing`]); at once otherwise (help lists every command with
/// its `about`, which an `Args` struct's doc comment may set).
pub struct Lazy<T>(pub T);

/// A leaf command built at once in every mode: one of its arguments has
/// the id of a global flag (`build --runtime-flag`) and must be there
/// before clap propagates the global flags into the command (clap then
/// keeps the command's own; a deferred command would get both).
pub struct Eager<T>(pub T);

/// The arguments of a command that has none.
#[derive(Debug)]
pub struct NoArgs;

impl Args for NoArgs {
    fn augment_args(cmd: Command) -> Command {
        cmd
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        cmd
    }
}

impl FromArgMatches for NoArgs {
    fn from_arg_matches(_: &ArgMatches) -> Result<Self, clap::Error> {
        Ok(NoArgs)
    }
    fn update_from_arg_matches(&mut self, _: &ArgMatches) -> Result<(), clap::Error> {
        Ok(())
    }
}

impl<T: Args> Args for Lazy<T> {
    fn augment_args(cmd: Command) -> Command {
        if MODE.get() == Mode::Parsing {
            cmd.defer(|c| prepare(T::augment_args(c)))
        } else {
            prepare(T::augment_args(cmd))
        }
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        if MODE.get() == Mode::Parsing {
            cmd.defer(|c| prepare(T::augment_args_for_update(c)))
        } else {
            prepare(T::augment_args_for_update(cmd))
        }
    }
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

impl<T: Args> Args for Eager<T> {
    fn augment_args(cmd: Command) -> Command {
        prepare(T::augment_args(cmd))
    }
    fn augment_args_for_update(cmd: Command) -> Command {
        prepare(T::augment_args_for_update(cmd))
    }
    fn group_id() -> Option<clap::Id> {
        T::group_id()
    }
}

macro_rules! delegate_matches {
    ($wrapper:ident) => {
        impl<T: FromArgMatches> FromArgMatches for $wrapper<T> {
            fn from_arg_matches(m: &ArgMatches) -> Result<Self, clap::Error> {
                T::from_arg_matches(m).map($wrapper)
            }
            fn from_arg_matches_mut(m: &mut ArgMatches) -> Result<Self, clap::Error> {
                T::from_arg_matches_mut(m).map($wrapper)
            }
            fn update_from_arg_matches(&mut self, m: &ArgMatches) -> Result<(), clap::Error> {
                self.0.update_from_arg_matches(m)
            }
            fn update_from_arg_matches_mut(
                &mut self,
                m: &mut ArgMatches,
            ) -> Result<(), clap::Error> {
                self.0.update_from_arg_matches_mut(m)
            }
        }

        /// As the command's own arguments (the debug log shows no wrapper).
        impl<T: fmt::Debug> fmt::Debug for $wrapper<T> {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

delegate_matches!(Lazy);
delegate_matches!(Eager);

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use clap::CommandFactory;

    use super::*;

    /// Every command, every leaf built: no argument twice (a global flag
    /// propagated into a deferred leaf that has an argument of that id).
    fn assert_unique_args(cmd: &Command, path: &str) {
        let path = format!("{path} {}", cmd.get_name());
        let mut ids = HashSet::new();
        let mut longs = HashSet::new();
        for a in cmd.get_arguments() {
            assert!(ids.insert(a.get_id().clone()), "{path}: {:?} twice", a);
            if let Some(long) = a.get_long() {
                assert!(longs.insert(long), "{path}: --{long} twice");
            }
        }
        for s in cmd.get_subcommands() {
            assert_unique_args(s, &path);
        }
    }

    #[test]
    fn built_leaves_hold_each_argument_once() {
        let _mode = set_mode(Mode::Parsing);
        let mut root = prepare_groups(crate::Cli::command());
        root.build();
        assert_unique_args(&root, "");
    }

    fn route(argv: &[&str]) -> Option<String> {
        let _mode = set_mode(Mode::Parsing);
        let root = {
            let _route = set_route(Route::RootOnly);
            prepare(crate::Cli::command())
        };
        assert_eq!(root.get_subcommands().count(), 0);
        let args: Vec<String> = argv.iter().map(|s| s.to_string()).collect();
        route_of(&args, &root)
    }

    #[test]
    fn the_route_is_the_first_word_after_the_root_flags() {
        assert_eq!(
            route(&["rpod", "run", "--rm", "img"]).as_deref(),
            Some("run")
        );
        assert_eq!(
            route(&["rpod", "--root", "/r", "--runroot=/rr", "ps"]).as_deref(),
            Some("ps")
        );
        assert_eq!(
            route(&["rpod", "--log-level", "debug", "container", "ps"]).as_deref(),
            Some("container")
        );
        assert_eq!(route(&["rpod", "-c", "conn", "ps"]).as_deref(), Some("ps"));
        // A switch takes its value only after `=`.
        assert_eq!(route(&["rpod", "--remote", "ps"]).as_deref(), Some("ps"));
        assert_eq!(
            route(&["rpod", "--remote=false", "ps"]).as_deref(),
            Some("ps")
        );
        // Anything else parses the whole tree.
        assert_eq!(route(&["rpod", "--", "ps"]), None);
        assert_eq!(route(&["rpod", "--bogus", "ps"]), None);
        assert_eq!(route(&["rpod", "--help"]), None);
        assert_eq!(route(&["rpod", "--root"]), None);
    }

    #[test]
    fn a_route_puts_only_its_command_under_the_root() {
        let commands = |route| {
            let _mode = set_mode(Mode::Parsing);
            let _route = set_route(route);
            let root = prepare_groups(crate::Cli::command());
            root.get_subcommands()
                .map(|c| c.get_name().to_owned())
                .collect::<Vec<_>>()
        };
        assert_eq!(commands(Route::Only("run".into())), ["run"]);
        // By an alias too.
        assert_eq!(commands(Route::Only("unmount".into())), ["umount"]);
        assert_eq!(commands(Route::Only("container".into())), ["container"]);
        assert!(commands(Route::Only("nosuch".into())).len() > 50);
        assert!(commands(Route::All).len() > 50);
        assert_eq!(ROUTE.with(|r| r.borrow().clone()), Route::All);
    }

    #[test]
    fn leaves_are_built_when_parsed_only_while_parsing() {
        let run_args = |mode| {
            let _mode = set_mode(mode);
            let root = prepare_groups(crate::Cli::command());
            let run = root.find_subcommand("run").expect("run").clone();
            run.get_arguments().count()
        };
        assert_eq!(run_args(Mode::Parsing), 0);
        assert!(run_args(Mode::Plain) > 100);
        assert!(run_args(Mode::Raw) > 100);
        assert_eq!(MODE.get(), Mode::Raw);
    }
}
