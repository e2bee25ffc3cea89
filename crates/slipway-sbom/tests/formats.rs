//! The SPDX and `CycloneDX` writers: structure, determinism, and one snapshot of each.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use serde_json::Value;
use slipway_oci::Digest;
use slipway_sbom::{Package, PackageKind, scan_image, to_cyclonedx_json, to_spdx_json};

const CREATED: &str = "2025-08-09T00:00:00Z";

fn digest() -> Digest {
    "sha256:4f53cda18c2baa0c0354bb5f9a3ecbe5ed12ab4d8e11ba873c2f11161202b945"
        .parse()
        .unwrap()
}

fn layer() -> Digest {
    "sha256:19f4893e71141cb2ff1d0d08add6e4cd0cdac01fd3c8e0f49ef8e1e4ee3e0f0a"
        .parse()
        .unwrap()
}

/// Three packages, one of each shape: a Debian package with a source and licences (one a
/// compound expression, one a `LicenseRef-`), one without licences, and a Go module.
fn packages() -> Vec<Package> {
    vec![
        Package {
            name: "tzdata".into(),
            version: "2025b-4+deb13u1".into(),
            kind: PackageKind::Debian {
                arch: "all".into(),
                source: None,
            },
            licenses: vec!["LicenseRef-public-domain".into()],
            purl: "pkg:deb/debian/tzdata@2025b-4%2Bdeb13u1?arch=all&distro=debian-13".into(),
            supplier: Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>".into()),
            found_in_layer: Some(layer()),
        },
        Package {
            name: "github.com/google/uuid".into(),
            version: "v1.6.0".into(),
            kind: PackageKind::GoModule,
            licenses: Vec::new(),
            purl: "pkg:golang/github.com/google/uuid@v1.6.0".into(),
            supplier: None,
            found_in_layer: None,
        },
        Package {
            name: "libc6".into(),
            version: "2.41-12".into(),
            kind: PackageKind::Debian {
                arch: "amd64".into(),
                source: Some(("glibc".into(), "2.41-12".into())),
            },
            licenses: vec![
                "GPL-2.0-or-later WITH Autoconf-exception-2.0 OR LGPL-2.1-or-later".into(),
                "LGPL-2.1-or-later".into(),
            ],
            purl: "pkg:deb/debian/libc6@2.41-12?arch=amd64&distro=debian-13&upstream=glibc".into(),
            supplier: Some("GNU Libc Maintainers <debian-glibc@lists.debian.org>".into()),
            found_in_layer: Some(layer()),
        },
    ]
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap()
}

/// A purl as the purl specification shapes it: `pkg:type/path@version?k=v&k=v`, keys sorted.
fn assert_purl(purl: &str) {
    let rest = purl
        .strip_prefix("pkg:")
        .unwrap_or_else(|| panic!("{purl} lacks pkg:"));
    let (path, qualifiers) = rest.split_once('?').unwrap_or((rest, ""));
    let (kind, name) = path
        .split_once('/')
        .unwrap_or_else(|| panic!("{purl} has no type"));
    assert!(kind.chars().all(|c| c.is_ascii_lowercase()), "{purl}: type");
    assert!(
        !name.is_empty() && !name.contains(['+', ':', ' ']),
        "{purl}: unencoded name or version"
    );
    let keys: Vec<_> = qualifiers
        .split('&')
        .filter(|q| !q.is_empty())
        .map(|q| q.split_once('=').unwrap().0)
        .collect();
    let mut sorted = keys.clone();
    sorted.sort_unstable();
    assert_eq!(keys, sorted, "{purl}: qualifier keys not sorted");
}

#[test]
fn spdx_has_the_fields_spdx_2_3_requires() {
    let doc = json(&to_spdx_json(
        "example.invalid/app:1",
        &digest(),
        &packages(),
        CREATED,
    ));
    assert_eq!(doc["spdxVersion"], "SPDX-2.3");
    assert_eq!(doc["dataLicense"], "CC0-1.0");
    assert_eq!(doc["SPDXID"], "SPDXRef-DOCUMENT");
    assert_eq!(doc["name"], "example.invalid/app:1");
    assert!(
        doc["documentNamespace"]
            .as_str()
            .unwrap()
            .ends_with(digest().digest())
    );
    assert_eq!(doc["creationInfo"]["created"], CREATED);
    assert_eq!(doc["creationInfo"]["creators"][0], "Tool: slipway-0.1.0");
    let packages = doc["packages"].as_array().unwrap();
    assert_eq!(packages.len(), 4, "the image and its three packages");
    for package in packages {
        for field in [
            "SPDXID",
            "name",
            "versionInfo",
            "downloadLocation",
            "licenseConcluded",
            "licenseDeclared",
        ] {
            assert!(package[field].is_string(), "{field} in {package}");
        }
        let id = package["SPDXID"].as_str().unwrap();
        assert!(
            id.starts_with("SPDXRef-")
                && id
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '.'),
            "{id}"
        );
        assert_eq!(package["externalRefs"][0]["referenceType"], "purl");
        assert_purl(
            package["externalRefs"][0]["referenceLocator"]
                .as_str()
                .unwrap(),
        );
    }
    let libc6 = packages.iter().find(|p| p["name"] == "libc6").unwrap();
    assert_eq!(
        libc6["licenseDeclared"],
        "(GPL-2.0-or-later WITH Autoconf-exception-2.0 OR LGPL-2.1-or-later) AND LGPL-2.1-or-later"
    );
    assert_eq!(
        libc6["supplier"],
        "Person: GNU Libc Maintainers (debian-glibc@lists.debian.org)"
    );
    let uuid = packages
        .iter()
        .find(|p| p["name"] == "github.com/google/uuid")
        .unwrap();
    assert_eq!(uuid["licenseDeclared"], "NOASSERTION");

    let relationships = doc["relationships"].as_array().unwrap();
    assert_eq!(relationships[0]["relationshipType"], "DESCRIBES");
    assert_eq!(
        relationships
            .iter()
            .filter(|r| r["relationshipType"] == "CONTAINS")
            .count(),
        3
    );
    assert_eq!(
        doc["hasExtractedLicensingInfos"][0]["licenseId"],
        "LicenseRef-public-domain"
    );
}

#[test]
fn cyclonedx_has_the_fields_cyclonedx_1_5_requires() {
    let doc = json(&to_cyclonedx_json(
        "example.invalid/app:1",
        &digest(),
        &packages(),
        CREATED,
    ));
    assert_eq!(doc["bomFormat"], "CycloneDX");
    assert_eq!(doc["specVersion"], "1.5");
    assert_eq!(doc["version"], 1);
    let serial = doc["serialNumber"].as_str().unwrap();
    let uuid = serial.strip_prefix("urn:uuid:").unwrap();
    let groups: Vec<_> = uuid.split('-').map(str::len).collect();
    assert_eq!(groups, [8, 4, 4, 4, 12], "{serial}");
    assert_eq!(doc["metadata"]["component"]["type"], "container");
    assert_purl(doc["metadata"]["component"]["purl"].as_str().unwrap());
    let components = doc["components"].as_array().unwrap();
    let names: Vec<_> = components
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["github.com/google/uuid", "libc6", "tzdata"],
        "sorted by name"
    );
    for component in components {
        assert_eq!(component["type"], "library");
        assert_eq!(component["bom-ref"], component["purl"]);
        assert_purl(component["purl"].as_str().unwrap());
    }
    assert_eq!(
        components[1]["licenses"][0]["expression"]
            .as_str()
            .unwrap()
            .matches(" AND ")
            .count(),
        1
    );
    assert_eq!(
        components[2]["licenses"][0]["license"]["name"],
        "public-domain"
    );
    assert!(components[0].get("licenses").is_none());
}

#[test]
fn the_same_packages_in_any_order_give_the_same_bytes() {
    let mut reversed = packages();
    reversed.reverse();
    for write in [to_spdx_json, to_cyclonedx_json] {
        assert_eq!(
            write("app", &digest(), &packages(), CREATED),
            write("app", &digest(), &reversed, CREATED)
        );
    }
    let other: Digest = format!("sha256:{}", "0".repeat(64)).parse().unwrap();
    let serial =
        |d: &Digest| json(&to_cyclonedx_json("app", d, &[], CREATED))["serialNumber"].clone();
    assert_ne!(serial(&digest()), serial(&other));
}

#[test]
fn scanning_an_image_twice_gives_identical_sboms() {
    let fixture = common::debian_fixture();
    let sbom = || {
        let packages = scan_image(&fixture.image, &fixture.layout).unwrap();
        to_spdx_json(
            common::IMAGE_NAME,
            &fixture.image.digest,
            &packages,
            CREATED,
        )
    };
    assert_eq!(sbom(), sbom());
}

#[test]
fn spdx_snapshot() {
    insta::assert_snapshot!(to_spdx_json(
        "example.invalid/app:1",
        &digest(),
        &packages(),
        CREATED
    ));
}

#[test]
fn cyclonedx_snapshot() {
    insta::assert_snapshot!(to_cyclonedx_json(
        "example.invalid/app:1",
        &digest(),
        &packages(),
        CREATED
    ));
}
