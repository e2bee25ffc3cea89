//! CA certificates: the PEM bundle OpenSSL, Go and Python read, and the Java keystore the JVM's
//! default trust manager reads, both from the same certificates.
//!
//! [`ca_bundle`] does what Debian's `update-ca-certificates` does for
//! `/etc/ssl/certs/ca-certificates.crt`: the files' bytes one after another, each ending with a
//! newline. [`java_keystore`] does what `ca-certificates-java` does for
//! `/etc/ssl/certs/java/cacerts`, in the JKS format (which every JDK reads, also as its default
//! PKCS12 type through `keystore.type.compat`): one trusted-certificate entry per certificate,
//! password `changeit`, aliases as Debian spells them (`debian:accvraiz1.pem`).

use sha1::{Digest, Sha1};

/// The password of every JDK's `cacerts`: only the integrity check uses it.
pub const JAVA_KEYSTORE_PASSWORD: &str = "changeit";

/// Errors reading PEM certificates.
#[derive(Debug, thiserror::Error)]
pub enum CertError {
    /// A file meant to hold CA certificates holds none.
    #[error("{name} holds no PEM certificate (-----BEGIN CERTIFICATE-----)")]
    NoCertificate {
        /// The file's name.
        name: String,
    },
    /// A PEM block is cut off or its base64 is damaged.
    #[error("{name}: certificate {index} is not valid PEM")]
    BadPem {
        /// The file's name.
        name: String,
        /// 1 for the file's first certificate.
        index: usize,
    },
}

/// One file of CA certificates: a `.crt` of the ca-certificates package, or a PEM file the user
/// adds (enterprise CAs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaFile {
    /// The keystore alias of its first certificate (later ones get `-2`, `-3`, ...), e.g.
    /// `debian:accvraiz1.pem`; Java keystore aliases are lower case.
    pub alias: String,
    /// The file's bytes.
    pub pem: Vec<u8>,
}

impl CaFile {
    /// A file of the ca-certificates package, aliased as `ca-certificates-java` aliases it:
    /// `mozilla/ACCVRAIZ1.crt` becomes `debian:accvraiz1.pem`.
    #[must_use]
    pub fn debian(file_name: &str, pem: Vec<u8>) -> Self {
        let stem = file_name.strip_suffix(".crt").unwrap_or(file_name);
        let stem: String = stem
            .chars()
            .map(|c| match c {
                ' ' | ',' => '_',
                '(' | ')' => '=',
                c => c,
            })
            .collect();
        Self {
            alias: format!("debian:{}.pem", stem.to_lowercase()),
            pem,
        }
    }

    /// The DER of every certificate in the file, in order. Text around the PEM blocks (comments,
    /// `openssl x509 -text` output) is ignored; other PEM blocks (keys) are skipped.
    pub fn certificates(&self) -> Result<Vec<Vec<u8>>, CertError> {
        pem_certificates(&self.pem, &self.alias)
    }
}

const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
const END: &str = "-----END CERTIFICATE-----";

fn pem_certificates(pem: &[u8], name: &str) -> Result<Vec<Vec<u8>>, CertError> {
    use base64::Engine as _;
    let text = String::from_utf8_lossy(pem);
    let mut certs = Vec::new();
    let mut body: Option<String> = None;
    for line in text.lines().map(str::trim) {
        match (&mut body, line) {
            (None, BEGIN) => body = Some(String::new()),
            (Some(b64), END) => {
                let der = base64::engine::general_purpose::STANDARD
                    .decode(b64.as_bytes())
                    .ok()
                    .filter(|der| der.first() == Some(&0x30))
                    .ok_or_else(|| CertError::BadPem {
                        name: name.to_string(),
                        index: certs.len() + 1,
                    })?;
                certs.push(der);
                body = None;
            }
            (Some(b64), line) => b64.push_str(line),
            (None, _) => {}
        }
    }
    if body.is_some() {
        return Err(CertError::BadPem {
            name: name.to_string(),
            index: certs.len() + 1,
        });
    }
    if certs.is_empty() {
        return Err(CertError::NoCertificate {
            name: name.to_string(),
        });
    }
    Ok(certs)
}

/// A certificate as a PEM block, 64 base64 characters a line, as OpenSSL writes it.
#[must_use]
pub fn pem_block(der: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = String::with_capacity(b64.len() + 80);
    out.push_str(BEGIN);
    out.push('\n');
    for chunk in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(chunk));
        out.push('\n');
    }
    out.push_str(END);
    out.push('\n');
    out
}

/// The PEM bundle: each file's bytes in the given order, a newline added where a file lacks its
/// last one (as `update-ca-certificates` does with `sed -e '$a\'`).
#[must_use]
pub fn ca_bundle(files: &[CaFile]) -> Vec<u8> {
    let mut out = Vec::new();
    for file in files {
        out.extend_from_slice(&file.pem);
        if !file.pem.is_empty() && !file.pem.ends_with(b"\n") {
            out.push(b'\n');
        }
    }
    out
}

/// A JKS keystore holding every certificate of `files` as a trusted-certificate entry, with
/// password [`JAVA_KEYSTORE_PASSWORD`]. Entries are sorted by alias and all carry the creation
/// time `created_ms` (milliseconds since the epoch), so the bytes depend on nothing else.
/// Aliases that repeat get `-2`, `-3`, ... in order.
pub fn java_keystore(files: &[CaFile], created_ms: u64) -> Result<Vec<u8>, CertError> {
    let mut entries: Vec<(String, Vec<u8>)> = Vec::new();
    let mut used = std::collections::BTreeSet::new();
    for file in files {
        let base = file.alias.to_lowercase();
        for (index, der) in file.certificates()?.into_iter().enumerate() {
            let mut alias = if index == 0 {
                base.clone()
            } else {
                format!("{base}-{}", index + 1)
            };
            let mut n = 1;
            while used.contains(&alias) {
                n += 1;
                alias = format!("{base}-{n}");
            }
            used.insert(alias.clone());
            entries.push((alias, der));
        }
    }
    entries.sort();
    Ok(jks(&entries, created_ms, JAVA_KEYSTORE_PASSWORD))
}

const JKS_MAGIC: u32 = 0xFEED_FEED;
const JKS_VERSION: u32 = 2;
const JKS_TRUSTED_CERT: u32 = 2;

/// The JKS encoding (sun.security.provider.JavaKeyStore): magic, version, count, entries, then a
/// SHA-1 over the password as UTF-16BE, the phrase "Mighty Aphrodite", and everything before.
fn jks(entries: &[(String, Vec<u8>)], created_ms: u64, password: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(&JKS_MAGIC.to_be_bytes());
    out.extend_from_slice(&JKS_VERSION.to_be_bytes());
    out.extend_from_slice(
        &u32::try_from(entries.len())
            .unwrap_or(u32::MAX)
            .to_be_bytes(),
    );
    for (alias, der) in entries {
        out.extend_from_slice(&JKS_TRUSTED_CERT.to_be_bytes());
        write_utf(&mut out, alias);
        out.extend_from_slice(&created_ms.to_be_bytes());
        write_utf(&mut out, "X.509");
        out.extend_from_slice(&u32::try_from(der.len()).unwrap_or(u32::MAX).to_be_bytes());
        out.extend_from_slice(der);
    }
    let mut digest = Sha1::new();
    for unit in password.encode_utf16() {
        digest.update(unit.to_be_bytes());
    }
    digest.update(b"Mighty Aphrodite");
    digest.update(&out);
    out.extend_from_slice(&digest.finalize());
    out
}

/// Java's `DataOutput.writeUTF`: a big-endian u16 length, then modified UTF-8 (NUL as two bytes,
/// characters beyond the BMP as two three-byte surrogates).
fn write_utf(out: &mut Vec<u8>, text: &str) {
    let mut bytes = Vec::with_capacity(text.len());
    for unit in text.encode_utf16() {
        match unit {
            0x0001..=0x007F => bytes.push(unit.to_be_bytes()[1]),
            0x0000 | 0x0080..=0x07FF => {
                bytes.push(0xC0 | ((unit >> 6) & 0x1F).to_be_bytes()[1]);
                bytes.push(0x80 | (unit & 0x3F).to_be_bytes()[1]);
            }
            _ => {
                bytes.push(0xE0 | ((unit >> 12) & 0x0F).to_be_bytes()[1]);
                bytes.push(0x80 | ((unit >> 6) & 0x3F).to_be_bytes()[1]);
                bytes.push(0x80 | (unit & 0x3F).to_be_bytes()[1]);
            }
        }
    }
    // Aliases and "X.509" are far below writeUTF's 65535-byte limit.
    out.extend_from_slice(&u16::try_from(bytes.len()).unwrap_or(u16::MAX).to_be_bytes());
    out.extend_from_slice(&bytes);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fake_cert(seed: u8) -> Vec<u8> {
        // Not a real certificate: a DER SEQUENCE is all the PEM reader checks.
        vec![0x30, 0x03, 0x02, 0x01, seed]
    }

    #[test]
    fn reads_pem_blocks_among_other_text() {
        let pem = format!(
            "subject=CN=x\n{}junk\n-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\r\n{}",
            pem_block(&fake_cert(1)),
            pem_block(&fake_cert(2)).replace('\n', "\r\n")
        );
        let file = CaFile {
            alias: "corp".into(),
            pem: pem.into_bytes(),
        };
        assert_eq!(
            file.certificates().expect("pem"),
            [fake_cert(1), fake_cert(2)]
        );
    }

    #[test]
    fn a_file_without_certificates_is_an_error() {
        let file = CaFile {
            alias: "key.pem".into(),
            pem: b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n".to_vec(),
        };
        let err = file.certificates().expect_err("no cert");
        assert_eq!(
            err.to_string(),
            "key.pem holds no PEM certificate (-----BEGIN CERTIFICATE-----)"
        );
        let cut = CaFile {
            alias: "cut.pem".into(),
            pem: b"-----BEGIN CERTIFICATE-----\nMAMCAQE=\n".to_vec(),
        };
        assert!(matches!(
            cut.certificates(),
            Err(CertError::BadPem { index: 1, .. })
        ));
    }

    #[test]
    fn debian_aliases() {
        assert_eq!(
            CaFile::debian("ACCVRAIZ1.crt", Vec::new()).alias,
            "debian:accvraiz1.pem"
        );
        assert_eq!(
            CaFile::debian("Certigna Root CA.crt", Vec::new()).alias,
            "debian:certigna_root_ca.pem"
        );
    }

    #[test]
    fn bundle_adds_missing_newlines() {
        let files = [
            CaFile {
                alias: "a".into(),
                pem: b"A".to_vec(),
            },
            CaFile {
                alias: "b".into(),
                pem: b"B\n".to_vec(),
            },
        ];
        assert_eq!(ca_bundle(&files), b"A\nB\n");
    }

    #[test]
    fn keystore_layout_and_digest() {
        let files = [CaFile {
            alias: "Corp".into(),
            pem: format!("{}{}", pem_block(&fake_cert(1)), pem_block(&fake_cert(2))).into_bytes(),
        }];
        let ks = java_keystore(&files, 1000).expect("jks");
        assert_eq!(&ks[..12], &[0xFE, 0xED, 0xFE, 0xED, 0, 0, 0, 2, 0, 0, 0, 2]);
        // First entry: tag 2, alias "corp", time 1000, "X.509", 5 bytes of DER.
        assert_eq!(&ks[12..16], &[0, 0, 0, 2]);
        assert_eq!(&ks[16..22], b"\0\x04corp");
        assert_eq!(&ks[22..30], &1000u64.to_be_bytes());
        assert_eq!(&ks[30..37], b"\0\x05X.509");
        assert!(ks.windows(8).any(|w| w == b"\0\x06corp-2"));
        let (body, digest) = ks.split_at(ks.len() - 20);
        let mut check = Sha1::new();
        for unit in "changeit".encode_utf16() {
            check.update(unit.to_be_bytes());
        }
        check.update(b"Mighty Aphrodite");
        check.update(body);
        assert_eq!(digest, check.finalize().as_slice());
    }

    #[test]
    fn modified_utf8() {
        let mut out = Vec::new();
        write_utf(&mut out, "a\0é€😀");
        assert_eq!(
            out,
            [
                0, 14, b'a', 0xC0, 0x80, 0xC3, 0xA9, 0xE2, 0x82, 0xAC, 0xED, 0xA0, 0xBD, 0xED,
                0xB8, 0x80
            ]
        );
    }
}
