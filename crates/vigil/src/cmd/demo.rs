//! `vigil demo`: write the Interlace Labs story as real files, run them through the real
//! pipeline, and show what the store now knows about the attack.

use crate::cli::{DemoArgs, Format};
use crate::cmd::ingest::{SummaryJson, write_human};
use crate::detection::{self, DetectFeed};
use crate::exit::UsageError;
use crate::output::{cell, write_json};
use crate::pipeline::{self, IngestOptions, InputKind};
use crate::posture::{self, Posture};
use crate::progress::Bar;
use anyhow::{Context, Result};
use serde_json::json;
use std::collections::BTreeSet;
use std::io::Write;
use std::path::Path;
use vigil_demo::{DemoConfig, DemoManifest};
use vigil_model::{EntityKind, EntityRef};
use vigil_scan::VulnFinding;
use vigil_store::{EventQuery, Store};

pub fn run(data_dir: &Path, args: &DemoArgs) -> Result<()> {
    let out_dir = args
        .out
        .clone()
        .unwrap_or_else(|| data_dir.join("demo-input"));
    prepare_out_dir(&out_dir)?;
    let config = DemoConfig {
        seed: args.seed,
        scale: args.scale,
        ..DemoConfig::default()
    };
    let manifest = vigil_demo::generate(&out_dir, &config)
        .with_context(|| format!("writing the demo story to `{}`", out_dir.display()))?;

    let mut store = crate::open_store(data_dir)?;
    let mut cloud_feed = DetectFeed::load(&store, data_dir)?;
    let cloud = pipeline::ingest(
        &mut store,
        &[out_dir.join("cloudtrail")],
        &IngestOptions::new(InputKind::Cloudtrail),
        &Bar::new("cloudtrail"),
        &mut cloud_feed,
    )?;
    let cloud = SummaryJson::new(InputKind::Cloudtrail, &cloud, cloud_feed.timeline());
    let cloud_detect = cloud_feed.finish(&mut store)?;
    let mut host_feed = DetectFeed::load(&store, data_dir)?;
    let host = pipeline::ingest(
        &mut store,
        &[out_dir.join("agent")],
        &IngestOptions::new(InputKind::Host),
        &Bar::new("host"),
        &mut host_feed,
    )?;
    let host = SummaryJson::new(InputKind::Host, &host, host_feed.timeline());
    let host_detect = host_feed.finish(&mut store)?;
    let story = investigate(&store, &manifest)?;

    // The posture half: scan the compromised host's filesystem, analyse the identities, and
    // join both with the network into attack paths (alerts in the store are live evidence).
    let advisories = vigil_scan::vulndb::demo_advisories();
    store.put_state("vulndb", "vigil-demo", &advisories)?;
    let posture = posture::assess(
        &mut store,
        &out_dir.join("inventory"),
        &posture::HostRoot {
            instance_id: &manifest.compromised_instance_id,
            root: &out_dir.join("rootfs"),
        },
        advisories,
    )?;
    let posture_json = posture_summary(&posture, &manifest);

    let mut out = std::io::stdout().lock();
    match args.format.format {
        Format::Json => write_json(
            &mut out,
            &json!({
                "input": out_dir.display().to_string(),
                "cloudtrail": cloud,
                "host": host,
                "detection": cloud_detect,
                "host_detection": host_detect,
                "story": story,
                "posture": posture_json,
            }),
        )?,
        Format::Table => {
            writeln!(
                out,
                "Interlace Labs demo (seed {}, scale {}) written to {}",
                args.seed,
                args.scale,
                out_dir.display()
            )?;
            writeln!(out)?;
            write_human(&mut out, &cloud)?;
            write_human(&mut out, &host)?;
            writeln!(out)?;
            detection::write_human(&mut out, &cloud_detect)?;
            writeln!(out)?;
            detection::write_human(&mut out, &host_detect)?;
            writeln!(out)?;
            write_story(&mut out, &story)?;
            writeln!(out)?;
            write_posture(&mut out, &posture, &manifest)?;
        }
    }
    out.flush()?;
    drop(out);
    let interactive = std::io::IsTerminal::is_terminal(&std::io::stdout());
    if !args.no_serve && interactive && matches!(args.format.format, Format::Table) {
        println!();
        crate::cmd::serve::run_demo(data_dir, args.listen)?;
    }
    Ok(())
}

/// The demo writes into an empty directory. A directory holding an earlier demo (it has the
/// demo's `manifest.json`) is cleared; anything else is left alone and refused.
fn prepare_out_dir(dir: &Path) -> Result<()> {
    if !dir.exists() {
        return Ok(());
    }
    let empty = std::fs::read_dir(dir)
        .map(|mut d| d.next().is_none())
        .unwrap_or(false);
    if empty {
        return Ok(());
    }
    if dir.join("manifest.json").is_file() {
        std::fs::remove_dir_all(dir)
            .with_context(|| format!("clearing the earlier demo in `{}`", dir.display()))?;
        return Ok(());
    }
    Err(UsageError(format!(
        "`{}` is not empty and does not hold an earlier demo; choose another --out",
        dir.display()
    ))
    .into())
}

/// What the store can already tell about the attack, found the way an analyst would: by
/// asking for every event of the stolen key and of the role session.
fn investigate(store: &Store, m: &DemoManifest) -> Result<serde_json::Value> {
    let key = EntityRef::new(EntityKind::AccessKey, &m.contractor_access_key_id);
    let key_events = store.query_events(&EventQuery {
        entity: Some(key),
        ..EventQuery::default()
    })?;
    let from_attacker: Vec<_> = key_events
        .iter()
        .filter_map(|s| s.event.cloud())
        .filter(|c| c.source_ip.as_deref() == Some(m.attacker_ip.as_str()))
        .collect();
    let regions: BTreeSet<&str> = from_attacker.iter().map(|c| c.region.as_str()).collect();
    let denied = from_attacker
        .iter()
        .filter(|c| c.error_code.is_some())
        .count();
    let session = EntityRef::new(EntityKind::AccessKey, &m.session_access_key_id);
    let session_events = store.query_events(&EventQuery {
        entity: Some(session),
        ..EventQuery::default()
    })?;
    let session_actions: BTreeSet<String> =
        session_events.iter().map(|s| s.event.action()).collect();
    let host = EntityRef::new(EntityKind::Host, &m.compromised_instance_id);
    let host_attack = store.query_events(&EventQuery {
        entity: Some(host),
        since: Some(m.attack.host_exploit),
        ..EventQuery::default()
    })?;
    Ok(json!({
        "contractor_access_key_id": m.contractor_access_key_id,
        "attacker_ip": m.attacker_ip,
        "privileged_role_arn": m.privileged_role_arn,
        "session_access_key_id": m.session_access_key_id,
        "rds_cluster_arn": m.rds_cluster_arn,
        "compromised_instance_id": m.compromised_instance_id,
        "key_events_total": key_events.len(),
        "key_events_from_attacker_ip": from_attacker.len(),
        "attacker_regions": regions.len(),
        "attacker_errors": denied,
        "session_events": session_events.len(),
        "session_actions": session_actions,
        "host_events_since_exploit": host_attack.len(),
        "attack_started": m.attack.host_exploit.to_string(),
    }))
}

fn write_story(out: &mut impl Write, s: &serde_json::Value) -> std::io::Result<()> {
    let g = |k: &str| s[k].to_string().trim_matches('"').to_string();
    writeln!(out, "The story in the store:")?;
    writeln!(
        out,
        "  host {}: {} events since the exploit at {}",
        g("compromised_instance_id"),
        g("host_events_since_exploit"),
        g("attack_started")
    )?;
    writeln!(
        out,
        "  key {}: {} events, {} from the attacker's IP {} across {} regions ({} errors)",
        g("contractor_access_key_id"),
        g("key_events_total"),
        g("key_events_from_attacker_ip"),
        g("attacker_ip"),
        g("attacker_regions"),
        g("attacker_errors")
    )?;
    let actions: Vec<String> = s["session_actions"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    writeln!(
        out,
        "  role session key {} ({}): {} events: {}",
        g("session_access_key_id"),
        g("privileged_role_arn"),
        g("session_events"),
        actions.join(", ")
    )?;
    writeln!(
        out,
        "  try: vigil events --entity {}",
        g("contractor_access_key_id")
    )
}

/// The identities worth showing first: the key's owner and the roles it can become, then the
/// riskiest others.
fn story_identities<'a>(
    p: &'a Posture,
    m: &DemoManifest,
) -> Vec<&'a vigil_iam::report::IdentityReport> {
    let mut ids: Vec<_> = p.identities.identities.iter().collect();
    ids.sort_by_key(|i| {
        let story = i.arn == m.contractor_user_arn || i.arn == m.privileged_role_arn;
        (!story, std::cmp::Reverse(i.risk_score), i.arn.clone())
    });
    ids.truncate(4);
    ids
}

fn posture_summary(p: &Posture, m: &DemoManifest) -> serde_json::Value {
    let vulns_by_severity = p.scan.vulnerabilities.iter().fold(
        std::collections::BTreeMap::<&str, usize>::new(),
        |mut acc, v| {
            *acc.entry(v.severity.as_str()).or_default() += 1;
            acc
        },
    );
    json!({
        "scan": {
            "target": p.scan.target,
            "packages": p.scan.packages.len(),
            "vulnerabilities": p.scan.vulnerabilities.len(),
            "vulnerabilities_by_severity": vulns_by_severity,
            "first_upgrades": first_upgrades_json(&p.scan.vulnerabilities, 5),
            "secrets": p.scan.secrets,
        },
        "identities": story_identities(p, m),
        "paths": p.paths.paths.iter().take(3).collect::<Vec<_>>(),
        "fix_first": p.paths.fix_first,
    })
}

/// The same `n` upgrades as the table shows, for scripts.
fn first_upgrades_json(vulns: &[VulnFinding], n: usize) -> serde_json::Value {
    let ranked = vigil_scan::triage::upgrades(vulns);
    ranked
        .iter()
        .take(n)
        .map(|u| {
            json!({
                "severity": u.severity.as_str(),
                "packages": u.packages,
                "kind": u.kind,
                "version": u.version,
                "fixed_version": u.fix_all,
                "advisories": u.findings.iter().map(|f| &f.id).collect::<Vec<_>>(),
                "aliases": u.findings.first().map(|f| &f.aliases),
                "active": u.active,
                "paths": u.paths,
            })
        })
        .collect()
}

/// The `n` upgrades to make first (see `vigil_scan::triage` for the order), one line each: the
/// worst advisory it clears with its CVE, the packages, the version that clears them all.
fn write_top_upgrades(out: &mut impl Write, vulns: &[VulnFinding], n: usize) -> Result<()> {
    let ranked = vigil_scan::triage::upgrades(vulns);
    for u in ranked.iter().take(n) {
        let Some(worst) = u.findings.first() else {
            continue;
        };
        let cve = worst
            .aliases
            .iter()
            .find(|a| a.starts_with("CVE-") && **a != worst.id)
            .map(|c| format!(" {}", cell(c, 40)))
            .unwrap_or_default();
        let more = match u.findings.len() {
            1 => String::new(),
            k => format!("; {k} advisories"),
        };
        let paths = match u.paths.len() {
            0 | 1 => String::new(),
            k => format!(" (+{} more)", k - 1),
        };
        writeln!(
            out,
            "  [{}] {}{} {} {} (fixed in {}{}) at {}{}",
            u.severity.as_str(),
            cell(&worst.id, 40),
            cve,
            cell(&u.packages.join(", "), 100),
            cell(u.version, 40),
            cell(u.fix_all.as_deref().unwrap_or("-"), 40),
            more,
            cell(u.paths.first().copied().unwrap_or("-"), 100),
            paths
        )?;
    }
    if let Some(rest) = ranked.get(n..).filter(|r| !r.is_empty()) {
        let findings: usize = rest.iter().map(|u| u.findings.len()).sum();
        writeln!(
            out,
            "  ... {} more upgrades clear the other {findings} advisories",
            rest.len()
        )?;
    }
    Ok(())
}

fn write_posture(out: &mut impl Write, p: &Posture, m: &DemoManifest) -> Result<()> {
    let s = &p.scan;
    writeln!(
        out,
        "Agentless scan of {} ({}): {} packages, {} vulnerabilities, {} secrets",
        s.target,
        m.compromised_instance_id,
        s.packages.len(),
        s.vulnerabilities.len(),
        s.secrets.len()
    )?;
    write_top_upgrades(out, &s.vulnerabilities, 5)?;
    for sec in &s.secrets {
        writeln!(
            out,
            "  [{}] {} at {}:{}  {} {}{}",
            sec.severity.as_str(),
            cell(&sec.kind, 40),
            cell(&sec.path, 120),
            sec.line,
            cell(&sec.preview, 40),
            sec.fingerprint,
            sec.aws_access_key_id
                .as_deref()
                .map(|k| format!("  key id {k}"))
                .unwrap_or_default()
        )?;
    }
    for (id, kind, link) in p.links.iter().filter(|l| l.1 == "compromised_host") {
        writeln!(
            out,
            "  linked: {kind} {id} <-> {} {}: {}",
            link.alert_type,
            link.id,
            cell(&link.reason, 200)
        )?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Identities ({} analysed; {} can escalate to admin):",
        p.identities.summary.identities, p.identities.summary.can_escalate_to_admin
    )?;
    for i in story_identities(p, m) {
        writeln!(
            out,
            "  {} {} risk {}",
            i.kind,
            cell(&i.name, 80),
            i.risk_score
        )?;
        // The gravest first: the story's point (a hard-coded key) must not fall off the list.
        let mut risks: Vec<_> = i.risks.iter().collect();
        risks.sort_by_key(|r| std::cmp::Reverse(r.severity));
        for r in risks.into_iter().take(4) {
            writeln!(
                out,
                "    [{}] {}",
                r.severity.as_str(),
                cell(&r.detail, 150)
            )?;
        }
        for fix in i.remediations.iter().take(2) {
            writeln!(
                out,
                "    fix: {} (risk -{})",
                cell(&fix.title, 140),
                fix.risk_reduction
            )?;
        }
    }
    writeln!(out)?;
    write!(out, "Attack paths: ")?;
    crate::cmd::paths::render_paths(&p.paths, 1, out)?;
    Ok(())
}
