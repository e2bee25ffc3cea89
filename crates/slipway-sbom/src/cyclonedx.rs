//! `CycloneDX` 1.5 JSON: the image as the BOM's subject, one library component per package.

use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};
use slipway_oci::Digest;

use crate::TOOL;
use crate::package::{Package, PackageKind};
use crate::purl::oci_purl;
use crate::spdx::declared_license;

/// The SBOM of image `image_name` with manifest digest `image_digest` as `CycloneDX` 1.5 JSON.
/// `created` is the metadata timestamp (RFC 3339), a parameter for the same reason as in
/// [`crate::to_spdx_json`]; the serial number is a UUID derived from the digest, so the same
/// image gives the same bytes. Components are sorted; each has its purl as `bom-ref`.
///
/// A package's licences are listed one `{"license": {"id"}}` each (`{"license": {"name"}}` for
/// a `LicenseRef-`), or, when one of them is a compound expression, as the single
/// `{"expression"}` that `CycloneDX` then requires.
#[must_use]
pub fn to_cyclonedx_json(
    image_name: &str,
    image_digest: &Digest,
    packages: &[Package],
    created: &str,
) -> String {
    let mut packages: Vec<&Package> = packages.iter().collect();
    packages.sort_by(|a, b| (&a.name, &a.version, &a.purl).cmp(&(&b.name, &b.version, &b.purl)));
    packages.dedup_by(|a, b| a.purl == b.purl);

    let image_purl = oci_purl(image_name, image_digest);
    let components: Vec<Value> = packages.iter().map(|p| component(p)).collect();
    let document = json!({
        "bomFormat": "CycloneDX",
        "specVersion": "1.5",
        "serialNumber": format!("urn:uuid:{}", uuid_from(image_digest)),
        "version": 1,
        "metadata": {
            "timestamp": created,
            "tools": {
                "components": [{"type": "application", "name": "slipway", "version": TOOL.trim_start_matches("slipway-")}],
            },
            "component": {
                "type": "container",
                "bom-ref": image_purl,
                "name": image_name,
                "version": image_digest.to_string(),
                "purl": image_purl,
                "hashes": [{"alg": "SHA-256", "content": image_digest.digest()}],
            },
        },
        "components": components,
    });
    format!("{document:#}\n")
}

fn component(package: &Package) -> Value {
    let mut value = json!({
        "type": "library",
        "bom-ref": package.purl,
        "name": package.name,
        "version": package.version,
        "purl": package.purl,
    });
    if !package.licenses.is_empty() {
        value["licenses"] = licenses(&package.licenses);
    }
    if let Some(supplier) = &package.supplier {
        value["publisher"] = Value::String(supplier.clone());
    }
    let properties = properties(package);
    if !properties.is_empty() {
        value["properties"] = Value::Array(properties);
    }
    value
}

fn licenses(licenses: &[String]) -> Value {
    let compound = licenses.iter().any(|l| l.contains(' '));
    if compound {
        return json!([{"expression": declared_license(licenses)}]);
    }
    licenses
        .iter()
        .map(|l| match l.strip_prefix("LicenseRef-") {
            Some(name) => json!({"license": {"name": name}}),
            None => json!({"license": {"id": l}}),
        })
        .collect()
}

/// What `CycloneDX` has no field for: the layer a package was found in, a Debian package's
/// architecture and source package.
fn properties(package: &Package) -> Vec<Value> {
    let mut properties = Vec::new();
    let mut add = |name: &str, value: String| {
        properties.push(json!({"name": name, "value": value}));
    };
    if let PackageKind::Debian { arch, source } = &package.kind {
        add("slipway:debian:architecture", arch.clone());
        if let Some((name, version)) = source {
            add("slipway:debian:source", format!("{name} {version}"));
        }
    }
    if let Some(layer) = &package.found_in_layer {
        add("slipway:layer:diff_id", layer.to_string());
    }
    properties
}

/// A UUID (RFC 9562 version 8: vendor-defined) made of the SHA-256 of the digest, so that an
/// image's BOM always has the same serial number and two images never share one.
fn uuid_from(digest: &Digest) -> String {
    let hash = Sha256::digest(digest.to_string().as_bytes());
    let mut bytes = [0u8; 16];
    bytes.copy_from_slice(&hash[..16]);
    bytes[6] = (bytes[6] & 0x0f) | 0x80;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..]
    )
}
