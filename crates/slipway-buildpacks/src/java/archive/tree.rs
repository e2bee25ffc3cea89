//! Walking an exploded archive: the files under a directory, as sorted relative paths.

use std::fs::FileType;
use std::path::{Path, PathBuf};

use super::{ArchiveError, io_error};

/// Every non-directory under `root`, relative to it and sorted, so that layers and scans are
/// the same from one build to the next.
///
/// Symbolic links are listed as files and never followed, so a link in an app directory cannot
/// pull the rest of the file system into a layer or a scan. A missing `root` has no files.
pub(super) fn files_under(root: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    Ok(walk(root)?.into_iter().map(|(path, _)| path).collect())
}

/// The regular files under `root`, relative to it and sorted: what a scan of file contents
/// reads, skipping symbolic links (which may point anywhere, or nowhere).
pub(super) fn regular_files_under(root: &Path) -> Result<Vec<PathBuf>, ArchiveError> {
    Ok(walk(root)?
        .into_iter()
        .filter(|(_, file_type)| file_type.is_file())
        .map(|(path, _)| path)
        .collect())
}

/// Every non-directory under `root` with its type, sorted by relative path.
fn walk(root: &Path) -> Result<Vec<(PathBuf, FileType)>, ArchiveError> {
    let mut files = Vec::new();
    if !root.is_dir() {
        return Ok(files);
    }
    let mut pending = vec![PathBuf::new()];
    while let Some(relative) = pending.pop() {
        let dir = root.join(&relative);
        let entries = std::fs::read_dir(&dir).map_err(io_error("listing", &dir))?;
        for entry in entries {
            let entry = entry.map_err(io_error("listing", &dir))?;
            let file_type = entry
                .file_type()
                .map_err(io_error("inspecting", &entry.path()))?;
            let child = relative.join(entry.file_name());
            if file_type.is_dir() {
                pending.push(child);
            } else {
                files.push((child, file_type));
            }
        }
    }
    files.sort_by(|(left, _), (right, _)| left.cmp(right));
    Ok(files)
}

/// Whether `path` names a compiled class, by its extension as the class loader does.
pub(super) fn is_class_file(path: &Path) -> bool {
    path.extension()
        .is_some_and(|extension| extension == "class")
}
