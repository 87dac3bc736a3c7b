//! A loaded, compiled and indexed set of rules: the engine's public face.

use crate::compile::{Item, Node, ValueTest};
use crate::eval::{eval, text_of};
use crate::field::{Accessor, EventScratch, FieldMap, Val, cloud_value, with_value};
use crate::index::{KeyIndex, KeyKind, required};
use crate::load::{Loaded, load_text};
use crate::memo::{self, DecisionMemo, MemoStats, Reads};
use crate::needle_memo::NeedleMemo;
use crate::prefilter::{CommandLineFilter, FieldNeedles, field_needles, required_needles};
use crate::problem::LoadProblem;
use crate::rule::{Rule, RuleRef, Target};
use std::path::{Path, PathBuf};
use vigil_model::host::HostEventKind;
use vigil_model::{Event, EventBody};

/// One rule file's text and where it came from (the path is only used in reports).
#[derive(Debug, Clone)]
pub struct RuleSource {
    pub path: PathBuf,
    pub text: String,
}

/// Reusable per-caller buffers for [`RuleSet::matches_with`]: keep one per thread to make
/// matching allocation-free (the joined command line of host events lives here).
#[derive(Debug, Default)]
pub struct Scratch {
    pub(crate) event: EventScratch,
    marks: Vec<bool>,
    cands: Vec<u32>,
    /// What the literal prefilter searches: program, parent program and command line.
    haystack: String,
    /// A CloudTrail field's value, lowercased for [`FieldNeedles`].
    folded: Vec<u8>,
    /// The rules the index picked for a cloud event.
    picked: Vec<u32>,
    /// Rule decisions remembered by the values the rules read (see [`crate::memo`]).
    memo: DecisionMemo,
    /// The rules each needle field's value led to (see [`crate::needle_memo`]).
    needles: NeedleMemo,
    matched: Vec<u32>,
}

impl Scratch {
    /// How often cloud events were answered from remembered rule decisions.
    pub fn memo_stats(&self) -> MemoStats {
        self.memo.stats
    }
}

/// How one target's rules are indexed (for `vigil rules lint` and benchmarks).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IndexStats {
    pub target: Target,
    pub rules: usize,
    /// Distinct index keys (eventName, eventSource, image basename, auditd type, other fields'
    /// values, a rare field being there).
    pub keys: usize,
    /// Rules reached through a literal prefilter (a command line, an ARN, a user agent).
    pub prefiltered: usize,
    /// Rules evaluated on every event of the target.
    pub always: usize,
}

/// Rules for one target, filed by key.
#[derive(Debug, Default)]
struct TargetRules {
    primary: KeyIndex,
    secondary: KeyIndex,
    /// Rules that pin neither key but pin another field, filed by it (see [`extra_keys`]).
    extra: Vec<(Accessor, Extra)>,
    always: Vec<u32>,
    cmd: CommandLineFilter,
    count: usize,
}

/// Compiled Sigma rules, indexed. Cheap to share (`&RuleSet` is `Sync`).
#[derive(Debug, Default)]
pub struct RuleSet {
    rules: Vec<Rule>,
    nodes: Vec<Node>,
    cloud: TargetRules,
    process: TargetRules,
    auditd: TargetRules,
    file: TargetRules,
    network: TargetRules,
    /// Per rule, what it reads, for the decision memo (host rules: volatile).
    reads: Vec<Reads>,
    /// The fields the memo keys on; bit `i` of a rule's [`Reads::Fields`] is `memo_fields[i]`.
    memo_fields: Vec<Accessor>,
    /// This set's own number (never 0 once built), so a memo never answers for another set.
    id: u64,
}

/// Numbers rule sets as they are built.
static NEXT_SET_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(1);

/// How a target's rules are keyed: (accessor, kind) for the primary and secondary index.
fn keys(t: Target) -> [Option<(Accessor, KeyKind)>; 2] {
    match t {
        Target::CloudTrail => [
            Some((Accessor::CloudAction, KeyKind::Exact)),
            Some((Accessor::CloudService, KeyKind::Exact)),
        ],
        Target::LinuxProcessCreation | Target::LinuxFileEvent | Target::LinuxNetworkConnection => {
            [Some((Accessor::ProcExe, KeyKind::Basename)), None]
        }
        // `type: EXECVE` is on every process start; a rule that also pins `a0` (the program as
        // typed) is filed under that instead (see `push`), which few starts share.
        Target::LinuxAuditd => [
            Some((Accessor::AuditType, KeyKind::Exact)),
            Some((Accessor::ProcArg(0), KeyKind::Exact)),
        ],
    }
}

/// How a rule is filed under a field other than the two keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ExtraKind {
    /// Under the field's exact value (compared as text: `readOnly: false` is filed under
    /// `false`).
    Exact,
    /// Under the field being there at all (not absent, not null): for fields most events lack.
    Present,
    /// Under literals one of which the field's value must contain.
    Needle,
}

/// Rules for one target filed under one field, in one of the [`ExtraKind`] ways.
#[derive(Debug)]
enum Extra {
    Exact(KeyIndex),
    Present(Vec<u32>),
    Needle(FieldNeedles),
}

impl Extra {
    fn new(kind: ExtraKind) -> Extra {
        match kind {
            ExtraKind::Exact => Extra::Exact(KeyIndex::default()),
            ExtraKind::Present => Extra::Present(Vec::new()),
            ExtraKind::Needle => Extra::Needle(FieldNeedles::default()),
        }
    }

    fn kind(&self) -> ExtraKind {
        match self {
            Extra::Exact(_) => ExtraKind::Exact,
            Extra::Present(_) => ExtraKind::Present,
            Extra::Needle(_) => ExtraKind::Needle,
        }
    }
}

/// Fields a rule is filed under when it pins neither of [`keys`], tried in order: the first
/// the rule pins wins, so the more selective come first (an error code before the identity
/// type every assumed-role call shares; `readOnly`, true of half the calls, last).
///
/// Why: CloudTrail rules that name no `eventName` or `eventSource` (root activity, a user's
/// long-lived key in use, access denied, instance credentials) were evaluated on every event,
/// and in the 100k-event hunt those twelve rules cost more than all the indexed ones. The four
/// still evaluated on every event after that (a tool's user agent, a `|re` on the ARN, a VPC
/// endpoint in use, write calls) were 38% of the rule engine's instructions in a 20k-event
/// hunt.
fn extra_keys(t: Target) -> &'static [(Accessor, ExtraKind)] {
    match t {
        Target::CloudTrail => &[
            (Accessor::CloudErrorCode, ExtraKind::Exact),
            (Accessor::CloudUserAgent, ExtraKind::Exact),
            (Accessor::CloudVpcEndpointId, ExtraKind::Present),
            (Accessor::ActorInvokedBy, ExtraKind::Present),
            (Accessor::ActorArn, ExtraKind::Needle),
            (Accessor::CloudUserAgent, ExtraKind::Needle),
            (Accessor::ActorType, ExtraKind::Exact),
            (Accessor::CloudReadOnly, ExtraKind::Exact),
        ],
        _ => &[],
    }
}

/// Whether `node` can match only when `acc` has a value (is there and not null).
fn requires_presence(node: &Node, acc: &Accessor) -> bool {
    match node {
        Node::And(v) => v.iter().any(|n| requires_presence(n, acc)),
        Node::Or(v) => !v.is_empty() && v.iter().all(|n| requires_presence(n, acc)),
        Node::Field(a, ValueTest::Exists(true)) => a == acc,
        // A string item never matches a missing or null value; `null` does.
        Node::Field(a, ValueTest::Items(items, all)) if a == acc => {
            let string = |it: &Item| matches!(it, Item::Str(_));
            if *all {
                items.iter().any(string)
            } else {
                !items.is_empty() && items.iter().all(string)
            }
        }
        Node::Field(a, ValueTest::AnyContains(..)) => a == acc,
        _ => false,
    }
}

/// Files rule `idx` under the first of [`extra_keys`] its detection pins; false when none.
fn file_extra(tr: &mut TargetRules, target: Target, node: &Node, idx: u32) -> bool {
    for (acc, kind) in extra_keys(target) {
        let what = match kind {
            ExtraKind::Exact => required(node, acc, KeyKind::Exact),
            ExtraKind::Present => requires_presence(node, acc).then(Vec::new),
            ExtraKind::Needle => field_needles(node, acc),
        };
        let Some(vals) = what else { continue };
        let at = match tr
            .extra
            .iter()
            .position(|(a, e)| a == acc && e.kind() == *kind)
        {
            Some(at) => at,
            None => {
                tr.extra.push((acc.clone(), Extra::new(*kind)));
                tr.extra.len() - 1
            }
        };
        let Some((_, extra)) = tr.extra.get_mut(at) else {
            return false;
        };
        match extra {
            Extra::Exact(index) => {
                for v in &vals {
                    index.insert(v, idx);
                }
            }
            Extra::Present(rules) => rules.push(idx),
            Extra::Needle(filter) => filter.add(idx, vals),
        }
        return true;
    }
    false
}

impl RuleSet {
    /// Loads every `*.yml`/`*.yaml` under `dir` (recursively, sorted, symlinked directories not
    /// followed), with Vigil's built-in field mappings. Problems come back beside the rules;
    /// a file that does not parse costs only its own rules.
    pub fn load_dir(dir: &Path) -> (RuleSet, Vec<LoadProblem>) {
        Self::load_paths(&[dir.to_path_buf()])
    }

    /// [`RuleSet::load_dir`] over several files and directories.
    pub fn load_paths(paths: &[PathBuf]) -> (RuleSet, Vec<LoadProblem>) {
        let (sources, mut problems) = read_sources(paths);
        let (set, more) = RuleSet::from_sources(sources);
        problems.extend(more);
        (set, problems)
    }

    /// Compiles rule texts with the built-in field mappings.
    pub fn from_sources(
        sources: impl IntoIterator<Item = RuleSource>,
    ) -> (RuleSet, Vec<LoadProblem>) {
        Self::from_sources_with(sources, &FieldMap::builtin())
    }

    /// Compiles rule texts with the given field mappings.
    pub fn from_sources_with(
        sources: impl IntoIterator<Item = RuleSource>,
        map: &FieldMap,
    ) -> (RuleSet, Vec<LoadProblem>) {
        let mut set = RuleSet::default();
        let mut problems = Vec::new();
        let sources: Vec<RuleSource> = sources.into_iter().collect();
        let parallel = sources.len() >= PARALLEL_FROM
            && std::thread::available_parallelism().is_ok_and(|n| n.get() >= 2);
        for (src, loaded, found) in compile_all(sources, map, parallel) {
            problems.extend(found);
            for l in loaded {
                if set.rules.iter().any(|r| r.id == l.rule.id) {
                    problems.push(LoadProblem::error(
                        &src.path,
                        Some(&l.rule.id),
                        "duplicate rule id; this copy is not loaded".into(),
                    ));
                    continue;
                }
                if !map.has_target(l.rule.target) {
                    problems.push(LoadProblem::warning(
                        &src.path,
                        Some(&l.rule.id),
                        format!("no field mapping for {}", l.rule.target.as_str()),
                    ));
                }
                set.push(l.rule, l.node);
            }
        }
        set.process.cmd.finish();
        set.auditd.cmd.finish();
        set.id = NEXT_SET_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        (set, problems)
    }

    fn push(&mut self, rule: Rule, node: Node) {
        let Ok(idx) = u32::try_from(self.rules.len()) else {
            return;
        };
        let target = rule.target;
        let [k1, k2] = keys(target);
        let tr = self.target_mut(target);
        tr.count += 1;
        let mut filed = false;
        // auditd's `type: EXECVE` is on every process start; the command-line literals of such
        // rules are far more selective, so they win there.
        if target == Target::LinuxAuditd
            && let Some(needles) = required_needles(&node, false)
        {
            tr.cmd.add(idx, needles);
            filed = true;
        }
        if target == Target::LinuxAuditd
            && !filed
            && let Some((acc, kind)) = &k2
            && let Some(vals) = required(&node, acc, *kind)
        {
            for v in &vals {
                tr.secondary.insert(v, idx);
            }
            filed = true;
        }
        if !filed
            && let Some((acc, kind)) = &k1
            && let Some(vals) = required(&node, acc, *kind)
        {
            for v in &vals {
                tr.primary.insert(v, idx);
            }
            filed = true;
        }
        if !filed
            && let Some((acc, kind)) = &k2
            && let Some(vals) = required(&node, acc, *kind)
        {
            for v in &vals {
                tr.secondary.insert(v, idx);
            }
            filed = true;
        }
        let host = matches!(target, Target::LinuxProcessCreation | Target::LinuxAuditd);
        if !filed
            && host
            && let Some(needles) = required_needles(&node, target == Target::LinuxProcessCreation)
        {
            tr.cmd.add(idx, needles);
            filed = true;
        }
        if !filed {
            filed = file_extra(tr, target, &node, idx);
        }
        if !filed {
            tr.always.push(idx);
        }
        self.reads.push(if target == Target::CloudTrail {
            memo::reads(&node, &mut self.memo_fields)
        } else {
            Reads::Volatile
        });
        self.rules.push(rule);
        self.nodes.push(node);
    }

    fn target_mut(&mut self, t: Target) -> &mut TargetRules {
        match t {
            Target::CloudTrail => &mut self.cloud,
            Target::LinuxProcessCreation => &mut self.process,
            Target::LinuxAuditd => &mut self.auditd,
            Target::LinuxFileEvent => &mut self.file,
            Target::LinuxNetworkConnection => &mut self.network,
        }
    }

    /// Every loaded rule, in load order; `RuleRef(i)` is `rules()[i]`.
    pub fn rules(&self) -> &[Rule] {
        &self.rules
    }

    pub fn rule(&self, r: RuleRef) -> &Rule {
        &self.rules[r.0 as usize]
    }

    pub fn len(&self) -> usize {
        self.rules.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// The rule with this `id`, if loaded.
    pub fn find(&self, id: &str) -> Option<RuleRef> {
        self.rules
            .iter()
            .position(|r| r.id == id)
            .and_then(|i| u32::try_from(i).ok())
            .map(RuleRef)
    }

    /// Appends the rules `event` matches to `hits`, in load order. Allocation-free apart from
    /// `hits` growing and, for host events, a command-line buffer: use
    /// [`RuleSet::matches_with`] with a kept [`Scratch`] on hot paths.
    pub fn matches(&self, event: &Event, hits: &mut Vec<RuleRef>) {
        self.matches_with(event, &mut Scratch::default(), hits);
    }

    /// [`RuleSet::matches`] reusing the caller's buffers.
    pub fn matches_with(&self, event: &Event, scratch: &mut Scratch, hits: &mut Vec<RuleRef>) {
        scratch.event.cmdline_for = None;
        let start = hits.len();
        match &event.body {
            EventBody::Cloud(c) => {
                let t = &self.cloud;
                let mut picked = std::mem::take(&mut scratch.picked);
                picked.clear();
                picked.extend_from_slice(t.primary.get(&c.action));
                picked.extend_from_slice(t.secondary.get(&c.service));
                for (at, (acc, extra)) in t.extra.iter().enumerate() {
                    self.pick_extra(at, acc, extra, event, scratch, &mut picked);
                }
                picked.extend_from_slice(&t.always);
                self.decide(&picked, event, scratch, hits);
                scratch.picked = picked;
            }
            EventBody::Host(h) => {
                let exe = match &h.kind {
                    HostEventKind::ProcessStart { process } => Some(process.exe.as_str()),
                    HostEventKind::FileAccess { process, .. }
                    | HostEventKind::Network { process, .. } => process.exe.as_deref(),
                    _ => None,
                };
                let base = exe.map(|e| e.rsplit('/').next().unwrap_or(e));
                let by_kind = match &h.kind {
                    HostEventKind::ProcessStart { .. } => Some(&self.process),
                    HostEventKind::FileAccess { .. } => Some(&self.file),
                    HostEventKind::Network { .. } => Some(&self.network),
                    _ => None,
                };
                if let Some(t) = by_kind {
                    if let Some(b) = base {
                        self.run(t.primary.get(b), event, scratch, hits);
                    }
                    self.run(&t.always, event, scratch, hits);
                }
                let t = &self.auditd;
                self.run(t.primary.get(audit_type(&h.kind)), event, scratch, hits);
                if let HostEventKind::ProcessStart { process } = &h.kind
                    && let Some(a0) = process.argv.first()
                {
                    self.run(t.secondary.get(a0), event, scratch, hits);
                }
                self.run(&t.always, event, scratch, hits);
                if matches!(h.kind, HostEventKind::ProcessStart { .. })
                    && !(self.process.cmd.is_empty() && self.auditd.cmd.is_empty())
                {
                    self.run_prefiltered(event, scratch, hits);
                }
            }
        }
        hits[start..].sort_unstable();
    }

    /// Every rule whose target covers `event`, evaluated one by one with no index and no
    /// prefilter: the reference the indexed path is tested against. Slow; not for production.
    #[doc(hidden)]
    pub fn matches_exhaustive(&self, event: &Event, hits: &mut Vec<RuleRef>) {
        let mut scratch = Scratch::default();
        for (i, rule) in self.rules.iter().enumerate() {
            let applies = match (&event.body, rule.target) {
                (EventBody::Cloud(_), Target::CloudTrail) => true,
                (EventBody::Host(_), Target::LinuxAuditd) => true,
                (EventBody::Host(h), t) => matches!(
                    (&h.kind, t),
                    (
                        HostEventKind::ProcessStart { .. },
                        Target::LinuxProcessCreation
                    ) | (HostEventKind::FileAccess { .. }, Target::LinuxFileEvent)
                        | (
                            HostEventKind::Network { .. },
                            Target::LinuxNetworkConnection
                        )
                ),
                _ => false,
            };
            if applies
                && let (Some(node), Ok(idx)) = (self.nodes.get(i), u32::try_from(i))
                && eval(node, event, &mut scratch.event)
            {
                hits.push(RuleRef(idx));
            }
        }
    }

    /// Appends the rules filed under `acc` (the set's extra key number `at`) that `event` may
    /// match to `picked`.
    fn pick_extra(
        &self,
        at: usize,
        acc: &Accessor,
        extra: &Extra,
        event: &Event,
        scratch: &mut Scratch,
        picked: &mut Vec<u32>,
    ) {
        match extra {
            Extra::Exact(index) => with_value(acc, event, &mut scratch.event, |v| {
                let mut buf = [0u8; 20];
                if let Some(t) = v.and_then(|v| text_of(v, &mut buf)) {
                    picked.extend_from_slice(index.get(t));
                }
            }),
            Extra::Present(rules) => {
                let present = with_value(acc, event, &mut scratch.event, |v| {
                    !matches!(v, None | Some(Val::Null))
                });
                if present {
                    picked.extend_from_slice(rules);
                }
            }
            Extra::Needle(filter) => {
                let n = self.rules.len();
                let (marks, folded, needles) = (
                    &mut scratch.marks,
                    &mut scratch.folded,
                    &mut scratch.needles,
                );
                with_value(acc, event, &mut scratch.event, |v| {
                    let mut buf = [0u8; 20];
                    let Some(t) = v.and_then(|v| text_of(v, &mut buf)) else {
                        return;
                    };
                    if let Some(known) = needles.recall(self.id, at, t) {
                        picked.extend_from_slice(known);
                        return;
                    }
                    let start = picked.len();
                    filter.candidates(t, folded, marks, picked, n);
                    needles.remember(self.id, at, t, picked.get(start..).unwrap_or_default());
                });
            }
        }
    }

    /// Evaluates the `picked` rules of a cloud event, appending those it matches to `hits`.
    /// The rules that read only model fields are answered together from the decision memo
    /// when an earlier event gave the same values for those fields (see [`crate::memo`]); the
    /// others are evaluated one by one.
    fn decide(
        &self,
        picked: &[u32],
        event: &Event,
        scratch: &mut Scratch,
        hits: &mut Vec<RuleRef>,
    ) {
        let Scratch {
            event: es,
            memo,
            matched,
            ..
        } = scratch;
        memo.begin(self.id);
        // The key: how many rules, which, then the value of each field they read.
        memo.key.extend_from_slice(&[0; 4]);
        let (mut fields, mut keyed, mut volatile) = (0u64, 0u32, false);
        for &i in picked {
            match self.reads.get(i as usize) {
                Some(Reads::Fields(m)) => {
                    fields |= m;
                    keyed += 1;
                    memo.key.extend_from_slice(&i.to_le_bytes());
                }
                _ => volatile = true,
            }
        }
        if keyed > 0 {
            memo.key[..4].copy_from_slice(&keyed.to_le_bytes());
            while fields != 0 {
                let bit = fields.trailing_zeros() as usize;
                fields &= fields - 1;
                let Some(acc) = self.memo_fields.get(bit) else {
                    continue;
                };
                match (&event.body, acc) {
                    (_, Accessor::Part(..) | Accessor::CloudJson(..)) | (EventBody::Host(_), _) => {
                        with_value(acc, event, es, |v| memo::encode(v, &mut memo.key));
                    }
                    (EventBody::Cloud(c), _) => {
                        memo::encode(cloud_value(acc, event, c), &mut memo.key)
                    }
                }
            }
            match memo.recall() {
                Ok(known) => hits.extend(known.iter().map(|&i| RuleRef(i))),
                Err(hash) => {
                    matched.clear();
                    for &i in picked {
                        if let (Some(Reads::Fields(_)), Some(node)) =
                            (self.reads.get(i as usize), self.nodes.get(i as usize))
                            && eval(node, event, es)
                        {
                            matched.push(i);
                        }
                    }
                    hits.extend(matched.iter().map(|&i| RuleRef(i)));
                    memo.remember(hash, matched);
                }
            }
        }
        if volatile {
            for &i in picked {
                if !matches!(self.reads.get(i as usize), Some(Reads::Fields(_)))
                    && let Some(node) = self.nodes.get(i as usize)
                    && eval(node, event, es)
                {
                    hits.push(RuleRef(i));
                }
            }
        }
    }

    /// Rules reached through the command-line literals of a process start.
    fn run_prefiltered(&self, event: &Event, scratch: &mut Scratch, hits: &mut Vec<RuleRef>) {
        let mut cands = std::mem::take(&mut scratch.cands);
        cands.clear();
        let n = self.rules.len();
        let marks = &mut scratch.marks;
        let haystack = &mut scratch.haystack;
        haystack.clear();
        if let EventBody::Host(h) = &event.body
            && let HostEventKind::ProcessStart { process } = &h.kind
        {
            haystack.push_str(&process.exe);
            haystack.push('\n');
            haystack.push_str(process.parent_exe.as_deref().unwrap_or(""));
            haystack.push('\n');
        }
        with_value(&Accessor::ProcCommandLine, event, &mut scratch.event, |v| {
            if let Some(Val::Str(cmdline)) = v {
                haystack.push_str(cmdline);
            }
        });
        self.process.cmd.candidates(haystack, marks, &mut cands, n);
        self.auditd.cmd.candidates(haystack, marks, &mut cands, n);
        cands.sort_unstable();
        self.run(&cands, event, scratch, hits);
        scratch.cands = cands;
    }

    fn run(&self, idx: &[u32], event: &Event, scratch: &mut Scratch, hits: &mut Vec<RuleRef>) {
        for &i in idx {
            if let Some(node) = self.nodes.get(i as usize)
                && eval(node, event, &mut scratch.event)
            {
                hits.push(RuleRef(i));
            }
        }
    }

    /// How the rules are indexed, per target that has rules.
    pub fn index_stats(&self) -> Vec<IndexStats> {
        [
            (Target::CloudTrail, &self.cloud),
            (Target::LinuxProcessCreation, &self.process),
            (Target::LinuxAuditd, &self.auditd),
            (Target::LinuxFileEvent, &self.file),
            (Target::LinuxNetworkConnection, &self.network),
        ]
        .into_iter()
        .filter(|(_, t)| t.count > 0)
        .map(|(target, t)| IndexStats {
            target,
            rules: t.count,
            keys: t.primary.len()
                + t.secondary.len()
                + t.extra
                    .iter()
                    .map(|(_, e)| match e {
                        Extra::Exact(index) => index.len(),
                        Extra::Present(_) => 1,
                        Extra::Needle(_) => 0,
                    })
                    .sum::<usize>(),
            prefiltered: t.cmd.len()
                + t.extra
                    .iter()
                    .map(|(_, e)| match e {
                        Extra::Needle(filter) => filter.len(),
                        _ => 0,
                    })
                    .sum::<usize>(),
            always: t.always.len(),
        })
        .collect()
    }
}

/// The auditd record type a host event stands for (what `type:` in auditd rules compares).
fn audit_type(kind: &HostEventKind) -> &'static str {
    match kind {
        HostEventKind::ProcessStart { .. } => "EXECVE",
        HostEventKind::FileAccess { .. } => "PATH",
        HostEventKind::Network { .. } => "SOCKADDR",
        HostEventKind::Login { .. } => "USER_LOGIN",
        _ => "",
    }
}

const MAX_DEPTH: usize = 32;

/// Each source's rules and problems, in the order of `sources`. Parsing YAML and building
/// regexes is about half of a command's start-up, and sources compile independently, so with a
/// second core the later half compiles on a thread of its own. `vigil rules hunt` of one event
/// with the 194 CloudTrail rules, 20 interleaved runs each on the project's 2-core VM: median
/// 27.2–28.0 ms on one thread, 23.5–24.4 ms on two. The result does not depend on the split:
/// the caller takes the sources in their order either way.
fn compile_all(
    sources: Vec<RuleSource>,
    map: &FieldMap,
    parallel: bool,
) -> Vec<(RuleSource, Vec<Loaded>, Vec<LoadProblem>)> {
    let compile = |part: Vec<RuleSource>| -> Vec<(RuleSource, Vec<Loaded>, Vec<LoadProblem>)> {
        part.into_iter()
            .map(|src| {
                let mut problems = Vec::new();
                let loaded = load_text(&src.path, &src.text, map, &mut problems);
                (src, loaded, problems)
            })
            .collect()
    };
    if !parallel {
        return compile(sources);
    }
    let mut first = sources;
    // Held here, not moved into the thread, so it is still at hand if no thread starts.
    let second = std::sync::Mutex::new(first.split_off(first.len() / 2));
    let take = || std::mem::take(&mut *second.lock().unwrap_or_else(|p| p.into_inner()));
    std::thread::scope(|scope| {
        let later = std::thread::Builder::new()
            .name("vigil-rules".to_string())
            .spawn_scoped(scope, || compile(take()));
        let mut done = compile(first);
        match later {
            Ok(later) => match later.join() {
                Ok(rest) => done.extend(rest),
                // A rule that panics the compiler is a bug; it would have panicked here too.
                Err(panic) => std::panic::resume_unwind(panic),
            },
            Err(_) => done.extend(compile(take())),
        }
        done
    })
}

/// Fewer sources than this compile on the calling thread alone (a thread costs more than a
/// few rules).
const PARALLEL_FROM: usize = 16;

/// Reads rule files under `paths`, sorted, each capped at [`crate::MAX_RULE_BYTES`].
pub(crate) fn read_sources(paths: &[PathBuf]) -> (Vec<RuleSource>, Vec<LoadProblem>) {
    let mut files = Vec::new();
    let mut problems = Vec::new();
    for p in paths {
        collect(p, 0, true, &mut files, &mut problems);
    }
    files.sort();
    files.dedup();
    let mut out = Vec::new();
    for f in files {
        match std::fs::metadata(&f) {
            Ok(m) if m.len() > crate::MAX_RULE_BYTES => problems.push(LoadProblem::error(
                &f,
                None,
                format!("file is larger than {} bytes", crate::MAX_RULE_BYTES),
            )),
            Ok(_) => match std::fs::read(&f) {
                Ok(bytes) => match String::from_utf8(bytes) {
                    Ok(text) => out.push(RuleSource { path: f, text }),
                    Err(_) => problems.push(LoadProblem::error(&f, None, "not UTF-8".into())),
                },
                Err(e) => problems.push(LoadProblem::error(&f, None, format!("read: {e}"))),
            },
            Err(e) => problems.push(LoadProblem::error(&f, None, format!("stat: {e}"))),
        }
    }
    (out, problems)
}

fn is_rule_file(p: &Path) -> bool {
    matches!(p.extension().and_then(|e| e.to_str()), Some("yml" | "yaml"))
}

fn collect(
    p: &Path,
    depth: usize,
    explicit: bool,
    files: &mut Vec<PathBuf>,
    problems: &mut Vec<LoadProblem>,
) {
    let meta = if explicit {
        std::fs::metadata(p)
    } else {
        std::fs::symlink_metadata(p)
    };
    match meta {
        Ok(m) if m.is_dir() => {
            if depth >= MAX_DEPTH {
                problems.push(LoadProblem::error(
                    p,
                    None,
                    "directory nesting too deep".into(),
                ));
                return;
            }
            match std::fs::read_dir(p) {
                Ok(rd) => {
                    for e in rd.flatten() {
                        collect(&e.path(), depth + 1, false, files, problems);
                    }
                }
                Err(e) => problems.push(LoadProblem::error(p, None, format!("read dir: {e}"))),
            }
        }
        Ok(m) if m.is_file() && (explicit || is_rule_file(p)) => files.push(p.to_path_buf()),
        Ok(_) => {}
        Err(e) => problems.push(LoadProblem::error(p, None, format!("stat: {e}"))),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    /// The project's own rule pack plus texts that fail in each way a source can (bad YAML, no
    /// detection, a duplicate id, a bad regex), in an order that puts failures in both halves.
    fn sources() -> Vec<RuleSource> {
        let pack = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../rules");
        let (mut all, problems) = read_sources(&[pack]);
        assert!(problems.is_empty(), "{problems:?}");
        assert!(all.len() > 2 * PARALLEL_FROM, "{} rule files", all.len());
        let dup = all[3].clone();
        let bad = [
            ("bad_yaml.yml", "title: [unclosed\n"),
            (
                "no_detection.yml",
                "title: x\nid: 1\nlogsource:\n  product: aws\n",
            ),
            (
                "bad_regex.yml",
                "title: r\nid: r-1\nlogsource:\n  product: aws\n  service: cloudtrail\ndetection:\n  s:\n    eventName|re: '(unclosed'\n  condition: s\n",
            ),
        ];
        for (i, (name, text)) in bad.into_iter().enumerate() {
            all.insert(
                i * all.len() / 3,
                RuleSource {
                    path: PathBuf::from(name),
                    text: text.to_string(),
                },
            );
        }
        all.push(dup);
        all
    }

    fn summary(done: &[(RuleSource, Vec<Loaded>, Vec<LoadProblem>)]) -> Vec<String> {
        done.iter()
            .map(|(src, loaded, problems)| {
                let ids: Vec<&str> = loaded.iter().map(|l| l.rule.id.as_str()).collect();
                format!("{} {ids:?} {problems:?}", src.path.display())
            })
            .collect()
    }

    #[test]
    fn compiling_on_two_threads_gives_what_one_thread_gives() {
        let map = FieldMap::builtin();
        let one = compile_all(sources(), &map, false);
        let two = compile_all(sources(), &map, true);
        assert_eq!(one.len(), sources().len());
        let (one, two) = (summary(&one), summary(&two));
        assert_eq!(one, two);
        // The broken texts were compiled, and reported, where they stand.
        let failing = one.iter().filter(|l| l.contains("[] [")).count();
        assert!(failing >= 3, "{failing} sources without rules: {one:#?}");

        // The set built from them: same rules in the same order, same problems.
        let (set, problems) = RuleSet::from_sources(sources());
        let ids: Vec<&str> = set.rules.iter().map(|r| r.id.as_str()).collect();
        let mut expected = Vec::new();
        for (_, loaded, _) in compile_all(sources(), &map, false) {
            for l in loaded {
                if !expected.contains(&l.rule.id) {
                    expected.push(l.rule.id);
                }
            }
        }
        assert_eq!(ids, expected);
        assert!(
            problems
                .iter()
                .any(|p| p.message.contains("duplicate rule id")),
            "{problems:?}"
        );
    }
}
