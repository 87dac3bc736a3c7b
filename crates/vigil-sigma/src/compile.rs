//! Detection → matcher tree. Each selection becomes an AND of field tests (or an OR of such
//! ANDs for a list of maps), each field test an accessor plus its compiled values; the
//! condition is then rewritten over those trees, quantifiers expanded. Everything the engine
//! cannot honour is an error naming the selection and the reason.

use crate::condition::{self, Cond};
use crate::field::{Accessor, FieldMap, Resolved};
use crate::pattern::{
    self, Cidr, CmpOp, Pattern, Piece, StrMatcher, base64_offsets, parse_sigma_string, plain_text,
    windash_variants,
};
use crate::rule::Target;
use crate::sigma_regex::{ReFlags, SigmaRegex};
use yaml_rust2::Yaml;

/// A compiled detection.
#[derive(Debug, Clone)]
pub(crate) enum Node {
    And(Box<[Node]>),
    Or(Box<[Node]>),
    Not(Box<Node>),
    Field(Accessor, ValueTest),
    /// Field-less values: any keyword place of the target matches any (or all) of them.
    Keywords(Box<[Accessor]>, Box<[StrMatcher]>, bool),
    /// Field-less `contains` values folded into one automaton, searched in every keyword place.
    KeywordsAny(Box<[Accessor]>, aho_corasick::AhoCorasick),
}

/// One value alternative of a field test.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Str(StrMatcher),
    /// `null`: the field is absent or JSON null.
    Null,
}

/// What a field must satisfy.
#[derive(Debug, Clone)]
pub(crate) enum ValueTest {
    /// One of the items (`all: false`) or every item (`all: true`).
    Items(Box<[Item]>, bool),
    /// `|exists: true/false`.
    Exists(bool),
    /// `|fieldref`: equal (ignoring ASCII case) to another field of the same event.
    FieldRef(Accessor),
    /// Several `|contains` values compiled into one automaton (ASCII case folded): one pass
    /// over the value instead of one search per needle.
    AnyContains(aho_corasick::AhoCorasick, Box<[Box<str>]>),
}

/// Rough relative cost of evaluating a node, to test cheap conditions first.
pub(crate) fn cost(n: &Node) -> u32 {
    match n {
        Node::And(v) | Node::Or(v) => v.iter().map(cost).sum(),
        Node::Not(x) => cost(x),
        Node::Keywords(places, ms, _) => 10 * (places.len() as u32) * (ms.len() as u32).max(1),
        Node::KeywordsAny(places, _) => 10 * places.len() as u32,
        Node::Field(acc, test) => {
            let place = match acc {
                Accessor::CloudJson(..) | Accessor::Part(..) => 40,
                Accessor::ProcCommandLine => 4,
                _ => 0,
            };
            let values = match test {
                ValueTest::Items(items, _) => items
                    .iter()
                    .map(|i| match i {
                        Item::Null => 1,
                        Item::Str(m) => m.cost(),
                    })
                    .sum(),
                ValueTest::Exists(_) => 1,
                ValueTest::FieldRef(_) => 60,
                ValueTest::AnyContains(..) => 6,
            };
            place + values
        }
    }
}

/// Orders the children of every AND and OR cheapest first (both short-circuit, and the
/// result does not depend on order), and folds `|contains` lists into automatons.
pub(crate) fn optimise(n: Node) -> Node {
    match n {
        Node::And(v) | Node::Or(v) if v.len() == 1 => optimise(
            v.into_vec()
                .into_iter()
                .next()
                .unwrap_or(Node::And(Box::new([]))),
        ),
        Node::And(v) => Node::And(sorted(v)),
        Node::Or(v) => {
            let mut v = merge_alternatives(v);
            if v.len() == 1 {
                optimise(v.pop().unwrap_or(Node::Or(Box::new([]))))
            } else {
                Node::Or(sorted(v.into()))
            }
        }
        Node::Not(x) => Node::Not(Box::new(optimise(*x))),
        Node::Field(acc, ValueTest::Items(items, false))
            if items.iter().filter(|i| is_cidr(i)).count() >= 2 =>
        {
            Node::Field(acc, ValueTest::Items(merge_cidrs(items), false))
        }
        Node::Field(acc, ValueTest::Items(items, false)) if items.len() >= 3 => {
            match contains_automaton(&items) {
                Some((ac, needles)) => Node::Field(acc, ValueTest::AnyContains(ac, needles)),
                None => Node::Field(acc, ValueTest::Items(items, false)),
            }
        }
        Node::Keywords(places, ms, false) if ms.len() >= 2 => {
            let needles: Option<Vec<&str>> = ms.iter().map(StrMatcher::contains_needle).collect();
            let ac = needles.and_then(|n| {
                aho_corasick::AhoCorasick::builder()
                    .ascii_case_insensitive(true)
                    .build(n)
                    .ok()
            });
            match ac {
                Some(ac) => Node::KeywordsAny(places, ac),
                None => Node::Keywords(places, ms, false),
            }
        }
        other => other,
    }
}

/// An OR's tests of one field by "any of these values" become one test with all the values:
/// `- userAgent: ''` / `- userAgent: null` / `- userAgent|contains: [a, b]` reads the field
/// once instead of three times (and three or more `contains` values then fold into one
/// automaton). Any of A or any of B is any of A and B, so the answer is the same; a test that
/// needs all its values (`|all`, more than one) is left alone.
fn merge_alternatives(v: Box<[Node]>) -> Vec<Node> {
    let mut out: Vec<Node> = Vec::with_capacity(v.len());
    for n in v.into_vec() {
        let n = match n {
            Node::Field(acc, ValueTest::Items(items, all)) if !all || items.len() == 1 => {
                let same = out.iter_mut().find_map(|m| match m {
                    Node::Field(a, ValueTest::Items(its, false)) if *a == acc => Some(its),
                    _ => None,
                });
                match same {
                    Some(its) => {
                        let mut merged = std::mem::take(its).into_vec();
                        merged.extend(items.into_vec());
                        *its = merged.into();
                        continue;
                    }
                    None => Node::Field(acc, ValueTest::Items(items, false)),
                }
            }
            other => other,
        };
        out.push(n);
    }
    out
}

fn is_cidr(i: &Item) -> bool {
    matches!(i, Item::Str(m) if matches!(m.pattern, Pattern::Cidr(_)))
}

/// Any-of `|cidr` values as one test: the field's address is parsed once, not once per range.
fn merge_cidrs(items: Box<[Item]>) -> Box<[Item]> {
    let mut ranges = Vec::new();
    let mut out = Vec::with_capacity(items.len());
    for it in items.into_vec() {
        match it {
            Item::Str(StrMatcher {
                pattern: Pattern::Cidr(r),
                ..
            }) => ranges.extend(r.into_vec()),
            other => out.push(other),
        }
    }
    out.push(Item::Str(StrMatcher::new(
        Pattern::Cidr(ranges.into()),
        false,
    )));
    out.into()
}

fn sorted(v: Box<[Node]>) -> Box<[Node]> {
    let mut v: Vec<Node> = v.into_vec().into_iter().map(optimise).collect();
    v.sort_by_key(cost);
    v.into()
}

fn contains_automaton(items: &[Item]) -> Option<(aho_corasick::AhoCorasick, Box<[Box<str>]>)> {
    let mut needles: Vec<Box<str>> = Vec::with_capacity(items.len());
    for it in items {
        let Item::Str(m) = it else { return None };
        needles.push(m.contains_needle()?.into());
    }
    let ac = aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .build(needles.iter().map(|n| n.as_bytes()))
        .ok()?;
    Some((ac, needles.into()))
}

/// Things worth a lint warning that do not stop the rule from loading.
#[derive(Debug, Default)]
pub(crate) struct Notes {
    pub warnings: Vec<String>,
}

pub(crate) struct Ctx<'a> {
    pub map: &'a FieldMap,
    pub target: Target,
    pub notes: Notes,
}

const MAX_VARIANTS: usize = 1024;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// Compiles `detection` (the YAML map holding selections and `condition`).
pub(crate) fn compile_detection(det: &Yaml, ctx: &mut Ctx<'_>) -> Result<Node, String> {
    let Yaml::Hash(h) = det else {
        return Err("`detection` must be a map".into());
    };
    let mut selections: Vec<(String, Node)> = Vec::new();
    let mut conditions: Vec<String> = Vec::new();
    for (k, v) in h {
        let name = k.as_str().ok_or("selection names must be strings")?;
        if name == "condition" {
            match v {
                Yaml::String(s) => conditions.push(s.clone()),
                Yaml::Array(a) => {
                    for c in a {
                        conditions.push(
                            c.as_str()
                                .ok_or("`condition` items must be strings")?
                                .to_string(),
                        );
                    }
                }
                _ => return Err("`condition` must be a string".into()),
            }
            continue;
        }
        if name == "timeframe" {
            return Err("`timeframe` (correlation) is not supported".into());
        }
        let node = selection(v, ctx).map_err(|e| format!("selection `{name}`: {e}"))?;
        selections.push((name.to_string(), node));
    }
    if conditions.is_empty() {
        return Err("`detection` has no `condition`".into());
    }
    let mut roots = Vec::new();
    for c in &conditions {
        let cond = condition::parse(c).map_err(|e| format!("condition `{c}`: {e}"))?;
        roots.push(resolve(&cond, &selections).map_err(|e| format!("condition `{c}`: {e}"))?);
    }
    Ok(optimise(if roots.len() == 1 {
        roots.remove(0)
    } else {
        Node::Or(roots.into())
    }))
}

fn resolve(c: &Cond, sels: &[(String, Node)]) -> Result<Node, String> {
    Ok(match c {
        Cond::And(v) => Node::And(
            v.iter()
                .map(|x| resolve(x, sels))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Or(v) => Node::Or(
            v.iter()
                .map(|x| resolve(x, sels))
                .collect::<Result<_, _>>()?,
        ),
        Cond::Not(x) => Node::Not(Box::new(resolve(x, sels)?)),
        Cond::Ident(n) => sels
            .iter()
            .find(|(k, _)| k == n)
            .map(|(_, v)| v.clone())
            .ok_or_else(|| format!("no selection named `{n}`"))?,
        Cond::OneOf(p) | Cond::AllOf(p) => {
            let picked: Vec<Node> = sels
                .iter()
                .filter(|(k, _)| condition::name_matches(p, k))
                .map(|(_, v)| v.clone())
                .collect();
            if picked.is_empty() {
                return Err(format!("`{p}` names no selection"));
            }
            if matches!(c, Cond::AllOf(_)) {
                Node::And(picked.into())
            } else {
                Node::Or(picked.into())
            }
        }
    })
}

fn selection(v: &Yaml, ctx: &mut Ctx<'_>) -> Result<Node, String> {
    match v {
        Yaml::Hash(h) => {
            if h.is_empty() {
                return Err("empty selection".into());
            }
            let mut parts = Vec::with_capacity(h.len());
            for (k, val) in h {
                let key = scalar_text(k).ok_or("field names must be strings")?;
                parts.push(field_test(&key, val, ctx)?);
            }
            Ok(if parts.len() == 1 {
                parts.remove(0)
            } else {
                Node::And(parts.into())
            })
        }
        Yaml::Array(a) if a.iter().all(|x| matches!(x, Yaml::Hash(_))) && !a.is_empty() => {
            let alts: Vec<Node> = a
                .iter()
                .map(|x| selection(x, ctx))
                .collect::<Result<_, _>>()?;
            Ok(Node::Or(alts.into()))
        }
        Yaml::Array(a) if a.iter().all(is_scalar) && !a.is_empty() => keywords(a, &[], ctx),
        Yaml::String(_) | Yaml::Integer(_) | Yaml::Real(_) => {
            keywords(std::slice::from_ref(v), &[], ctx)
        }
        Yaml::Array(a) if a.is_empty() => Err("empty list".into()),
        Yaml::Array(_) => Err("a list mixes maps and plain values".into()),
        _ => Err("a selection is a map, a list of maps or a list of keywords".into()),
    }
}

fn is_scalar(y: &Yaml) -> bool {
    matches!(
        y,
        Yaml::String(_) | Yaml::Integer(_) | Yaml::Real(_) | Yaml::Boolean(_)
    )
}

fn scalar_text(y: &Yaml) -> Option<String> {
    Some(match y {
        Yaml::String(s) | Yaml::Real(s) => s.clone(),
        Yaml::Integer(i) => i.to_string(),
        Yaml::Boolean(b) => b.to_string(),
        _ => return None,
    })
}

fn keywords(values: &[Yaml], mods: &[&str], ctx: &mut Ctx<'_>) -> Result<Node, String> {
    let places: Box<[Accessor]> = ctx.map.keywords(ctx.target).into();
    if places.is_empty() {
        ctx.notes
            .warnings
            .push("keywords are not searched for this logsource; they never match".into());
    }
    let m = Mods::parse(mods)?;
    let mut ms = Vec::new();
    for v in values {
        let text = scalar_text(v).ok_or("keywords must be plain values")?;
        let mut m2 = m.clone();
        if m2.kind == MatchKind::Plain {
            // Keywords are a full-text search: the value may sit anywhere.
            m2.kind = MatchKind::Contains;
        }
        for item in string_items(&text, &m2)? {
            if let Item::Str(s) = item {
                ms.push(s);
            }
        }
    }
    Ok(Node::Keywords(places, ms.into(), m.all))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MatchKind {
    Plain,
    Contains,
    StartsWith,
    EndsWith,
    Re,
    Cidr,
    Cmp(CmpOp),
    Exists,
    FieldRef,
}

#[derive(Debug, Clone)]
struct Mods {
    kind: MatchKind,
    all: bool,
    cased: bool,
    base64: bool,
    base64offset: bool,
    windash: bool,
    re_flags: String,
}

impl Mods {
    fn parse(mods: &[&str]) -> Result<Mods, String> {
        let mut m = Mods {
            kind: MatchKind::Plain,
            all: false,
            cased: false,
            base64: false,
            base64offset: false,
            windash: false,
            re_flags: String::new(),
        };
        let set = |m: &mut Mods, k: MatchKind, name: &str| -> Result<(), String> {
            if m.kind != MatchKind::Plain {
                return Err(format!("`{name}` combined with another match modifier"));
            }
            m.kind = k;
            Ok(())
        };
        for &md in mods {
            match md {
                "contains" => set(&mut m, MatchKind::Contains, md)?,
                "startswith" => set(&mut m, MatchKind::StartsWith, md)?,
                "endswith" => set(&mut m, MatchKind::EndsWith, md)?,
                "re" => set(&mut m, MatchKind::Re, md)?,
                "cidr" => set(&mut m, MatchKind::Cidr, md)?,
                "gt" => set(&mut m, MatchKind::Cmp(CmpOp::Gt), md)?,
                "gte" => set(&mut m, MatchKind::Cmp(CmpOp::Gte), md)?,
                "lt" => set(&mut m, MatchKind::Cmp(CmpOp::Lt), md)?,
                "lte" => set(&mut m, MatchKind::Cmp(CmpOp::Lte), md)?,
                "exists" => set(&mut m, MatchKind::Exists, md)?,
                "fieldref" => set(&mut m, MatchKind::FieldRef, md)?,
                "all" => m.all = true,
                "cased" => m.cased = true,
                "base64" => m.base64 = true,
                "base64offset" => m.base64offset = true,
                "windash" => m.windash = true,
                "i" | "m" | "s" if m.kind == MatchKind::Re => m.re_flags.push_str(md),
                "ignorecase" | "multiline" | "dotall" if m.kind == MatchKind::Re => {
                    m.re_flags.push_str(&md[..1].replace('d', "s"));
                }
                "wide" | "utf16le" | "utf16be" | "utf16" => {
                    return Err(format!(
                        "modifier `{md}` (UTF-16 encoding) is not supported"
                    ));
                }
                "expand" => return Err("modifier `expand` (placeholders) is not supported".into()),
                other => return Err(format!("unknown modifier `{other}`")),
            }
        }
        if m.base64 && m.base64offset {
            return Err("`base64` and `base64offset` together".into());
        }
        if (m.base64 || m.base64offset || m.windash)
            && !matches!(
                m.kind,
                MatchKind::Plain
                    | MatchKind::Contains
                    | MatchKind::StartsWith
                    | MatchKind::EndsWith
            )
        {
            return Err("encoding modifiers only combine with contains/startswith/endswith".into());
        }
        Ok(m)
    }
}

fn field_test(key: &str, val: &Yaml, ctx: &mut Ctx<'_>) -> Result<Node, String> {
    let mut parts = key.split('|');
    let field = parts.next().unwrap_or_default().trim();
    let mods: Vec<&str> = parts.map(str::trim).collect();
    if field.is_empty() {
        let values: Vec<Yaml> = match val {
            Yaml::Array(a) => a.clone(),
            v => vec![v.clone()],
        };
        return keywords(&values, &mods, ctx);
    }
    let m = Mods::parse(&mods).map_err(|e| format!("`{key}`: {e}"))?;
    let acc = accessor(field, ctx);
    let values: Vec<&Yaml> = match val {
        Yaml::Array(a) => {
            if a.is_empty() {
                return Err(format!("`{key}`: empty value list"));
            }
            a.iter().collect()
        }
        Yaml::Hash(_) => return Err(format!("`{key}`: a value cannot be a map")),
        v => vec![v],
    };
    let test = match m.kind {
        MatchKind::Exists => {
            let [Yaml::Boolean(b)] = values.as_slice() else {
                return Err(format!("`{key}`: `exists` takes true or false"));
            };
            ValueTest::Exists(*b)
        }
        MatchKind::FieldRef => {
            let [v] = values.as_slice() else {
                return Err(format!("`{key}`: `fieldref` takes one field name"));
            };
            let other = v
                .as_str()
                .ok_or_else(|| format!("`{key}`: `fieldref` takes a field name"))?;
            ValueTest::FieldRef(accessor(other, ctx))
        }
        _ => {
            let mut items = Vec::new();
            let mut per_value: Vec<Vec<Item>> = Vec::new();
            for v in values {
                match v {
                    Yaml::Null => {
                        if m.kind != MatchKind::Plain {
                            return Err(format!("`{key}`: null with a modifier"));
                        }
                        items.push(Item::Null);
                    }
                    v => {
                        let text = scalar_text(v)
                            .ok_or_else(|| format!("`{key}`: values must be plain scalars"))?;
                        let one = string_items(&text, &m).map_err(|e| format!("`{key}`: {e}"))?;
                        items.extend(one.iter().cloned());
                        per_value.push(one);
                    }
                }
            }
            if items.len() > MAX_VARIANTS {
                return Err(format!("`{key}`: more than {MAX_VARIANTS} values"));
            }
            // With `all` and encodings, every *value* must match through one of its variants.
            if m.all && per_value.iter().any(|v| v.len() > 1) {
                let parts: Vec<Node> = per_value
                    .into_iter()
                    .map(|v| Node::Field(acc.clone(), ValueTest::Items(v.into(), false)))
                    .collect();
                return Ok(Node::And(parts.into()));
            }
            ValueTest::Items(items.into(), m.all)
        }
    };
    Ok(Node::Field(acc, test))
}

fn accessor(field: &str, ctx: &mut Ctx<'_>) -> Accessor {
    match ctx.map.resolve(ctx.target, field) {
        Resolved::Found(a) => a,
        Resolved::Unavailable => {
            ctx.notes.warnings.push(format!(
                "field `{field}` is not carried by Vigil's event model; it is always absent"
            ));
            Accessor::Unavailable
        }
        Resolved::Unknown => {
            ctx.notes.warnings.push(format!(
                "field `{field}` has no mapping for {}; it is always absent",
                ctx.target.as_str()
            ));
            Accessor::Unavailable
        }
    }
}

/// One string value under its modifiers → one or more matchers (encodings produce variants;
/// they are alternatives of the same value).
fn string_items(text: &str, m: &Mods) -> Result<Vec<Item>, String> {
    let mk = |p: Pattern| Item::Str(StrMatcher::new(p, m.cased));
    match m.kind {
        MatchKind::Re => {
            let flags = ReFlags {
                case_insensitive: m.re_flags.contains('i'),
                multi_line: m.re_flags.contains('m'),
                dot_matches_new_line: m.re_flags.contains('s'),
            };
            let r = SigmaRegex::new(text, flags, REGEX_SIZE_LIMIT)
                .map_err(|e| format!("regex `{text}`: {}", first_line(&e.to_string())))?;
            return Ok(vec![mk(Pattern::Regex(Box::new(r)))]);
        }
        MatchKind::Cidr => {
            let c = Cidr::parse(text).ok_or_else(|| format!("`{text}` is not a CIDR range"))?;
            return Ok(vec![mk(Pattern::Cidr([c].into()))]);
        }
        MatchKind::Cmp(op) => {
            let n: f64 = text
                .trim()
                .parse()
                .map_err(|_| format!("`{text}` is not a number"))?;
            return Ok(vec![mk(Pattern::Cmp(op, n))]);
        }
        _ => {}
    }
    let mut variants: Vec<Vec<Piece>> = if m.windash {
        windash_variants(text)
            .iter()
            .map(|v| parse_sigma_string(v))
            .collect()
    } else {
        vec![parse_sigma_string(text)]
    };
    if m.base64 || m.base64offset {
        let mut enc = Vec::new();
        for v in &variants {
            let lit = plain_text(v).ok_or("base64 of a value with wildcards")?;
            if m.base64 {
                enc.push(vec![Piece::Lit(pattern::base64(lit.as_bytes()))]);
            } else {
                for e in base64_offsets(lit.as_bytes()) {
                    enc.push(vec![Piece::Lit(e)]);
                }
            }
        }
        variants = enc;
    }
    Ok(variants
        .into_iter()
        .map(|mut p| {
            match m.kind {
                MatchKind::Contains => {
                    p.insert(0, Piece::Star);
                    p.push(Piece::Star);
                }
                MatchKind::StartsWith => p.push(Piece::Star),
                MatchKind::EndsWith => p.insert(0, Piece::Star),
                _ => {}
            }
            p.dedup_by(|a, b| *a == Piece::Star && *b == Piece::Star);
            Item::Str(StrMatcher::from_pieces(&p, m.cased))
        })
        .collect())
}

fn first_line(s: &str) -> String {
    s.lines()
        .rfind(|l| !l.trim().is_empty())
        .unwrap_or(s)
        .trim()
        .to_string()
}
