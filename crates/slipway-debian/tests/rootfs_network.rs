//! Real Debian 13 (and 12) packages from the mirror the host's apt sources name, downloaded through the
//! `.deb` cache and turned into layers: what a scanner and a program in the image would see.

use std::collections::BTreeMap;
use std::io::Read;

use slipway_debian::deb::Deb;
use slipway_debian::fetch::{DEFAULT_CONCURRENCY, DebCache, DebRef, MirrorBases};
use slipway_debian::rootfs::{JavaTrustStore, Rootfs, RootfsBuilder, RootfsOptions};

const PACKAGES: [&str; 5] = [
    "base-files",
    "ca-certificates",
    "tzdata",
    "netbase",
    "libc6",
];

/// The Debian archive's base URL from the host's apt sources (deb822 `.sources` files, then the
/// one-line `sources.list`): the first one that is not the security archive.
fn mirror() -> String {
    let mut candidates = Vec::new();
    if let Ok(dir) = std::fs::read_dir("/etc/apt/sources.list.d") {
        let mut paths: Vec<_> = dir.flatten().map(|e| e.path()).collect();
        paths.sort();
        for path in paths
            .iter()
            .filter(|p| p.extension().is_some_and(|e| e == "sources"))
        {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            for stanza in text.split("\n\n") {
                let field = |name: &str| {
                    stanza
                        .lines()
                        .find_map(|l| l.strip_prefix(name))
                        .map(str::trim)
                        .unwrap_or_default()
                        .to_string()
                };
                if field("Suites:").contains("-security") {
                    continue;
                }
                candidates.extend(field("URIs:").split_whitespace().map(String::from));
            }
        }
    }
    let list = std::fs::read_to_string("/etc/apt/sources.list").unwrap_or_default();
    for line in list.lines() {
        let words: Vec<&str> = line.split_whitespace().collect();
        if words.first() == Some(&"deb")
            && !line.contains("-security")
            && let Some(uri) = words.iter().find(|w| w.contains("://"))
        {
            candidates.push((*uri).to_string());
        }
    }
    candidates
        .into_iter()
        .find(|u| u.starts_with("http"))
        .expect("an http(s) Debian mirror in /etc/apt/sources.list.d/*.sources or sources.list")
        .trim_end_matches('/')
        .to_string()
}

/// The main amd64 index entries of `PACKAGES` in `suite`, found by scanning the text.
async fn index_entries(base: &str, suite: &str) -> Vec<DebRef> {
    let url = format!("{base}/dists/{suite}/main/binary-amd64/Packages.xz");
    let _ = rustls::crypto::ring::default_provider().install_default();
    let response = reqwest::get(&url).await.expect("fetching Packages.xz");
    assert!(
        response.status().is_success(),
        "{url}: {}",
        response.status()
    );
    let compressed = response.bytes().await.expect("Packages.xz body");
    let mut text = String::new();
    xz2::read::XzDecoder::new(compressed.as_ref())
        .read_to_string(&mut text)
        .expect("decompressing Packages.xz");
    let mut found = BTreeMap::new();
    for paragraph in text.split("\n\n") {
        let field = |name: &str| {
            paragraph
                .lines()
                .find_map(|l| l.strip_prefix(name)?.strip_prefix(": "))
                .map(str::to_string)
        };
        let Some(name) = field("Package") else {
            continue;
        };
        if PACKAGES.contains(&name.as_str()) && !found.contains_key(&name) {
            found.insert(
                name.clone(),
                DebRef {
                    version: field("Version").expect("Version"),
                    filename: field("Filename").expect("Filename"),
                    size: field("Size")
                        .expect("Size")
                        .parse()
                        .expect("Size is a number"),
                    sha256: field("SHA256").expect("SHA256"),
                    from_security: false,
                    name,
                },
            );
        }
    }
    PACKAGES
        .iter()
        .map(|p| {
            found
                .remove(*p)
                .unwrap_or_else(|| panic!("{p} is not in {url}"))
        })
        .collect()
}

/// Path → (entry type, link target, contents) of a layer.
fn entries(rootfs: &Rootfs, index: usize) -> Entries {
    let mut out = BTreeMap::new();
    let tar = &rootfs.layers[index].layer.tar;
    for entry in tar::Archive::new(tar.as_slice()).entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let path = entry
            .path()
            .expect("path")
            .to_string_lossy()
            .trim_end_matches('/')
            .to_string();
        let kind = entry.header().entry_type();
        let link = entry
            .link_name()
            .expect("link")
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut contents = Vec::new();
        entry.read_to_end(&mut contents).expect("contents");
        out.insert(path, (kind, link, contents));
    }
    out
}

#[tokio::test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn trixie_base_packages_become_a_root_filesystem() {
    base_packages_become_a_root_filesystem("trixie", 13).await;
}

/// Debian 12's packages still ship files under /lib and /bin: the merge moves them.
#[tokio::test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources"]
async fn bookworm_base_packages_become_a_merged_usr_root_filesystem() {
    base_packages_become_a_root_filesystem("bookworm", 12).await;
}

async fn base_packages_become_a_root_filesystem(suite: &str, release: u32) {
    let base = mirror();
    let items = index_entries(&base, suite).await;
    let cache_dir = tempfile::tempdir().expect("tempdir");
    let cache = DebCache::new(cache_dir.path());
    let mirrors = MirrorBases {
        archive: base.clone(),
        security: format!("{base}-security"),
    };
    let paths = cache
        .fetch_all(&mirrors, &items, DEFAULT_CONCURRENCY, &|_| {})
        .await
        .expect("downloading the packages");

    let build = || {
        let mut builder = RootfsBuilder::new(RootfsOptions {
            java_truststore: JavaTrustStore::Always,
            ..RootfsOptions::default()
        });
        for path in &paths {
            builder.add_deb(Deb::open(path).expect("reading a .deb"), "base");
        }
        builder.build().expect("building the layers")
    };
    let rootfs = build();
    assert_eq!(rootfs.layers.len(), 2, "base and generated");
    let versions: Vec<(String, String)> = rootfs
        .packages
        .iter()
        .map(|p| (p.name.clone(), p.version.clone()))
        .collect();
    let expected: Vec<(String, String)> = items
        .iter()
        .map(|i| (i.name.clone(), i.version.clone()))
        .collect();
    assert_eq!(versions, expected);

    let layer = entries(&rootfs, 0);
    let generated = entries(&rootfs, 1);
    check_os_release_and_merged_usr(&layer, suite, release);
    check_status_entries(&layer, &items);
    check_generated(&layer, &generated);

    // The same packages give the same layers.
    let again = build();
    let ids = |r: &Rootfs| {
        r.layers
            .iter()
            .map(|l| l.layer.diff_id.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(ids(&rootfs), ids(&again));
}

type Entries = BTreeMap<String, (tar::EntryType, String, Vec<u8>)>;

fn check_os_release_and_merged_usr(layer: &Entries, suite: &str, release: u32) {
    // /etc/os-release (base-files links it to /usr/lib/os-release) names the release.
    let (kind, target, _) = &layer["etc/os-release"];
    assert_eq!(
        (*kind, target.as_str()),
        (tar::EntryType::Symlink, "../usr/lib/os-release")
    );
    let os_release = String::from_utf8_lossy(&layer["usr/lib/os-release"].2).into_owned();
    assert!(
        os_release.contains(&format!("VERSION_ID=\"{release}\"")),
        "{os_release}"
    );
    assert!(
        os_release.contains(&format!("VERSION_CODENAME={suite}")),
        "{os_release}"
    );
    assert!(
        os_release.contains(&format!("Debian GNU/Linux {release} ({suite})")),
        "{os_release}"
    );

    // Merged /usr: the aliases are links, nothing lives under them, the loader is reachable.
    for (alias, target) in [
        ("bin", "usr/bin"),
        ("sbin", "usr/sbin"),
        ("lib", "usr/lib"),
        ("lib64", "usr/lib64"),
    ] {
        assert_eq!(layer[alias].0, tar::EntryType::Symlink, "{alias}");
        assert_eq!(layer[alias].1, target);
        assert!(
            !layer.keys().any(|p| p.starts_with(&format!("{alias}/"))),
            "{alias}/"
        );
    }
    assert!(layer.contains_key("usr/lib64/ld-linux-x86-64.so.2"));
    assert!(layer.contains_key("usr/lib/x86_64-linux-gnu/libc.so.6"));

    // Docs gone except licences; manuals gone.
    assert!(layer.contains_key("usr/share/doc/libc6/copyright"));
    assert!(!layer.keys().any(|p| p.starts_with("usr/share/man/")));
    assert!(!layer.keys().any(|p| p.starts_with("usr/share/doc/")
        && p.matches('/').count() > 3
        && !p.ends_with("/copyright")));
}

/// A status entry per package, as dpkg would write it.
fn check_status_entries(layer: &Entries, items: &[DebRef]) {
    for item in items {
        let status =
            String::from_utf8_lossy(&layer[&format!("var/lib/dpkg/status.d/{}", item.name)].2)
                .into_owned();
        assert!(
            status.starts_with(&format!("Package: {}\n", item.name)),
            "{status}"
        );
        assert!(
            status.contains("\nStatus: install ok installed\n"),
            "{status}"
        );
        assert!(
            status.contains(&format!("\nVersion: {}\n", item.version)),
            "{status}"
        );
    }
}

fn check_generated(layer: &Entries, generated: &Entries) {
    // The CA bundle, and the same CAs in the Java keystore.
    let bundle =
        String::from_utf8_lossy(&generated["etc/ssl/certs/ca-certificates.crt"].2).into_owned();
    let certs = bundle.matches("-----BEGIN CERTIFICATE-----").count();
    assert!(certs > 100, "{certs} certificates in the bundle");
    let keystore = &generated["etc/ssl/certs/java/cacerts"].2;
    assert_eq!(&keystore[..8], &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2]);
    let count = u32::from_be_bytes(keystore[8..12].try_into().expect("4 bytes"));
    assert_eq!(count as usize, certs);

    // Time zone, users, netbase's files.
    assert_eq!(generated["etc/localtime"].1, "/usr/share/zoneinfo/Etc/UTC");
    assert!(layer.contains_key("usr/share/zoneinfo/Etc/UTC"));
    assert!(String::from_utf8_lossy(&generated["etc/passwd"].2).contains("cnb:x:1000:1000:"));
    assert!(layer.contains_key("etc/services"));
}
