//! End to end: `--ca-certs` adds an enterprise CA to the run image's bundle and to the JRE's
//! keystore, so a Python and a Java program in Podman complete a TLS handshake with a local
//! HTTPS server whose certificate a test CA signed, and fail without it.

#![allow(clippy::unwrap_used, clippy::missing_panics_doc)]

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::{ok, slipway};
use slipway_testkit::{Podman, free_port, require_tools};

const BODY: &str = "hello over tls";

fn debian(cache: &Path) -> Command {
    let mut cmd = slipway(cache);
    cmd.env(
        "SLIPWAY_DEBIAN_CACHE",
        Path::new(env!("CARGO_TARGET_TMPDIR")).join("debian-cache"),
    );
    cmd
}

fn openssl(dir: &Path, args: &[&str]) {
    let out = Command::new("openssl")
        .current_dir(dir)
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A test CA (`ca.pem`) and a certificate for localhost that it signed (`server.pem`, `server.key`).
fn test_pki(dir: &Path) {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=slipway test CA",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-keyout",
            "ca.key",
            "-out",
            "ca.pem",
        ],
    );
    openssl(
        dir,
        &[
            "req",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    );
    std::fs::write(dir.join("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\nkeyUsage=critical,digitalSignature,keyEncipherment\n\
         extendedKeyUsage=serverAuth\nsubjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid,issuer\n").unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.pem",
            "-CAkey",
            "ca.key",
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            "san.ext",
            "-out",
            "server.pem",
        ],
    );
}

/// An HTTPS server on 127.0.0.1 (Python's, on the host) answering every GET with [`BODY`].
struct TlsServer(Child, u16);

impl TlsServer {
    fn start(dir: &Path) -> TlsServer {
        let port = free_port();
        std::fs::write(dir.join("index.html"), BODY).unwrap();
        let script = format!(
            "import http.server, ssl\n\
             ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain('server.pem', 'server.key')\n\
             s = http.server.HTTPServer(('127.0.0.1', {port}), http.server.SimpleHTTPRequestHandler)\n\
             s.socket = ctx.wrap_socket(s.socket, server_side=True); s.serve_forever()\n"
        );
        let mut child = Command::new("python3")
            .current_dir(dir)
            .args(["-c", &script])
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return TlsServer(child, port);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let _ = child.kill();
        let _ = child.wait();
        panic!("the test HTTPS server did not start");
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn load(cache: &Path, flavor: &str, ca: Option<&Path>) -> String {
    let image = format!(
        "localhost/slipway-e2e/ca-{flavor}-{}:latest",
        if ca.is_some() { "with" } else { "without" }
    );
    let archive = cache.join(format!("{flavor}.tar"));
    let mut cmd = debian(cache);
    cmd.args([
        "stack",
        "build",
        "debian-13",
        "--flavor",
        flavor,
        "-t",
        &image,
        "-o",
    ])
    .arg(format!("docker-archive:{}", archive.display()));
    if let Some(ca) = ca {
        cmd.arg("--ca-certs").arg(ca);
    }
    ok(&mut cmd);
    let _ = Podman::load(&archive);
    image
}

/// Runs `entrypoint args` in `image` on the host network; (success, stdout + stderr).
fn run(image: &str, extra: &[&str], entrypoint: &str, args: &[&str]) -> (bool, String) {
    let out = Command::new("podman")
        .args(["run", "--rm", "--network", "host"])
        .args(extra)
        .args(["--entrypoint", entrypoint, image])
        .args(args)
        .output()
        .unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
#[ignore = "end-to-end: needs the Debian mirror from apt sources, podman, openssl and a JDK"]
fn python_and_java_trust_an_enterprise_ca_given_with_ca_certs() {
    require_tools();
    let pki = tempfile::tempdir().unwrap();
    test_pki(pki.path());
    let server = TlsServer::start(pki.path());
    let url = format!("https://localhost:{}/index.html", server.1);
    let cache = tempfile::tempdir().unwrap();
    let ca = pki.path().join("ca.pem");

    let python =
        "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1]).read().decode())";
    let trusting = load(cache.path(), "python", Some(&ca));
    let (ok_run, out) = run(&trusting, &[], "python3", &["-c", python, &url]);
    assert!(ok_run && out.contains(BODY), "{out}");
    let plain = load(cache.path(), "python", None);
    let (ok_run, out) = run(&plain, &[], "python3", &["-c", python, &url]);
    assert!(
        !ok_run && out.contains("CERTIFICATE_VERIFY_FAILED"),
        "without the CA the handshake fails: {out}"
    );

    let classes = compile_tls_check();
    let mount = format!("{}:/check:ro", classes.display());
    let java = load(cache.path(), "java-21", Some(&ca));
    let (ok_run, out) = run(
        &java,
        &["-v", &mount],
        "java",
        &["-cp", "/check", "TlsCheck", &url],
    );
    assert!(ok_run && out.contains(BODY), "{out}");
    let java_plain = load(cache.path(), "java-21", None);
    let (ok_run, out) = run(
        &java_plain,
        &["-v", &mount],
        "java",
        &["-cp", "/check", "TlsCheck", &url],
    );
    assert!(
        !ok_run && out.contains("PKIX path building failed"),
        "without the CA the handshake fails: {out}"
    );
    for image in [trusting, plain, java, java_plain] {
        Podman::rmi(&image);
    }
}

/// testdata/TlsCheck.java compiled with the host's JDK for Java 17 (the images run 21).
fn compile_tls_check() -> PathBuf {
    let out_dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tls-check");
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/testdata/TlsCheck.java");
    let status = Command::new("javac")
        .args(["--release", "17", "-d"])
        .arg(&out_dir)
        .arg(&source)
        .status()
        .unwrap();
    assert!(status.success(), "javac failed");
    out_dir
}
