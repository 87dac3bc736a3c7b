//! `vigil rules lint` and `vigil rules test`: load Sigma rule files and report every problem
//! with its path; run the test file beside each rule.

use crate::cli::{Format, FormatArg};
use crate::output::{Table, cell, write_json};
use anyhow::Result;
use clap::{Args, Subcommand};
use serde_json::json;
use std::io::Write;
use std::path::PathBuf;
use vigil_ingest::{FileContext, Limits, parse_cloudtrail_bytes};
use vigil_model::Event;
use vigil_sigma::testcase::run_rule_tests;
use vigil_sigma::{ProblemLevel, RuleSet};

#[derive(Debug, Subcommand)]
pub enum RulesCommand {
    /// Load rules and report every problem (file, rule, reason); exit 1 when a rule fails to load.
    Lint(RulesArgs),
    /// Run the test file beside each rule (`<rule>.tests.jsonl`); exit 1 on any failure.
    Test(RulesArgs),
    /// Run the whole detection (rules, baselines, correlation) over files with no store, and
    /// say what it found and how fast (events/s per core).
    Hunt(crate::cmd::hunt::HuntArgs),
}

#[derive(Debug, Args)]
pub struct RulesArgs {
    /// Rule files and directories (searched for *.yml / *.yaml).
    #[arg(default_value = "rules")]
    pub paths: Vec<PathBuf>,
    #[command(flatten)]
    pub format: FormatArg,
}

pub fn run(cmd: &RulesCommand) -> Result<()> {
    match cmd {
        RulesCommand::Lint(a) => lint(a),
        RulesCommand::Test(a) => test(a),
        RulesCommand::Hunt(a) => crate::cmd::hunt::run(a),
    }
}

fn lint(args: &RulesArgs) -> Result<()> {
    let (set, problems) = RuleSet::load_paths(&args.paths);
    let errors = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .count();
    let warnings = problems.len() - errors;
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => {
            let list: Vec<_> = problems
                .iter()
                .map(|p| {
                    json!({"path": p.path.display().to_string(), "rule_id": p.rule_id,
                           "level": p.level.as_str(), "message": p.message})
                })
                .collect();
            let index: Vec<_> = set
                .index_stats()
                .into_iter()
                .map(|st| {
                    json!({"target": st.target.as_str(), "rules": st.rules, "index_keys": st.keys,
                           "prefiltered_rules": st.prefiltered, "unindexed_rules": st.always})
                })
                .collect();
            write_json(
                &mut out,
                &json!({"rules_loaded": set.len(), "errors": errors, "warnings": warnings,
                        "problems": list, "index": index}),
            )?;
        }
        Format::Table => {
            let mut t = Table::new(vec!["LEVEL", "PATH", "RULE", "PROBLEM"]);
            for p in &problems {
                t.row(vec![
                    p.level.as_str().to_string(),
                    cell(&p.path.display().to_string(), 80),
                    cell(p.rule_id.as_deref().unwrap_or("-"), 40),
                    cell(&p.message, 160),
                ]);
            }
            if !t.is_empty() {
                t.write(&mut out)?;
            }
            writeln!(
                out,
                "{} rules loaded; {errors} errors, {warnings} warnings",
                set.len()
            )?;
            for st in set.index_stats() {
                writeln!(
                    out,
                    "  {}: {} rules, {} index keys, {} behind a literal prefilter, {} run on every event",
                    st.target.as_str(),
                    st.rules,
                    st.keys,
                    st.prefiltered,
                    st.always
                )?;
            }
        }
    }
    if errors > 0 {
        anyhow::bail!("{errors} problem(s) kept rules from loading");
    }
    Ok(())
}

/// Raw CloudTrail JSON → events, through the same adapter as `vigil ingest`.
fn cloudtrail_events(json: &str) -> Result<Vec<Event>, String> {
    let (events, skips) =
        parse_cloudtrail_bytes(json.as_bytes(), &FileContext::new(&Limits::default()));
    if events.is_empty() {
        let why = skips
            .first()
            .map(|s| format!("{:?}", s.reason))
            .unwrap_or_else(|| "no record".into());
        return Err(format!("the CloudTrail record does not ingest: {why}"));
    }
    Ok(events)
}

fn test(args: &RulesArgs) -> Result<()> {
    let (set, problems) = RuleSet::load_paths(&args.paths);
    let load_errors: Vec<_> = problems
        .iter()
        .filter(|p| p.level == ProblemLevel::Error)
        .collect();
    let report = run_rule_tests(&set, &cloudtrail_events);
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => {
            let failures: Vec<_> = report
                .failures
                .iter()
                .map(|f| {
                    json!({"test_file": f.test_file.display().to_string(), "line": f.line,
                           "rule_id": f.rule_id, "case": f.case, "reason": f.reason})
                })
                .collect();
            write_json(
                &mut out,
                &json!({"rules_loaded": set.len(), "load_errors": load_errors.len(),
                        "rules_tested": report.rules_tested, "rules_untested": report.rules_untested,
                        "cases": report.cases, "passed": report.passed, "failures": failures}),
            )?;
        }
        Format::Table => {
            for p in &load_errors {
                writeln!(out, "{p}")?;
            }
            let mut t = Table::new(vec!["TEST FILE", "LINE", "CASE", "REASON"]);
            for f in &report.failures {
                t.row(vec![
                    cell(&f.test_file.display().to_string(), 80),
                    f.line.to_string(),
                    cell(&f.case, 60),
                    cell(&f.reason, 120),
                ]);
            }
            if !t.is_empty() {
                t.write(&mut out)?;
            }
            for id in &report.rules_untested {
                writeln!(out, "no test file: {id}")?;
            }
            writeln!(
                out,
                "{} rules, {} with tests; {}/{} cases passed",
                set.len(),
                report.rules_tested,
                report.passed,
                report.cases
            )?;
        }
    }
    let bad = report.failures.len() + load_errors.len();
    if bad > 0 {
        anyhow::bail!("{bad} rule test failure(s) or load error(s)");
    }
    Ok(())
}
