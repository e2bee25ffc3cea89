//! The outside check: syft, an SBOM tool nobody here wrote, reads the same OCI layout, and finds
//! the same Debian packages (names, versions, purls) as `scan_image`; and it reads slipway's
//! SPDX and `CycloneDX` output back.
//!
//! Needs syft: `SYFT=/path/to/syft`, or `syft` on `PATH`; install it with
//! `GOBIN=DIR go install github.com/anchore/syft/cmd/syft@v1.57.2`. Run with
//! `cargo test -p slipway-sbom --test syft -- --include-ignored`. Without syft the tests fail and
//! say so: they are never skipped silently.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{DEBIAN_PACKAGES, IMAGE_NAME, debian_fixture};
use serde_json::Value;
use slipway_sbom::{Package, PackageKind, scan_image, to_cyclonedx_json, to_spdx_json};

/// syft from `SYFT`, else the first `syft` on `PATH`; a panic that names the fix otherwise.
fn syft() -> PathBuf {
    if let Some(path) = std::env::var_os("SYFT") {
        let path = PathBuf::from(path);
        assert!(path.is_file(), "SYFT={} is not a file", path.display());
        return path;
    }
    std::env::var_os("PATH")
        .iter()
        .flat_map(std::env::split_paths)
        .map(|dir| dir.join("syft"))
        .find(|candidate| candidate.is_file())
        .unwrap_or_else(|| {
            panic!(
                "syft not found: set SYFT=/path/to/syft or put syft on PATH \
                 (GOBIN=/tmp/syft-bin go install github.com/anchore/syft/cmd/syft@v1.57.2)"
            )
        })
}

/// Runs syft with `args` and parses its syft-JSON output.
fn run_syft(args: &[&str], work_dir: &Path) -> Value {
    let output = Command::new(syft())
        .args(args)
        .args(["-o", "json", "-q"])
        .current_dir(work_dir)
        .env("SYFT_CHECK_FOR_APP_UPDATE", "false")
        .output()
        .expect("running syft");
    assert!(
        output.status.success(),
        "syft {args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("syft's JSON output")
}

/// (name, version, purl) of syft's artifacts of `artifact_type` (all when `None`).
fn artifacts(sbom: &Value, artifact_type: Option<&str>) -> BTreeSet<(String, String, String)> {
    sbom["artifacts"]
        .as_array()
        .expect("syft JSON has artifacts")
        .iter()
        .filter(|a| artifact_type.is_none_or(|t| a["type"] == t))
        .map(|a| {
            let field = |name: &str| a[name].as_str().unwrap_or_default().to_string();
            (field("name"), field("version"), field("purl"))
        })
        .collect()
}

fn ours(packages: &[Package], debian_only: bool) -> BTreeSet<(String, String, String)> {
    packages
        .iter()
        .filter(|p| !debian_only || matches!(p.kind, PackageKind::Debian { .. }))
        .map(|p| (p.name.clone(), p.version.clone(), p.purl.clone()))
        .collect()
}

#[test]
#[ignore = "end-to-end: needs syft"]
fn syft_finds_the_same_debian_packages_as_scan_image() {
    let fixture = debian_fixture();
    let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
    let layout = format!("oci-dir:{}", fixture.dir.path().display());
    let sbom = run_syft(&["scan", &layout], fixture.dir.path());

    assert_eq!(sbom["distro"]["id"], "debian");
    assert_eq!(sbom["distro"]["versionID"], "13");
    let theirs = artifacts(&sbom, Some("deb"));
    let ours = ours(&packages, true);
    assert_eq!(
        theirs, ours,
        "syft's dpkg packages (left) against scan_image's (right)"
    );
    let names: BTreeSet<_> = ours
        .iter()
        .map(|(n, v, _)| (n.as_str(), v.as_str()))
        .collect();
    assert_eq!(names, DEBIAN_PACKAGES.into_iter().collect());

    // syft reads licences from the same copyright files (more loosely: it also takes names from
    // the licence text, and drops `with … exception`); every SPDX id slipway reports, syft has.
    let syft_licenses: BTreeMap<&str, BTreeSet<&str>> = sbom["artifacts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let ids = a["licenses"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|l| l["spdxExpression"].as_str())
                .flat_map(|e| e.split([' ', '(', ')']))
                .collect();
            (a["name"].as_str().unwrap(), ids)
        })
        .collect();
    for package in packages
        .iter()
        .filter(|p| matches!(p.kind, PackageKind::Debian { .. }))
    {
        for id in package
            .licenses
            .iter()
            .flat_map(|e| e.split([' ', '(', ')']))
            .filter(|t| !t.is_empty() && !["AND", "OR", "WITH"].contains(t))
            .filter(|t| !t.starts_with("LicenseRef-") && !t.contains("exception"))
        {
            assert!(
                syft_licenses[package.name.as_str()].contains(id),
                "{}: slipway says {id}, syft says {:?}",
                package.name,
                syft_licenses[package.name.as_str()]
            );
        }
    }
}

#[test]
#[ignore = "end-to-end: needs syft"]
fn syft_reads_slipways_spdx_and_cyclonedx_back() {
    let fixture = debian_fixture();
    let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
    let dir = tempfile::tempdir().unwrap();
    for (file, text) in [
        (
            "sbom.spdx.json",
            to_spdx_json(
                IMAGE_NAME,
                &fixture.image.digest,
                &packages,
                "2025-08-09T00:00:00Z",
            ),
        ),
        (
            "sbom.cdx.json",
            to_cyclonedx_json(
                IMAGE_NAME,
                &fixture.image.digest,
                &packages,
                "2025-08-09T00:00:00Z",
            ),
        ),
    ] {
        std::fs::write(dir.path().join(file), text).unwrap();
        let converted = run_syft(&["convert", file], dir.path());
        assert_eq!(
            artifacts(&converted, None),
            ours(&packages, false),
            "{file}"
        );
    }
}
