//! Rule test files: `<rule>.tests.jsonl` beside `<rule>.yml`, one case per line:
//!
//! ```json
//! {"name": "stops the trail", "expect": true, "cloudtrail": {"eventName": "StopLogging", ...}}
//! {"name": "benign", "expect": false, "event": {"id": "...", "time": "...", "source": "agent", "host": {...}}}
//! ```
//!
//! `cloudtrail` holds a raw CloudTrail record (the caller turns it into events with its
//! ingest adapter, so this crate stays free of parsing code); `event` holds a Vigil event in
//! the model's own JSON. `expect` says whether the rule must fire.

use crate::{RuleRef, RuleSet, Scratch};
use std::path::{Path, PathBuf};
use vigil_model::Event;

/// What a case feeds the rule.
#[derive(Debug, Clone)]
pub enum TestInput {
    /// A raw CloudTrail record, as JSON text.
    CloudTrail(String),
    Event(Box<Event>),
}

#[derive(Debug, Clone)]
pub struct TestCase {
    pub name: String,
    pub expect: bool,
    /// 1-based line in the test file.
    pub line: usize,
    pub input: TestInput,
}

/// The test file that belongs to a rule file.
pub fn test_path_for(rule_path: &Path) -> PathBuf {
    let stem = rule_path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    rule_path.with_file_name(format!("{stem}.tests.jsonl"))
}

/// Parses a test file; bad lines come back as `(line, reason)` and do not stop the rest.
pub fn parse_tests(text: &str) -> (Vec<TestCase>, Vec<(usize, String)>) {
    let mut cases = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let n = i + 1;
        if line.trim().is_empty() {
            continue;
        }
        let v: serde_json::Value = match serde_json::from_str(line) {
            Ok(v) => v,
            Err(e) => {
                errors.push((n, format!("not JSON: {e}")));
                continue;
            }
        };
        let Some(expect) = v.get("expect").and_then(serde_json::Value::as_bool) else {
            errors.push((n, "`expect` (true/false) is missing".into()));
            continue;
        };
        let name = v
            .get("name")
            .and_then(serde_json::Value::as_str)
            .unwrap_or("unnamed")
            .to_string();
        let input = if let Some(ct) = v.get("cloudtrail") {
            TestInput::CloudTrail(ct.to_string())
        } else if let Some(ev) = v.get("event") {
            match serde_json::from_value::<Event>(ev.clone()) {
                Ok(e) => TestInput::Event(Box::new(e)),
                Err(e) => {
                    errors.push((n, format!("`event` is not a Vigil event: {e}")));
                    continue;
                }
            }
        } else {
            errors.push((n, "a case needs `cloudtrail` or `event`".into()));
            continue;
        };
        cases.push(TestCase {
            name,
            expect,
            line: n,
            input,
        });
    }
    (cases, errors)
}

/// Does `rule` fire on any of `events`?
pub fn fires(set: &RuleSet, rule: RuleRef, events: &[Event]) -> bool {
    let mut hits = Vec::new();
    let mut scratch = Scratch::default();
    events.iter().any(|e| {
        hits.clear();
        set.matches_with(e, &mut scratch, &mut hits);
        hits.contains(&rule)
    })
}

/// One case that did not come out as expected (or could not run).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TestFailure {
    pub test_file: PathBuf,
    pub line: usize,
    pub rule_id: String,
    pub case: String,
    pub reason: String,
}

/// The outcome of running every rule's test file.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TestReport {
    /// Rules that have a test file.
    pub rules_tested: usize,
    /// Rules without one.
    pub rules_untested: Vec<String>,
    pub cases: usize,
    pub passed: usize,
    pub failures: Vec<TestFailure>,
}

/// Runs the test file beside every rule of `set`. `convert` turns a raw CloudTrail record
/// (JSON text) into events: the caller's ingest adapter. Files are read with a size cap.
pub fn run_rule_tests(
    set: &RuleSet,
    convert: &dyn Fn(&str) -> Result<Vec<Event>, String>,
) -> TestReport {
    let mut report = TestReport::default();
    let mut scratch = Scratch::default();
    let mut hits = Vec::new();
    for (i, rule) in set.rules().iter().enumerate() {
        let Ok(idx) = u32::try_from(i) else { break };
        let r = RuleRef(idx);
        let tf = test_path_for(&rule.path);
        let text = match std::fs::metadata(&tf) {
            Ok(m) if m.len() <= 16 * crate::MAX_RULE_BYTES => match std::fs::read(&tf) {
                Ok(b) => String::from_utf8_lossy(&b).into_owned(),
                Err(e) => {
                    report
                        .failures
                        .push(fail(&tf, 0, rule, "", format!("read: {e}")));
                    continue;
                }
            },
            Ok(_) => {
                report
                    .failures
                    .push(fail(&tf, 0, rule, "", "test file too large".into()));
                continue;
            }
            Err(_) => {
                report.rules_untested.push(rule.id.clone());
                continue;
            }
        };
        report.rules_tested += 1;
        let (cases, errors) = parse_tests(&text);
        for (line, reason) in errors {
            report.failures.push(fail(&tf, line, rule, "", reason));
        }
        for case in cases {
            report.cases += 1;
            let events = match &case.input {
                TestInput::CloudTrail(json) => match convert(json) {
                    Ok(ev) => ev,
                    Err(e) => {
                        report
                            .failures
                            .push(fail(&tf, case.line, rule, &case.name, e));
                        continue;
                    }
                },
                TestInput::Event(e) => vec![(**e).clone()],
            };
            let fired = events.iter().any(|e| {
                hits.clear();
                set.matches_with(e, &mut scratch, &mut hits);
                hits.contains(&r)
            });
            if fired == case.expect {
                report.passed += 1;
            } else {
                let reason = if case.expect {
                    "expected the rule to fire; it did not"
                } else {
                    "expected no match; the rule fired"
                };
                report
                    .failures
                    .push(fail(&tf, case.line, rule, &case.name, reason.into()));
            }
        }
    }
    report
}

fn fail(tf: &Path, line: usize, rule: &crate::Rule, case: &str, reason: String) -> TestFailure {
    TestFailure {
        test_file: tf.to_path_buf(),
        line,
        rule_id: rule.id.clone(),
        case: case.to_string(),
        reason,
    }
}
