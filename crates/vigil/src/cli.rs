//! The command line: every subcommand and option, documented where it is declared.

use clap::{Args, Parser, Subcommand, ValueEnum};
use std::path::PathBuf;
use vigil_model::Severity;

#[derive(Debug, Parser)]
#[command(
    name = "vigil",
    version,
    about = "Open, self-hosted cloud security: ingest CloudTrail and host events, detect, investigate.",
    after_help = "Exit codes: 0 success (skipped bad records are reported, not fatal); 1 findings at or above --fail-on; 2 usage error or an input that cannot be opened."
)]
pub struct Cli {
    /// Where Vigil keeps its database and state.
    #[arg(
        long,
        global = true,
        env = "VIGIL_DATA_DIR",
        default_value = "./vigil-data"
    )]
    pub data_dir: PathBuf,

    /// Detection settings (TOML: learning period, correlation windows, thresholds, caps);
    /// default DATA_DIR/detect.toml when present. See docs/detect.example.toml.
    #[arg(long, global = true, env = "VIGIL_DETECT_CONFIG")]
    pub detect_config: Option<PathBuf>,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Generate the Interlace Labs story (real file formats) and run it through the pipeline.
    Demo(DemoArgs),
    /// Read events from files and directories into the store.
    #[command(subcommand)]
    Ingest(IngestCommand),
    /// List alerts.
    Alerts(AlertsArgs),
    /// List stored events, e.g. every event of one access key in a time range.
    Events(EventsArgs),
    /// What the store holds: counts, time range, sources.
    Status(FormatArg),
    /// Run the host agent: process, network, login and sensitive-file events to a Vigil
    /// server (--server) or a JSON-lines file (--output), through an on-disk spool. Needs root.
    Agent(vigil_agent::AgentArgs),
    /// Attack paths from the internet and leaked secrets to data stores and admin, ranked,
    /// each with its score factors and the fix that cuts the most.
    Paths(PathsArgs),
    /// Top risks: exposed vulnerable hosts, risky images, exposed secrets, data assets, identities.
    Risks(PathsArgs),
    /// Agentless scans: packages, vulnerabilities, secrets, SBOM (fs, disk image, container image).
    #[command(subcommand)]
    Scan(crate::cmd::scan::ScanCommand),
    /// The local vulnerability database used by `vigil scan`.
    #[command(subcommand)]
    Vulndb(crate::cmd::scan::VulndbCommand),
    /// Identity security: risk per identity, escalation paths, explain a decision, who can.
    #[command(subcommand)]
    Iam(crate::cmd::iam::IamCommand),
    /// Sigma rules: `lint` reports problems per file, `test` runs the test file beside each rule.
    #[command(subcommand)]
    Rules(crate::cmd::rules::RulesCommand),
    /// The REST API and web console (with the agent ingest endpoint) on one port.
    Serve(crate::cmd::serve::ServeArgs),
    /// Suppressions (exceptions with a reason and an expiry): add, list, remove, and accept
    /// the console's false-positive proposals. Every change is audited.
    #[command(subcommand)]
    Suppress(crate::cmd::suppress::SuppressCommand),
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Seed of the generator: the same seed writes the same story.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
    /// Multiplies identities and volume (30 ≈ 1M CloudTrail records).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub scale: u32,
    /// Where to write the generated files (default: DATA_DIR/demo-input).
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Run the whole story and exit instead of serving the console at the end. The console is
    /// only served when stdout is a terminal and the format is a table, so scripts never wait.
    #[arg(long)]
    pub no_serve: bool,
    /// Where the console listens at the end of the demo (loopback, no token needed).
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: std::net::SocketAddr,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Subcommand)]
pub enum IngestCommand {
    /// CloudTrail in any shape: the S3 layout, {"Records":[...]} files (plain or gzip), JSON
    /// lines, CloudTrail Lake results, EventBridge events, lookup-events output. Digests are ignored.
    Cloudtrail(IngestArgs),
    /// Host events: the agent's JSON lines, Falco JSON alerts (json_output) or Linux audit logs
    /// (audit.log, raw or enriched); the format is recognised per file by its content.
    Host(IngestArgs),
}

#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files and directories, in any mix.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// Read files again even when the store says they were ingested unchanged (events are
    /// still deduplicated by id).
    #[arg(long)]
    pub reread: bool,
    /// Print throughput figures (records/s, MB/s) after the summary.
    #[arg(long)]
    pub bench: bool,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct AlertsArgs {
    /// Only alerts at or above this severity.
    #[arg(long)]
    pub severity: Option<Severity>,
    /// Only alerts of this type (e.g. `compromised_aws_keys`); repeatable.
    #[arg(long = "type")]
    pub types: Vec<String>,
    /// Only alerts about this entity (`AKIA…`, an ARN, `i-…`, or `kind:id`).
    #[arg(long)]
    pub entity: Option<String>,
    #[arg(long, default_value_t = 100)]
    pub limit: usize,
    /// Exit with code 1 when an alert at or above this severity is listed.
    #[arg(long)]
    pub fail_on: Option<Severity>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct EventsArgs {
    /// Only events involving this entity (`AKIA…`, an ARN, an IP, `i-…`, or `kind:id`).
    #[arg(long)]
    pub entity: Option<String>,
    /// Events at or after this time (RFC 3339, or a date `YYYY-MM-DD`).
    #[arg(long)]
    pub since: Option<String>,
    /// Events before this time (RFC 3339, or a date `YYYY-MM-DD`).
    #[arg(long)]
    pub until: Option<String>,
    /// Only events from this source.
    #[arg(long, value_enum)]
    pub source: Option<SourceArg>,
    /// Only events with this action (`iam:CreateAccessKey`, `process_start`).
    #[arg(long)]
    pub action: Option<String>,
    /// At most this many events (all when omitted).
    #[arg(long)]
    pub limit: Option<usize>,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SourceArg {
    Cloudtrail,
    Agent,
    Falco,
    Auditd,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum Format {
    #[default]
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, Args)]
pub struct FormatArg {
    /// Output for people (`table`) or for scripts (`json`).
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
}

#[derive(Debug, Args)]
pub struct PathsArgs {
    /// A directory of AWS CLI describe outputs as JSON (ec2, elb/elbv2, rds, s3, iam
    /// get-account-authorization-details), in any layout; recognised by content.
    #[arg(long)]
    pub inventory: PathBuf,
    /// Identity and scan facts as JSON (`vigil_graph::Facts`): who can assume what, data
    /// access, admins, host vulnerabilities and secrets, leaked secrets.
    #[arg(long)]
    pub facts: Option<PathBuf>,
    /// Mark paths that stored alerts (in --data-dir) show being walked.
    #[arg(long)]
    pub alerts: bool,
    /// At most this many paths (or risks).
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    #[command(flatten)]
    pub format: FormatArg,
}
