//! `vigil paths` and `vigil risks`: the security graph of an inventory directory (AWS CLI
//! describe outputs), joined with identity and scan facts and live alerts, as ranked attack
//! paths with the fix that cuts the most, or as the top-risks list. The whole analysis is kept
//! in the store for the console (`vigil serve`), whatever `--limit` shows here.

use crate::cli::{Format, PathsArgs};
use crate::exit::UnreadableInput;
use crate::output::{Table, cell, write_json};
use anyhow::{Context, Result};
use std::io::{Read, Write};
use std::path::Path;
use vigil_graph::{Analysis, AnalysisOptions, Facts, InputFile, LoadReport};

/// Describe outputs larger than this are skipped (the largest real ones are tens of MB).
const MAX_FILE: u64 = 512 << 20;
const MAX_DEPTH: usize = 6;

/// Reads every file under `dir` (recursively, capped in size and depth). Files that cannot be
/// read become problems in the report; a directory that cannot be opened at all is an error.
pub fn read_inventory(dir: &Path, report: &mut LoadReport) -> Result<Vec<InputFile>> {
    let top = std::fs::read_dir(dir).map_err(|e| {
        UnreadableInput(format!(
            "cannot open inventory directory `{}`: {e}",
            dir.display()
        ))
    })?;
    let mut files = Vec::new();
    let mut stack = vec![(top, 0usize)];
    while let Some((entries, depth)) = stack.pop() {
        for entry in entries {
            let path = match entry {
                Ok(e) => e.path(),
                Err(e) => {
                    report
                        .problems
                        .push(problem(dir, &format!("cannot list: {e}")));
                    continue;
                }
            };
            let meta = match std::fs::metadata(&path) {
                Ok(m) => m,
                Err(e) => {
                    report
                        .problems
                        .push(problem(&path, &format!("cannot read: {e}")));
                    continue;
                }
            };
            if meta.is_dir() {
                if depth + 1 >= MAX_DEPTH {
                    report.problems.push(problem(&path, "too deep: skipped"));
                } else {
                    match std::fs::read_dir(&path) {
                        Ok(d) => stack.push((d, depth + 1)),
                        Err(e) => report
                            .problems
                            .push(problem(&path, &format!("cannot open: {e}"))),
                    }
                }
                continue;
            }
            if meta.len() > MAX_FILE {
                report.problems.push(problem(
                    &path,
                    &format!("larger than {} MB: skipped", MAX_FILE >> 20),
                ));
                continue;
            }
            match std::fs::read(&path) {
                Ok(bytes) => files.push(InputFile {
                    path: path.display().to_string(),
                    bytes,
                }),
                Err(e) => report
                    .problems
                    .push(problem(&path, &format!("cannot read: {e}"))),
            }
        }
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

fn problem(path: &Path, reason: &str) -> vigil_graph::inventory::Problem {
    vigil_graph::inventory::Problem {
        path: path.display().to_string(),
        reason: reason.to_string(),
    }
}

fn read_facts(path: &Path) -> Result<Facts> {
    let f = std::fs::File::open(path).map_err(|e| {
        UnreadableInput(format!("cannot open facts file `{}`: {e}", path.display()))
    })?;
    let mut bytes = Vec::new();
    let mut limited = f.take(MAX_FILE);
    loop {
        let mut buf = [0u8; 64 * 1024];
        let n = limited.read(&mut buf)?;
        if n == 0 {
            break;
        }
        bytes.extend_from_slice(&buf[..n]);
    }
    serde_json::from_slice(&bytes).with_context(|| {
        format!(
            "facts file `{}` is not a valid facts document",
            path.display()
        )
    })
}

/// Loads inventory + facts (+ stored alerts) and analyses them.
pub fn analysis(data_dir: &Path, args: &PathsArgs) -> Result<(Analysis, LoadReport)> {
    let mut report = LoadReport::default();
    let files = read_inventory(&args.inventory, &mut report)?;
    let (inv, loaded) = vigil_graph::load(&files);
    report.used = loaded.used;
    report.problems.extend(loaded.problems);
    report.missing = loaded.missing;
    let mut facts = match &args.facts {
        Some(p) => read_facts(p)?,
        None => Facts::default(),
    };
    if args.alerts {
        let store = crate::open_store(data_dir)?;
        let (alerts, _) = store.list_alerts(&vigil_store::AlertFilter::default())?;
        facts.alerts.extend(alerts);
    }
    let opts = AnalysisOptions {
        risks: args.limit.max(1),
        ..AnalysisOptions::default()
    };
    Ok((vigil_graph::analyze(&inv, &facts, &opts), report))
}

/// What was skipped or assumed, on stderr so JSON on stdout stays clean.
fn report_skips(report: &LoadReport) {
    let mut err = std::io::stderr().lock();
    if !report.problems.is_empty() {
        let _ = writeln!(err, "skipped {} input problem(s):", report.problems.len());
        for p in report.problems.iter().take(5) {
            let _ = writeln!(err, "  {}: {}", cell(&p.path, 120), cell(&p.reason, 200));
        }
    }
    for m in &report.missing {
        let _ = writeln!(err, "assumed: {m}");
    }
}

pub fn run_paths(data_dir: &Path, args: &PathsArgs) -> Result<()> {
    let (a, report) = analysis(data_dir, args)?;
    report_skips(&report);
    crate::posture::save_in(data_dir, |s| {
        crate::posture::save_paths(s, &a, "vigil paths")
    })?;
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => {
            let doc = serde_json::json!({
                "graph": a.graph,
                "paths": a.paths.iter().take(args.limit).collect::<Vec<_>>(),
                "paths_total": a.paths.len(),
                "fix_first": a.fix_first,
                "notes": a.notes,
                "input": report,
            });
            write_json(&mut out, &doc)?;
        }
        Format::Table => render_paths(&a, args.limit, &mut out)?,
    }
    Ok(())
}

pub fn run_risks(data_dir: &Path, args: &PathsArgs) -> Result<()> {
    let (a, report) = analysis(data_dir, args)?;
    report_skips(&report);
    crate::posture::save_in(data_dir, |s| {
        crate::posture::save_paths(s, &a, "vigil risks")
    })?;
    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => write_json(
            &mut out,
            &serde_json::json!({"risks": a.risks, "fix_first": a.fix_first}),
        )?,
        Format::Table => render_risks(&a, &mut out)?,
    }
    Ok(())
}

fn node_text(n: &vigil_graph::paths::PathNode) -> String {
    if n.label == n.id {
        format!("{}:{}", n.kind.as_str(), n.id)
    } else {
        format!("{}:{} ({})", n.kind.as_str(), n.id, n.label)
    }
}

/// The ranked paths, each with its nodes, factors and fix; then fix first.
pub fn render_paths(a: &Analysis, limit: usize, out: &mut impl Write) -> std::io::Result<()> {
    if a.paths.is_empty() {
        writeln!(
            out,
            "no attack paths found ({} nodes, {} edges)",
            a.graph.nodes, a.graph.edges
        )?;
        return Ok(());
    }
    writeln!(
        out,
        "{} attack paths ({} nodes, {} edges); best first",
        a.paths.len(),
        a.graph.nodes,
        a.graph.edges
    )?;
    for p in a.paths.iter().take(limit) {
        writeln!(out)?;
        let live = if p.walked { "  BEING WALKED" } else { "" };
        writeln!(out, "#{} score {:.1}{live}  {}", p.rank, p.score, p.id)?;
        for (i, n) in p.nodes.iter().enumerate() {
            writeln!(
                out,
                "  {} {}",
                if i == 0 { " " } else { "→" },
                cell(&node_text(n), 160)
            )?;
            if let Some(e) = p.edges.iter().find(|e| e.to == i + 1) {
                writeln!(out, "      {}", cell(&e.meaning, 160))?;
            }
        }
        for f in &p.factors {
            writeln!(
                out,
                "  {:<7} {:.3}  {}",
                f.name,
                f.value,
                cell(&f.explanation, 160)
            )?;
        }
        if let Some(fix) = &p.fix {
            writeln!(out, "  fix     {}", cell(&fix.description, 160))?;
        }
    }
    if a.paths.len() > limit {
        writeln!(
            out,
            "\n({} of {} paths shown; use --limit)",
            limit,
            a.paths.len()
        )?;
    }
    if !a.fix_first.is_empty() {
        writeln!(out, "\nfix first")?;
        let mut t = Table::new(vec!["#", "BREAKS", "WEAKENS", "WEIGHT", "SHARE", "CHANGE"]);
        for (i, f) in a.fix_first.iter().enumerate() {
            t.row(vec![
                (i + 1).to_string(),
                f.breaks.to_string(),
                f.weakens.to_string(),
                format!("{:.1}", f.weight_removed),
                format!("{:.0}%", f.share * 100.0),
                cell(&f.description, 140),
            ]);
        }
        t.write(out)?;
    }
    Ok(())
}

pub fn render_risks(a: &Analysis, out: &mut impl Write) -> std::io::Result<()> {
    if a.risks.is_empty() {
        return writeln!(out, "no risks found");
    }
    let mut t = Table::new(vec!["RANK", "SCORE", "CATEGORY", "SUBJECT", "TITLE"]);
    for r in &a.risks {
        let cat = serde_json::to_value(r.category)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default();
        t.row(vec![
            r.rank.to_string(),
            format!("{:.1}", r.score),
            cat,
            cell(&r.subject, 70),
            cell(&r.title, 110),
        ]);
    }
    t.write(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::FormatArg;
    use std::path::PathBuf;

    fn args() -> PathsArgs {
        let fixtures =
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../vigil-graph/tests/fixtures");
        PathsArgs {
            inventory: fixtures.join("cloudmapper-demo"),
            facts: Some(fixtures.join("cloudmapper-facts.json")),
            limit: 10,
            alerts: false,
            format: FormatArg {
                format: Format::Table,
            },
        }
    }

    #[test]
    fn paths_table() {
        let (a, report) = analysis(Path::new("/nonexistent"), &args()).unwrap();
        assert!(report.missing.iter().any(|m| m.starts_with("route tables")));
        let mut out = Vec::new();
        render_paths(&a, 10, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn risks_table() {
        let (a, _) = analysis(Path::new("/nonexistent"), &args()).unwrap();
        let mut out = Vec::new();
        render_risks(&a, &mut out).unwrap();
        insta::assert_snapshot!(String::from_utf8(out).unwrap());
    }

    #[test]
    fn a_missing_directory_is_unreadable_input() {
        let mut a = args();
        a.inventory = PathBuf::from("/nonexistent/inventory");
        let err = analysis(Path::new("/nonexistent"), &a).unwrap_err();
        assert_eq!(crate::exit::code_for(&err).0, 2);
    }
}
