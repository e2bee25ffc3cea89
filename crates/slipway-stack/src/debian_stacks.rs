//! The stacks slipway makes from Debian packages: which release, and which packages go into the
//! run image, each run image flavor, and the build image.
//!
//! This is data, kept apart from resolving and fetching, so that it reads as a list and is tested
//! without a network.

/// A stack made from one Debian release.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DebianStack {
    /// The name on the command line, e.g. `debian-13`.
    pub name: &'static str,
    /// The release's codename: the suite names derive from it (`trixie`, `trixie-updates`,
    /// `trixie-security`).
    pub codename: &'static str,
    /// The release's version number, as `/etc/os-release` says it.
    pub version: &'static str,
    /// What every run image holds, about what distroless `base` does.
    pub run_packages: &'static [&'static str],
    /// Packages whose own dependencies are not followed, as distroless does: ca-certificates,
    /// tzdata and base-files are data (their dependencies, debconf and awk, only serve their
    /// maintainer scripts, which slipway never runs); ca-certificates-java, util-linux and dpkg
    /// are pulled in by runtimes for install-time tools (keystore updates, PAM-using login
    /// tools, the package manager) that a run image never runs. tomcat10 and tomcat10-common
    /// package Tomcat as a system service: their dependencies (systemd, ucf, and whatever JRE
    /// `default-jre-headless` is) serve that service, so a Tomcat flavor names its JRE and
    /// `libtomcat10-java` itself.
    pub data_only_packages: &'static [&'static str],
    /// What the build image adds to the run set for every build.
    pub build_packages: &'static [&'static str],
    /// The JREs the release packages, as `java-N` flavors.
    pub java_versions: &'static [u32],
}

/// See [`DebianStack::data_only_packages`].
const DATA_ONLY: &[&str] = &[
    "base-files",
    "ca-certificates",
    "ca-certificates-java",
    "dpkg",
    "netbase",
    "tomcat10",
    "tomcat10-common",
    "tzdata",
    "util-linux",
];

/// What the build image adds: Debian's Essential set (every Debian system has it, so no package
/// declares a dependency on it: without it there is no shell, `cat` or `sed`), and the tools
/// builds expect.
const BUILD_PACKAGES: &[&str] = &[
    "bash",
    "coreutils",
    "dash",
    "diffutils",
    "findutils",
    "grep",
    "gzip",
    "hostname",
    "sed",
    "tar",
    "build-essential",
    "git",
    "curl",
    "ca-certificates",
];

/// Debian 13 (trixie): the current stable release, the default stack.
pub const DEBIAN_13: DebianStack = DebianStack {
    name: "debian-13",
    codename: "trixie",
    version: "13",
    run_packages: &[
        "base-files",
        "netbase",
        "tzdata",
        "ca-certificates",
        "libc6",
        "libssl3t64",
    ],
    data_only_packages: DATA_ONLY,
    build_packages: BUILD_PACKAGES,
    java_versions: &[21, 25],
};

/// Debian 12 (bookworm): the previous stable release.
pub const DEBIAN_12: DebianStack = DebianStack {
    name: "debian-12",
    codename: "bookworm",
    version: "12",
    run_packages: &[
        "base-files",
        "netbase",
        "tzdata",
        "ca-certificates",
        "libc6",
        "libssl3",
    ],
    data_only_packages: DATA_ONLY,
    build_packages: BUILD_PACKAGES,
    java_versions: &[17],
};

/// Every Debian stack, the default first.
pub const DEBIAN_STACKS: &[DebianStack] = &[DEBIAN_13, DEBIAN_12];

/// A run image flavor: the run set plus one language runtime, so that a runtime fix reaches apps
/// by rebase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Flavor {
    /// Its name: `base`, `java-21`, `nodejs`, `python`.
    pub name: String,
    /// The packages it adds to the run set.
    pub packages: Vec<&'static str>,
    /// Environment its images get (e.g. `JAVA_HOME`).
    pub env: Vec<(String, String)>,
}

impl DebianStack {
    /// The flavors of this stack.
    #[must_use]
    pub fn flavors(&self) -> Vec<Flavor> {
        let mut flavors = vec![Flavor {
            name: "base".into(),
            packages: vec![],
            env: vec![],
        }];
        for version in self.java_versions {
            flavors.push(Flavor {
                name: format!("java-{version}"),
                packages: vec![java_package(*version)],
                env: vec![("JAVA_HOME".into(), java_home(*version))],
            });
            flavors.push(Flavor {
                name: format!("java-{version}-tomcat"),
                packages: [&[java_package(*version)], TOMCAT_PACKAGES].concat(),
                env: vec![
                    ("JAVA_HOME".into(), java_home(*version)),
                    ("CATALINA_HOME".into(), CATALINA_HOME.into()),
                ],
            });
        }
        flavors.push(Flavor {
            name: "nodejs".into(),
            packages: vec!["nodejs"],
            env: vec![],
        });
        flavors.push(Flavor {
            name: "python".into(),
            packages: vec!["python3"],
            env: vec![],
        });
        flavors
    }

    /// The flavor named `name`, or an error listing the ones there are.
    pub fn flavor(&self, name: &str) -> Result<Flavor, String> {
        let flavors = self.flavors();
        flavors
            .iter()
            .find(|f| f.name == name)
            .cloned()
            .ok_or_else(|| {
                flavors
                    .iter()
                    .map(|f| f.name.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            })
    }
}

/// The Debian package name of the headless JRE `version` (all of Debian's JREs are named alike).
/// Where Debian's JRE and JDK of `version` live, the run image's and build environment's
/// `JAVA_HOME`.
#[must_use]
pub fn java_home(version: u32) -> String {
    format!("/usr/lib/jvm/java-{version}-openjdk-amd64")
}

/// Tomcat 10.1 from Debian, as a `java-N-tomcat` flavor has it: the jars (`libtomcat10-java`),
/// the bootstrap jar (`tomcat10-common`) and the default configuration (`tomcat10`'s
/// `/usr/share/tomcat10/etc`), so that a Tomcat fix reaches apps by rebase as a JRE fix does.
pub const TOMCAT_PACKAGES: &[&str] = &["libtomcat10-java", "tomcat10-common", "tomcat10"];

/// Tomcat's installation directory in a `java-N-tomcat` flavor.
pub const CATALINA_HOME: &str = "/usr/share/tomcat10";

/// What a Java build environment adds to the build set: the JDK, Maven, and Apache Tomcat's
/// javax → jakarta migration tool (`javax2jakarta`), which runs on WARs at build time.
#[must_use]
pub fn java_build_packages(version: u32) -> Vec<&'static str> {
    vec![jdk_package(version), "maven", "tomcat-jakartaee-migration"]
}

/// The lockfile set of the Java `version` build environment.
#[must_use]
pub fn java_build_set(version: u32) -> String {
    format!("build:java-{version}")
}

fn jdk_package(version: u32) -> &'static str {
    match version {
        17 => "openjdk-17-jdk-headless",
        21 => "openjdk-21-jdk-headless",
        25 => "openjdk-25-jdk-headless",
        _ => "openjdk-jdk-headless-unknown",
    }
}

fn java_package(version: u32) -> &'static str {
    match version {
        17 => "openjdk-17-jre-headless",
        21 => "openjdk-21-jre-headless",
        25 => "openjdk-25-jre-headless",
        _ => "openjdk-jre-headless-unknown",
    }
}

/// The Debian stack named `name`.
#[must_use]
pub fn debian_stack(name: &str) -> Option<&'static DebianStack> {
    DEBIAN_STACKS.iter().find(|s| s.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flavors_of_debian_13() {
        let names: Vec<String> = DEBIAN_13.flavors().into_iter().map(|f| f.name).collect();
        assert_eq!(
            names,
            [
                "base",
                "java-21",
                "java-21-tomcat",
                "java-25",
                "java-25-tomcat",
                "nodejs",
                "python"
            ]
        );
        let java = DEBIAN_13.flavor("java-21").unwrap();
        assert_eq!(java.packages, ["openjdk-21-jre-headless"]);
        assert_eq!(
            DEBIAN_13.flavor("ruby").unwrap_err(),
            "base, java-21, java-21-tomcat, java-25, java-25-tomcat, nodejs, python"
        );
        let tomcat = DEBIAN_13.flavor("java-21-tomcat").unwrap();
        assert_eq!(
            tomcat.packages,
            [
                "openjdk-21-jre-headless",
                "libtomcat10-java",
                "tomcat10-common",
                "tomcat10"
            ]
        );
        assert!(
            tomcat
                .env
                .contains(&("CATALINA_HOME".into(), "/usr/share/tomcat10".into()))
        );
    }

    #[test]
    fn debian_12_has_java_17() {
        assert_eq!(
            debian_stack("debian-12")
                .unwrap()
                .flavor("java-17")
                .unwrap()
                .packages,
            ["openjdk-17-jre-headless"]
        );
    }
}
