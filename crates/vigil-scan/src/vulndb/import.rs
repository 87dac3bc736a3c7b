//! Advisory importers: OSV JSON (a file, a directory, a zip of them), OSV YAML (the PyPA
//! advisory database), RustSec Markdown with TOML front matter, Alpine secdb `secfixes` YAML,
//! and Trivy's fixture database (YAML buckets). Bad files are reported and skipped.

use super::cvss::{base_score_v3, severity_of_score, severity_of_word};
use super::{Advisory, Affected, Event, ubuntu};
use crate::fs::read_capped;
use crate::report::{Problem, ProblemKind};
use serde_json::Value;
use std::collections::HashMap;
use std::path::Path;
use vigil_model::Severity;

const MAX_FILE: u64 = 64 << 20;

#[derive(Debug, Default, Clone, serde::Serialize)]
pub struct ImportReport {
    pub files: u64,
    pub advisories: u64,
    pub skipped: Vec<Problem>,
}

fn s(v: &Value, k: &str) -> Option<String> {
    v.get(k).and_then(Value::as_str).map(str::to_string)
}

fn strings(v: Option<&Value>) -> Vec<String> {
    v.and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// One OSV record (from JSON or YAML) as an [`Advisory`].
pub fn parse_osv_document(doc: &Value, source: &str) -> Option<Advisory> {
    let id = s(doc, "id")?;
    let mut severity = doc
        .get("database_specific")
        .and_then(|d| d.get("severity"))
        .and_then(Value::as_str)
        .and_then(severity_of_word);
    if severity.is_none() {
        for sev in doc
            .get("severity")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let score = sev.get("score").and_then(Value::as_str).unwrap_or("");
            if let Some(b) = base_score_v3(score) {
                severity = Some(severity_of_score(b));
                break;
            }
            if let Some(w) = severity_of_word(score) {
                severity = Some(w);
                break;
            }
        }
    }
    let mut affected = Vec::new();
    for a in doc
        .get("affected")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(pkg) = a.get("package") else {
            continue;
        };
        let (Some(ecosystem), Some(package)) = (s(pkg, "ecosystem"), s(pkg, "name")) else {
            continue;
        };
        if severity.is_none() {
            severity = a
                .get("ecosystem_specific")
                .and_then(|e| e.get("severity"))
                .and_then(Value::as_str)
                .and_then(severity_of_word);
        }
        let mut ranges = Vec::new();
        for r in a
            .get("ranges")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            if s(r, "type").as_deref() == Some("GIT") {
                continue;
            }
            let events = r
                .get("events")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|e| Event {
                    introduced: s(e, "introduced"),
                    fixed: s(e, "fixed"),
                    last_affected: s(e, "last_affected"),
                })
                .collect::<Vec<_>>();
            if !events.is_empty() {
                ranges.push(events);
            }
        }
        let (cves, release_severity) = ubuntu::release_rating(a);
        affected.push(Affected {
            ecosystem,
            package,
            ranges,
            versions: strings(a.get("versions")),
            vulnerable: Vec::new(),
            patched: Vec::new(),
            cves,
            severity: release_severity,
        });
    }
    Some(Advisory {
        aliases: ubuntu::aliases_of(doc, &id),
        id,
        summary: s(doc, "summary")
            .or_else(|| s(doc, "details").map(|d| d.chars().take(160).collect()))
            .unwrap_or_default(),
        severity,
        affected,
        source: source.to_string(),
    })
}

/// RustSec: the ```toml front matter of an advisory Markdown file.
fn parse_rustsec(text: &str) -> Result<Option<Advisory>, String> {
    let start = text.find("```toml").ok_or("no ```toml front matter")? + "```toml".len();
    let end = text
        .get(start..)
        .and_then(|t| t.find("```"))
        .ok_or("unterminated front matter")?
        + start;
    let doc: toml::Table =
        toml::from_str(text.get(start..end).unwrap_or("")).map_err(|e| e.to_string())?;
    let adv = doc
        .get("advisory")
        .and_then(|a| a.as_table())
        .ok_or("no [advisory]")?;
    if adv.get("informational").is_some() {
        return Ok(None);
    }
    let get = |k: &str| adv.get(k).and_then(|v| v.as_str()).map(str::to_string);
    let id = get("id").ok_or("no id")?;
    let package = get("package").ok_or("no package")?;
    let arr = |t: Option<&toml::Value>| -> Vec<String> {
        t.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default()
    };
    let versions = doc.get("versions").and_then(|v| v.as_table());
    let mut patched = arr(versions.and_then(|v| v.get("patched")));
    patched.extend(arr(versions.and_then(|v| v.get("unaffected"))));
    let severity = get("cvss")
        .and_then(|c| base_score_v3(&c))
        .map(severity_of_score);
    Ok(Some(Advisory {
        id,
        aliases: arr(adv.get("aliases")),
        summary: get("title").unwrap_or_default(),
        severity,
        affected: vec![Affected {
            ecosystem: "crates.io".into(),
            package,
            ranges: Vec::new(),
            versions: Vec::new(),
            // No patched version at all means every version is affected.
            vulnerable: if patched.is_empty() {
                vec![">= 0".into()]
            } else {
                Vec::new()
            },
            patched,
            cves: Vec::new(),
            severity: None,
        }],
        source: "rustsec".into(),
    }))
}

/// Alpine secdb: `secfixes` of each package, one advisory per (package, CVE).
fn parse_secdb(doc: &Value) -> Vec<Advisory> {
    let release = s(doc, "distroversion").unwrap_or_default();
    let eco = format!("Alpine:{release}");
    let mut out = Vec::new();
    for p in doc
        .get("packages")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let Some(pkg) = p.get("pkg") else { continue };
        let Some(name) = s(pkg, "name") else { continue };
        let Some(fixes) = pkg.get("secfixes").and_then(Value::as_object) else {
            continue;
        };
        for (fixed, ids) in fixes {
            for id in strings(Some(ids)) {
                let id = id.split_whitespace().next().unwrap_or("").to_string();
                if id.is_empty() {
                    continue;
                }
                let ranges = if fixed == "0" {
                    Vec::new()
                } else {
                    vec![vec![
                        Event {
                            introduced: Some("0".into()),
                            fixed: None,
                            last_affected: None,
                        },
                        Event {
                            introduced: None,
                            fixed: Some(fixed.clone()),
                            last_affected: None,
                        },
                    ]]
                };
                if ranges.is_empty() {
                    continue; // "0": never affected in this release
                }
                out.push(Advisory {
                    id,
                    aliases: Vec::new(),
                    summary: String::new(),
                    severity: None,
                    affected: vec![Affected {
                        ecosystem: eco.clone(),
                        package: name.clone(),
                        ranges,
                        versions: Vec::new(),
                        vulnerable: Vec::new(),
                        patched: Vec::new(),
                        cves: Vec::new(),
                        severity: None,
                    }],
                    source: "alpine-secdb".into(),
                });
            }
        }
    }
    out
}

/// Trivy's fixture DB: `[{bucket, pairs: [{bucket: pkg, pairs: [{key: id, value}]}]}]`.
struct TrivyMeta {
    vulns: HashMap<String, Value>,
    sources: HashMap<String, String>,
}

fn trivy_ecosystem(bucket: &str) -> Option<String> {
    if let Some((eco, _)) = bucket.split_once("::") {
        return Some(match eco {
            "pip" => "PyPI".into(),
            "npm" => "npm".into(),
            "cargo" => "crates.io".into(),
            "go" => "Go".into(),
            other => other.to_string(),
        });
    }
    let (os, ver) = bucket.split_once(' ')?;
    Some(match os {
        "debian" => format!("Debian:{ver}"),
        "ubuntu" => format!("Ubuntu:{ver}"),
        "alpine" => format!("Alpine:v{ver}"),
        other => format!("{other}:{ver}"),
    })
}

fn trivy_severity(meta: &TrivyMeta, id: &str, bucket: &str) -> Option<Severity> {
    let v = meta.vulns.get(id)?;
    let source_id = meta.sources.get(bucket);
    if let Some(sid) = source_id
        && let Some(n) = v
            .get("VendorSeverity")
            .and_then(|m| m.get(sid))
            .and_then(Value::as_u64)
    {
        return match n {
            1 => Some(Severity::Low),
            2 => Some(Severity::Medium),
            3 => Some(Severity::High),
            4 => Some(Severity::Critical),
            _ => None,
        };
    }
    v.get("Severity")
        .and_then(Value::as_str)
        .and_then(severity_of_word)
}

fn parse_trivy(doc: &Value, meta: &TrivyMeta) -> Vec<Advisory> {
    let mut out = Vec::new();
    for top in doc.as_array().into_iter().flatten() {
        let Some(bucket) = s(top, "bucket") else {
            continue;
        };
        let Some(eco) = trivy_ecosystem(&bucket) else {
            continue;
        };
        for pkg in top
            .get("pairs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let Some(name) = s(pkg, "bucket") else {
                continue;
            };
            for pair in pkg
                .get("pairs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let Some(id) = s(pair, "key") else { continue };
                let value = pair.get("value").cloned().unwrap_or(Value::Null);
                let mut aff = Affected {
                    ecosystem: eco.clone(),
                    package: name.clone(),
                    ranges: Vec::new(),
                    versions: Vec::new(),
                    vulnerable: strings(value.get("VulnerableVersions")),
                    patched: strings(value.get("PatchedVersions")),
                    cves: Vec::new(),
                    severity: None,
                };
                if bucket.contains("::") {
                    if aff.vulnerable.is_empty() && aff.patched.is_empty() {
                        continue;
                    }
                } else {
                    let mut events = vec![Event {
                        introduced: Some("0".into()),
                        fixed: None,
                        last_affected: None,
                    }];
                    if let Some(f) = s(&value, "FixedVersion") {
                        events.push(Event {
                            introduced: None,
                            fixed: Some(f),
                            last_affected: None,
                        });
                    }
                    aff.ranges.push(events);
                }
                let title = meta
                    .vulns
                    .get(&id)
                    .and_then(|v| s(v, "Title"))
                    .unwrap_or_default();
                out.push(Advisory {
                    severity: trivy_severity(meta, &id, &bucket),
                    id,
                    aliases: Vec::new(),
                    summary: title,
                    affected: vec![aff],
                    source: "trivy-fixture".into(),
                });
            }
        }
    }
    out
}

fn read_file(path: &Path) -> Result<Vec<u8>, String> {
    let f = std::fs::File::open(path).map_err(|e| e.to_string())?;
    match read_capped(f, MAX_FILE, 0).map_err(|e| e.to_string())? {
        Ok(b) => Ok(b),
        Err(_) => Err(format!("larger than {MAX_FILE} bytes")),
    }
}

fn yaml_value(bytes: &[u8]) -> Result<Value, String> {
    serde_norway::from_slice::<Value>(bytes).map_err(|e| e.to_string())
}

/// Parses one document by its name and shape.
fn parse_bytes(
    name: &str,
    bytes: &[u8],
    meta: &TrivyMeta,
    out: &mut Vec<Advisory>,
) -> Result<(), String> {
    let lower = name.to_ascii_lowercase();
    if lower.ends_with(".md") {
        if let Some(a) = parse_rustsec(&String::from_utf8_lossy(bytes))? {
            out.push(a);
        }
        return Ok(());
    }
    let doc: Value = if lower.ends_with(".json") {
        serde_json::from_slice(bytes).map_err(|e| e.to_string())?
    } else {
        yaml_value(bytes)?
    };
    if doc.get("secfixes").is_some() || doc.get("distroversion").is_some() {
        out.extend(parse_secdb(&doc));
    } else if doc
        .as_array()
        .and_then(|a| a.first())
        .is_some_and(|f| f.get("bucket").is_some())
    {
        out.extend(parse_trivy(&doc, meta));
    } else if doc.get("id").is_some() {
        let source = if lower.contains("pypa") || lower.contains("pysec") {
            "pypa"
        } else {
            "osv"
        };
        if let Some(a) = parse_osv_document(&doc, source) {
            out.push(a);
        }
    } else if let Some(arr) = doc.as_array() {
        // A JSON array of OSV records.
        out.extend(arr.iter().filter_map(|d| parse_osv_document(d, "osv")));
    } else {
        return Err("not an advisory document".into());
    }
    Ok(())
}

fn wanted(name: &str) -> bool {
    let l = name.to_ascii_lowercase();
    (l.ends_with(".json") || l.ends_with(".yaml") || l.ends_with(".yml") || l.ends_with(".md"))
        && !l.ends_with("readme.md")
        && !l.ends_with("contributing.md")
}

fn trivy_meta(dir: &Path) -> TrivyMeta {
    let mut meta = TrivyMeta {
        vulns: HashMap::new(),
        sources: HashMap::new(),
    };
    for (file, bucket) in [
        ("vulnerability.yaml", "vulnerability"),
        ("data-source.yaml", "data-source"),
    ] {
        let Ok(bytes) = read_file(&dir.join(file)) else {
            continue;
        };
        let Ok(doc) = yaml_value(&bytes) else {
            continue;
        };
        for top in doc
            .as_array()
            .into_iter()
            .flatten()
            .filter(|t| s(t, "bucket").as_deref() == Some(bucket))
        {
            for pair in top
                .get("pairs")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                let (Some(k), Some(v)) = (s(pair, "key"), pair.get("value")) else {
                    continue;
                };
                if bucket == "vulnerability" {
                    meta.vulns.insert(k, v.clone());
                } else if let Some(id) = s(v, "ID") {
                    meta.sources.insert(k, id);
                }
            }
        }
    }
    meta
}

/// Imports a file, a directory (recursively) or a zip of advisories.
pub fn import_path(path: &Path) -> std::io::Result<(Vec<Advisory>, ImportReport)> {
    let mut report = ImportReport::default();
    let mut out = Vec::new();
    let meta_dir = if path.is_dir() {
        path.to_path_buf()
    } else {
        path.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    let meta = trivy_meta(&meta_dir);
    let mut files = Vec::new();
    if path.is_dir() {
        let mut stack = vec![path.to_path_buf()];
        while let Some(d) = stack.pop() {
            for e in std::fs::read_dir(&d)?.flatten() {
                let Ok(ft) = e.file_type() else { continue };
                if ft.is_dir() {
                    stack.push(e.path());
                } else if ft.is_file()
                    && (wanted(&e.file_name().to_string_lossy())
                        || e.file_name().to_string_lossy().ends_with(".zip"))
                {
                    files.push(e.path());
                }
            }
        }
        files.sort();
    } else {
        std::fs::metadata(path)?;
        files.push(path.to_path_buf());
    }
    for f in files {
        let name = f.display().to_string();
        if name.ends_with("vulnerability.yaml") || name.ends_with("data-source.yaml") {
            continue;
        }
        if name.to_ascii_lowercase().ends_with(".zip") {
            import_zip(&f, &meta, &mut out, &mut report);
            continue;
        }
        report.files += 1;
        match read_file(&f).and_then(|b| parse_bytes(&name, &b, &meta, &mut out)) {
            Ok(()) => {}
            Err(e) => report
                .skipped
                .push(Problem::new(ProblemKind::BadPackageData, name, e)),
        }
    }
    report.advisories = out.len() as u64;
    Ok((out, report))
}

fn import_zip(path: &Path, meta: &TrivyMeta, out: &mut Vec<Advisory>, report: &mut ImportReport) {
    let shown = path.display().to_string();
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => {
            return report.skipped.push(Problem::new(
                ProblemKind::Unreadable,
                shown,
                e.to_string(),
            ));
        }
    };
    let mut zip = match zip::ZipArchive::new(file) {
        Ok(z) => z,
        Err(e) => {
            return report.skipped.push(Problem::new(
                ProblemKind::TruncatedArchive,
                shown,
                e.to_string(),
            ));
        }
    };
    for i in 0..zip.len() {
        let Ok(entry) = zip.by_index(i) else {
            report.skipped.push(Problem::new(
                ProblemKind::TruncatedArchive,
                shown.clone(),
                format!("entry {i}"),
            ));
            continue;
        };
        let Ok(name) = entry.name().map(|n| n.to_string()) else {
            continue;
        };
        if !entry.is_file() || !wanted(&name) {
            continue;
        }
        report.files += 1;
        let label = format!("{shown}!{name}");
        let bytes = match read_capped(entry, MAX_FILE, 0) {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                report.skipped.push(Problem::new(
                    ProblemKind::DecompressionBomb,
                    label,
                    "entry inflates past the limit",
                ));
                continue;
            }
            Err(e) => {
                report.skipped.push(Problem::new(
                    ProblemKind::TruncatedArchive,
                    label,
                    e.to_string(),
                ));
                continue;
            }
        };
        if let Err(e) = parse_bytes(&name, &bytes, meta, out) {
            report
                .skipped
                .push(Problem::new(ProblemKind::BadPackageData, label, e));
        }
    }
}
