//! Run images of the Debian stacks: resolve the stack's package sets (or take them from a
//! lockfile), fetch and verify the `.deb`s, and turn them into layers, cached by what went in.
//!
//! A lockfile lists every package of a stack once, with named sets saying which packages the run
//! image, each flavor and the build image take ([`RUN_SET`], [`flavor_set`], [`BUILD_SET`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use sha2::{Digest as _, Sha256};
use slipway_debian::archive::{Archive, SuiteSet};
use slipway_debian::deb::Deb;
use slipway_debian::fetch::{DebCache, DebRef, FetchEvent, MirrorBases};
use slipway_debian::index::SuiteIndex;
use slipway_debian::keyring::Keyring;
use slipway_debian::lockfile::{LockedPackage, Lockfile};
use slipway_debian::mirror::Mirrors;
use slipway_debian::resolve::{Resolved, resolve};
use slipway_debian::rootfs::certs::CaFile;
use slipway_debian::rootfs::{RootfsBuilder, RootfsOptions};
use slipway_oci::{Compression, LayerRecord, OciLayout};

use crate::debian_stacks::{DebianStack, Flavor, java_build_packages, java_build_set, java_home};
use crate::{APP_GID, APP_UID, RunImage, RunLayer};

mod error;

pub use error::DebianStackError;

/// The label recording the digest of the lockfile a run image was made from.
pub const LOCKFILE_DIGEST_LABEL: &str = "io.slipway.stack.lockfile";
/// The label listing the digests of the extra CA files (`--ca-certs`) in a run image.
pub const CA_CERTS_LABEL: &str = "io.slipway.stack.ca-certs";
/// The label naming a run image's flavor.
pub const FLAVOR_LABEL: &str = "io.slipway.stack.flavor";

fn lockfile_digest(lockfile: &Lockfile) -> Result<String, DebianStackError> {
    Ok(lockfile.digest()?.to_string())
}

/// How long a resolution made without a lockfile is reused: the indexes' own refresh period.
const RESOLUTION_MAX_AGE: std::time::Duration = std::time::Duration::from_secs(24 * 60 * 60);

/// The lockfile set every run image holds.
pub const RUN_SET: &str = "run";
/// The lockfile set of the build image.
pub const BUILD_SET: &str = "build";
/// What the build image adds for the built-in buildpacks (their compilers).
pub const BUILDPACK_BUILD_PACKAGES: &[&str] = &["golang-go"];

/// The lockfile set of a flavor: the run set plus its runtime.
#[must_use]
pub fn flavor_set(flavor: &str) -> String {
    format!("flavor:{flavor}")
}

/// Where Debian packages come from: the verified archive and the `.deb` cache.
pub struct DebianSource {
    archive: Archive,
    debs: DebCache,
    bases: MirrorBases,
    cache_dir: PathBuf,
    debian_cache: PathBuf,
}

impl DebianSource {
    /// The archive at `--debian-mirror` (else `SLIPWAY_DEBIAN_MIRROR`, else the host's apt
    /// sources), trusted through `keyring` (else the host's Debian archive keyring). Indexes and
    /// `.deb`s are cached under `debian_cache` (content-addressed, shareable between stores);
    /// run image layers are remembered under `cache_dir`, beside the store that holds them.
    pub fn new(
        mirror: Option<&str>,
        keyring: Option<&Path>,
        debian_cache: &Path,
        cache_dir: &Path,
    ) -> Result<Self, DebianStackError> {
        let mirrors = Mirrors::resolve(mirror)?;
        let keyring = Keyring::resolve(keyring)?;
        let bases = MirrorBases {
            archive: mirrors.debian.clone(),
            security: mirrors.security.clone(),
        };
        let archive = Archive::new(mirrors, keyring, debian_cache)?;
        Ok(Self {
            archive,
            debs: DebCache::new(debian_cache),
            bases,
            cache_dir: cache_dir.to_path_buf(),
            debian_cache: debian_cache.to_path_buf(),
        })
    }

    /// Resolves every set of `stack` for `arch` against the current indexes of `suites`.
    pub async fn resolve(
        &self,
        stack: &DebianStack,
        arch: &str,
        suites: SuiteSet,
        refresh: bool,
    ) -> Result<Lockfile, DebianStackError> {
        let indexes = self
            .archive
            .suite_indexes(stack.codename, suites, arch, refresh)
            .await?;
        let indexes = without_dependencies_of(indexes, stack.data_only_packages);
        let mut chosen: BTreeMap<String, Resolved> = BTreeMap::new();
        let mut sets = BTreeMap::new();
        let mut resolve_set = |name: String, roots: Vec<&str>| -> Result<(), DebianStackError> {
            let roots: Vec<String> = roots.into_iter().map(str::to_string).collect();
            let resolved = resolve(&indexes, &roots, arch)?;
            sets.insert(
                name,
                resolved
                    .iter()
                    .map(|r| r.entry.name.clone())
                    .collect::<Vec<_>>(),
            );
            for r in resolved {
                chosen.entry(r.entry.name.clone()).or_insert(r);
            }
            Ok(())
        };
        resolve_set(RUN_SET.into(), stack.run_packages.to_vec())?;
        for flavor in stack.flavors() {
            resolve_set(
                flavor_set(&flavor.name),
                [stack.run_packages, &flavor.packages].concat(),
            )?;
        }
        let build_roots = [
            stack.run_packages,
            stack.build_packages,
            BUILDPACK_BUILD_PACKAGES,
        ]
        .concat();
        resolve_set(BUILD_SET.into(), build_roots.clone())?;
        for version in stack.java_versions {
            resolve_set(
                java_build_set(*version),
                [build_roots.as_slice(), &java_build_packages(*version)].concat(),
            )?;
        }
        let resolved: Vec<Resolved> = chosen.into_values().collect();
        let mut lockfile = Lockfile::from_resolved(
            stack.name,
            stack.codename,
            arch,
            &suites.names(stack.codename),
            &resolved,
        );
        lockfile.sets = sets;
        Ok(lockfile)
    }

    /// [`Self::resolve`], remembered for a day (as the indexes are) unless `refresh`: what a build
    /// without a `slipway.lock` uses, so that an unchanged app rebuilds without resolving again.
    pub async fn resolve_cached(
        &self,
        stack: &DebianStack,
        arch: &str,
        suites: SuiteSet,
        refresh: bool,
    ) -> Result<Lockfile, DebianStackError> {
        let names = suites.names(stack.codename).join("+");
        let path = self.debian_cache.join("resolutions").join(format!(
            "{}-{arch}-{names}-slipway-{}.lock",
            stack.name,
            env!("CARGO_PKG_VERSION")
        ));
        let fresh = std::fs::metadata(&path)
            .and_then(|m| m.modified())
            .ok()
            .and_then(|t| t.elapsed().ok())
            .is_some_and(|age| age < RESOLUTION_MAX_AGE);
        if fresh
            && !refresh
            && let Some(lockfile) = std::fs::read_to_string(&path)
                .ok()
                .and_then(|t| Lockfile::parse(&t).ok())
            && set_names(stack)
                .iter()
                .all(|set| lockfile.sets.contains_key(set))
        {
            return Ok(lockfile);
        }
        let lockfile = self.resolve(stack, arch, suites, refresh).await?;
        let io = |e| DebianStackError::Cache(path.clone(), e);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        slipway_oci::layout::atomic_write(&path, lockfile.to_toml()?.as_bytes())
            .map_err(|e| DebianStackError::Cache(path.clone(), std::io::Error::other(e)))?;
        Ok(lockfile)
    }

    /// The run image of `flavor`, with the packages `lockfile` pins, its layers in `store`.
    pub async fn run_image(
        &self,
        stack: &DebianStack,
        flavor: &Flavor,
        lockfile: &Lockfile,
        store: &OciLayout,
        options: &RunImageOptions,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<RunImage, DebianStackError> {
        self.image_of_set(
            stack,
            flavor,
            &flavor_set(&flavor.name),
            lockfile,
            store,
            options,
            progress,
        )
        .await
    }

    /// The build image: the build set (the run set, Debian's Essential set, compilers) as an
    /// image, as `stack build --build` writes it; what the build environment unpacks, in layers.
    pub async fn build_image(
        &self,
        stack: &DebianStack,
        lockfile: &Lockfile,
        store: &OciLayout,
        options: &RunImageOptions,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<RunImage, DebianStackError> {
        let flavor = Flavor {
            name: "build".into(),
            packages: vec![],
            env: vec![],
        };
        self.image_of_set(
            stack, &flavor, BUILD_SET, lockfile, store, options, progress,
        )
        .await
    }

    #[allow(clippy::too_many_arguments)]
    async fn image_of_set(
        &self,
        stack: &DebianStack,
        flavor: &Flavor,
        set: &str,
        lockfile: &Lockfile,
        store: &OciLayout,
        options: &RunImageOptions,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<RunImage, DebianStackError> {
        let packages = set_packages(lockfile, set)?;
        let lock_digest = self.remember_lockfile(lockfile)?;
        let run_names = lockfile.sets.get(RUN_SET).cloned().unwrap_or_default();
        let key = layer_key(stack, flavor, &packages, options)?;
        let layers = if let Some(records) = self.cached_layers(&key, store) {
            records.into_iter().map(RunLayer::Stored).collect()
        } else {
            let records = self
                .build_layers(flavor, &packages, &run_names, store, options, progress)
                .await?;
            self.remember_layers(&key, &records)?;
            records.into_iter().map(RunLayer::Stored).collect()
        };
        let mut env = vec![(
            "PATH".to_string(),
            "/cnb/process:/cnb/lifecycle:/usr/local/bin:/usr/bin:/bin".to_string(),
        )];
        env.extend(flavor.env.iter().cloned());
        Ok(RunImage {
            stack: stack.name.to_string(),
            name: format!("slipway/{}-{}", stack.name, flavor.name),
            layers,
            env,
            user: format!("{APP_UID}:{APP_GID}"),
            labels: [
                vec![
                    (LOCKFILE_DIGEST_LABEL.to_string(), lock_digest),
                    (FLAVOR_LABEL.to_string(), flavor.name.clone()),
                ],
                self.remember_ca_certs(&options.ca_certs)?,
            ]
            .concat(),
        })
    }

    /// Keeps a copy of each extra CA file (`--ca-certs`) by its digest, and returns the label
    /// listing those digests (none without extra CAs): a rebase then makes the new run image
    /// with the same CAs, so an enterprise CA never silently drops out of an app's trust.
    fn remember_ca_certs(
        &self,
        files: &[PathBuf],
    ) -> Result<Vec<(String, String)>, DebianStackError> {
        if files.is_empty() {
            return Ok(Vec::new());
        }
        let mut digests = Vec::new();
        for file in files {
            let pem =
                std::fs::read(file).map_err(|e| DebianStackError::CaCerts(file.clone(), e))?;
            let digest = slipway_oci::sha256_digest(&pem).to_string();
            let path = self.ca_cert_path(&digest);
            if !path.is_file() {
                let io = |e| DebianStackError::Cache(path.clone(), e);
                std::fs::create_dir_all(path.parent().unwrap_or(&self.debian_cache)).map_err(io)?;
                slipway_oci::layout::atomic_write(&path, &pem)
                    .map_err(|e| DebianStackError::Cache(path.clone(), std::io::Error::other(e)))?;
            }
            digests.push(digest);
        }
        Ok(vec![(CA_CERTS_LABEL.to_string(), digests.join(","))])
    }

    /// Where the extra CA file with `digest` is kept, when a run image was made with it here.
    #[must_use]
    pub fn ca_cert_path(&self, digest: &str) -> PathBuf {
        self.debian_cache
            .join("ca-certs")
            .join(format!("{}.pem", digest.replace(':', "-")))
    }

    /// Keeps a copy of `lockfile` by its digest (the digest run images record), so that a later
    /// rebase can say which packages changed between the image's run image and the new one.
    /// Returns the lockfile's digest.
    pub fn remember_lockfile(&self, lockfile: &Lockfile) -> Result<String, DebianStackError> {
        let digest = lockfile_digest(lockfile)?;
        let path = self.lockfile_path(&digest);
        if path.is_file() {
            return Ok(digest);
        }
        let io = |e| DebianStackError::Cache(path.clone(), e);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(io)?;
        }
        slipway_oci::layout::atomic_write(&path, lockfile.to_toml()?.as_bytes())
            .map_err(|e| DebianStackError::Cache(path.clone(), std::io::Error::other(e)))?;
        Ok(digest)
    }

    /// The lockfile with `digest` (`sha256:...`), if a run image was made from it here.
    #[must_use]
    pub fn lockfile_by_digest(&self, digest: &str) -> Option<Lockfile> {
        let text = std::fs::read_to_string(self.lockfile_path(digest)).ok()?;
        Lockfile::parse(&text).ok()
    }

    fn lockfile_path(&self, digest: &str) -> PathBuf {
        let name = digest.replace(':', "-");
        self.debian_cache
            .join("lockfiles")
            .join(format!("{name}.lock"))
    }

    /// The build environment's root filesystem for `lockfile`'s build set `set` ([`BUILD_SET`],
    /// or a buildpack's such as `build:java-21`): unpacked once per set of packages into the
    /// cache (into a temporary directory, then renamed, so a half-made one is never used), with
    /// the mount points the sandbox needs. Returns its path.
    pub async fn build_environment(
        &self,
        lockfile: &Lockfile,
        set: &str,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<PathBuf, DebianStackError> {
        let packages = set_packages(lockfile, set)?;
        let mut hasher = Sha256::new();
        hasher.update(format!(
            "slipway {} rootfs {} build environment {set}\n",
            env!("CARGO_PKG_VERSION"),
            slipway_debian::rootfs::ROOTFS_FORMAT,
        ));
        for package in &packages {
            hasher.update(format!("{} {}\n", package.name, package.sha256));
        }
        let root = self
            .debian_cache
            .join("build-env")
            .join(hex::encode(&hasher.finalize()[..16]));
        let rootfs = root.join("rootfs");
        if rootfs.is_dir() {
            return Ok(rootfs);
        }
        let refs: Vec<DebRef> = packages.iter().map(deb_ref).collect();
        let paths = self.debs.fetch_all(&self.bases, &refs, 4, progress).await?;
        let options = RootfsOptions {
            symlinks: build_symlinks(set),
            ..RootfsOptions::default()
        };
        let mut builder = RootfsBuilder::new(options);
        for path in &paths {
            builder.add_deb(Deb::open(path)?, "build");
        }
        let built = tokio::task::block_in_place(|| builder.build())?;
        let io = |e| DebianStackError::Cache(root.clone(), e);
        std::fs::create_dir_all(&root).map_err(io)?;
        let partial = tempfile::Builder::new()
            .prefix(".unpacking-")
            .tempdir_in(&root)
            .map_err(io)?;
        for layer in &built.layers {
            let mut archive = tar::Archive::new(layer.layer.tar.as_slice());
            archive.set_preserve_permissions(true);
            archive.unpack(partial.path()).map_err(io)?;
        }
        for dir in ["proc", "dev", "tmp", "workspace", "layers", "cache"] {
            std::fs::create_dir_all(partial.path().join(dir)).map_err(io)?;
        }
        for file in ["etc/resolv.conf", "etc/hosts"] {
            std::fs::write(partial.path().join(file), "").map_err(io)?;
        }
        let partial = partial.keep();
        if let Err(e) = std::fs::rename(&partial, &rootfs) {
            // Another slipway made the same environment meanwhile: use that one.
            let _ = std::fs::remove_dir_all(&partial);
            if !rootfs.is_dir() {
                return Err(io(e));
            }
        }
        Ok(rootfs)
    }

    async fn build_layers(
        &self,
        flavor: &Flavor,
        packages: &[LockedPackage],
        run_names: &[String],
        store: &OciLayout,
        options: &RunImageOptions,
        progress: &(dyn Fn(FetchEvent) + Sync),
    ) -> Result<Vec<LayerRecord>, DebianStackError> {
        let refs: Vec<DebRef> = packages.iter().map(deb_ref).collect();
        let paths = self.debs.fetch_all(&self.bases, &refs, 4, progress).await?;
        let mut rootfs_options = RootfsOptions {
            extra_cas: extra_cas(&options.ca_certs)?,
            ..RootfsOptions::default()
        };
        if let Some((_, java_home)) = flavor.env.iter().find(|(k, _)| k == "JAVA_HOME") {
            rootfs_options
                .symlinks
                .push(("usr/bin/java".into(), format!("{java_home}/bin/java")));
        }
        let mut builder = RootfsBuilder::new(rootfs_options);
        for (package, path) in packages.iter().zip(&paths) {
            let deb = Deb::open(path)?;
            let group = if run_names.contains(&package.name) {
                "base".to_string()
            } else {
                flavor.name.clone()
            };
            builder.add_deb(deb, &group);
        }
        let rootfs = tokio::task::block_in_place(|| builder.build())?;
        let pending: Vec<_> = rootfs
            .layers
            .into_iter()
            .map(|l| (l.layer, l.holds))
            .collect();
        let stored = store.store_layers(&pending, options.compression, true)?;
        Ok(stored.into_iter().map(|s| s.record).collect())
    }

    fn layer_cache_path(&self, key: &str) -> PathBuf {
        self.cache_dir
            .join("stack-layers")
            .join(format!("{key}.json"))
    }

    fn cached_layers(&self, key: &str, store: &OciLayout) -> Option<Vec<LayerRecord>> {
        use slipway_oci::BlobSource as _;
        let text = std::fs::read_to_string(self.layer_cache_path(key)).ok()?;
        let records = cache_format::parse(&text)?;
        records
            .iter()
            .all(|r| store.has_blob(&r.digest))
            .then_some(records)
    }

    fn remember_layers(&self, key: &str, records: &[LayerRecord]) -> Result<(), DebianStackError> {
        let path = self.layer_cache_path(key);
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(|e| DebianStackError::Cache(path.clone(), e))?;
        }
        slipway_oci::layout::atomic_write(&path, cache_format::render(records).as_bytes())
            .map_err(|e| DebianStackError::Cache(path.clone(), std::io::Error::other(e)))
    }
}

/// How a run image is made.
#[derive(Debug, Clone, Default)]
pub struct RunImageOptions {
    /// PEM files of extra CAs (enterprise CAs) for the bundle and the Java keystore.
    pub ca_certs: Vec<PathBuf>,
    /// Layer compression.
    pub compression: Compression,
}

/// The packages of a lockfile set.
pub fn set_packages(
    lockfile: &Lockfile,
    set: &str,
) -> Result<Vec<LockedPackage>, DebianStackError> {
    let names = lockfile
        .sets
        .get(set)
        .ok_or_else(|| DebianStackError::NoSet {
            set: set.to_string(),
            sets: lockfile.sets.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
    names
        .iter()
        .map(|name| {
            lockfile
                .package(name)
                .cloned()
                .ok_or_else(|| DebianStackError::Inconsistent(name.clone()))
        })
        .collect()
}

fn deb_ref(package: &LockedPackage) -> DebRef {
    DebRef {
        name: package.name.clone(),
        version: package.version.clone(),
        filename: package.filename.clone(),
        size: package.size,
        sha256: package.sha256.clone(),
        from_security: package.suite.ends_with("-security"),
    }
}

fn extra_cas(files: &[PathBuf]) -> Result<Vec<CaFile>, DebianStackError> {
    files
        .iter()
        .map(|path| {
            let pem =
                std::fs::read(path).map_err(|e| DebianStackError::CaCerts(path.clone(), e))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(CaFile {
                alias: format!("slipway:{}", name.to_lowercase()),
                pem,
            })
        })
        .collect()
}

/// What the layers of a run image depend on: the packages (by sha256), the flavor, the extra
/// CAs, the compression and slipway's own version (its rootfs rules may change).
fn layer_key(
    stack: &DebianStack,
    flavor: &Flavor,
    packages: &[LockedPackage],
    options: &RunImageOptions,
) -> Result<String, DebianStackError> {
    let mut hasher = Sha256::new();
    hasher.update(format!(
        "slipway {} rootfs {} {} {}\n",
        env!("CARGO_PKG_VERSION"),
        slipway_debian::rootfs::ROOTFS_FORMAT,
        stack.name,
        flavor.name
    ));
    for package in packages {
        hasher.update(format!(
            "{} {} {}\n",
            package.name, package.version, package.sha256
        ));
    }
    for path in &options.ca_certs {
        hasher.update(std::fs::read(path).map_err(|e| DebianStackError::CaCerts(path.clone(), e))?);
    }
    hasher.update(options.compression.name());
    Ok(hex::encode(hasher.finalize()))
}

/// Every set a resolution of `stack` holds: one made before a set was added is made again.
fn set_names(stack: &DebianStack) -> Vec<String> {
    let mut names = vec![RUN_SET.to_string(), BUILD_SET.to_string()];
    names.extend(stack.flavors().iter().map(|f| flavor_set(&f.name)));
    names.extend(stack.java_versions.iter().map(|v| java_build_set(*v)));
    names
}

/// The links that maintainer scripts (which slipway never runs) would make in a build
/// environment: dash's `/bin/sh`, and for a Java set the `update-alternatives` links to its JDK
/// and Maven.
fn build_symlinks(set: &str) -> Vec<(String, String)> {
    let mut links = vec![("usr/bin/sh".to_string(), "dash".to_string())];
    if let Some(version) = set
        .strip_prefix("build:java-")
        .and_then(|v| v.parse::<u32>().ok())
    {
        let home = java_home(version);
        for tool in ["java", "javac", "jar", "jlink", "jdeps"] {
            links.push((format!("usr/bin/{tool}"), format!("{home}/bin/{tool}")));
        }
        links.push(("usr/bin/mvn".into(), "/usr/share/maven/bin/mvn".into()));
    }
    links
}

/// Packages whose dependencies are not followed get an index entry without them.
fn without_dependencies_of(mut indexes: Vec<SuiteIndex>, data_only: &[&str]) -> Vec<SuiteIndex> {
    for index in &mut indexes {
        for entry in &mut index.packages {
            if data_only.contains(&entry.name.as_str()) {
                entry.depends.clear();
                entry.pre_depends.clear();
            }
        }
    }
    indexes
}

mod cache_format {
    //! The layer cache's file: one line per layer, `media_type digest size diff_id holds`.

    use std::fmt::Write as _;

    use slipway_oci::LayerRecord;

    pub(super) fn render(records: &[LayerRecord]) -> String {
        let mut text = String::new();
        for r in records {
            let _ = writeln!(
                text,
                "{} {} {} {} {}",
                r.media_type, r.digest, r.size, r.diff_id, r.created_by
            );
        }
        text
    }

    pub(super) fn parse(text: &str) -> Option<Vec<LayerRecord>> {
        text.lines()
            .map(|line| {
                let mut fields = line.splitn(5, ' ');
                Some(LayerRecord {
                    media_type: fields.next()?.into(),
                    digest: fields.next()?.parse().ok()?,
                    size: fields.next()?.parse().ok()?,
                    diff_id: fields.next()?.parse().ok()?,
                    created_by: fields.next()?.to_string(),
                })
            })
            .collect()
    }
}
