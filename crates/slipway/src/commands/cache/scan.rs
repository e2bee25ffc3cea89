//! Measuring what `cache prune` may remove: the trees under the cache directory, their sizes and
//! ages, build environments, temporary files; and removing a path, read-only trees included.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use slipway_debian::archive::DEFAULT_MAX_AGE;
use slipway_oci::layout::ORPHAN_GRACE;

use super::{Candidate, TEMP_MAX_AGE};
use crate::settings::Settings;

/// The directories measured: the cache directory, and the Debian cache when it is elsewhere.
pub(super) fn roots(settings: &Settings) -> Vec<PathBuf> {
    let debian = settings.debian_cache();
    let mut roots = vec![settings.cache_dir.clone()];
    if !debian.starts_with(&settings.cache_dir) {
        roots.push(debian);
    }
    roots
}

/// The bytes of the files under `path` (or of the file), and the newest mtime among them.
/// Symbolic links are not followed; what cannot be read counts as nothing.
pub(super) fn walk(path: &Path) -> (u64, SystemTime) {
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return (0, SystemTime::UNIX_EPOCH);
    };
    let modified = metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    if !metadata.is_dir() {
        return (metadata.len(), modified);
    }
    let entries = fs::read_dir(path).into_iter().flatten().flatten();
    entries.fold((0, modified), |(bytes, newest), entry| {
        let (b, m) = walk(&entry.path());
        (bytes + b, newest.max(m))
    })
}

/// Deletes a file or a directory tree; one already gone is fine. Directories the tools made
/// read-only (Go's module cache) are made writable first.
pub(super) fn remove_path(path: &Path) -> std::io::Result<()> {
    let Ok(metadata) = fs::symlink_metadata(path) else {
        return Ok(());
    };
    if !metadata.is_dir() {
        return fs::remove_file(path);
    }
    if fs::remove_dir_all(path).is_ok() {
        return Ok(());
    }
    make_writable(path);
    fs::remove_dir_all(path)
}

pub(super) fn make_writable(dir: &Path) {
    use std::os::unix::fs::PermissionsExt as _;
    let _ = fs::set_permissions(dir, fs::Permissions::from_mode(0o700));
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        if entry.file_type().is_ok_and(|t| t.is_dir()) {
            make_writable(&entry.path());
        }
    }
}

/// What the caches hold besides the store, sorted by what prune may do with it.
#[derive(Default)]
pub(super) struct Scan {
    /// Temporary files crashes left, and expired resolutions: always removed.
    pub(super) temp: Vec<Candidate>,
    /// Build environments that are not the newest for their stack and packages: always removed.
    pub(super) old_environments: Vec<Candidate>,
    /// The newest build environments.
    pub(super) environments: Vec<Candidate>,
    /// `.deb`s, and indexes and `InRelease` files over a day old.
    pub(super) debian: Vec<Candidate>,
    /// Whole buildpack caches.
    pub(super) buildpacks: Vec<Candidate>,
}

impl Scan {
    pub(super) fn of(settings: &Settings, now: SystemTime) -> Scan {
        let old = |c: &Candidate, age| now.duration_since(c.modified).unwrap_or_default() >= age;
        let debian = settings.debian_cache();
        let mut scan = Scan::default();
        let mut skip = vec![settings.cache_dir.join("buildpacks")];
        scan.add_environments(&debian.join("build-env"), now, &mut skip);
        for root in roots(settings) {
            find_temp(&root, &skip, now, &mut scan.temp);
        }
        let resolutions = files_in(&debian.join("resolutions"));
        scan.temp
            .extend(resolutions.into_iter().filter(|c| old(c, DEFAULT_MAX_AGE)));
        scan.debian.extend(files_in(&debian.join("debs/sha256")));
        let indexes = files_in(&debian.join("indexes/sha256"));
        let inreleases: Vec<Candidate> = subdirs(&debian.join("dists"))
            .iter()
            .flat_map(|mirror| subdirs(mirror))
            .flat_map(|suite| files_in(&suite))
            .collect();
        scan.debian.extend(
            indexes
                .into_iter()
                .chain(inreleases)
                .filter(|c| old(c, DEFAULT_MAX_AGE)),
        );
        for dir in subdirs(&settings.cache_dir.join("buildpacks")) {
            let (bytes, modified) = walk(&dir);
            let name = dir.file_name().unwrap_or_default().to_string_lossy();
            let what = format!("buildpack cache {name}");
            let candidate = Candidate {
                path: dir.clone(),
                what,
                bytes,
                modified,
            };
            if old(&candidate, ORPHAN_GRACE) {
                scan.buildpacks.push(candidate);
            }
        }
        scan
    }

    /// Sorts the build environments under `dir` into the newest of each stack and set of
    /// packages and the others; adds their root filesystems to `skip` (no temporary files there).
    pub(super) fn add_environments(
        &mut self,
        dir: &Path,
        now: SystemTime,
        skip: &mut Vec<PathBuf>,
    ) {
        let mut groups: BTreeMap<String, Vec<Candidate>> = BTreeMap::new();
        for env in subdirs(dir) {
            let rootfs = env.join("rootfs");
            if !rootfs.is_dir() {
                continue;
            }
            let (key, what) = describe_environment(&env);
            let modified = fs::metadata(&env).and_then(|m| m.modified());
            let modified = modified.unwrap_or(SystemTime::UNIX_EPOCH);
            let bytes = walk(&env).0;
            let candidate = Candidate {
                path: env,
                what,
                bytes,
                modified,
            };
            groups.entry(key).or_default().push(candidate);
            skip.push(rootfs);
        }
        for mut group in groups.into_values() {
            group.sort_by_key(|c| std::cmp::Reverse(c.modified));
            let in_use =
                |c: &Candidate| now.duration_since(c.modified).unwrap_or_default() < ORPHAN_GRACE;
            let mut group = group.into_iter().filter(|c| !in_use(c));
            self.environments.extend(group.next());
            self.old_environments.extend(group);
        }
    }
}

/// A build environment's stack (its Debian codename) and package names, which tell which
/// environments replace which, and how it is shown.
pub(super) fn describe_environment(env: &Path) -> (String, String) {
    let rootfs = env.join("rootfs");
    let codename = ["usr/lib/os-release", "etc/os-release"]
        .iter()
        .find_map(|file| fs::read_to_string(rootfs.join(file)).ok())
        .and_then(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("VERSION_CODENAME="))
                .map(|v| v.trim_matches('"').to_string())
        })
        .unwrap_or_else(|| "unknown".to_string());
    let mut packages: Vec<String> = fs::read_dir(rootfs.join("var/lib/dpkg/status.d"))
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    packages.sort();
    let hash = env.file_name().unwrap_or_default().to_string_lossy();
    let what = format!(
        "build environment {codename}, {} packages (build-env/{hash})",
        packages.len()
    );
    (format!("{codename}\n{}", packages.join("\n")), what)
}

/// Whether a file name is one slipway's writers give temporary files: `.tmp-…` (blobs),
/// `.NAME.PID.N.tmp` (Debian indexes), `.unpacking-…` (build environments), `….part` (.debs).
pub(super) fn is_temp(name: &str) -> bool {
    let extension = Path::new(name).extension().and_then(|e| e.to_str());
    name.starts_with(".tmp")
        || name.starts_with(".unpacking-")
        || (name.starts_with('.') && extension == Some("tmp"))
        || extension == Some("part")
}

/// Temporary files and directories under `dir` over [`TEMP_MAX_AGE`], not looking in `skip`.
pub(super) fn find_temp(dir: &Path, skip: &[PathBuf], now: SystemTime, found: &mut Vec<Candidate>) {
    for entry in fs::read_dir(dir).into_iter().flatten().flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_temp(&name) {
            let (bytes, modified) = walk(&path);
            if now.duration_since(modified).unwrap_or_default() >= TEMP_MAX_AGE {
                found.push(Candidate {
                    path,
                    what: name,
                    bytes,
                    modified,
                });
            }
        } else if entry.file_type().is_ok_and(|t| t.is_dir()) && !skip.contains(&path) {
            find_temp(&path, skip, now, found);
        }
    }
}

/// The directories in `dir`.
pub(super) fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let entries = fs::read_dir(dir).into_iter().flatten().flatten();
    entries
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .collect()
}

/// The regular files in `dir` but temporary ones, with their sizes and mtimes.
pub(super) fn files_in(dir: &Path) -> Vec<Candidate> {
    let entries = fs::read_dir(dir).into_iter().flatten().flatten();
    entries
        .filter_map(|entry| {
            let metadata = entry.metadata().ok().filter(fs::Metadata::is_file)?;
            let what = entry.file_name().to_string_lossy().into_owned();
            (!is_temp(&what)).then(|| Candidate {
                path: entry.path(),
                what,
                bytes: metadata.len(),
                modified: metadata.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            })
        })
        .collect()
}
