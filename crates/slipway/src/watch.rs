//! Noticing that an app's files changed, for `slipway run --watch`.
//!
//! The app's tree is polled: every [`POLL`] its files' paths, sizes and modification times are
//! hashed, skipping what `.gitignore` and `.slipwayignore` exclude (as git would, in a
//! repository or not) and version-control directories. Polling works on every filesystem
//! (bind mounts, network shares, editors that replace files), where change notifications do
//! not always; for an app's sources a walk takes a millisecond or two.

use std::hash::{DefaultHasher, Hash as _, Hasher as _};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How often the tree is looked at.
const POLL: Duration = Duration::from_millis(200);
/// How long the tree must stay unchanged before a change counts: an editor's save or a `git
/// checkout` writes several files.
const SETTLE: Duration = Duration::from_millis(150);

/// The app file ignore file slipway reads beside `.gitignore`.
pub const IGNORE_FILE: &str = ".slipwayignore";

/// Watches one app directory.
pub struct Watcher {
    root: PathBuf,
    last: u64,
}

impl Watcher {
    /// Starts watching `root`, taking its current state as the baseline.
    pub fn new(root: &Path) -> std::io::Result<Self> {
        let root = root.canonicalize()?;
        let last = fingerprint(&root);
        Ok(Self { root, last })
    }

    /// Returns when the tree differs from the last state seen (and has settled).
    pub async fn changed(&mut self) {
        loop {
            tokio::time::sleep(POLL).await;
            let now = self.scan().await;
            if now == self.last {
                continue;
            }
            let mut settled = now;
            loop {
                tokio::time::sleep(SETTLE).await;
                let again = self.scan().await;
                if again == settled {
                    break;
                }
                settled = again;
            }
            self.last = settled;
            return;
        }
    }

    async fn scan(&self) -> u64 {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || fingerprint(&root))
            .await
            .unwrap_or_default()
    }
}

/// A hash of every watched file's path, size and modification time.
pub fn fingerprint(root: &Path) -> u64 {
    let mut files: Vec<(PathBuf, u64, Option<std::time::SystemTime>)> =
        ignore::WalkBuilder::new(root)
            .hidden(false)
            .git_ignore(true)
            .git_exclude(false)
            .git_global(false)
            .require_git(false)
            .add_custom_ignore_filename(IGNORE_FILE)
            .filter_entry(|entry| {
                !matches!(entry.file_name().to_str(), Some(".git" | ".hg" | ".svn"))
            })
            .build()
            .flatten()
            .filter(|entry| entry.file_type().is_some_and(|t| t.is_file()))
            .filter_map(|entry| {
                let meta = entry.metadata().ok()?;
                Some((entry.into_path(), meta.len(), meta.modified().ok()))
            })
            .collect();
    files.sort();
    let mut hasher = DefaultHasher::new();
    files.hash(&mut hasher);
    hasher.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ignored_files_do_not_count_as_changes() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("main.go"), "package main").unwrap();
        std::fs::write(dir.path().join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::write(dir.path().join(IGNORE_FILE), "scratch.txt\n").unwrap();
        let before = fingerprint(dir.path());
        std::fs::create_dir(dir.path().join("target")).unwrap();
        std::fs::write(dir.path().join("target/app.war"), "x").unwrap();
        std::fs::write(dir.path().join("debug.log"), "x").unwrap();
        std::fs::write(dir.path().join("scratch.txt"), "x").unwrap();
        std::fs::create_dir(dir.path().join(".git")).unwrap();
        std::fs::write(dir.path().join(".git/index"), "x").unwrap();
        assert_eq!(fingerprint(dir.path()), before);
        std::fs::write(dir.path().join("main.go"), "package main // edited").unwrap();
        assert_ne!(fingerprint(dir.path()), before);
    }
}
