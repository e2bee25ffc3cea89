//! SPDX 2.3 JSON: one package for the image, one per package in it, the image DESCRIBED by the
//! document and CONTAINING every package.

use std::collections::BTreeSet;

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use slipway_oci::Digest;

use crate::TOOL;
use crate::license::parenthesised;
use crate::package::Package;
use crate::purl::oci_purl;

const NOASSERTION: &str = "NOASSERTION";
const IMAGE_ID: &str = "SPDXRef-Image";

/// The SBOM of image `image_name` (`registry/repo:tag`) with manifest digest `image_digest` as
/// SPDX 2.3 JSON. `created` is the document's creation time (RFC 3339, `2025-01-01T00:00:00Z`):
/// a parameter, so that the output is a function of its arguments (pass the image's `created`
/// for byte-identical SBOMs of the same image). The document namespace is derived from the
/// digest; packages appear sorted, as `scan_image` returns them or after sorting here.
///
/// Licences go into `licenseDeclared` (what the package's copyright file says, AND-joined);
/// `licenseConcluded` is `NOASSERTION`, because slipway analyses no source, which is what SPDX
/// asks of a conclusion. Each `LicenseRef-` used is defined in `hasExtractedLicensingInfos`.
#[must_use]
pub fn to_spdx_json(
    image_name: &str,
    image_digest: &Digest,
    packages: &[Package],
    created: &str,
) -> String {
    let mut packages: Vec<&Package> = packages.iter().collect();
    packages.sort_by(|a, b| (&a.name, &a.version, &a.purl).cmp(&(&b.name, &b.version, &b.purl)));
    packages.dedup_by(|a, b| a.purl == b.purl);

    let mut spdx_packages = vec![image_package(image_name, image_digest)];
    let mut relationships = vec![json!({
        "spdxElementId": "SPDXRef-DOCUMENT",
        "relationshipType": "DESCRIBES",
        "relatedSpdxElement": IMAGE_ID,
    })];
    for package in &packages {
        let id = package_id(package);
        spdx_packages.push(package_json(package, &id));
        relationships.push(json!({
            "spdxElementId": IMAGE_ID,
            "relationshipType": "CONTAINS",
            "relatedSpdxElement": id,
        }));
    }
    let mut document = json!({
        "spdxVersion": "SPDX-2.3",
        "dataLicense": "CC0-1.0",
        "SPDXID": "SPDXRef-DOCUMENT",
        "name": image_name,
        "documentNamespace": format!("https://slipway.invalid/spdx/{}", image_digest.to_string().replace(':', "-")),
        "creationInfo": {
            "created": created,
            "creators": [format!("Tool: {TOOL}")],
        },
        "packages": spdx_packages,
        "relationships": relationships,
    });
    let refs = license_refs(&packages);
    if !refs.is_empty() {
        document["hasExtractedLicensingInfos"] = Value::Array(refs);
    }
    format!("{document:#}\n")
}

/// The image itself: a container package whose version is its manifest digest.
fn image_package(image_name: &str, image_digest: &Digest) -> Value {
    json!({
        "SPDXID": IMAGE_ID,
        "name": image_name,
        "versionInfo": image_digest.to_string(),
        "primaryPackagePurpose": "CONTAINER",
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "checksums": [{"algorithm": "SHA256", "checksumValue": image_digest.digest()}],
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": NOASSERTION,
        "copyrightText": NOASSERTION,
        "externalRefs": [purl_ref(&oci_purl(image_name, image_digest))],
    })
}

fn package_json(package: &Package, id: &str) -> Value {
    let mut value = json!({
        "SPDXID": id,
        "name": package.name,
        "versionInfo": package.version,
        "downloadLocation": NOASSERTION,
        "filesAnalyzed": false,
        "licenseConcluded": NOASSERTION,
        "licenseDeclared": declared_license(&package.licenses),
        "copyrightText": NOASSERTION,
        "externalRefs": [purl_ref(&package.purl)],
    });
    value["supplier"] = Value::String(
        package
            .supplier
            .as_deref()
            .map_or_else(|| NOASSERTION.to_string(), spdx_person),
    );
    value
}

fn purl_ref(purl: &str) -> Value {
    json!({
        "referenceCategory": "PACKAGE-MANAGER",
        "referenceType": "purl",
        "referenceLocator": purl,
    })
}

/// The package's licences AND-joined, or `NOASSERTION` when none is known.
pub(crate) fn declared_license(licenses: &[String]) -> String {
    match licenses {
        [] => NOASSERTION.to_string(),
        [one] => one.clone(),
        many => many
            .iter()
            .map(|l| parenthesised(l))
            .collect::<Vec<_>>()
            .join(" AND "),
    }
}

/// `Name <email>` → `Person: Name (email)`, as SPDX writes a supplier.
fn spdx_person(maintainer: &str) -> String {
    match maintainer.split_once('<') {
        Some((name, email)) => format!(
            "Person: {} ({})",
            name.trim(),
            email.trim().trim_end_matches('>').trim()
        ),
        None => format!("Person: {}", maintainer.trim()),
    }
}

/// `SPDXRef-Package-deb-libc6-1a2b3c4d`: readable, and unique because the suffix is taken from
/// the purl (two packages of one name differ in it).
fn package_id(package: &Package) -> String {
    let name: String = package
        .name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '.' || c == '-' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let hash = hex::encode(&Sha256::digest(package.purl.as_bytes())[..4]);
    format!("SPDXRef-Package-{}-{name}-{hash}", package.kind.purl_type())
}

/// A definition of every `LicenseRef-` the packages use, which SPDX requires of a document.
fn license_refs(packages: &[&Package]) -> Vec<Value> {
    let refs: BTreeSet<&str> = packages
        .iter()
        .flat_map(|p| &p.licenses)
        .flat_map(|expression| expression.split([' ', '(', ')']))
        .filter(|token| token.starts_with("LicenseRef-"))
        .collect();
    refs.into_iter()
        .map(|id| {
            let name = id.trim_start_matches("LicenseRef-");
            json!({
                "licenseId": id,
                "name": name,
                "extractedText": format!(
                    "A licence with no SPDX id, named {name} by the package; its text is in the package's copyright file (/usr/share/doc/<package>/copyright for a Debian package)."
                ),
            })
        })
        .collect()
}
