//! Machine outputs: CycloneDX 1.5 SBOM (with vulnerabilities) and SARIF 2.1.0. Both carry only
//! redacted previews and fingerprints for secrets.

use crate::report::ScanReport;
use serde_json::{Value, json};
use vigil_model::Severity;

pub fn cyclonedx(report: &ScanReport) -> Value {
    let components: Vec<Value> = report
        .packages
        .iter()
        .map(|p| {
            json!({
                "type": "library",
                "bom-ref": format!("{}#{}", p.purl, p.path),
                "name": p.name,
                "version": p.version,
                "purl": p.purl,
                "properties": [
                    {"name": "vigil:path", "value": p.path},
                    {"name": "vigil:kind", "value": p.kind},
                    {"name": "vigil:active", "value": p.active.to_string()},
                ],
            })
        })
        .collect();
    let vulns: Vec<Value> = report
        .vulnerabilities
        .iter()
        .map(|v| {
            let pkg = report.packages.iter().find(|p| p.name == v.package && p.version == v.version && p.path == v.path);
            json!({
                "id": v.id,
                "description": v.title,
                "ratings": [{"severity": v.severity.as_str()}],
                "affects": [{"ref": pkg.map(|p| format!("{}#{}", p.purl, p.path)).unwrap_or_default()}],
                "recommendation": v.fixed_version.as_ref().map(|f| format!("upgrade to {f}")).unwrap_or_default(),
            })
        })
        .collect();
    let mut meta = json!({
        "tools": {"components": [{"type": "application", "name": "vigil", "version": env!("CARGO_PKG_VERSION")}]},
        "component": {"type": "operating-system", "name": report.target},
    });
    if let (Some(os), Some(obj)) = (
        &report.os,
        meta.get_mut("component").and_then(Value::as_object_mut),
    ) {
        obj.insert("name".into(), json!(os.id));
        obj.insert("version".into(), json!(os.version_id));
        obj.insert("description".into(), json!(report.target));
    }
    json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "version": 1,
        "metadata": meta,
        "components": components,
        "vulnerabilities": vulns,
    })
}

fn sarif_level(s: Severity) -> &'static str {
    match s {
        Severity::Critical | Severity::High => "error",
        Severity::Medium => "warning",
        _ => "note",
    }
}

pub fn sarif(report: &ScanReport) -> Value {
    let mut rules: Vec<Value> = Vec::new();
    let mut seen = std::collections::BTreeSet::new();
    let mut results: Vec<Value> = Vec::new();
    for v in &report.vulnerabilities {
        if seen.insert(v.id.clone()) {
            rules.push(json!({"id": v.id, "shortDescription": {"text": if v.title.is_empty() { v.id.clone() } else { v.title.clone() }}, "properties": {"security-severity": v.severity.as_str()}}));
        }
        results.push(json!({
            "ruleId": v.id,
            "level": sarif_level(v.severity),
            "message": {"text": format!("{} {} is vulnerable to {}{}", v.package, v.version, v.id, v.fixed_version.as_ref().map(|f| format!(" (fixed in {f})")).unwrap_or_default())},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": v.path.trim_start_matches('/')}}}],
        }));
    }
    for s in &report.secrets {
        if seen.insert(s.rule.clone()) {
            rules.push(json!({"id": s.rule, "shortDescription": {"text": format!("hard-coded secret ({})", s.kind)}}));
        }
        results.push(json!({
            "ruleId": s.rule,
            "level": sarif_level(s.severity),
            "message": {"text": format!("{} found: {}", s.kind, s.preview)},
            "locations": [{"physicalLocation": {"artifactLocation": {"uri": s.path.trim_start_matches('/')}, "region": {"startLine": s.line}}}],
            "partialFingerprints": {"secretFingerprint": s.fingerprint},
        }));
    }
    json!({
        "version": "2.1.0",
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "runs": [{
            "tool": {"driver": {"name": "vigil", "version": env!("CARGO_PKG_VERSION"), "rules": rules}},
            "results": results,
        }],
    })
}
