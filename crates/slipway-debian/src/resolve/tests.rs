use super::*;
use crate::index::parse_packages;

/// A paragraph for `name` `version` with extra field lines.
fn pkg(name: &str, version: &str, fields: &[&str]) -> String {
    let mut text = format!("Package: {name}\nVersion: {version}\n");
    if !fields
        .iter()
        .any(|field| field.starts_with("Architecture:"))
    {
        text.push_str("Architecture: amd64\n");
    }
    for field in fields {
        text.push_str(field);
        text.push('\n');
    }
    let sha = "ab".repeat(32);
    text + &format!("Filename: pool/main/{name}_{version}.deb\nSize: 100\nSHA256: {sha}\n")
}

fn suite(name: &str, paragraphs: &[String]) -> SuiteIndex {
    SuiteIndex {
        suite_name: name.to_owned(),
        packages: parse_packages(paragraphs.join("\n").into_bytes(), name).expect("parse"),
    }
}

fn roots(names: &[&str]) -> Vec<String> {
    names.iter().map(|name| (*name).to_owned()).collect()
}

/// `name=version@suite` for each resolved package, in result order.
fn names(resolved: &[Resolved]) -> Vec<String> {
    resolved
        .iter()
        .map(|r| format!("{}={}@{}", r.entry.name, r.entry.version, r.suite))
        .collect()
}

fn resolve_ok(indexes: &[SuiteIndex], root_names: &[&str]) -> Vec<String> {
    names(&resolve(indexes, &roots(root_names), "amd64").expect("resolve"))
}

#[test]
fn closure_follows_depends_and_pre_depends_but_not_recommends() {
    let main = suite(
        "trixie",
        &[
            pkg(
                "app",
                "1",
                &["Depends: liba", "Pre-Depends: libpre", "Recommends: extra"],
            ),
            pkg("liba", "2", &["Depends: libc6"]),
            pkg("libpre", "1", &[]),
            pkg("libc6", "2.41-12", &[]),
            pkg("extra", "1", &[]),
            pkg("unrelated", "1", &[]),
        ],
    );
    assert_eq!(
        resolve_ok(&[main], &["app"]),
        [
            "app=1@trixie",
            "liba=2@trixie",
            "libc6=2.41-12@trixie",
            "libpre=1@trixie"
        ]
    );
}

#[test]
fn alternatives_prefer_a_chosen_package_then_the_first_satisfiable() {
    let main = suite(
        "trixie",
        &[
            pkg("a", "1", &["Depends: mawk | gawk"]),
            pkg("b", "1", &["Depends: missing | gawk"]),
            pkg("mawk", "1", &[]),
            pkg("gawk", "1", &[]),
        ],
    );
    // gawk is chosen first (for b), so a's `mawk | gawk` takes it too.
    assert_eq!(
        resolve_ok(std::slice::from_ref(&main), &["b", "a"]),
        ["a=1@trixie", "b=1@trixie", "gawk=1@trixie"]
    );
    // Alone, a takes its first alternative.
    assert_eq!(resolve_ok(&[main], &["a"]), ["a=1@trixie", "mawk=1@trixie"]);
}

#[test]
fn versioned_constraints_pick_the_highest_fitting_version() {
    let main = suite(
        "trixie",
        &[
            pkg("lib", "1.0-1", &[]),
            pkg("lib", "2.0-1", &[]),
            pkg("lib", "3.0-1", &[]),
            pkg("lib", "1:0.5-1", &[]),
        ],
    );
    let pick = |relation: &str| {
        let resolved =
            resolve(std::slice::from_ref(&main), &roots(&[relation]), "amd64").expect(relation);
        resolved[0].entry.version.clone()
    };
    assert_eq!(pick("lib"), "1:0.5-1", "the epoch makes it highest");
    assert_eq!(pick("lib (<< 3.0)"), "2.0-1");
    assert_eq!(pick("lib (<= 3.0-1)"), "3.0-1");
    assert_eq!(pick("lib (= 1.0-1)"), "1.0-1");
    assert_eq!(pick("lib (>= 2.0~)"), "1:0.5-1");
    assert_eq!(pick("lib (>> 3.0-1)"), "1:0.5-1");
    let err = resolve(&[main], &roots(&["lib (>> 1:0.5-1)"]), "amd64").expect_err("none higher");
    assert!(matches!(err, ResolveError::Unsatisfiable { .. }), "{err:?}");
}

#[test]
fn virtual_packages_resolve_through_provides() {
    let main = suite(
        "trixie",
        &[
            pkg("needs-awk", "1", &["Depends: awk"]),
            pkg("needs-versioned", "1", &["Depends: libfoo-abi (>= 2)"]),
            pkg(
                "original-awk",
                "1",
                &["Provides: awk", "Priority: optional"],
            ),
            pkg("mawk", "1", &["Provides: awk", "Priority: required"]),
            pkg("foo-old", "1", &["Provides: libfoo-abi"]),
            pkg("foo-new", "1", &["Provides: libfoo-abi (= 2.5)"]),
        ],
    );
    // The required-priority provider wins, as apt would pick it.
    assert_eq!(
        resolve_ok(std::slice::from_ref(&main), &["needs-awk"]),
        ["mawk=1@trixie", "needs-awk=1@trixie"]
    );
    // An unversioned Provides does not satisfy a versioned dependency.
    assert_eq!(
        resolve_ok(&[main], &["needs-versioned"]),
        ["foo-new=1@trixie", "needs-versioned=1@trixie"]
    );
}

#[test]
fn a_chosen_provider_satisfies_later_dependencies() {
    let main = suite(
        "trixie",
        &[
            pkg("a", "1", &["Depends: mail-transport-agent"]),
            pkg("exim4", "1", &["Provides: mail-transport-agent"]),
            pkg("postfix", "1", &["Provides: mail-transport-agent"]),
        ],
    );
    assert_eq!(
        resolve_ok(&[main], &["postfix", "a"]),
        ["a=1@trixie", "postfix=1@trixie"]
    );
}

#[test]
fn multi_arch_qualifiers_and_arch_all() {
    let main = suite(
        "trixie",
        &[
            pkg("tool", "1", &["Depends: python3:any, perl:native, tzdata"]),
            pkg("python3", "3.13", &["Multi-Arch: allowed"]),
            pkg("perl", "5.40", &[]),
            pkg("tzdata", "2025b", &["Architecture: all"]),
            pkg("strict", "1", &["Depends: notallowed:any"]),
            pkg("notallowed", "1", &[]),
            pkg("armonly", "1", &["Architecture: arm64"]),
        ],
    );
    assert_eq!(
        resolve_ok(std::slice::from_ref(&main), &["tool"]),
        [
            "perl=5.40@trixie",
            "python3=3.13@trixie",
            "tool=1@trixie",
            "tzdata=2025b@trixie"
        ]
    );
    // `:any` needs Multi-Arch: allowed (or foreign).
    let err = resolve(std::slice::from_ref(&main), &roots(&["strict"]), "amd64").expect_err(":any");
    assert_eq!(
        err.to_string(),
        "cannot resolve strict: strict -> no candidate satisfies notallowed:any"
    );
    // Packages of another architecture are not candidates.
    let err = resolve(&[main], &roots(&["armonly"]), "amd64").expect_err("arm64 only");
    assert_eq!(
        err.to_string(),
        "cannot resolve armonly: no candidate satisfies armonly"
    );
}

#[test]
fn the_highest_version_across_suites_wins() {
    let main = suite(
        "trixie",
        &[
            pkg("libssl3t64", "3.5.1-1", &[]),
            pkg("tzdata", "2025b-4", &["Architecture: all"]),
        ],
    );
    let updates = suite(
        "trixie-updates",
        &[pkg("tzdata", "2025b-4", &["Architecture: all"])],
    );
    let security = suite(
        "trixie-security",
        &[pkg("libssl3t64", "3.5.1-1+deb13u1", &[])],
    );
    assert_eq!(
        resolve_ok(&[main, updates, security], &["libssl3t64", "tzdata"]),
        // Equal versions: the suite listed first serves it.
        [
            "libssl3t64=3.5.1-1+deb13u1@trixie-security",
            "tzdata=2025b-4@trixie"
        ]
    );
}

#[test]
fn unsatisfiable_names_the_chain() {
    let main = suite(
        "trixie",
        &[
            pkg(
                "python3",
                "3.13.5-1",
                &["Depends: python3.13 (>= 3.13.5-1~)"],
            ),
            pkg(
                "python3.13",
                "3.13.5-2",
                &["Depends: libpython3.13-stdlib (>= 3.13.5)"],
            ),
            pkg(
                "libpython3.13-stdlib",
                "3.13.5-2",
                &["Depends: libc6, libfoo (>= 9)"],
            ),
            pkg("libc6", "2.41-12", &[]),
            pkg("libfoo", "8", &[]),
        ],
    );
    let err = resolve(&[main], &roots(&["python3"]), "amd64").expect_err("libfoo too old");
    assert_eq!(
        err.to_string(),
        "cannot resolve python3: python3 -> python3.13 (>= 3.13.5-1~) -> libpython3.13-stdlib (>= 3.13.5) \
         -> no candidate satisfies libfoo (>= 9)"
    );
    let ResolveError::Unsatisfiable { chain } = err else {
        panic!("not unsatisfiable");
    };
    assert_eq!(chain.len(), 4);
}

#[test]
fn a_late_exact_constraint_restarts_with_the_older_version() {
    let main = suite(
        "trixie",
        &[
            pkg("libfoo", "1.0", &[]),
            pkg("foo-tools", "1.0", &["Depends: libfoo (= 1.0)"]),
            pkg("app", "1", &["Depends: libfoo, foo-tools"]),
        ],
    );
    let security = suite("trixie-security", &[pkg("libfoo", "1.1", &[])]);
    assert_eq!(
        resolve_ok(&[main, security], &["app"]),
        ["app=1@trixie", "foo-tools=1.0@trixie", "libfoo=1.0@trixie"]
    );
}

#[test]
fn output_is_sorted_and_deterministic() {
    let main = suite(
        "trixie",
        &[
            pkg("z", "1", &["Depends: y, x"]),
            pkg("y", "1", &["Depends: x"]),
            pkg("x", "1", &[]),
        ],
    );
    let first = resolve_ok(std::slice::from_ref(&main), &["z"]);
    assert_eq!(first, ["x=1@trixie", "y=1@trixie", "z=1@trixie"]);
    assert_eq!(resolve_ok(&[main], &["z"]), first);
}

#[test]
fn bad_roots_are_named() {
    let err = resolve(&[], &roots(&["a, b"]), "amd64").expect_err("two roots in one");
    assert!(matches!(err, ResolveError::BadRoot { .. }), "{err:?}");
}
