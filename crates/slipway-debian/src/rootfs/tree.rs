//! The files one layer group holds, keyed by image path, as packages are unpacked into it.

use std::collections::{BTreeMap, BTreeSet};

use slipway_oci::LayerBuilder;

use super::Overwrite;
use super::paths::{ALIASES, Placement, dropped, merged, place, relink};
use crate::deb::{DataEntry, Deb, DebError, EntryKind};

/// One path's contents. Files are root-owned in layers (see [`Tree::add_package`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Node {
    Dir { mode: u32, owner: (u64, u64) },
    File { mode: u32, contents: Vec<u8> },
    Symlink { target: String },
}

impl Node {
    pub(crate) fn is_dir(&self) -> bool {
        matches!(self, Node::Dir { .. })
    }
}

/// A node and the package that put it there (`None`: slipway made it).
#[derive(Debug, Clone)]
pub(crate) struct Placed {
    pub(crate) node: Node,
    pub(crate) package: Option<usize>,
}

/// What unpacking found that the caller reports.
#[derive(Debug, Default)]
pub(crate) struct Findings {
    pub(crate) overwrites: Vec<Overwrite>,
    pub(crate) notes: Vec<String>,
    /// Alias directories (`lib32`, ...) some package shipped files under.
    pub(crate) aliases_used: BTreeSet<&'static str>,
}

/// The entries of one layer.
#[derive(Debug, Default)]
pub(crate) struct Tree {
    pub(crate) entries: BTreeMap<String, Placed>,
}

impl Tree {
    /// Unpacks `deb` (package number `package`, named by `names`) into the tree: paths merged
    /// into `/usr`, docs and manuals dropped, hard links made copies, and a later package's file
    /// replacing an earlier one's. Files keep their mode but become root-owned, because layers
    /// built by `LayerBuilder` own files by root; a file a package gives another owner also loses
    /// its setuid and setgid bits, so that it cannot gain root's rights, and a note says so.
    pub(crate) fn add_package(
        &mut self,
        deb: &Deb,
        package: usize,
        names: &[String],
        keep_locales: bool,
        findings: &mut Findings,
    ) -> Result<(), DebError> {
        let name = &names[package];
        deb.visit_data(|entry| {
            for (alias, _, _) in ALIASES {
                if entry
                    .path
                    .strip_prefix(alias)
                    .is_some_and(|r| r.starts_with('/'))
                {
                    findings.aliases_used.insert(alias);
                }
            }
            let Placement::At(path) = place(&entry.path) else {
                return;
            };
            if dropped(&path, keep_locales) {
                return;
            }
            if let Some(node) = self.node_for(entry, &path, name, findings) {
                self.insert(path, node, package, names, findings);
            }
        })
    }

    fn node_for(
        &self,
        entry: DataEntry,
        path: &str,
        package: &str,
        findings: &mut Findings,
    ) -> Option<Node> {
        match &entry.kind {
            EntryKind::Dir => Some(Node::Dir {
                mode: entry.mode,
                owner: (entry.uid, entry.gid),
            }),
            EntryKind::File => Some(Node::File {
                mode: file_mode(&entry, path, package, findings),
                contents: entry.contents,
            }),
            EntryKind::Symlink { target } => {
                relink(&entry.path, path, target).map(|target| Node::Symlink { target })
            }
            EntryKind::Hardlink { target } => {
                let source = merged(target);
                // The same inode: the target's mode (already made safe), not the header's.
                if let Some(Placed {
                    node: node @ Node::File { .. },
                    ..
                }) = self.entries.get(&source)
                {
                    return Some(node.clone());
                }
                findings.notes.push(format!(
                    "{package}: /{path} is a hard link to /{source}, which is not in the image; left out"
                ));
                None
            }
            EntryKind::Special => {
                findings.notes.push(format!(
                    "{package}: /{path} is a device or fifo; left out (the runtime provides /dev)"
                ));
                None
            }
        }
    }

    /// Adds a node: a later package wins over an earlier one, except that a directory is never
    /// replaced by a non-directory (its contents would vanish). Identical contents are not
    /// reported.
    pub(crate) fn insert(
        &mut self,
        path: String,
        node: Node,
        package: usize,
        names: &[String],
        findings: &mut Findings,
    ) {
        let Some(existing) = self.entries.get(&path) else {
            self.entries.insert(
                path,
                Placed {
                    node,
                    package: Some(package),
                },
            );
            return;
        };
        if existing.node.is_dir() && node.is_dir() {
            return;
        }
        let previous = existing.package.map_or("slipway", |p| names[p].as_str());
        if existing.node.is_dir() {
            findings.overwrites.push(Overwrite {
                path: format!("/{path}"),
                winner: previous.to_string(),
                loser: names[package].clone(),
            });
            return;
        }
        if existing.node != node && existing.package != Some(package) {
            findings.overwrites.push(Overwrite {
                path: format!("/{path}"),
                winner: names[package].clone(),
                loser: previous.to_string(),
            });
        }
        self.entries.insert(
            path,
            Placed {
                node,
                package: Some(package),
            },
        );
    }

    /// Adds something slipway makes (a status entry, an alias link) unless the path is taken.
    pub(crate) fn insert_own(&mut self, path: &str, node: Node) {
        self.entries.entry(path.to_string()).or_insert(Placed {
            node,
            package: None,
        });
    }

    /// Moves every entry into a layer.
    pub(crate) fn into_layer(self, layer: &mut LayerBuilder) {
        for (path, placed) in self.entries {
            match placed.node {
                Node::Dir { mode, owner } => layer.dir_owned(&path, mode, owner),
                Node::File { mode, contents } => layer.file(&path, mode, contents),
                Node::Symlink { target } => layer.symlink(&path, &target),
            };
        }
    }
}

fn file_mode(entry: &DataEntry, path: &str, package: &str, findings: &mut Findings) -> u32 {
    if entry.uid == 0 && entry.gid == 0 {
        return entry.mode;
    }
    let mode = entry.mode & !0o6000;
    findings.notes.push(format!(
        "{package}: /{path} is owned by {}:{} in the package; root-owned in the image{}",
        entry.uid,
        entry.gid,
        if mode == entry.mode {
            ""
        } else {
            ", setuid/setgid removed"
        }
    ));
    mode
}
