//! The Java keystore slipway writes, read by a real JDK: `keytool` lists every certificate and
//! checks the keystore's integrity digest, and the JVM's default trust manager, pointed at the
//! file the way a Debian JRE's `lib/security/cacerts` link points at it, trusts every CA.

use std::path::Path;
use std::process::Command;

use slipway_debian::rootfs::certs::{CaFile, JAVA_KEYSTORE_PASSWORD, ca_bundle, java_keystore};

fn run(program: &str, args: &[&str], dir: &Path) -> std::process::Output {
    Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!("running {program}: {e}; install a JDK (apt-get install default-jdk-headless)")
        })
}

fn ok(program: &str, args: &[&str], dir: &Path) -> String {
    let out = run(program, args, dir);
    assert!(
        out.status.success(),
        "{program} {args:?} failed:\n{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// A self-signed CA made by keytool, as PEM.
fn test_ca(dir: &Path, n: usize) -> Vec<u8> {
    let alias = format!("ca{n}");
    let dname = format!("CN=Slipway Test CA {n},O=slipway tests");
    ok(
        "keytool",
        &[
            "-genkeypair",
            "-alias",
            &alias,
            "-keyalg",
            "EC",
            "-groupname",
            "secp256r1",
            "-dname",
            &dname,
            "-ext",
            "bc:c",
            "-validity",
            "3650",
            "-keystore",
            "gen.p12",
            "-storetype",
            "PKCS12",
            "-storepass",
            "generated",
        ],
        dir,
    );
    let file = format!("ca{n}.pem");
    ok(
        "keytool",
        &[
            "-exportcert",
            "-rfc",
            "-alias",
            &alias,
            "-keystore",
            "gen.p12",
            "-storepass",
            "generated",
            "-file",
            &file,
        ],
        dir,
    );
    std::fs::read(dir.join(file)).expect("exported PEM")
}

/// The host's Mozilla CAs when ca-certificates is installed: real certificates with the aliases
/// Debian gives them.
fn host_mozilla_cas() -> Vec<CaFile> {
    let Ok(dir) = std::fs::read_dir("/usr/share/ca-certificates/mozilla") else {
        return Vec::new();
    };
    let mut names: Vec<String> = dir
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| Path::new(n).extension().is_some_and(|e| e == "crt"))
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let pem = std::fs::read(format!("/usr/share/ca-certificates/mozilla/{name}"))
                .expect("host CA");
            CaFile::debian(&name, pem)
        })
        .collect()
}

const TRUST_CHECK: &str = r#"
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class TrustCheck {
    public static void main(String[] args) throws Exception {
        TrustManagerFactory factory =
            TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        factory.init((KeyStore) null); // the default trust store: javax.net.ssl.trustStore
        for (TrustManager tm : factory.getTrustManagers()) {
            if (tm instanceof X509TrustManager x509) {
                X509Certificate[] issuers = x509.getAcceptedIssuers();
                System.out.println("issuers " + issuers.length);
                for (X509Certificate c : issuers) {
                    String name = c.getSubjectX500Principal().getName();
                    if (name.contains("Slipway Test CA")) System.out.println("trusted " + name);
                }
            }
        }
    }
}
"#;

#[test]
#[ignore = "end-to-end: needs a JDK (java, keytool) on PATH"]
fn the_jdk_reads_the_keystore() {
    let dir = tempfile::tempdir().expect("tempdir");
    let dir = dir.path();
    let mut files = host_mozilla_cas();
    let mozilla = files.len();
    // An enterprise CA file with two certificates, and one with one.
    let two = [test_ca(dir, 1), test_ca(dir, 2)].concat();
    files.push(CaFile {
        alias: "extra:corp.pem".into(),
        pem: two,
    });
    files.push(CaFile {
        alias: "extra:lab.pem".into(),
        pem: test_ca(dir, 3),
    });
    let expected = mozilla + 3;

    let keystore = java_keystore(&files, 315_532_801_000).expect("keystore");
    std::fs::write(dir.join("cacerts"), &keystore).expect("write keystore");
    assert_eq!(
        java_keystore(&files, 315_532_801_000).expect("again"),
        keystore,
        "deterministic"
    );

    // keytool verifies the SHA-1 integrity digest when given the password.
    let listing = ok(
        "keytool",
        &[
            "-list",
            "-keystore",
            "cacerts",
            "-storepass",
            JAVA_KEYSTORE_PASSWORD,
        ],
        dir,
    );
    assert!(listing.contains("Keystore type: JKS"), "{listing}");
    assert!(
        listing.contains(&format!("Your keystore contains {expected} entries")),
        "{listing}"
    );
    assert_eq!(
        listing.matches("trustedCertEntry").count(),
        expected,
        "{listing}"
    );
    for alias in ["extra:corp.pem,", "extra:corp.pem-2,", "extra:lab.pem,"] {
        assert!(listing.contains(alias), "{alias} missing:\n{listing}");
    }
    if mozilla > 0 {
        assert!(listing.contains("debian:isrg_root_x1.pem,"), "{listing}");
    }
    // ... and refuses a wrong password, so the digest is really checked.
    let wrong = run(
        "keytool",
        &[
            "-list",
            "-keystore",
            "cacerts",
            "-storepass",
            "wrong-password",
        ],
        dir,
    );
    assert!(!wrong.status.success(), "a wrong password must fail");

    // The PEM bundle holds the same certificates.
    let bundle = String::from_utf8(ca_bundle(&files)).expect("PEM is text");
    assert_eq!(
        bundle.matches("-----BEGIN CERTIFICATE-----").count(),
        expected
    );

    // The JVM's default trust manager, with and without the store password (a JRE's default
    // cacerts is opened without one).
    std::fs::write(dir.join("TrustCheck.java"), TRUST_CHECK).expect("java source");
    for password in [None, Some(JAVA_KEYSTORE_PASSWORD)] {
        let mut args = vec!["-Djavax.net.ssl.trustStore=cacerts".to_string()];
        if let Some(p) = password {
            args.push(format!("-Djavax.net.ssl.trustStorePassword={p}"));
        }
        args.push("TrustCheck.java".into());
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let out = ok("java", &args, dir);
        assert!(out.contains(&format!("issuers {expected}\n")), "{out}");
        for n in 1..=3 {
            assert!(
                out.contains(&format!("trusted CN=Slipway Test CA {n},O=slipway tests")),
                "{out}"
            );
        }
    }
}
