//! `vigil scan fs|disk|image` (agentless scanning) and `vigil vulndb import`.
//!
//! Storage: advisories and scan reports go through the store's generic engine state
//! (`vulndb/<source path>`, `scan/<target>`), as plain serde data. Measured: the whole PyPA +
//! Go + RustSec set (~8k advisories) is one put per import and loads in well under a second,
//! so a separate file is not needed.

use crate::exit::{FindingsFound, UnreadableInput, UsageError};
use crate::output::{Table, cell, write_json};
use anyhow::{Context, Result};
use clap::{Args, Subcommand, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use std::io::Write;
use std::path::{Path, PathBuf};
use vigil_model::Severity;
use vigil_scan::fs::{Filesystem, ImageLimits};
use vigil_scan::secrets::SecretScanner;
use vigil_scan::vulndb::{Advisory, VulnDb};
use vigil_scan::{ScanOptions, ScanReport};
use vigil_store::Store;

#[derive(Debug, Subcommand)]
pub enum ScanCommand {
    /// A directory holding a root filesystem (or `/` itself).
    Fs(FsArgs),
    /// A raw disk image (MBR/GPT partitions or a bare ext2/3/4 volume), read without mounting.
    Disk(TargetArgs),
    /// A container image: a `docker save` tarball, or an OCI image layout (directory or tar).
    Image(TargetArgs),
}

#[derive(Debug, Args)]
pub struct FsArgs {
    pub dir: PathBuf,
    /// Mark packages whose files running processes execute or map (from /proc; needs a
    /// scan of this machine's own root).
    #[arg(long)]
    pub active: bool,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Args)]
pub struct TargetArgs {
    pub path: PathBuf,
    #[command(flatten)]
    pub common: CommonArgs,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ScanFormat {
    #[default]
    Table,
    Json,
    Cyclonedx,
    Sarif,
}

#[derive(Debug, Args)]
pub struct CommonArgs {
    #[arg(long, value_enum, default_value_t = ScanFormat::Table)]
    pub format: ScanFormat,
    /// Exit with code 1 when a vulnerability or secret at or above this severity is found.
    #[arg(long)]
    pub fail_on: Option<Severity>,
    /// More secret rules in gitleaks' TOML format (repeatable); Vigil's own rules always run.
    #[arg(long = "rules")]
    pub rules: Vec<PathBuf>,
    /// Do not look for secrets.
    #[arg(long)]
    pub no_secrets: bool,
    /// Files larger than this many MiB are not read for secrets.
    #[arg(long, default_value_t = 32)]
    pub max_file_mib: u64,
    /// Subtrees not scanned, as paths inside the target (repeatable; /proc, /sys and /dev
    /// are always skipped).
    #[arg(long)]
    pub skip: Vec<String>,
    /// Do not save the report in the store.
    #[arg(long)]
    pub no_store: bool,
    /// The host (EC2 instance id or hostname, as the agent names it) this filesystem or disk
    /// belongs to. The report is stored as that host's (`host:ID`, replacing its last scan),
    /// and an AWS key found in a file the host's `compromised_host` alert read is linked to
    /// that key's `compromised_aws_keys` alert.
    #[arg(long, value_name = "ID")]
    pub host: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum VulndbCommand {
    /// Import advisories: OSV JSON (file, directory, zip), PyPA YAML, RustSec Markdown,
    /// Alpine secdb YAML, Trivy's fixture DB. Importing the same path again replaces it.
    Import(ImportArgs),
    /// What the local database holds.
    Status,
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    #[arg(required_unless_present = "demo")]
    pub paths: Vec<PathBuf>,
    /// Also load the small labelled advisory set shipped for the demo.
    #[arg(long)]
    pub demo: bool,
}

const VULNDB: &str = "vulndb";
pub const SCANS: &str = "scan";

pub fn run_vulndb(store: &mut Store, cmd: &VulndbCommand) -> Result<()> {
    match cmd {
        VulndbCommand::Import(args) => {
            let mut out = std::io::stdout().lock();
            for p in &args.paths {
                let (advisories, report) = vigil_scan::vulndb::import_path(p)
                    .map_err(|e| UnreadableInput(format!("cannot read `{}`: {e}", p.display())))?;
                let key = std::fs::canonicalize(p)
                    .unwrap_or_else(|_| p.clone())
                    .display()
                    .to_string();
                store.put_state(VULNDB, &key, &advisories)?;
                writeln!(
                    out,
                    "imported {} advisories from {} files of `{}`; {} skipped",
                    report.advisories,
                    report.files,
                    p.display(),
                    report.skipped.len()
                )?;
                for s in report.skipped.iter().take(5) {
                    writeln!(
                        out,
                        "  skipped {} ({}): {}",
                        cell(&s.path, 100),
                        s.kind.as_str(),
                        cell(&s.detail, 120)
                    )?;
                }
            }
            if args.demo {
                let demo = vigil_scan::vulndb::demo_advisories();
                store.put_state(VULNDB, "vigil-demo", &demo)?;
                writeln!(out, "imported {} demo advisories", demo.len())?;
            }
            Ok(())
        }
        VulndbCommand::Status => {
            let mut out = std::io::stdout().lock();
            for key in store.state_keys(VULNDB)? {
                let n = store
                    .get_state::<Vec<Advisory>>(VULNDB, &key)?
                    .map_or(0, |v| v.len());
                writeln!(out, "{n:>8}  {}", cell(&key, 200))?;
            }
            Ok(())
        }
    }
}

fn load_db(store: &Store) -> Result<VulnDb> {
    let mut all = Vec::new();
    for key in store.state_keys(VULNDB)? {
        if let Some(v) = store.get_state::<Vec<Advisory>>(VULNDB, &key)? {
            all.extend(v);
        }
    }
    Ok(VulnDb::new(all))
}

fn secret_scanner(args: &CommonArgs) -> Result<Option<SecretScanner>> {
    if args.no_secrets {
        return Ok(None);
    }
    let mut texts = Vec::new();
    for p in &args.rules {
        texts.push(
            std::fs::read_to_string(p).map_err(|e| {
                UnreadableInput(format!("cannot read rules `{}`: {e}", p.display()))
            })?,
        );
    }
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let s = SecretScanner::new(&refs).map_err(|e| UsageError(format!("bad rule file: {e}")))?;
    for e in s.load_errors.iter().take(10) {
        eprintln!("warning: secret rule skipped: {e}");
    }
    Ok(Some(s))
}

fn progress_bar(label: &str) -> ProgressBar {
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    let style =
        ProgressStyle::with_template("{spinner} {prefix} {bytes} read, {bytes_per_sec} {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner());
    bar.set_style(style);
    bar.set_prefix(label.to_string());
    bar
}

fn options(args: &CommonArgs) -> ScanOptions {
    let mut o = ScanOptions {
        max_file_bytes: args.max_file_mib.saturating_mul(1 << 20),
        ..ScanOptions::default()
    };
    o.skip.extend(
        args.skip
            .iter()
            .map(|s| format!("/{}", s.trim_matches('/'))),
    );
    o
}

fn scan_one(
    fs: &dyn Filesystem,
    target: &str,
    db: &VulnDb,
    secrets: Option<&SecretScanner>,
    opts: &ScanOptions,
) -> ScanReport {
    let bar = progress_bar(target);
    let mut tick = |n: u64| bar.inc(n);
    let r = vigil_scan::scan(fs, target, db, secrets, opts, &mut tick);
    bar.finish_and_clear();
    r
}

pub fn run_scan(data_dir: &Path, cmd: &ScanCommand) -> Result<()> {
    let mut store = crate::open_store(data_dir)?;
    let db = load_db(&store)?;
    let (common, started) = match cmd {
        ScanCommand::Fs(a) => (&a.common, std::time::Instant::now()),
        ScanCommand::Disk(a) | ScanCommand::Image(a) => (&a.common, std::time::Instant::now()),
    };
    let secrets = secret_scanner(common)?;
    let opts = options(common);
    let report = match cmd {
        ScanCommand::Fs(a) => {
            if !a.dir.is_dir() {
                return Err(
                    UnreadableInput(format!("`{}` is not a directory", a.dir.display())).into(),
                );
            }
            let fs = vigil_scan::fs::DirFs::new(&a.dir);
            let target = format!(
                "fs:{}",
                std::fs::canonicalize(&a.dir)
                    .unwrap_or_else(|_| a.dir.clone())
                    .display()
            );
            let mut r = scan_one(&fs, &target, &db, secrets.as_ref(), &opts);
            if a.active {
                let used = vigil_scan::active::proc_paths(Path::new("/proc"));
                let n = vigil_scan::active::mark_active(&fs, &mut r, &used);
                eprintln!(
                    "active: {n} packages used by running processes ({} process files seen)",
                    used.len()
                );
            }
            r
        }
        ScanCommand::Disk(a) => {
            let (parts, problems) = vigil_scan::fs::open_disk(&a.path)
                .map_err(|e| UnreadableInput(format!("cannot open `{}`: {e}", a.path.display())))?;
            let target = format!("disk:{}", a.path.display());
            let mut merged = ScanReport {
                target: target.clone(),
                problems,
                ..ScanReport::default()
            };
            let many = parts.len() > 1;
            for p in &parts {
                let mut r = scan_one(
                    &p.fs,
                    &format!("{target}#{}", p.label),
                    &db,
                    secrets.as_ref(),
                    &opts,
                );
                if many {
                    let prefix = format!("#{}", p.label);
                    r.packages
                        .iter_mut()
                        .for_each(|x| x.path = format!("{prefix}{}", x.path));
                    r.vulnerabilities
                        .iter_mut()
                        .for_each(|x| x.path = format!("{prefix}{}", x.path));
                    r.secrets
                        .iter_mut()
                        .for_each(|x| x.path = format!("{prefix}{}", x.path));
                }
                merged.os = merged.os.or(r.os);
                merged.packages.extend(r.packages);
                merged.vulnerabilities.extend(r.vulnerabilities);
                merged.secrets.extend(r.secrets);
                merged.problems.extend(r.problems);
                merged.stats.files += r.stats.files;
                merged.stats.bytes += r.stats.bytes;
                merged.stats.secret_bytes += r.stats.secret_bytes;
                merged.stats.skipped += r.stats.skipped;
            }
            if parts.is_empty() {
                eprintln!(
                    "warning: no readable ext2/3/4 volume in `{}`",
                    a.path.display()
                );
            }
            merged
        }
        ScanCommand::Image(a) => {
            let fs = vigil_scan::fs::open_image(&a.path, ImageLimits::default()).map_err(|e| {
                UnreadableInput(format!("cannot open image `{}`: {e}", a.path.display()))
            })?;
            let target = format!("image:{}", fs.name());
            scan_one(&fs, &target, &db, secrets.as_ref(), &opts)
        }
    };
    let secs = started.elapsed().as_secs_f64();
    if db.is_empty() {
        eprintln!(
            "warning: the vulnerability database is empty: run `vigil vulndb import PATH` (or `--demo`)"
        );
    }
    if !common.no_store {
        let key = match &common.host {
            Some(id) => format!("{}{id}", crate::relink::HOST_SCAN_PREFIX),
            None => report.target.clone(),
        };
        store
            .put_state(SCANS, &key, &report)
            .context("saving the scan report")?;
        let linked = crate::relink::link_hosts_and_keys(&mut store)
            .context("linking host and key alerts")?;
        if linked > 0 {
            eprintln!("linked {linked} alert(s): a key found here was read on a compromised host");
        }
    }
    render(&report, common.format, secs)?;
    if let Some(floor) = common.fail_on {
        let n = report.count_at_or_above(floor);
        if n > 0 {
            return Err(FindingsFound(n).into());
        }
    }
    Ok(())
}

fn render(r: &ScanReport, format: ScanFormat, secs: f64) -> Result<()> {
    let mut out = std::io::stdout().lock();
    match format {
        ScanFormat::Json => write_json(&mut out, r)?,
        ScanFormat::Cyclonedx => write_json(&mut out, &vigil_scan::output::cyclonedx(r))?,
        ScanFormat::Sarif => write_json(&mut out, &vigil_scan::output::sarif(r))?,
        ScanFormat::Table => {
            let os = r.os.as_ref().map_or("unknown OS".to_string(), |o| {
                format!("{} {}", o.id, o.version_id)
            });
            writeln!(out, "{}  ({})", cell(&r.target, 200), cell(&os, 60))?;
            writeln!(
                out,
                "{} packages ({} active), {} vulnerabilities, {} secrets; {} files, {:.1} MB in {:.2} s ({:.0} MB/s, {:.0} files/s)",
                r.packages.len(),
                r.packages.iter().filter(|p| p.active).count(),
                r.vulnerabilities.len(),
                r.secrets.len(),
                r.stats.files,
                r.stats.bytes as f64 / 1e6,
                secs,
                r.stats.bytes as f64 / 1e6 / secs.max(1e-9),
                r.stats.files as f64 / secs.max(1e-9)
            )?;
            if !r.vulnerabilities.is_empty() {
                writeln!(out, "\nvulnerabilities")?;
                let mut t = Table::new(vec![
                    "SEVERITY", "ID", "PACKAGE", "VERSION", "FIXED", "ACTIVE", "PATH",
                ]);
                for v in &r.vulnerabilities {
                    t.row(vec![
                        v.severity.to_string(),
                        cell(&v.id, 30),
                        cell(&v.package, 40),
                        cell(&v.version, 30),
                        cell(v.fixed_version.as_deref().unwrap_or("-"), 30),
                        if v.active {
                            "yes".into()
                        } else {
                            String::new()
                        },
                        cell(&v.path, 80),
                    ]);
                }
                t.write(&mut out)?;
            }
            if !r.secrets.is_empty() {
                writeln!(out, "\nsecrets")?;
                let mut t = Table::new(vec![
                    "SEVERITY",
                    "KIND",
                    "RULE",
                    "LOCATION",
                    "PREVIEW",
                    "AWS KEY ID",
                    "FINGERPRINT",
                ]);
                for s in &r.secrets {
                    t.row(vec![
                        s.severity.to_string(),
                        cell(&s.kind, 30),
                        cell(&s.rule, 40),
                        cell(&format!("{}:{}", s.path, s.line), 80),
                        cell(&s.preview, 30),
                        cell(s.aws_access_key_id.as_deref().unwrap_or("-"), 24),
                        s.fingerprint.clone(),
                    ]);
                }
                t.write(&mut out)?;
            }
            if !r.problems.is_empty() {
                let mut counts = std::collections::BTreeMap::new();
                for p in &r.problems {
                    *counts.entry(p.kind.as_str()).or_insert(0u64) += 1;
                }
                let summary: Vec<String> = counts.iter().map(|(k, n)| format!("{n} {k}")).collect();
                writeln!(out, "\nskipped: {}", summary.join(", "))?;
                for p in r.problems.iter().take(5) {
                    writeln!(
                        out,
                        "  {} ({}): {}",
                        cell(&p.path, 100),
                        p.kind.as_str(),
                        cell(&p.detail, 120)
                    )?;
                }
            }
        }
    }
    Ok(())
}
