//! One rule file's text → rule metadata plus compiled detection, with every problem reported
//! against the file's path. A file may hold several YAML documents, each a rule.

use crate::compile::{Ctx, Node, Notes, compile_detection};
use crate::field::FieldMap;
use crate::problem::LoadProblem;
use crate::rule::{AttackTag, Logsource, Rule, Target, parse_attack_tag, severity_of_level};
use std::path::Path;
use vigil_model::Severity;
use yaml_rust2::{Yaml, YamlLoader};

pub(crate) struct Loaded {
    pub rule: Rule,
    pub node: Node,
}

fn str_list(y: &Yaml) -> Vec<String> {
    match y {
        Yaml::Array(a) => a
            .iter()
            .filter_map(|x| x.as_str().map(str::to_string))
            .collect(),
        Yaml::String(s) => vec![s.clone()],
        _ => Vec::new(),
    }
}

fn opt_str(y: &Yaml) -> Option<String> {
    y.as_str().map(str::to_string)
}

fn target_of(ls: &Logsource) -> Result<Target, String> {
    let p = ls.product.as_deref().map(str::to_ascii_lowercase);
    let s = ls.service.as_deref().map(str::to_ascii_lowercase);
    let c = ls.category.as_deref().map(str::to_ascii_lowercase);
    match (p.as_deref(), s.as_deref(), c.as_deref()) {
        (Some("aws"), None | Some("cloudtrail"), None) => Ok(Target::CloudTrail),
        (Some("linux"), None, Some("process_creation")) => Ok(Target::LinuxProcessCreation),
        (Some("linux"), Some("auditd"), None) => Ok(Target::LinuxAuditd),
        (Some("linux"), None, Some("file_event")) => Ok(Target::LinuxFileEvent),
        (Some("linux"), None, Some("network_connection")) => Ok(Target::LinuxNetworkConnection),
        _ => Err(format!(
            "logsource (product {}, service {}, category {}) has no events in Vigil",
            p.as_deref().unwrap_or("-"),
            s.as_deref().unwrap_or("-"),
            c.as_deref().unwrap_or("-")
        )),
    }
}

/// Parses and compiles every rule in `text`. Rules that fail are reported and left out.
pub(crate) fn load_text(
    path: &Path,
    text: &str,
    map: &FieldMap,
    problems: &mut Vec<LoadProblem>,
) -> Vec<Loaded> {
    let docs = match YamlLoader::load_from_str(text) {
        Ok(d) => d,
        Err(e) => {
            problems.push(LoadProblem::error(path, None, format!("YAML: {e}")));
            return Vec::new();
        }
    };
    let mut out = Vec::new();
    let n = docs.len();
    for (i, doc) in docs.iter().enumerate() {
        if matches!(doc, Yaml::Null) {
            continue;
        }
        let stem = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let fallback_id = if n > 1 { format!("{stem}#{i}") } else { stem };
        if let Some(l) = load_doc(path, doc, &fallback_id, map, problems) {
            out.push(l);
        }
    }
    out
}

fn load_doc(
    path: &Path,
    doc: &Yaml,
    fallback_id: &str,
    map: &FieldMap,
    problems: &mut Vec<LoadProblem>,
) -> Option<Loaded> {
    let Yaml::Hash(_) = doc else {
        problems.push(LoadProblem::error(
            path,
            None,
            "a rule is a YAML map".into(),
        ));
        return None;
    };
    let id_given = opt_str(&doc["id"]);
    let id = id_given.clone().unwrap_or_else(|| fallback_id.to_string());
    let rid = Some(id.as_str());
    if !matches!(doc["action"], Yaml::BadValue) {
        problems.push(LoadProblem::error(
            path,
            rid,
            "rule collections (`action: global/repeat`) are not supported".into(),
        ));
        return None;
    }
    if !matches!(doc["correlation"], Yaml::BadValue) {
        problems.push(LoadProblem::error(
            path,
            rid,
            "correlation rules are not supported".into(),
        ));
        return None;
    }
    let Some(title) = opt_str(&doc["title"]) else {
        problems.push(LoadProblem::error(path, rid, "missing `title`".into()));
        return None;
    };
    if id_given.is_none() {
        problems.push(LoadProblem::warning(
            path,
            rid,
            "missing `id`; using the file name".into(),
        ));
    }
    let ls = &doc["logsource"];
    let logsource = Logsource {
        product: opt_str(&ls["product"]),
        service: opt_str(&ls["service"]),
        category: opt_str(&ls["category"]),
    };
    let target = match target_of(&logsource) {
        Ok(t) => t,
        Err(e) => {
            problems.push(LoadProblem::warning(
                path,
                rid,
                format!("{e}; rule not loaded"),
            ));
            return None;
        }
    };
    let severity = match doc["level"].as_str() {
        Some(l) => match severity_of_level(l) {
            Some(s) => s,
            None => {
                problems.push(LoadProblem::error(
                    path,
                    rid,
                    format!("unknown level `{l}`"),
                ));
                return None;
            }
        },
        None => {
            problems.push(LoadProblem::warning(
                path,
                rid,
                "missing `level`; using medium".into(),
            ));
            Severity::Medium
        }
    };
    let mut ctx = Ctx {
        map,
        target,
        notes: Notes::default(),
    };
    let node = match compile_detection(&doc["detection"], &mut ctx) {
        Ok(n) => n,
        Err(e) => {
            problems.push(LoadProblem::error(path, rid, e));
            return None;
        }
    };
    let mut seen = std::collections::HashSet::new();
    for w in ctx.notes.warnings {
        if seen.insert(w.clone()) {
            problems.push(LoadProblem::warning(path, rid, w));
        }
    }
    let tags = str_list(&doc["tags"]);
    let (mut tactics, mut techniques) = (Vec::new(), Vec::new());
    for t in &tags {
        match parse_attack_tag(t) {
            Some(AttackTag::Tactic(x)) if !tactics.contains(&x) => tactics.push(x),
            Some(AttackTag::Technique(x)) if !techniques.contains(&x) => techniques.push(x),
            _ => {}
        }
    }
    let rule = Rule {
        id,
        title,
        status: opt_str(&doc["status"]),
        description: opt_str(&doc["description"]).unwrap_or_default(),
        severity,
        tags,
        tactics,
        techniques,
        falsepositives: str_list(&doc["falsepositives"]),
        references: str_list(&doc["references"]),
        author: opt_str(&doc["author"]),
        logsource,
        target,
        path: path.to_path_buf(),
    };
    Some(Loaded { rule, node })
}
