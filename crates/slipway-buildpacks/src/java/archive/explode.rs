//! Unpacking a WAR or JAR into a directory, safely and all-or-nothing.

use std::fs::{File, Permissions};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use zip::ZipArchive;

use super::{ArchiveError, io_error, open_zip, zip_error};

/// Distinguishes the staging directories of explosions running at once in one process.
static STAGING_COUNTER: AtomicU32 = AtomicU32::new(0);

/// Extracts the WAR or JAR at `zip_path` into the directory `into`, replacing it if it exists.
///
/// The archive is written to a staging directory beside `into` and renamed into place at the
/// end, so a failure (or a crash) never leaves a half-exploded directory at `into`. It is a
/// build's input, not a trusted file, so:
///
/// - an entry with an absolute path or a `..` component is refused with
///   [`ArchiveError::UnsafeEntry`] (zip-slip), and nothing is left behind;
/// - symbolic links are never created: a symlink entry becomes a regular file holding its
///   target, which is also how the JVM's own zip reader sees it;
/// - of the Unix mode only the executable bit is kept (files are 0644 or 0755), and timestamps
///   are not restored (the image writer normalizes both anyway);
/// - directory entries are skipped, the directories that files need being created as they go,
///   so empty directories are not reproduced.
pub fn explode(zip_path: &Path, into: &Path) -> Result<(), ArchiveError> {
    let expected = if zip_path
        .extension()
        .is_some_and(|extension| extension.eq_ignore_ascii_case("war"))
    {
        "WAR"
    } else {
        "JAR"
    };
    let mut archive = open_zip(zip_path, expected)?;
    let staging = create_staging_dir(into)?;
    let result = extract_entries(&mut archive, zip_path, into, &staging)
        .and_then(|()| move_into_place(&staging, into));
    if result.is_err() {
        // Best effort: the error being reported matters more than a failed clean-up.
        let _ = std::fs::remove_dir_all(&staging);
    }
    result
}

/// Creates an empty staging directory beside `into`, on the same file system so that the final
/// rename is atomic.
fn create_staging_dir(into: &Path) -> Result<PathBuf, ArchiveError> {
    let parent = match into.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(parent).map_err(io_error("creating directory", parent))?;
    let name = into
        .file_name()
        .map_or_else(|| "exploded".into(), |name| name.to_string_lossy());
    let staging = parent.join(format!(
        ".{name}.exploding-{}-{}",
        std::process::id(),
        STAGING_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    if staging.exists() {
        // Left by an earlier process with the same id that crashed: nobody else owns it.
        std::fs::remove_dir_all(&staging).map_err(io_error("removing", &staging))?;
    }
    std::fs::create_dir(&staging).map_err(io_error("creating directory", &staging))?;
    Ok(staging)
}

/// Writes every file entry of `archive` under `staging`; `zip_path` and `into` name the
/// archive and its destination in errors.
fn extract_entries(
    archive: &mut ZipArchive<File>,
    zip_path: &Path,
    into: &Path,
    staging: &Path,
) -> Result<(), ArchiveError> {
    for index in 0..archive.len() {
        let mut entry = archive.by_index(index).map_err(zip_error(zip_path))?;
        let name = entry.name().map_err(zip_error(zip_path))?.into_owned();
        let relative = enclosed_path(&name).ok_or_else(|| ArchiveError::UnsafeEntry {
            archive: zip_path.to_path_buf(),
            entry: name.clone(),
            into: into.to_path_buf(),
        })?;
        if entry.is_dir() || relative.as_os_str().is_empty() {
            continue;
        }
        let executable =
            !entry.is_symlink() && entry.unix_mode().is_some_and(|mode| mode & 0o111 != 0);
        let target = staging.join(&relative);
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent).map_err(io_error("creating directory", parent))?;
        }
        let mut file = File::create(&target).map_err(io_error("creating", &target))?;
        std::io::copy(&mut entry, &mut file).map_err(io_error("extracting", &target))?;
        let mode = if executable { 0o755 } else { 0o644 };
        std::fs::set_permissions(&target, Permissions::from_mode(mode))
            .map_err(io_error("setting permissions of", &target))?;
    }
    Ok(())
}

/// Replaces whatever directory is at `into` with the finished `staging` directory.
fn move_into_place(staging: &Path, into: &Path) -> Result<(), ArchiveError> {
    if std::fs::symlink_metadata(into).is_ok_and(|metadata| metadata.is_dir()) {
        std::fs::remove_dir_all(into).map_err(io_error("removing the old", into))?;
    }
    std::fs::rename(staging, into).map_err(io_error("moving the exploded archive to", into))
}

/// The relative path an entry name stands for, or `None` when it would escape the extraction
/// directory: an absolute path (`/x`, `\x`, `C:x`), a `..` component or a NUL byte.
///
/// Both `/` and `\` separate components, since some Windows tools write the latter; `.` and
/// empty components are dropped. The empty path is the root itself (an entry named `./`).
pub(super) fn enclosed_path(name: &str) -> Option<PathBuf> {
    if name.starts_with(['/', '\\']) || name.contains('\0') {
        return None;
    }
    let mut path = PathBuf::new();
    for (index, component) in name.split(['/', '\\']).enumerate() {
        match component {
            "" | "." => {}
            ".." => return None,
            drive if index == 0 && is_drive(drive) => return None,
            component => path.push(component),
        }
    }
    Some(path)
}

/// Whether a first path component starts with a Windows drive (`C:`), which makes a path
/// absolute (or drive-relative) there.
fn is_drive(component: &str) -> bool {
    let bytes = component.as_bytes();
    bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':'
}
