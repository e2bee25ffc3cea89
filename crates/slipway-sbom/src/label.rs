//! The image label in which buildpacks declare the packages they add (Go modules compiled into
//! a binary, and later Maven, npm or `PyPI` packages), so that `slipway sbom` lists them without
//! reading binaries or lockfiles out of the image.

use serde::{Deserialize, Serialize};

use crate::package::{Package, PackageKind, sort_and_dedup};

/// The image config label that holds the buildpack packages: a JSON array of
/// [`LabelledPackage`], as [`BUILDPACK_PACKAGES_SCHEMA`] describes.
pub const BUILDPACK_PACKAGES_LABEL: &str = "io.slipway.buildpack.packages";

/// The JSON Schema (draft 2020-12) of the [`BUILDPACK_PACKAGES_LABEL`] value, for tools other
/// than slipway that write or read the label. Unknown fields are allowed: the format may grow.
pub const BUILDPACK_PACKAGES_SCHEMA: &str = r#"{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "io.slipway.buildpack.packages",
  "title": "Packages a buildpack added to an image",
  "type": "array",
  "items": {
    "type": "object",
    "required": ["name", "version", "purl"],
    "properties": {
      "name": {"type": "string", "minLength": 1, "description": "The package's name in its ecosystem, e.g. a Go module path"},
      "version": {"type": "string", "description": "The version as the ecosystem spells it, e.g. v1.6.0"},
      "purl": {"type": "string", "pattern": "^pkg:[a-z.+-]+/", "description": "Package URL; its type names the ecosystem"},
      "licenses": {"type": "array", "items": {"type": "string"}, "description": "SPDX licence expressions"}
    }
  }
}"#;

/// One item of the [`BUILDPACK_PACKAGES_LABEL`] array.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct LabelledPackage {
    /// The package's name in its ecosystem (a Go module path).
    pub name: String,
    /// Its version as the ecosystem spells it.
    pub version: String,
    /// Its package URL; the purl type says the ecosystem.
    pub purl: String,
    /// SPDX licence expressions, when the buildpack knows them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub licenses: Vec<String>,
}

impl From<&Package> for LabelledPackage {
    fn from(package: &Package) -> Self {
        LabelledPackage {
            name: package.name.clone(),
            version: package.version.clone(),
            purl: package.purl.clone(),
            licenses: package.licenses.clone(),
        }
    }
}

/// The label value for `packages`: compact JSON, sorted and without repeats, so that the same
/// packages give the same image config bytes.
#[must_use]
pub fn encode_buildpack_packages(packages: impl IntoIterator<Item = LabelledPackage>) -> String {
    let mut packages: Vec<LabelledPackage> = packages.into_iter().collect();
    packages.sort();
    packages.dedup();
    // Serialising plain strings and arrays to JSON cannot fail.
    serde_json::to_string(&packages).unwrap_or_else(|_| unreachable!("strings serialise"))
}

/// The packages a label value declares, each of the kind its purl names, found in no one layer.
pub fn decode_buildpack_packages(value: &str) -> Result<Vec<Package>, serde_json::Error> {
    let labelled: Vec<LabelledPackage> = serde_json::from_str(value)?;
    let mut packages: Vec<Package> = labelled
        .into_iter()
        .map(|p| Package {
            kind: PackageKind::from_purl(&p.purl),
            name: p.name,
            version: p.version,
            purl: p.purl,
            licenses: p.licenses,
            supplier: None,
            found_in_layer: None,
        })
        .collect();
    sort_and_dedup(&mut packages);
    Ok(packages)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uuid() -> LabelledPackage {
        LabelledPackage {
            name: "github.com/google/uuid".into(),
            version: "v1.6.0".into(),
            purl: "pkg:golang/github.com/google/uuid@v1.6.0".into(),
            licenses: Vec::new(),
        }
    }

    #[test]
    fn the_label_is_sorted_compact_json_without_empty_licenses() {
        let stdlib = LabelledPackage {
            name: "stdlib".into(),
            version: "go1.24.4".into(),
            purl: "pkg:golang/stdlib@1.24.4".into(),
            licenses: vec!["BSD-3-Clause".into()],
        };
        assert_eq!(
            encode_buildpack_packages([stdlib, uuid(), uuid()]),
            r#"[{"name":"github.com/google/uuid","version":"v1.6.0","purl":"pkg:golang/github.com/google/uuid@v1.6.0"},{"name":"stdlib","version":"go1.24.4","purl":"pkg:golang/stdlib@1.24.4","licenses":["BSD-3-Clause"]}]"#
        );
    }

    #[test]
    fn decoding_accepts_unknown_fields_and_takes_the_kind_from_the_purl() {
        let value = r#"[{"name":"left-pad","version":"1.3.0","purl":"pkg:npm/left-pad@1.3.0","buildpack":"nodejs"},
            {"name":"github.com/google/uuid","version":"v1.6.0","purl":"pkg:golang/github.com/google/uuid@v1.6.0"}]"#;
        let packages = decode_buildpack_packages(value).unwrap();
        assert_eq!(packages.len(), 2);
        assert_eq!(packages[0].kind, PackageKind::GoModule);
        assert_eq!(
            packages[1].kind,
            PackageKind::Other {
                purl_type: "npm".into()
            }
        );
        assert_eq!(packages[1].found_in_layer, None);
    }

    #[test]
    fn the_schema_is_json_and_requires_what_the_type_requires() {
        let schema: serde_json::Value = serde_json::from_str(BUILDPACK_PACKAGES_SCHEMA).unwrap();
        assert_eq!(schema["$id"], BUILDPACK_PACKAGES_LABEL);
        assert_eq!(
            schema["items"]["required"],
            serde_json::json!(["name", "version", "purl"])
        );
        assert!(
            serde_json::from_str::<Vec<LabelledPackage>>(r#"[{"name":"x","version":"1"}]"#)
                .is_err()
        );
    }

    #[test]
    fn a_package_round_trips_through_the_label() {
        let package = decode_buildpack_packages(&encode_buildpack_packages([uuid()])).unwrap();
        assert_eq!(LabelledPackage::from(&package[0]), uuid());
    }
}
