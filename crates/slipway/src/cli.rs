//! The command line, as clap types. Flags that CF Local and pack users know keep their meaning:
//! `-p PATH`, `-b BUILDPACK`, `-e KEY=VALUE`, `-t IMAGE`.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::printer::OutputMode;

/// Turns app source into an OCI image: no Dockerfile, no daemon.
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about, propagate_version = true)]
pub struct Cli {
    /// The command.
    #[command(subcommand)]
    pub command: Command,
    /// Options every command takes.
    #[command(flatten)]
    pub global: GlobalArgs,
}

/// Options every command takes.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// Print only the result (for a build: the image digest).
    #[arg(long, short = 'q', global = true, conflicts_with = "json")]
    pub quiet: bool,
    /// Print JSON: one event per line, the last one the result.
    #[arg(long, global = true)]
    pub json: bool,
    /// Where slipway keeps its local store and caches [default: $`XDG_CACHE_HOME/slipway`].
    #[arg(long, global = true, env = "SLIPWAY_CACHE_DIR", value_name = "DIR")]
    pub cache_dir: Option<PathBuf>,
    /// The Debian mirror (base URL of the archive) [default: from the machine's apt sources].
    #[arg(long, global = true, env = "SLIPWAY_DEBIAN_MIRROR", value_name = "URL")]
    pub debian_mirror: Option<String>,
    /// The `OpenPGP` keyring that signs the Debian archive [default: Debian's archive keyring].
    #[arg(long = "debian-keyring", global = true, value_name = "FILE")]
    pub keyring: Option<PathBuf>,
    /// Fetch the Debian indexes again even when the cached ones are less than a day old.
    #[arg(long, global = true)]
    pub refresh: bool,
}

impl GlobalArgs {
    /// How output is printed.
    pub fn output_mode(&self) -> OutputMode {
        match (self.quiet, self.json) {
            (_, true) => OutputMode::Json,
            (true, false) => OutputMode::Quiet,
            (false, false) => OutputMode::Human,
        }
    }
}

/// slipway's commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Build an app into an image (written to the local store, and to each -o).
    Build(BuildArgs),
    /// Run an image (or build an app directory, then run it) in Podman or Docker, with its port
    /// published and its logs streamed.
    Run(RunArgs),
    /// List the images in the local store.
    Images,
    /// Remove images from the local store (their layers go when no other image uses them).
    Rm(RmArgs),
    /// The local store and caches.
    #[command(subcommand)]
    Cache(CacheCommand),
    /// Copy an image from the local store to other places.
    Export(ExportArgs),
    /// Push an image from the local store to its registry.
    Push(PushArgs),
    /// Show an image's buildpacks, processes and layers.
    Inspect(InspectArgs),
    /// List every package in an image (SPDX or `CycloneDX` JSON).
    Sbom(SbomArgs),
    /// Move images onto the newest run image of their stack (security fixes without a rebuild):
    /// the base layers are replaced, the app layers kept byte for byte.
    Rebase(RebaseArgs),
    /// Stacks: the base images apps are built onto.
    #[command(subcommand)]
    Stack(StackCommand),
    /// Print slipway's version and the embedded launcher's size.
    Version,
}

/// `slipway run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// An image in the local store (or one the engine can pull), or an app directory to build
    /// first.
    #[arg(value_name = "IMAGE|PATH")]
    pub target: String,
    /// Publish the app's port on this host port (`PORT` or `HOST:PORT`) [default: a free port].
    #[arg(short = 'p', long = "port", value_name = "[HOST:]PORT")]
    pub port: Option<String>,
    /// The container's memory limit, e.g. 256m or 1g (the JVM sizes itself to it) [default: the
    /// app's manifest.yml memory, else none].
    #[arg(short = 'm', long = "memory", value_name = "SIZE")]
    pub memory: Option<String>,
    /// Environment for the app.
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The process type to run [default: the image's default, web].
    #[arg(long = "process", value_name = "TYPE")]
    pub process: Option<String>,
    /// Rebuild when the app's files change and replace the running container (PATH only).
    #[arg(short = 'w', long)]
    pub watch: bool,
    /// The stack to build on (when given a PATH).
    #[arg(long, env = "SLIPWAY_STACK", default_value = slipway_stack::DEFAULT_STACK)]
    pub stack: String,
    /// Build environment variables (when given a PATH), as `slipway build -e` takes them.
    #[arg(long = "build-env", value_name = "KEY=VALUE")]
    pub build_env: Vec<String>,
}

/// `slipway rm`.
#[derive(Debug, Args)]
pub struct RmArgs {
    /// The images to remove (names as `slipway images` lists them).
    #[arg(required = true, value_name = "IMAGE")]
    pub images: Vec<String>,
}

/// `slipway cache ...`.
#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// Remove what is not needed, oldest first, until the local store and caches fit a size.
    Prune(CachePruneArgs),
}

/// `slipway cache prune`.
#[derive(Debug, Args)]
pub struct CachePruneArgs {
    /// The size to fit in, e.g. 2G or 500M [default: 5G].
    #[arg(long = "max-size", value_name = "SIZE", default_value = "5G")]
    pub max_size: String,
    /// Say what would be removed, and remove nothing.
    #[arg(long)]
    pub dry_run: bool,
}

/// `slipway build`.
#[derive(Debug, Args)]
pub struct BuildArgs {
    /// The app's directory [default: .].
    #[arg(value_name = "PATH")]
    pub path: Option<PathBuf>,
    /// The app's directory (as `cf local stage -p`); same as PATH.
    #[arg(
        short = 'p',
        long = "path",
        value_name = "PATH",
        conflicts_with = "path"
    )]
    pub path_flag: Option<PathBuf>,
    /// The image name [default: the app directory's name].
    #[arg(short = 't', long = "tag", value_name = "IMAGE")]
    pub tag: Option<String>,
    /// Where else the image goes.
    #[command(flatten)]
    pub output: OutputArgs,
    /// Use this buildpack instead of detecting one (e.g. slipway/go, or go).
    #[arg(short = 'b', long = "buildpack", value_name = "BUILDPACK")]
    pub buildpacks: Vec<String>,
    /// Set an environment variable for the build (KEY=VALUE).
    #[arg(short = 'e', long = "env", value_name = "KEY=VALUE")]
    pub env: Vec<String>,
    /// The stack to build onto: debian-13 or debian-12 (tools run in the stack's build
    /// environment), or scratch (an empty base; tools from the host, as ko).
    #[arg(long, env = "SLIPWAY_STACK", default_value = slipway_stack::DEFAULT_STACK)]
    pub stack: String,
    /// The platform to build for.
    #[arg(long, default_value = "linux/amd64")]
    pub platform: String,
    /// Compress every layer again instead of reusing what the store has.
    #[arg(long)]
    pub no_cache: bool,
    /// Layer compression.
    #[arg(long, value_enum, default_value_t = CompressionArg::Gzip)]
    pub compression: CompressionArg,
    /// Manifest media types: OCI's, or Docker's (V2 Schema 2) for tools that write Docker
    /// manifests around the layers they are given, such as `pack rebase`.
    #[arg(long, value_enum, default_value_t = MediaTypesArg::Oci)]
    pub media_types: MediaTypesArg,
    /// A PEM CA bundle to put in the image instead of this machine's.
    #[arg(long, value_name = "FILE")]
    pub ca_certs: Option<PathBuf>,
}

/// Where a newly made image goes besides the local store.
#[derive(Debug, Args)]
pub struct OutputArgs {
    /// Also write the image to DEST: oci:DIR, docker-archive:FILE, daemon, or registry.
    #[arg(short = 'o', long = "output", value_name = "DEST")]
    pub outputs: Vec<String>,
    /// Push the image to the registry its name points at (same as -o registry).
    #[arg(long)]
    pub publish: bool,
}

/// Manifest media types on the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum MediaTypesArg {
    /// OCI image manifest (the default).
    Oci,
    /// Docker Image Manifest V2, Schema 2 (gzip layers only).
    Docker,
}

impl MediaTypesArg {
    /// `image` with these media types.
    pub fn apply(
        self,
        image: slipway_oci::Image,
    ) -> Result<slipway_oci::Image, slipway_oci::ImageError> {
        match self {
            Self::Oci => Ok(image),
            Self::Docker => image.with_docker_media_types(),
        }
    }
}

/// Layer compression on the command line.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum CompressionArg {
    /// gzip (every runtime reads it).
    Gzip,
    /// zstd (smaller, faster; needs a recent runtime).
    Zstd,
}

/// `slipway export`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// An image in the local store.
    pub image: String,
    /// Where to write it: oci:DIR, docker-archive:FILE, daemon, or registry.
    #[arg(short = 'o', long = "output", value_name = "DEST", required = true)]
    pub outputs: Vec<String>,
}

/// `slipway push`.
#[derive(Debug, Args)]
pub struct PushArgs {
    /// An image in the local store, pushed to the registry its name points at.
    pub image: String,
}

/// `slipway rebase`.
#[derive(Debug, Args)]
pub struct RebaseArgs {
    /// The images: a name in the local store, oci:DIR[:TAG], or a registry reference
    /// (HOST/PATH:TAG), whose app layers stay in the registry.
    #[arg(
        value_name = "IMAGE",
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub images: Vec<String>,
    /// Rebase every image in the local store that slipway built.
    #[arg(long)]
    pub all: bool,
    /// The lockfile pinning the new run image's packages [default: resolve against the current
    /// indexes, as builds without a slipway.lock do].
    #[arg(short = 'l', long, value_name = "FILE", conflicts_with = "run_image")]
    pub lockfile: Option<PathBuf>,
    /// The run image to rebase onto (in the local store, or a registry reference to pull)
    /// [default: the newest of the image's stack and flavor].
    #[arg(long, value_name = "IMAGE")]
    pub run_image: Option<String>,
    /// Rebase onto a run image the image's labels do not name, or an image another Cloud Native
    /// Buildpacks platform built (stack, flavor and runtime are still checked).
    #[arg(long)]
    pub force: bool,
    /// Where else the rebased images go (images in the local store only).
    #[command(flatten)]
    pub output: OutputArgs,
}

/// `slipway inspect`.
#[derive(Debug, Args)]
pub struct InspectArgs {
    /// An image in the local store (name, or digest).
    pub image: String,
}

/// `slipway sbom`.
#[derive(Debug, Args)]
pub struct SbomArgs {
    /// An image in the local store.
    pub image: String,
    /// The document format.
    #[arg(long, value_enum, default_value_t = SbomFormat::SpdxJson)]
    pub format: SbomFormat,
}

/// SBOM formats.
#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum SbomFormat {
    /// SPDX 2.3 JSON.
    SpdxJson,
    /// `CycloneDX` 1.5 JSON.
    CyclonedxJson,
}

/// `slipway stack …`.
#[derive(Debug, Subcommand)]
pub enum StackCommand {
    /// List the stacks and their run image flavors.
    List,
    /// Resolve a stack's packages into a lockfile (pins them; commit it beside your app).
    Resolve(StackResolveArgs),
    /// Resolve a lockfile's stack again and print what changed (security fixes and updates).
    Update(StackUpdateArgs),
    /// Write a stack's run image.
    Build(StackBuildArgs),
    /// Run a command in a stack's build environment (namespaces and chroot; no daemon), with
    /// the current directory at /workspace (read-only).
    Exec(StackExecArgs),
}

/// `slipway stack exec`.
#[derive(Debug, Args)]
pub struct StackExecArgs {
    /// The stack.
    #[arg(long, default_value = "debian-13")]
    pub stack: String,
    /// The lockfile pinning the packages [default: resolve against the current indexes].
    #[arg(short = 'l', long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// Use the Java build environment of this version (its JDK, Maven and javax2jakarta), as
    /// the Java buildpack does.
    #[arg(long, value_name = "VERSION")]
    pub java: Option<u32>,
    /// The command and its arguments.
    #[arg(required = true, trailing_var_arg = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

/// `slipway stack resolve`.
#[derive(Debug, Args)]
pub struct StackResolveArgs {
    /// The stack.
    #[arg(default_value = "debian-13")]
    pub stack: String,
    /// The lockfile to write.
    #[arg(short = 'l', long, default_value = "slipway.lock", value_name = "FILE")]
    pub lockfile: PathBuf,
    /// Leave out the -updates and -security suites (the release as it shipped).
    #[arg(long)]
    pub release_only: bool,
    /// The architecture.
    #[arg(long, default_value = "amd64")]
    pub arch: String,
}

/// `slipway stack update`.
#[derive(Debug, Args)]
pub struct StackUpdateArgs {
    /// The lockfile to update.
    #[arg(short = 'l', long, default_value = "slipway.lock", value_name = "FILE")]
    pub lockfile: PathBuf,
}

/// `slipway stack build`.
#[derive(Debug, Args)]
pub struct StackBuildArgs {
    /// The stack.
    #[arg(default_value = slipway_stack::DEFAULT_STACK)]
    pub stack: String,
    /// The run image flavor (Debian stacks): base, java-N, nodejs, python.
    #[arg(long, default_value = "base")]
    pub flavor: String,
    /// The lockfile pinning the packages [default: resolve against the current indexes].
    #[arg(short = 'l', long, value_name = "FILE")]
    pub lockfile: Option<PathBuf>,
    /// Write the build image (the build environment's packages) instead of a run image.
    #[arg(long, conflicts_with = "flavor")]
    pub build: bool,
    /// The image name [default: slipway/STACK-FLAVOR].
    #[arg(short = 't', long = "tag", value_name = "IMAGE")]
    pub tag: Option<String>,
    /// Where else the image goes.
    #[command(flatten)]
    pub output: OutputArgs,
    /// A PEM CA bundle to put in the image instead of this machine's.
    #[arg(long, value_name = "FILE")]
    pub ca_certs: Option<PathBuf>,
    /// Manifest media types (see `slipway build --media-types`).
    #[arg(long, value_enum, default_value_t = MediaTypesArg::Oci)]
    pub media_types: MediaTypesArg,
}
