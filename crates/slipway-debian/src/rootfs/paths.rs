//! Where a package's path lands in the image: the merged `/usr`, the `/run` migration, and what
//! a runtime image leaves out.

/// Directories that are links on a Debian system since the `/usr` merge (and the `/run`
/// migration that base-files' postinst does): the package path prefix, where its contents go,
/// and the link the image gets in its place (relative for `/usr`, absolute for `/run`, as
/// Debian makes them).
pub(crate) const ALIASES: [(&str, &str, &str); 8] = [
    ("bin", "usr/bin", "usr/bin"),
    ("sbin", "usr/sbin", "usr/sbin"),
    ("lib", "usr/lib", "usr/lib"),
    ("lib32", "usr/lib32", "usr/lib32"),
    ("lib64", "usr/lib64", "usr/lib64"),
    ("libx32", "usr/libx32", "usr/libx32"),
    ("var/run", "run", "/run"),
    ("var/lock", "run/lock", "/run/lock"),
];

/// Aliases every image gets even when no package ships anything under them: the loader path of
/// amd64 binaries is `/lib64/ld-linux-x86-64.so.2`, and programs expect `/bin` and `/var/run`.
pub(crate) const ALWAYS_LINKED: [&str; 6] = ["bin", "sbin", "lib", "lib64", "var/run", "var/lock"];

/// What becomes of a package path.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Placement {
    /// The path is an alias itself (`bin`, `var/run`): the image's own link stands there.
    Alias(&'static str),
    /// The path in the image.
    At(String),
}

/// `bin/ls` → `usr/bin/ls`, `var/run/x` → `run/x`, `bin` → the alias; any other path stays.
pub(crate) fn place(path: &str) -> Placement {
    for (alias, real, _) in ALIASES {
        if path == alias {
            return Placement::Alias(alias);
        }
        if let Some(rest) = path.strip_prefix(alias).and_then(|r| r.strip_prefix('/')) {
            return Placement::At(format!("{real}/{rest}"));
        }
    }
    Placement::At(path.to_string())
}

/// [`place`] for a path that may be an alias itself: `bin` → `usr/bin`.
pub(crate) fn merged(path: &str) -> String {
    match place(path) {
        Placement::Alias(alias) => ALIASES
            .iter()
            .find(|(a, _, _)| *a == alias)
            .map_or_else(|| path.to_string(), |(_, real, _)| (*real).to_string()),
        Placement::At(p) => p,
    }
}

/// What a symlink moved from `from` to `to` must point at so that it still reaches what it
/// reached before: absolute targets work through the aliases and stay; relative ones stay when
/// they still resolve to the same place, and are recomputed when the move broke them (a link in
/// `/sbin` to `../usr/sbin/x`). `None` when the link would point at itself: a compatibility link
/// to a file that the merge moved onto the link's own path.
pub(crate) fn relink(from: &str, to: &str, target: &str) -> Option<String> {
    if target.starts_with('/') {
        return (merged(&lexical(target)) != to).then(|| target.to_string());
    }
    let meant = merged(&lexical(&format!("{}/{target}", parent(from))));
    if meant == to {
        return None;
    }
    let now = merged(&lexical(&format!("{}/{target}", parent(to))));
    if now == meant {
        Some(target.to_string())
    } else {
        Some(relative(parent(to), &meant))
    }
}

fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// A path with `.`, `..` and empty components resolved, without a leading `/`.
fn lexical(path: &str) -> String {
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// The relative path from directory `from_dir` to `to` (both without a leading `/`).
fn relative(from_dir: &str, to: &str) -> String {
    let from: Vec<&str> = from_dir.split('/').filter(|p| !p.is_empty()).collect();
    let to: Vec<&str> = to.split('/').filter(|p| !p.is_empty()).collect();
    let common = from.iter().zip(&to).take_while(|(a, b)| a == b).count();
    let mut parts: Vec<&str> = vec![".."; from.len() - common];
    parts.extend(&to[common..]);
    if parts.is_empty() {
        ".".to_string()
    } else {
        parts.join("/")
    }
}

/// Trees a runtime image leaves out, as distroless does: manuals, info pages, lintian
/// overrides, doc-base registrations. `usr/share/locale` (message catalogues) is in
/// [`LOCALE_TREE`], left out unless the caller keeps it.
pub(crate) const DROPPED_TREES: [&str; 4] = [
    "usr/share/man",
    "usr/share/info",
    "usr/share/lintian",
    "usr/share/doc-base",
];

/// Message catalogues: only translated messages need them.
pub(crate) const LOCALE_TREE: &str = "usr/share/locale";

/// The class-data archive a JVM maps only when compressed object pointers are off, that is with
/// a heap over 32 GB: 15 MB that no container-sized JVM reads (a larger one just starts without
/// class-data sharing). `classes.jsa`, the one every other JVM maps, stays.
const JVM_NOCOOPS_ARCHIVE: &str = "/lib/server/classes_nocoops.jsa";

/// Whether a path (already placed) stays out of the image. Under `usr/share/doc` only each
/// package's directory and its `copyright` file stay: the licences an SBOM reports.
pub(crate) fn dropped(path: &str, keep_locales: bool) -> bool {
    if path.starts_with("usr/lib/jvm/") && path.ends_with(JVM_NOCOOPS_ARCHIVE) {
        return true;
    }
    let under = |tree: &str| {
        path == tree
            || path
                .strip_prefix(tree)
                .is_some_and(|rest| rest.starts_with('/'))
    };
    if DROPPED_TREES.iter().any(|tree| under(tree)) || (!keep_locales && under(LOCALE_TREE)) {
        return true;
    }
    match path.strip_prefix("usr/share/doc/") {
        Some(rest) => match rest.split_once('/') {
            None => false,
            Some((_, file)) => file != "copyright",
        },
        None => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jvms_keep_their_class_data_archive_but_not_the_one_for_huge_heaps() {
        let jvm = "usr/lib/jvm/java-21-openjdk-amd64/lib/server";
        assert!(dropped(&format!("{jvm}/classes_nocoops.jsa"), false));
        assert!(!dropped(&format!("{jvm}/classes.jsa"), false));
        assert!(!dropped(&format!("{jvm}/libjvm.so"), false));
        assert!(!dropped("opt/app/lib/server/classes_nocoops.jsa", false));
    }

    #[test]
    fn merges_usr_and_run() {
        assert_eq!(place("bin/ls"), Placement::At("usr/bin/ls".into()));
        assert_eq!(
            place("lib64/ld.so"),
            Placement::At("usr/lib64/ld.so".into())
        );
        assert_eq!(place("libexec/x"), Placement::At("libexec/x".into()));
        assert_eq!(place("binary"), Placement::At("binary".into()));
        assert_eq!(place("bin"), Placement::Alias("bin"));
        assert_eq!(place("var/run"), Placement::Alias("var/run"));
        assert_eq!(place("var/run/utmp"), Placement::At("run/utmp".into()));
        assert_eq!(place("usr/bin/ls"), Placement::At("usr/bin/ls".into()));
        assert_eq!(merged("lib"), "usr/lib");
    }

    #[test]
    fn relinks_what_the_move_broke() {
        // Same directory: unchanged.
        assert_eq!(
            relink(
                "lib/x86_64-linux-gnu/libz.so.1",
                "usr/lib/x86_64-linux-gnu/libz.so.1",
                "libz.so.1.3"
            ),
            Some("libz.so.1.3".into())
        );
        // Absolute: unchanged, the aliases resolve it.
        assert_eq!(
            relink(
                "lib64/ld-linux-x86-64.so.2",
                "usr/lib64/ld-linux-x86-64.so.2",
                "/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
            ),
            Some("/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2".into())
        );
        // Up and over into /usr: recomputed.
        assert_eq!(
            relink("sbin/tool", "usr/sbin/tool", "../usr/bin/tool"),
            Some("../bin/tool".into())
        );
        // Up out of the moved tree into a tree that stays: recomputed.
        assert_eq!(
            relink("lib/a/b", "usr/lib/a/b", "../../etc/b"),
            Some("../../../etc/b".into())
        );
        // A compatibility link onto its own merged path disappears.
        assert_eq!(relink("bin/sh", "usr/bin/sh", "../usr/bin/sh"), None);
        assert_eq!(relink("bin/sh", "usr/bin/sh", "/usr/bin/sh"), None);
    }

    #[test]
    fn drops_docs_but_keeps_copyright() {
        assert!(!dropped("usr/share/doc", false));
        assert!(!dropped("usr/share/doc/libc6", false));
        assert!(!dropped("usr/share/doc/libc6/copyright", false));
        assert!(dropped("usr/share/doc/libc6/changelog.Debian.gz", false));
        assert!(dropped("usr/share/doc/libc6/examples/x", false));
        assert!(dropped("usr/share/man", false));
        assert!(dropped("usr/share/man/man1/ls.1.gz", false));
        assert!(!dropped("usr/share/manual", false));
        assert!(dropped("usr/share/locale/de/LC_MESSAGES/x.mo", false));
        assert!(!dropped("usr/share/locale/de/LC_MESSAGES/x.mo", true));
        assert!(!dropped("usr/share/zoneinfo/Etc/UTC", false));
    }
}
