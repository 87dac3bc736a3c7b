//! `vigil iam`: identity security over an account's IAM inventory.
//!
//! - `analyze`: risk per identity (score, categories, escalation path, remediations); with
//!   CloudTrail in the store, used vs granted and least-privilege policies replayed against the
//!   window.
//! - `explain PRINCIPAL ACTION RESOURCE`: the decision and the statements that made it.
//! - `who-can ACTION RESOURCE`: who can, directly or by escalation.
//!
//! Inputs are the `aws iam get-account-authorization-details` JSON and optionally the
//! credential report CSV, SCPs and resource policies; without `--authz`, the demo's inventory in
//! the data directory is used. The engine (`vigil-iam`) is pure; this module reads the files and
//! the store.

use crate::cli::{Format, FormatArg};
use crate::exit::{UnreadableInput, UsageError};
use crate::output::{Table, cell, write_json};
use crate::timearg::parse_time_arg;
use anyhow::{Context, Result};
use clap::{Args, Subcommand};
use std::io::Write;
use std::ops::ControlFlow;
use std::path::{Path, PathBuf};
use vigil_iam::analysis::{Analysis, ExposedKey, Options, context_pairs};
use vigil_iam::authz::Account;
use vigil_iam::credential_report::{self, CredentialReport};
use vigil_iam::exclusion::CallExclusions;
use vigil_iam::usage::{ApiCall, DEFAULT_WINDOW_DAYS};
use vigil_model::Timestamp;

/// Inventory files above this size are refused (a real account's details are a few MB).
const MAX_INPUT_BYTES: u64 = 512 * 1024 * 1024;

#[derive(Debug, Subcommand)]
pub enum IamCommand {
    /// Risk per identity: score, categories, path to admin, remediations.
    Analyze(AnalyzeArgs),
    /// Decide one request and show the statements that decided it.
    Explain(ExplainArgs),
    /// Who can perform an action on a resource, directly or through escalation.
    WhoCan(WhoCanArgs),
}

#[derive(Debug, Args)]
pub struct InputArgs {
    /// `aws iam get-account-authorization-details` output (JSON; policy documents decoded or
    /// URL-encoded). Default: DATA_DIR/demo-input/inventory/iam-authorization-details.json.
    #[arg(long, value_name = "FILE")]
    pub authz: Option<PathBuf>,
    /// The IAM credential report (CSV). Default: the demo's, when `--authz` is not given.
    #[arg(long, value_name = "FILE")]
    pub credential_report: Option<PathBuf>,
    /// A service control policy document in force for the account; repeatable.
    #[arg(long, value_name = "FILE")]
    pub scp: Vec<PathBuf>,
    /// A resource-based policy: `ARN=FILE`; repeatable.
    #[arg(long, value_name = "ARN=FILE")]
    pub resource_policy: Vec<String>,
    /// An access key found hard-coded by a scan: `KEYID` or `KEYID=WHERE`; repeatable.
    #[arg(long, value_name = "KEYID[=WHERE]")]
    pub exposed_key: Vec<String>,
    /// "Now" for key ages and the usage window (default: the newest time in the data).
    #[arg(long)]
    pub now: Option<String>,
    /// Days of CloudTrail that count as "used".
    #[arg(long, default_value_t = DEFAULT_WINDOW_DAYS)]
    pub window_days: i64,
    /// Do not read CloudTrail from the store (no used-vs-granted).
    #[arg(long)]
    pub no_cloudtrail: bool,
    /// Count calls tied to open alerts as the identity's own use. By default they are left out
    /// of used-vs-granted and of the least-privilege policies (they are an attacker's).
    #[arg(long)]
    pub keep_alerted_calls: bool,
}

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    #[command(flatten)]
    pub input: InputArgs,
    /// Only these identities (name or ARN); repeatable.
    #[arg(long)]
    pub identity: Vec<String>,
    /// Table rows to show (JSON always has every identity).
    #[arg(long, default_value_t = 25)]
    pub limit: usize,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// A user or role: name, `user/NAME`, `role/NAME` or ARN.
    pub principal: String,
    /// `service:Action`.
    pub action: String,
    /// A resource ARN, or `*` for "some resource".
    pub resource: String,
    /// A request key: `aws:SourceIp=203.0.113.9`; repeatable.
    #[arg(long = "context", value_name = "KEY=VALUE")]
    pub context: Vec<String>,
    /// Treat keys not given as absent from the request (default: unknown, giving "allowed if …").
    #[arg(long)]
    pub complete_context: bool,
    /// Decide for a session created with this session policy (AssumeRole's `Policy`); repeatable.
    #[arg(long, value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    /// `service:Action`.
    pub action: String,
    /// A resource ARN, or `*`.
    pub resource: String,
    /// Every principal acts in a session created with this session policy; repeatable.
    #[arg(long, value_name = "FILE")]
    pub session_policy: Vec<PathBuf>,
    #[command(flatten)]
    pub input: InputArgs,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(data_dir: &Path, cmd: &IamCommand) -> Result<()> {
    match cmd {
        IamCommand::Analyze(a) => analyze(data_dir, a),
        IamCommand::Explain(a) => explain(data_dir, a),
        IamCommand::WhoCan(a) => who_can(data_dir, a),
    }
}

fn read_input(path: &Path) -> Result<Vec<u8>> {
    let meta = std::fs::metadata(path)
        .map_err(|e| UnreadableInput(format!("cannot open `{}`: {e}", path.display())))?;
    if meta.len() > MAX_INPUT_BYTES {
        return Err(UnreadableInput(format!(
            "`{}` is larger than {MAX_INPUT_BYTES} bytes",
            path.display()
        ))
        .into());
    }
    Ok(std::fs::read(path)
        .map_err(|e| UnreadableInput(format!("cannot read `{}`: {e}", path.display())))?)
}

fn read_json(path: &Path) -> Result<serde_json::Value> {
    serde_json::from_slice(&read_input(path)?)
        .map_err(|e| UnreadableInput(format!("`{}` is not JSON: {e}", path.display())).into())
}

struct Loaded {
    account: Account,
    credentials: Option<CredentialReport>,
    calls: Vec<ApiCall>,
    /// Calls open alerts tie to an attacker.
    exclusions: CallExclusions,
    options: Options,
}

fn load(data_dir: &Path, input: &InputArgs, want_calls: bool) -> Result<Loaded> {
    let demo_inv = data_dir.join("demo-input").join("inventory");
    let (authz, default_creds) = match &input.authz {
        Some(p) => (p.clone(), None),
        None => {
            let p = demo_inv.join("iam-authorization-details.json");
            if !p.exists() {
                return Err(UsageError(
                    "give --authz FILE (the output of `aws iam get-account-authorization-details`), or run `vigil demo` first".to_string(),
                )
                .into());
            }
            (p, Some(demo_inv.join("credential-report.csv")))
        }
    };
    let mut account = Account::from_authorization_details(&read_input(&authz)?)
        .map_err(|e| UnreadableInput(format!("`{}`: {e}", authz.display())))?;
    for scp in &input.scp {
        let doc = read_json(scp)?;
        account.add_scp(&format!("scp:{}", scp.display()), &doc);
    }
    for rp in &input.resource_policy {
        let (arn, file) = rp
            .split_once('=')
            .ok_or_else(|| UsageError(format!("--resource-policy `{rp}` is not ARN=FILE")))?;
        let doc = read_json(Path::new(file))?;
        account.add_resource_policy(arn, &doc);
    }
    let creds_path = input.credential_report.clone().or(default_creds);
    let credentials = match creds_path {
        Some(p) if p.exists() || input.credential_report.is_some() => Some(
            credential_report::parse(&read_input(&p)?)
                .map_err(|e| UnreadableInput(format!("`{}`: {e}", p.display())))?,
        ),
        _ => None,
    };
    let now = input
        .now
        .as_deref()
        .map(parse_time_arg)
        .transpose()
        .map_err(UsageError)?;
    let exposed_keys = input
        .exposed_key
        .iter()
        .map(|k| {
            let (id, at) = k.split_once('=').unwrap_or((k.as_str(), "a scan finding"));
            ExposedKey {
                key_id: id.to_string(),
                location: at.to_string(),
                principal_arn: None,
            }
        })
        .collect();
    let from_store =
        want_calls && !input.no_cloudtrail && data_dir.join(vigil_store::DB_FILE).exists();
    let calls = if from_store {
        read_calls(data_dir, now, input.window_days)?
    } else {
        Vec::new()
    };
    let exclusions = if from_store && !input.keep_alerted_calls && !calls.is_empty() {
        open_alert_exclusions(data_dir)?
    } else {
        CallExclusions::default()
    };
    Ok(Loaded {
        account,
        credentials,
        calls,
        exclusions,
        options: Options {
            now,
            window_days: input.window_days,
            exposed_keys,
        },
    })
}

/// CloudTrail calls of the window from the store, ending at `now` or the newest event.
fn read_calls(data_dir: &Path, now: Option<Timestamp>, window_days: i64) -> Result<Vec<ApiCall>> {
    let store = crate::open_store(data_dir)?;
    let end = match now {
        Some(n) => n,
        None => match store.stats()?.event_time_range {
            Some((_, last)) => last,
            None => return Ok(Vec::new()),
        },
    };
    let since = end.plus_millis(-window_days.saturating_mul(86_400_000));
    let mut calls = Vec::new();
    store
        .for_each_event_in_time_order(Some(since), &mut |stored| {
            let e = &stored.event;
            if let Some(c) = e.cloud()
                && let Some(call) = ApiCall::from_cloud_event(&e.id, e.time, c)
            {
                calls.push(call);
            }
            ControlFlow::Continue(())
        })
        .context("reading CloudTrail from the store")?;
    Ok(calls)
}

/// Session policy documents, compiled; their defects are reported and the rest is used.
fn session_policies(files: &[PathBuf]) -> Result<Vec<vigil_iam::policy::Policy>> {
    let mut out = Vec::new();
    for f in files {
        let doc = read_json(f)?;
        let name = format!("session:{}", f.display());
        let (policy, problems) =
            vigil_iam::document::compile(&name, vigil_iam::policy::PolicyKind::Session, &doc);
        for p in problems {
            eprintln!("{name}: {p}");
        }
        out.push(policy);
    }
    Ok(out)
}

/// What the open alerts in the store (new or being investigated) tie to an attacker.
fn open_alert_exclusions(data_dir: &Path) -> Result<CallExclusions> {
    let store = crate::open_store(data_dir)?;
    let (alerts, _) = store
        .list_alerts(&vigil_store::AlertFilter {
            statuses: vec![
                vigil_model::AlertStatus::New,
                vigil_model::AlertStatus::Investigating,
            ],
            ..vigil_store::AlertFilter::default()
        })
        .context("reading open alerts from the store")?;
    Ok(CallExclusions::from_open_alerts(&alerts))
}

fn print_problems(l: &Loaded) {
    let n = l.account.problems.len();
    if n == 0 {
        return;
    }
    eprintln!("{n} problem(s) in the inventory (reported, not fatal); first ones:");
    for p in l.account.problems.iter().take(5) {
        eprintln!(
            "  {}{}: {}",
            p.principal
                .as_deref()
                .map(|s| format!("{s} "))
                .unwrap_or_default(),
            p.policy,
            p.message
        );
    }
}

fn analyze(data_dir: &Path, args: &AnalyzeArgs) -> Result<()> {
    let loaded = load(data_dir, &args.input, true)?;
    print_problems(&loaded);
    let a = Analysis::run_excluding(
        &loaded.account,
        loaded.credentials.as_ref(),
        &loaded.calls,
        &loaded.options,
        &loaded.exclusions,
    );
    // The whole analysis (not the --identity selection) is what the console shows.
    crate::posture::save_in(data_dir, |s| {
        crate::posture::save_iam(s, &a.report, "vigil iam analyze")
    })?;
    let mut report = a.report.clone();
    if !args.identity.is_empty() {
        // Also drops the linked-identity lists no selected identity names.
        report.retain_identities(|i| {
            args.identity
                .iter()
                .any(|k| *k == i.name || *k == i.arn || format!("{}/{}", i.kind, i.name) == *k)
        });
    }
    // Buffered: stdout alone is line-buffered, a syscall per line of pretty JSON.
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format.format {
        Format::Json => write_json(&mut out, &report)?,
        Format::Table => {
            let s = &report.summary;
            writeln!(
                out,
                "account {}: {} identities, {} admin, {} can escalate to admin, {} escalation edges; now {} (window {} days, {} CloudTrail calls{})",
                report.account,
                s.identities,
                s.admins,
                s.can_escalate_to_admin,
                s.escalation_edges,
                report.now.to_rfc3339(),
                report.window.days,
                report.window.calls,
                if report.window.excluded_calls > 0 {
                    format!(
                        ", {} tied to open alerts left out of usage",
                        report.window.excluded_calls
                    )
                } else {
                    String::new()
                }
            )?;
            let mut t = Table::new(vec![
                "SCORE",
                "TYPE",
                "NAME",
                "TOP RISKS",
                "PATH TO ADMIN",
                "UNUSED",
                "FIRST REMEDIATION",
            ]);
            for i in report.identities.iter().take(args.limit) {
                let risks: Vec<String> = i
                    .risks
                    .iter()
                    .take(3)
                    .map(|r| format!("{:?}", r.category))
                    .collect();
                let path = match &i.escalation {
                    None => "-".to_string(),
                    Some(p) if p.steps.is_empty() => "is admin".to_string(),
                    Some(p) => format!(
                        "{}{}",
                        p.steps
                            .iter()
                            .map(|s| s.method.as_str())
                            .collect::<Vec<_>>()
                            .join("→"),
                        if p.conditional { " (if)" } else { "" }
                    ),
                };
                let unused = i
                    .permissions
                    .unused_share
                    .map_or("-".to_string(), |s| format!("{:.0}%", s * 100.0));
                let rem = i.remediations.first().map_or("-".to_string(), |r| {
                    format!("{} (-{})", r.title, r.risk_reduction)
                });
                t.row(vec![
                    i.risk_score.to_string(),
                    i.kind.clone(),
                    cell(&i.name, 40),
                    cell(&risks.join(", "), 60),
                    cell(&path, 40),
                    unused,
                    cell(&rem, 80),
                ]);
            }
            t.write(&mut out)?;
            for i in report
                .identities
                .iter()
                .take(args.limit)
                .filter(|i| i.risk_score >= 50)
            {
                writeln!(
                    out,
                    "\n{} ({}) — risk {}",
                    cell(&i.name, 80),
                    i.kind,
                    i.risk_score
                )?;
                for r in &i.risks {
                    writeln!(
                        out,
                        "  [{}] {:?}: {}",
                        r.severity,
                        r.category,
                        cell(&r.detail, 160)
                    )?;
                }
                for r in &i.remediations {
                    writeln!(
                        out,
                        "  fix (-{}): {}",
                        r.risk_reduction,
                        cell(&r.title, 160)
                    )?;
                    if let Some(rep) = &r.replay {
                        writeln!(
                            out,
                            "    replayed {} calls: {} predicted denials",
                            rep.calls,
                            rep.predicted_denials.len()
                        )?;
                        if rep.excluded_calls > 0 {
                            writeln!(
                                out,
                                "    left out {} calls tied to open alerts: the policy denies {}",
                                rep.excluded_calls, rep.excluded_calls_denied
                            )?;
                        }
                    }
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn explain(data_dir: &Path, args: &ExplainArgs) -> Result<()> {
    let loaded = load(data_dir, &args.input, false)?;
    print_problems(&loaded);
    let a = Analysis::run(
        &loaded.account,
        loaded.credentials.as_ref(),
        &[],
        &loaded.options,
    );
    let p = a.principal(&args.principal).ok_or_else(|| {
        UsageError(format!(
            "no user or role `{}` in the inventory",
            args.principal
        ))
    })?;
    let extra = context_pairs(&args.context).map_err(UsageError)?;
    let session = session_policies(&args.session_policy)?;
    let d = a.explain_in_session(
        p,
        &args.action,
        &args.resource,
        &extra,
        args.complete_context,
        &session,
    );
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format.format {
        Format::Json => write_json(&mut out, &d)?,
        Format::Table => {
            writeln!(out, "{:?}: {}", d.outcome, d.reason)?;
            for c in &d.conditions {
                writeln!(out, "  if {}", cell(c, 200))?;
            }
            for s in &d.statements {
                let via = if s.via.is_empty() {
                    String::new()
                } else {
                    format!(" via {}", s.via)
                };
                writeln!(
                    out,
                    "  {:?} statement {} of {} ({:?}{via}): {}",
                    s.effect,
                    cell(&s.sid, 60),
                    cell(&s.policy, 80),
                    s.kind,
                    cell(&s.statement, 300)
                )?;
                for u in &s.unknown_conditions {
                    writeln!(out, "    undecided: {}", cell(u, 200))?;
                }
            }
        }
    }
    out.flush()?;
    Ok(())
}

fn who_can(data_dir: &Path, args: &WhoCanArgs) -> Result<()> {
    let loaded = load(data_dir, &args.input, false)?;
    print_problems(&loaded);
    let a = Analysis::run(
        &loaded.account,
        loaded.credentials.as_ref(),
        &[],
        &loaded.options,
    );
    let session = session_policies(&args.session_policy)?;
    let rows = a.who_can_in_session(&args.action, &args.resource, &session);
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match args.format.format {
        Format::Json => write_json(&mut out, &rows)?,
        Format::Table => {
            let mut t = Table::new(vec!["PRINCIPAL", "DECISION", "HOW", "IF"]);
            for r in &rows {
                t.row(vec![
                    cell(&r.arn, 80),
                    format!("{:?}", r.outcome),
                    cell(&r.how, 80),
                    cell(&r.conditions.join("; "), 120),
                ]);
            }
            if t.is_empty() {
                writeln!(out, "nobody")?;
            } else {
                t.write(&mut out)?;
            }
        }
    }
    out.flush()?;
    Ok(())
}
