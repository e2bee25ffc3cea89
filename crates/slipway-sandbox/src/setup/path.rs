//! Paths inside the root, resolved before the root is entered: symbolic links in the rootfs are
//! followed as the command would see them (absolute links start at the root, `..` stops at
//! it), never into the host's own tree, so a mount cannot land outside the root.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io;
use std::path::{Component, Path, PathBuf};

/// As Linux's limit on links followed in one lookup.
const MAX_LINKS: usize = 40;

/// The host path of `inside` (absolute, inside the root) under `root`, with every symbolic
/// link resolved within the root. The result's last components may not exist; everything
/// before the first missing one is a real directory under `root`.
pub(crate) fn resolve_in_root(root: &Path, inside: &Path) -> io::Result<PathBuf> {
    let mut pending: VecDeque<OsString> = names(inside).collect();
    let mut resolved = PathBuf::new();
    let mut links = 0;
    while let Some(name) = pending.pop_front() {
        if name == ".." {
            resolved.pop();
            continue;
        }
        let candidate = root.join(&resolved).join(&name);
        match candidate.symlink_metadata() {
            Ok(meta) if meta.file_type().is_symlink() => {
                links += 1;
                if links > MAX_LINKS {
                    return Err(io::Error::from_raw_os_error(nix::libc::ELOOP));
                }
                let target = candidate.read_link()?;
                if target.is_absolute() {
                    resolved.clear();
                }
                for (at, component) in names(&target).enumerate() {
                    pending.insert(at, component);
                }
            }
            Ok(_) => resolved.push(name),
            Err(error) if error.kind() == io::ErrorKind::NotFound => resolved.push(name),
            Err(error) => return Err(error),
        }
    }
    Ok(root.join(resolved))
}

/// The names in `path`, with `..` kept and `/` and `.` dropped.
fn names(path: &Path) -> impl Iterator<Item = OsString> + '_ {
    path.components().filter_map(|component| match component {
        Component::Normal(name) => Some(name.to_owned()),
        Component::ParentDir => Some(OsString::from("..")),
        Component::RootDir | Component::CurDir | Component::Prefix(_) => None,
    })
}

#[cfg(test)]
mod tests {
    use std::fs;
    use std::os::unix::fs::symlink;

    use super::*;

    fn root() -> tempfile::TempDir {
        let root = tempfile::tempdir().expect("tempdir");
        fs::create_dir_all(root.path().join("usr/bin")).expect("mkdir");
        fs::create_dir_all(root.path().join("run")).expect("mkdir");
        fs::create_dir_all(root.path().join("etc")).expect("mkdir");
        root
    }

    #[test]
    fn plain_paths_join_the_root() {
        let root = root();
        let got = resolve_in_root(root.path(), Path::new("/usr/bin/sh")).expect("resolve");
        assert_eq!(got, root.path().join("usr/bin/sh"));
    }

    #[test]
    fn relative_links_resolve_inside_the_root() {
        let root = root();
        symlink("usr/bin", root.path().join("bin")).expect("symlink");
        let got = resolve_in_root(root.path(), Path::new("/bin/sh")).expect("resolve");
        assert_eq!(got, root.path().join("usr/bin/sh"));
    }

    #[test]
    fn absolute_links_start_at_the_root_not_at_the_hosts() {
        let root = root();
        symlink("/run/resolv.conf", root.path().join("etc/resolv.conf")).expect("symlink");
        let got = resolve_in_root(root.path(), Path::new("/etc/resolv.conf")).expect("resolve");
        assert_eq!(got, root.path().join("run/resolv.conf"));
    }

    #[test]
    fn dot_dot_stops_at_the_root() {
        let root = root();
        symlink("../../../../etc", root.path().join("run/escape")).expect("symlink");
        let got = resolve_in_root(root.path(), Path::new("/run/escape/passwd")).expect("resolve");
        assert_eq!(got, root.path().join("etc/passwd"));
        let got = resolve_in_root(root.path(), Path::new("/../../etc")).expect("resolve");
        assert_eq!(got, root.path().join("etc"));
    }

    #[test]
    fn link_loops_are_an_error() {
        let root = root();
        symlink("b", root.path().join("a")).expect("symlink");
        symlink("a", root.path().join("b")).expect("symlink");
        let error = resolve_in_root(root.path(), Path::new("/a")).expect_err("a loop");
        assert_eq!(error.raw_os_error(), Some(nix::libc::ELOOP));
    }
}
