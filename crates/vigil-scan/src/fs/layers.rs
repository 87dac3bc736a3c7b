//! Container image layers applied in order, read in memory and never extracted: each layer's
//! tar is indexed (path → bytes range), whiteouts (`.wh.NAME`) delete what lower layers put
//! there and opaque markers (`.wh..wh..opq`) empty a directory. Entries that would escape the
//! root (`..`, absolute names) are reported and skipped.

use super::FileKind;
use crate::report::{Problem, ProblemKind};
use std::collections::BTreeMap;

/// Where a merged entry's content lives.
#[derive(Debug, Clone)]
pub(super) struct Node {
    pub kind: FileKind,
    pub layer: usize,
    pub offset: u64,
    pub size: u64,
    pub link: Option<String>,
}

/// The merged tree: `/`-rooted paths without a trailing slash.
#[derive(Default)]
pub(super) struct Merged {
    pub nodes: BTreeMap<String, Node>,
}

/// Normalises a tar entry name to `/a/b`, or `None` when it is unsafe.
fn clean_name(raw: &str) -> Result<String, &'static str> {
    if raw.starts_with('/') {
        return Err("absolute path in a tar entry");
    }
    let mut out = String::with_capacity(raw.len() + 1);
    for part in raw.split('/') {
        match part {
            "" | "." => {}
            ".." => return Err("`..` in a tar entry"),
            p => {
                out.push('/');
                out.push_str(p);
            }
        }
    }
    Ok(out)
}

impl Merged {
    fn remove_tree(&mut self, path: &str) {
        self.nodes.remove(path);
        let prefix = format!("{path}/");
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    fn remove_children(&mut self, dir: &str) {
        let prefix = if dir == "/" {
            "/".to_string()
        } else {
            format!("{dir}/")
        };
        let doomed: Vec<String> = self
            .nodes
            .range(prefix.clone()..)
            .take_while(|(k, _)| k.starts_with(&prefix))
            .map(|(k, _)| k.clone())
            .collect();
        for k in doomed {
            self.nodes.remove(&k);
        }
    }

    /// Applies one layer (its uncompressed tar bytes) on top of what is there.
    pub fn apply(&mut self, layer: usize, bytes: &[u8], label: &str, problems: &mut Vec<Problem>) {
        let mut added: Vec<(String, Node)> = Vec::new();
        let mut whiteouts: Vec<String> = Vec::new();
        let mut opaque: Vec<String> = Vec::new();
        let mut archive = tar::Archive::new(bytes);
        let entries = match archive.entries() {
            Ok(e) => e,
            Err(e) => {
                problems.push(Problem::new(
                    ProblemKind::TruncatedArchive,
                    label,
                    e.to_string(),
                ));
                return;
            }
        };
        for entry in entries {
            let entry = match entry {
                Ok(e) => e,
                Err(e) => {
                    problems.push(Problem::new(
                        ProblemKind::TruncatedArchive,
                        label,
                        format!("layer ends early: {e}"),
                    ));
                    break;
                }
            };
            let raw = match entry.path() {
                Ok(p) => p.to_string_lossy().into_owned(),
                Err(e) => {
                    problems.push(Problem::new(ProblemKind::UnsafePath, label, e.to_string()));
                    continue;
                }
            };
            let path = match clean_name(&raw) {
                Ok(p) => p,
                Err(why) => {
                    problems.push(Problem::new(
                        ProblemKind::UnsafePath,
                        format!("{label}:{raw}"),
                        why,
                    ));
                    continue;
                }
            };
            if path.is_empty() {
                continue;
            }
            let (dir, base) = match path.rfind('/') {
                Some(0) => ("/", path.get(1..).unwrap_or_default()),
                Some(i) => (
                    path.get(..i).unwrap_or_default(),
                    path.get(i + 1..).unwrap_or_default(),
                ),
                None => ("/", path.as_str()),
            };
            if base == ".wh..wh..opq" {
                opaque.push(dir.to_string());
                continue;
            }
            if let Some(hidden) = base.strip_prefix(".wh.") {
                whiteouts.push(if dir == "/" {
                    format!("/{hidden}")
                } else {
                    format!("{dir}/{hidden}")
                });
                continue;
            }
            let header = entry.header();
            let et = header.entry_type();
            let link = entry
                .link_name()
                .ok()
                .flatten()
                .map(|l| l.to_string_lossy().into_owned());
            let node = if et.is_dir() {
                Node {
                    kind: FileKind::Dir,
                    layer,
                    offset: 0,
                    size: 0,
                    link: None,
                }
            } else if et.is_symlink() {
                Node {
                    kind: FileKind::Symlink,
                    layer,
                    offset: 0,
                    size: 0,
                    link,
                }
            } else if et.is_hard_link() {
                // The link names another entry of the image; point at its bytes.
                let target = link.as_deref().and_then(|l| clean_name(l).ok());
                let found = target.as_ref().and_then(|t| {
                    added
                        .iter()
                        .rev()
                        .find(|(p, _)| p == t)
                        .map(|(_, n)| n.clone())
                        .or_else(|| self.nodes.get(t).cloned())
                });
                match found {
                    Some(n) if n.kind == FileKind::File => n,
                    _ => {
                        problems.push(Problem::new(
                            ProblemKind::Unreadable,
                            format!("{label}:{raw}"),
                            "hard link to a missing file",
                        ));
                        continue;
                    }
                }
            } else if et.is_file() || et == tar::EntryType::Continuous {
                Node {
                    kind: FileKind::File,
                    layer,
                    offset: entry.raw_file_position(),
                    size: entry.size(),
                    link: None,
                }
            } else if et.is_pax_global_extensions()
                || et.is_pax_local_extensions()
                || et.is_gnu_longname()
                || et.is_gnu_longlink()
            {
                continue;
            } else {
                Node {
                    kind: FileKind::Special,
                    layer,
                    offset: 0,
                    size: 0,
                    link: None,
                }
            };
            if node.kind == FileKind::File
                && node.offset.saturating_add(node.size) > bytes.len() as u64
            {
                problems.push(Problem::new(
                    ProblemKind::TruncatedArchive,
                    format!("{label}:{raw}"),
                    "file data runs past the end of the layer",
                ));
                continue;
            }
            added.push((path, node));
        }
        for dir in opaque {
            self.remove_children(&dir);
        }
        for gone in whiteouts {
            self.remove_tree(&gone);
        }
        for (path, node) in added {
            if node.kind != FileKind::Dir {
                // A file replacing a directory hides everything below it.
                if self
                    .nodes
                    .get(&path)
                    .is_some_and(|n| n.kind == FileKind::Dir)
                {
                    self.remove_tree(&path);
                }
            }
            self.nodes.insert(path, node);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unsafe_names_are_refused() {
        assert!(clean_name("../etc/passwd").is_err());
        assert!(clean_name("a/../../b").is_err());
        assert!(clean_name("/etc/passwd").is_err());
        assert_eq!(clean_name("./etc//passwd").unwrap(), "/etc/passwd");
    }
}
