//! dpkg status entries: what `/var/lib/dpkg/status` would say about each package, one file per
//! package under `/var/lib/dpkg/status.d/`, where distroless puts them and where scanners (syft,
//! trivy, grype) look in images that have no dpkg database.

use crate::deb::{ControlField, control_fields};

/// Where a package's status entry goes.
#[must_use]
pub fn status_path(package: &str) -> String {
    format!("var/lib/dpkg/status.d/{package}")
}

/// The order dpkg writes known fields in (lib/dpkg/parse.c, `fieldinfos`); other fields follow in
/// the package's own order, as dpkg writes its "arbitrary" fields.
const DPKG_FIELD_ORDER: [&str; 28] = [
    "Package",
    "Essential",
    "Protected",
    "Status",
    "Priority",
    "Section",
    "Installed-Size",
    "Origin",
    "Maintainer",
    "Bugs",
    "Architecture",
    "Multi-Arch",
    "Source",
    "Version",
    "Config-Version",
    "Replaces",
    "Provides",
    "Depends",
    "Pre-Depends",
    "Recommends",
    "Suggests",
    "Breaks",
    "Conflicts",
    "Enhances",
    "Conffiles",
    "Description",
    "Triggers-Pending",
    "Triggers-Awaited",
];

/// The status entry of an installed package: its control paragraph with
/// `Status: install ok installed`, in dpkg's field order, ending with a newline.
#[must_use]
pub fn status_entry(control: &str) -> String {
    let mut fields: Vec<ControlField> = control_fields(control)
        .into_iter()
        .filter(|f| !f.name.eq_ignore_ascii_case("Status"))
        .collect();
    fields.push(ControlField {
        name: "Status".to_string(),
        value: "install ok installed".to_string(),
    });
    let rank = |f: &ControlField| {
        DPKG_FIELD_ORDER
            .iter()
            .position(|known| known.eq_ignore_ascii_case(&f.name))
            .unwrap_or(DPKG_FIELD_ORDER.len())
    };
    // A stable sort keeps unknown fields in the package's order, after the known ones.
    fields.sort_by_key(rank);
    fields.iter().map(ControlField::to_line).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dpkg_field_order() {
        let control = "Package: tzdata\nVersion: 2026f-0+deb13u1\nArchitecture: all\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nInstalled-Size: 1360\nDepends: debconf (>= 0.5) | debconf-2.0\nProvides: tzdata-trixie\nSection: localization\nPriority: required\nMulti-Arch: foreign\nHomepage: https://www.iana.org/time-zones\nDescription: time zone and daylight-saving time data\n This package contains data.\n .\n More.\n";
        assert_eq!(
            status_entry(control),
            "Package: tzdata\nStatus: install ok installed\nPriority: required\nSection: localization\nInstalled-Size: 1360\nMaintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>\nArchitecture: all\nMulti-Arch: foreign\nVersion: 2026f-0+deb13u1\nProvides: tzdata-trixie\nDepends: debconf (>= 0.5) | debconf-2.0\nDescription: time zone and daylight-saving time data\n This package contains data.\n .\n More.\nHomepage: https://www.iana.org/time-zones\n"
        );
    }
}
