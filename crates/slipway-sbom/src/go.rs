//! Go modules compiled into a binary, from `go version -m BINARY`.
//!
//! The Go toolchain embeds the module graph in every binary it builds; `go version -m` prints it:
//!
//! ```text
//! /layers/go/app/bin/hello: go1.24.4
//!     path    example.com/hello
//!     mod    example.com/hello    (devel)
//!     dep    github.com/google/uuid    v1.6.0    h1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
//!     dep    golang.org/x/text    v0.3.0
//!     =>    golang.org/x/text    v0.21.0    h1:…
//!     build    -compiler=gc
//! ```
//!
//! The go buildpack runs it on what it built and declares the result in the image label
//! [`crate::BUILDPACK_PACKAGES_LABEL`].

use crate::package::{Package, PackageKind, sort_and_dedup};
use crate::purl::golang_purl;

/// The version Go reports for a main module built from a work tree rather than a module download.
const DEVEL: &str = "(devel)";

/// Every module in `go version -m` output (of one binary or several): the Go standard library as
/// `stdlib` (version `go1.24.4`, purl `pkg:golang/stdlib@1.24.4`, as syft and grype name it),
/// the main module, and each dependency, replaced by its `=>` line when it has one (a replacement
/// by a local directory keeps the original path, without a version). Sorted, without repeats.
#[must_use]
pub fn parse_go_version_m(output: &str) -> Vec<Package> {
    let mut modules: Vec<(String, String)> = Vec::new();
    for line in output.lines() {
        if !line.starts_with('\t') {
            if let Some((_, go)) = line.rsplit_once(": go") {
                modules.push(("stdlib".to_string(), format!("go{}", go.trim())));
            }
            continue;
        }
        let fields: Vec<&str> = line.trim().split('\t').collect();
        match fields.as_slice() {
            ["mod" | "dep", path, version, ..] => {
                modules.push(((*path).to_string(), (*version).to_string()));
            }
            ["mod" | "dep", path] => modules.push(((*path).to_string(), DEVEL.to_string())),
            ["=>", path, version, ..] => {
                if let Some(last) = modules.last_mut() {
                    *last = ((*path).to_string(), (*version).to_string());
                }
            }
            ["=>", ..] => {
                if let Some(last) = modules.last_mut() {
                    last.1 = DEVEL.to_string();
                }
            }
            _ => {}
        }
    }
    let mut packages: Vec<Package> = modules
        .into_iter()
        .map(|(name, version)| {
            let purl_version = if name == "stdlib" {
                version.strip_prefix("go").map(str::to_string)
            } else {
                (version != DEVEL).then(|| version.clone())
            };
            Package {
                purl: golang_purl(&name, purl_version.as_deref()),
                name,
                version,
                kind: PackageKind::GoModule,
                licenses: Vec::new(),
                supplier: None,
                found_in_layer: None,
            }
        })
        .collect();
    sort_and_dedup(&mut packages);
    packages
}

#[cfg(test)]
mod tests {
    use super::*;

    const OUTPUT: &str = "/layers/go/app/bin/hello: go1.24.4
\tpath\texample.com/hello
\tmod\texample.com/hello\t(devel)\t
\tdep\tgithub.com/google/uuid\tv1.6.0\th1:NIvaJDMOsjHA8n1jAhLSgzrAzy1Hgr+hNrb57e+94F0=
\tdep\tgolang.org/x/text\tv0.3.0
\t=>\tgolang.org/x/text\tv0.21.0\th1:4BrxpQhBYQnKMTxmzuvmMH3eqQY+IzD4YWGTNqUejXY=
\tdep\texample.com/local\tv0.0.0
\t=>\t../local\t
\tbuild\t-buildmode=exe
\tbuild\t-compiler=gc
\tbuild\tGOOS=linux
";

    #[test]
    fn modules_stdlib_and_replacements_are_listed() {
        let found: Vec<_> = parse_go_version_m(OUTPUT)
            .into_iter()
            .map(|p| (p.name, p.version, p.purl))
            .collect();
        let expected = [
            (
                "example.com/hello",
                "(devel)",
                "pkg:golang/example.com/hello",
            ),
            (
                "example.com/local",
                "(devel)",
                "pkg:golang/example.com/local",
            ),
            (
                "github.com/google/uuid",
                "v1.6.0",
                "pkg:golang/github.com/google/uuid@v1.6.0",
            ),
            (
                "golang.org/x/text",
                "v0.21.0",
                "pkg:golang/golang.org/x/text@v0.21.0",
            ),
            ("stdlib", "go1.24.4", "pkg:golang/stdlib@1.24.4"),
        ];
        let expected: Vec<_> = expected
            .iter()
            .map(|(n, v, p)| ((*n).to_string(), (*v).to_string(), (*p).to_string()))
            .collect();
        assert_eq!(found, expected);
    }

    #[test]
    fn output_for_two_binaries_lists_shared_modules_once() {
        let twice = format!("{OUTPUT}{}", OUTPUT.replace("hello:", "other:"));
        assert_eq!(parse_go_version_m(&twice).len(), 5);
        assert!(parse_go_version_m("").is_empty());
    }
}
