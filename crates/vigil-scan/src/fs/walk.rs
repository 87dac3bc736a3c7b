//! A depth-first walk over any [`Filesystem`], in name order, never following symlinks (so
//! it cannot loop), reporting unreadable directories as problems and going on.

use super::{FileKind, Filesystem};
use crate::report::{Problem, ProblemKind};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WalkEntry {
    pub path: String,
    pub kind: FileKind,
    pub size: u64,
}

/// Every entry under `/` (the root itself excluded), depth-first, children sorted by name.
pub fn walk(fs: &dyn Filesystem, problems: &mut Vec<Problem>, visit: impl FnMut(&WalkEntry)) {
    walk_pruned(fs, problems, &|_| false, visit);
}

/// Like [`walk`], but neither visits nor enters paths for which `prune` is true.
pub fn walk_pruned(
    fs: &dyn Filesystem,
    problems: &mut Vec<Problem>,
    prune: &dyn Fn(&str) -> bool,
    mut visit: impl FnMut(&WalkEntry),
) {
    let mut stack = vec!["/".to_string()];
    while let Some(dir) = stack.pop() {
        let mut entries = match fs.read_dir(&dir) {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::new(
                    ProblemKind::Unreadable,
                    dir.clone(),
                    format!("directory: {e}"),
                ));
                continue;
            }
        };
        entries.sort_by(|a, b| a.name.cmp(&b.name));
        let mut subdirs = Vec::new();
        for e in entries {
            if e.name.is_empty() || e.name == "." || e.name == ".." || e.name.contains('/') {
                continue;
            }
            let path = if dir == "/" {
                format!("/{}", e.name)
            } else {
                format!("{dir}/{}", e.name)
            };
            if prune(&path) {
                continue;
            }
            let entry = WalkEntry {
                path,
                kind: e.kind,
                size: e.size,
            };
            visit(&entry);
            if e.kind == FileKind::Dir {
                subdirs.push(entry.path);
            }
        }
        // Reverse so the stack pops them in name order.
        stack.extend(subdirs.into_iter().rev());
    }
}
