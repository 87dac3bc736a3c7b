//! The `vigil` command: argument parsing ([`cli`]), one module per subcommand ([`cmd`]), and
//! the [`pipeline`] that wires ingest to the store and detection. The binary's `main` only maps
//! errors to exit codes.

pub mod alert_links;
pub mod allocator;
pub mod beside;
pub mod cli;
pub mod cmd;
pub mod detection;
pub mod exit;
pub mod output;
pub mod pipeline;
pub mod posture;
pub mod progress;
pub mod relink;
#[cfg(test)]
mod test_events;
pub mod timearg;

use anyhow::{Context, Result};
use cli::{Cli, Command, IngestCommand};
use vigil_store::Store;

/// Runs one parsed command line.
pub fn run(cli: Cli) -> Result<()> {
    if let Some(path) = &cli.detect_config {
        detection::use_config_file(path.clone());
    }
    match cli.command {
        Command::Demo(args) => cmd::demo::run(&cli.data_dir, &args),
        Command::Ingest(IngestCommand::Cloudtrail(args)) => cmd::ingest::run(
            &mut open_store(&cli.data_dir)?,
            pipeline::InputKind::Cloudtrail,
            &args,
        ),
        Command::Ingest(IngestCommand::Host(args)) => cmd::ingest::run(
            &mut open_store(&cli.data_dir)?,
            pipeline::InputKind::Host,
            &args,
        ),
        Command::Alerts(args) => cmd::alerts::run(&open_store(&cli.data_dir)?, &args),
        Command::Events(args) => cmd::events::run(&open_store(&cli.data_dir)?, &args),
        Command::Status(args) => cmd::status::run(&open_store(&cli.data_dir)?, args.format),
        Command::Agent(args) => cmd::agent::run(&args),
        Command::Paths(args) => cmd::paths::run_paths(&cli.data_dir, &args),
        Command::Risks(args) => cmd::paths::run_risks(&cli.data_dir, &args),
        Command::Scan(cmd) => cmd::scan::run_scan(&cli.data_dir, &cmd),
        Command::Vulndb(cmd) => cmd::scan::run_vulndb(&mut open_store(&cli.data_dir)?, &cmd),
        Command::Iam(cmd) => cmd::iam::run(&cli.data_dir, &cmd),
        Command::Rules(cmd) => cmd::rules::run(&cmd),
        Command::Serve(args) => cmd::serve::run(&cli.data_dir, &args),
        Command::Suppress(cmd) => cmd::suppress::run(&mut open_store(&cli.data_dir)?, &cmd),
    }
}

pub fn open_store(data_dir: &std::path::Path) -> Result<Store> {
    announce_upgrade(data_dir);
    Store::open(data_dir).with_context(|| format!("opening the store in `{}`", data_dir.display()))
}

/// Says on stderr, before the wait, that opening the store will upgrade its schema. Quiet when
/// nothing is pending, or when the check itself fails (opening will then say what is wrong).
pub fn announce_upgrade(data_dir: &std::path::Path) {
    if let Ok(Some(u)) = Store::pending_upgrade(data_dir) {
        eprintln!(
            "Upgrading the store in `{}` from schema v{} to v{} ({} events); this runs once \
             (seconds per million events).",
            data_dir.display(),
            u.from,
            u.to,
            u.events
        );
    }
}
