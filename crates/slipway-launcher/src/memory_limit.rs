//! The container's memory limit, from its cgroup (v2, then v1), or the
//! machine's memory when the cgroup sets none.

use std::io;
use std::path::{Path, PathBuf};

/// Overrides where the cgroup file system is mounted (`/sys/fs/cgroup`); for
/// tests, images never set it.
pub const CGROUP_ROOT_ENV: &str = "SLIPWAY_CGROUP_ROOT";
/// Overrides the path of `/proc/meminfo`; for tests, images never set it.
pub const PROC_MEMINFO_ENV: &str = "SLIPWAY_PROC_MEMINFO";

const CGROUP_ROOT: &str = "/sys/fs/cgroup";
const PROC_MEMINFO: &str = "/proc/meminfo";
/// cgroup v1 writes "no limit" as the largest page-aligned `i64`; anything
/// this large (1 EiB) is no limit either.
const V1_UNLIMITED: u64 = 1 << 60;

/// Where to read the limit from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sources {
    /// The cgroup mount point.
    pub cgroup_root: PathBuf,
    /// The `meminfo` file.
    pub meminfo: PathBuf,
}

impl Sources {
    /// The real files, or the overrides of [`CGROUP_ROOT_ENV`] and
    /// [`PROC_MEMINFO_ENV`] when set and not empty.
    pub fn from_env(var: impl Fn(&str) -> Option<String>) -> Sources {
        let path = |name: &str, default: &str| {
            PathBuf::from(
                var(name)
                    .filter(|v| !v.is_empty())
                    .unwrap_or(default.into()),
            )
        };
        Sources {
            cgroup_root: path(CGROUP_ROOT_ENV, CGROUP_ROOT),
            meminfo: path(PROC_MEMINFO_ENV, PROC_MEMINFO),
        }
    }
}

/// The memory the JVM may use, in bytes: the cgroup v2 limit
/// (`memory.max`), else the v1 limit (`memory/memory.limit_in_bytes`), else,
/// when neither file exists or both say "unlimited", `MemTotal`.
pub fn read(sources: &Sources) -> io::Result<u64> {
    let v2 = sources.cgroup_root.join("memory.max");
    let v1 = sources.cgroup_root.join("memory/memory.limit_in_bytes");
    for file in [v2, v1] {
        if let Some(limit) = read_optional(&file)?.as_deref().and_then(cgroup_limit) {
            return Ok(limit);
        }
    }
    let meminfo = std::fs::read_to_string(&sources.meminfo)?;
    mem_total(&meminfo).ok_or_else(|| {
        io::Error::new(
            io::ErrorKind::InvalidData,
            format!("no MemTotal line in {}", sources.meminfo.display()),
        )
    })
}

/// A file's text, or `None` when it does not exist.
fn read_optional(path: &Path) -> io::Result<Option<String>> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(Some(text)),
        Err(error) if error.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error),
    }
}

/// The limit in a cgroup memory file, `None` for no limit (`max`, a v1
/// "unlimited" value, or something unreadable).
fn cgroup_limit(text: &str) -> Option<u64> {
    text.trim()
        .parse::<u64>()
        .ok()
        .filter(|&limit| limit > 0 && limit < V1_UNLIMITED)
}

/// `MemTotal` from `/proc/meminfo`, in bytes (the file gives kB).
fn mem_total(text: &str) -> Option<u64> {
    let line = text
        .lines()
        .find_map(|line| line.strip_prefix("MemTotal:"))?;
    let kib = line.trim().strip_suffix("kB")?.trim().parse::<u64>().ok()?;
    kib.checked_mul(1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cgroup_files_give_a_limit_or_none() {
        assert_eq!(cgroup_limit("268435456\n"), Some(268_435_456));
        assert_eq!(cgroup_limit("max\n"), None);
        assert_eq!(cgroup_limit("9223372036854771712\n"), None);
        assert_eq!(cgroup_limit(""), None);
        assert_eq!(cgroup_limit("0"), None);
    }

    #[test]
    fn meminfo_gives_mem_total_in_bytes() {
        let text = "MemFree:  100 kB\nMemTotal:       16318644 kB\n";
        assert_eq!(mem_total(text), Some(16_318_644 * 1024));
        assert_eq!(mem_total("MemFree: 1 kB\n"), None);
    }

    fn sources(name: &str, files: &[(&str, &str)]) -> Sources {
        let dir = std::env::temp_dir().join(format!(
            "slipway-memory-limit-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&dir);
        for (path, text) in files {
            let path = dir.join(path);
            std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
            std::fs::write(path, text).expect("writing a fixture");
        }
        Sources {
            cgroup_root: dir.join("cgroup"),
            meminfo: dir.join("meminfo"),
        }
    }

    #[test]
    fn v2_then_v1_then_meminfo() {
        let meminfo = ("meminfo", "MemTotal: 2048 kB\n");
        let v2 = sources("v2", &[("cgroup/memory.max", "1048576\n"), meminfo]);
        assert_eq!(read(&v2).expect("v2"), 1_048_576);
        let v1 = ("cgroup/memory/memory.limit_in_bytes", "4096\n");
        let v1_only = sources("v1", &[v1, meminfo]);
        assert_eq!(read(&v1_only).expect("v1"), 4096);
        let unlimited = sources("max", &[("cgroup/memory.max", "max\n"), meminfo]);
        assert_eq!(read(&unlimited).expect("meminfo"), 2048 * 1024);
        let nothing = sources("none", &[]);
        assert!(read(&nothing).is_err());
    }

    #[test]
    fn overrides_apply_when_not_empty() {
        let var = |name: &str| (name == CGROUP_ROOT_ENV).then(|| "/t/cg".to_owned());
        let sources = Sources::from_env(var);
        assert_eq!(sources.cgroup_root, Path::new("/t/cg"));
        assert_eq!(sources.meminfo, Path::new(PROC_MEMINFO));
        let empty = Sources::from_env(|_| Some(String::new()));
        assert_eq!(empty.cgroup_root, Path::new(CGROUP_ROOT));
    }
}
