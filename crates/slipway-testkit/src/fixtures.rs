//! Preparing fixture apps: copying an example into a scratch dir a test may edit, and setting
//! every mtime to one instant (reproducibility tests check that mtimes do not leak into layers).

use std::fs::{self, File, FileTimes};
use std::path::Path;
use std::time::SystemTime;

/// Copy the directory tree `from` into `to` (created if missing): files with their permissions,
/// symlinks as symlinks.
///
/// # Panics
///
/// When anything cannot be read or written; the message names the path.
pub fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap_or_else(|e| panic!("creating {}: {e}", to.display()));
    let entries = fs::read_dir(from).unwrap_or_else(|e| panic!("listing {}: {e}", from.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("listing {}: {e}", from.display()));
        let source = entry.path();
        let target = to.join(entry.file_name());
        let kind = entry
            .file_type()
            .unwrap_or_else(|e| panic!("reading the type of {}: {e}", source.display()));
        if kind.is_dir() {
            copy_dir(&source, &target);
        } else if kind.is_symlink() {
            let link = fs::read_link(&source)
                .unwrap_or_else(|e| panic!("reading link {}: {e}", source.display()));
            std::os::unix::fs::symlink(&link, &target)
                .unwrap_or_else(|e| panic!("creating link {}: {e}", target.display()));
        } else {
            fs::copy(&source, &target).unwrap_or_else(|e| {
                panic!("copying {} to {}: {e}", source.display(), target.display())
            });
        }
    }
}

/// Set the modification time of `dir` and of every file and directory under it to `time`.
/// Symlinks themselves are left alone (std cannot set a link's own mtime).
///
/// # Panics
///
/// When a file cannot be opened or its time set; the message names the path.
pub fn touch_all(dir: &Path, time: SystemTime) {
    let entries = fs::read_dir(dir).unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
    for entry in entries {
        let entry = entry.unwrap_or_else(|e| panic!("listing {}: {e}", dir.display()));
        let path = entry.path();
        let kind = entry
            .file_type()
            .unwrap_or_else(|e| panic!("reading the type of {}: {e}", path.display()));
        if kind.is_dir() {
            touch_all(&path, time);
        } else if !kind.is_symlink() {
            set_mtime(&path, time);
        }
    }
    // After the children: touching them does not change a directory's mtime, but be explicit.
    set_mtime(dir, time);
}

fn set_mtime(path: &Path, time: SystemTime) {
    let file = File::open(path).unwrap_or_else(|e| panic!("opening {}: {e}", path.display()));
    file.set_times(FileTimes::new().set_modified(time))
        .unwrap_or_else(|e| panic!("setting the mtime of {}: {e}", path.display()));
}

/// Every file under `dir`, as paths relative to it, sorted: what a test compares to say "nothing
/// was cached" or "exactly these files were written".
#[must_use]
pub fn relative_files(dir: &Path) -> Vec<String> {
    fn walk(dir: &Path, root: &Path, out: &mut Vec<String>) {
        for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                walk(&path, root, out);
            } else if let Ok(relative) = path.strip_prefix(root) {
                out.push(relative.display().to_string());
            }
        }
    }
    let mut out = Vec::new();
    walk(dir, dir, &mut out);
    out.sort();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;
    use std::time::Duration;

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("tempdir");
        let root = dir.path();
        fs::create_dir_all(root.join("a/b")).expect("mkdir");
        fs::write(root.join("top.txt"), "top").expect("write");
        fs::write(root.join("a/b/deep.sh"), "#!/bin/sh\n").expect("write");
        fs::set_permissions(root.join("a/b/deep.sh"), fs::Permissions::from_mode(0o755))
            .expect("chmod");
        std::os::unix::fs::symlink("b/deep.sh", root.join("a/link")).expect("symlink");
        dir
    }

    #[test]
    fn copy_dir_copies_contents_modes_and_links() {
        let from = tree();
        let to = tempfile::tempdir().expect("tempdir");
        let dest = to.path().join("copy");
        copy_dir(from.path(), &dest);
        assert_eq!(
            fs::read_to_string(dest.join("top.txt")).expect("read"),
            "top"
        );
        let mode = fs::metadata(dest.join("a/b/deep.sh"))
            .expect("stat")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o755);
        assert_eq!(
            fs::read_link(dest.join("a/link")).expect("readlink"),
            Path::new("b/deep.sh")
        );
    }

    #[test]
    fn touch_all_sets_every_mtime() {
        let dir = tree();
        let when = SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000);
        touch_all(dir.path(), when);
        for path in ["", "top.txt", "a", "a/b", "a/b/deep.sh"] {
            let full = dir.path().join(path);
            let mtime = fs::metadata(&full)
                .expect("stat")
                .modified()
                .expect("mtime");
            assert_eq!(mtime, when, "{}", full.display());
        }
    }
}
