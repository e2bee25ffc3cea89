//! End-to-end, inside the crate because it skips the port check before the start: a port taken
//! between that check and the start is still [`EngineError::PortTaken`], recognised from the
//! engine's own answer, and the container that could not start is removed. The port is held by a
//! plain listener, not a container, so Podman's teardown bug (see `port_check`) cannot bite.
//! The image is the host's static busybox in one layer, loaded through each engine.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::net::TcpListener;
use std::path::Path;

use slipway_oci::docker_archive::write_docker_archive;
use slipway_oci::oci_spec::image::{Arch, ImageConfigurationBuilder, Os};
use slipway_oci::{Compression, Image, LayerBuilder, LayerRecord, OciLayout};
use slipway_testkit::{Podman, PodmanService};

use super::{CliEngine, CliKind, ContainerEngine, ContainerSpec, PortBinding};
use crate::{Engine, EngineError};

/// Writes a docker-archive of busybox tagged `tag` to `dir/busybox.tar`.
fn busybox_archive(dir: &Path, tag: &str) -> std::path::PathBuf {
    let layout = OciLayout::create(&dir.join("layout")).expect("layout");
    let mut builder = LayerBuilder::with_epoch(1);
    builder.host_file("bin/busybox", Path::new("/bin/busybox"), 0o755);
    let layer = builder
        .build()
        .expect("layer (is busybox-static installed?)")
        .compress(Compression::Gzip)
        .expect("gzip");
    layout.write_blob(&layer.blob).expect("storing the layer");
    let config = ImageConfigurationBuilder::default()
        .architecture(Arch::Amd64)
        .os(Os::Linux)
        .build()
        .expect("config");
    let records = [LayerRecord::of(&layer, "busybox")];
    let image = Image::assemble(config, &records, &BTreeMap::new()).expect("assembling");
    let path = dir.join("busybox.tar");
    let mut out = BufWriter::new(std::fs::File::create(&path).expect("creating the archive"));
    write_docker_archive(&image, &layout, &[tag.to_owned()], &mut out).expect("writing");
    out.flush().expect("flushing");
    path
}

/// Removes the test's containers and image however it ends.
struct Cleanup(Vec<String>, String);

impl Drop for Cleanup {
    fn drop(&mut self) {
        for name in &self.0 {
            let _ = std::process::Command::new("podman")
                .args(["rm", "--force", "--time", "0", name])
                .output();
        }
        Podman::rmi(&self.1);
    }
}

#[tokio::test]
#[ignore = "end-to-end: needs podman"]
async fn a_port_taken_after_the_check_is_recognised_from_the_engine_and_cleaned_up() {
    let service = PodmanService::start();
    let engines = [
        ContainerEngine::Cli(
            CliEngine::open(CliKind::Podman, "podman")
                .await
                .expect("podman"),
        ),
        ContainerEngine::Api(
            Engine::connect_to(&service.docker_host())
                .await
                .expect("api"),
        ),
    ];
    let run = format!("{}-{}", std::process::id(), slipway_testkit::free_port());
    let tag = format!("localhost/slipway-e2e/busybox:engine-port-{run}");
    let names: Vec<String> = (0..engines.len())
        .map(|i| format!("slipway-e2e-engine-port-{run}-{i}"))
        .collect();
    let _cleanup = Cleanup(names.clone(), tag.clone());
    let dir = tempfile::tempdir().expect("tempdir");
    let archive = busybox_archive(dir.path(), &tag);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("address").port();
    for (engine, name) in engines.iter().zip(&names) {
        let shown = engine.describe();
        engine.load_archive(&archive).await.expect("load");
        let mut spec = ContainerSpec::new(tag.clone(), name.clone());
        spec.entrypoint = Some(vec!["/bin/busybox".into(), "sleep".into(), "30".into()]);
        spec.publish = Some(PortBinding {
            host_ip: "127.0.0.1".into(),
            host_port: port,
            container_port: 8080,
        });
        let err = engine
            .start_unchecked(&spec)
            .await
            .expect_err("the port is taken");
        assert!(
            matches!(err, EngineError::PortTaken { port: p } if p == port),
            "{shown}: {err:?}"
        );
        let left = Podman::cli([
            "ps",
            "--all",
            "--quiet",
            "--filter",
            &format!("name=^{name}$"),
        ]);
        assert_eq!(
            left.trim(),
            "",
            "{shown}: the half-created container was left"
        );
    }
}
