//! Tiny `.deb` files made in tests, laid out as dpkg-deb lays them out (`./`-prefixed paths,
//! `debian-binary`, `control.tar.*`, `data.tar.*`).

use std::io::Write;

use super::TarCompression;

enum Item {
    Dir(&'static str, u32),
    File(&'static str, u32, Vec<u8>, (u64, u64)),
    Symlink(&'static str, &'static str),
    Hardlink(&'static str, &'static str),
}

/// A package being described for a test.
pub(crate) struct TestDeb {
    control: String,
    compression: TarCompression,
    items: Vec<Item>,
}

impl TestDeb {
    /// A package with the given name and version, architecture amd64, xz-compressed.
    pub(crate) fn new(name: &str, version: &str) -> Self {
        Self {
            control: format!(
                "Package: {name}\nVersion: {version}\nArchitecture: amd64\nMaintainer: Test <t@example.invalid>\nDescription: test package {name}\n A package made in a test.\n .\n  Indented.\n"
            ),
            compression: TarCompression::Xz,
            items: Vec::new(),
        }
    }

    /// Appends a control field (written before `Description`'s position does not matter here).
    pub(crate) fn field(mut self, line: &str) -> Self {
        self.control.push_str(line);
        self.control.push('\n');
        self
    }

    pub(crate) fn compression(mut self, compression: TarCompression) -> Self {
        self.compression = compression;
        self
    }

    pub(crate) fn dir(mut self, path: &'static str, mode: u32) -> Self {
        self.items.push(Item::Dir(path, mode));
        self
    }

    pub(crate) fn file(mut self, path: &'static str, mode: u32, contents: &[u8]) -> Self {
        self.items
            .push(Item::File(path, mode, contents.to_vec(), (0, 0)));
        self
    }

    pub(crate) fn file_owned(
        mut self,
        path: &'static str,
        mode: u32,
        contents: &[u8],
        owner: (u64, u64),
    ) -> Self {
        self.items
            .push(Item::File(path, mode, contents.to_vec(), owner));
        self
    }

    pub(crate) fn symlink(mut self, path: &'static str, target: &'static str) -> Self {
        self.items.push(Item::Symlink(path, target));
        self
    }

    pub(crate) fn hardlink(mut self, path: &'static str, target: &'static str) -> Self {
        self.items.push(Item::Hardlink(path, target));
        self
    }

    /// The `.deb` bytes.
    pub(crate) fn build(&self) -> Vec<u8> {
        let control_tar = tar_of(|b| {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            b.append_data(&mut h, "./", std::io::empty()).expect("dir");
            let mut h = header(tar::EntryType::Regular, 0o644, self.control.len() as u64);
            b.append_data(&mut h, "./control", self.control.as_bytes())
                .expect("control");
        });
        let data_tar = tar_of(|b| {
            let mut h = header(tar::EntryType::Directory, 0o755, 0);
            b.append_data(&mut h, "./", std::io::empty()).expect("root");
            for item in &self.items {
                append(b, item);
            }
        });
        let ext = match self.compression {
            TarCompression::None => "",
            TarCompression::Gzip => ".gz",
            TarCompression::Xz => ".xz",
            TarCompression::Zstd => ".zst",
        };
        let mut out = Vec::new();
        {
            let mut ar = ar::Builder::new(&mut out);
            let members: [(String, Vec<u8>); 3] = [
                ("debian-binary".into(), b"2.0\n".to_vec()),
                (
                    format!("control.tar{ext}"),
                    compress(self.compression, &control_tar),
                ),
                (
                    format!("data.tar{ext}"),
                    compress(self.compression, &data_tar),
                ),
            ];
            for (name, bytes) in members {
                let mut h = ar::Header::new(name.into_bytes(), bytes.len() as u64);
                h.set_mode(0o100_644);
                ar.append(&h, bytes.as_slice()).expect("ar member");
            }
        }
        out
    }
}

fn append(b: &mut tar::Builder<Vec<u8>>, item: &Item) {
    match item {
        Item::Dir(path, mode) => {
            let mut h = header(tar::EntryType::Directory, *mode, 0);
            b.append_data(&mut h, format!("./{path}/"), std::io::empty())
                .expect("dir");
        }
        Item::File(path, mode, contents, (uid, gid)) => {
            let mut h = header(tar::EntryType::Regular, *mode, contents.len() as u64);
            h.set_uid(*uid);
            h.set_gid(*gid);
            b.append_data(&mut h, format!("./{path}"), contents.as_slice())
                .expect("file");
        }
        Item::Symlink(path, target) => {
            let mut h = header(tar::EntryType::Symlink, 0o777, 0);
            b.append_link(&mut h, format!("./{path}"), target)
                .expect("symlink");
        }
        Item::Hardlink(path, target) => {
            let mut h = header(tar::EntryType::Link, 0o644, 0);
            b.append_link(&mut h, format!("./{path}"), format!("./{target}"))
                .expect("hardlink");
        }
    }
}

fn header(kind: tar::EntryType, mode: u32, size: u64) -> tar::Header {
    let mut h = tar::Header::new_gnu();
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_size(size);
    h.set_mtime(1_700_000_000);
    h.set_uid(0);
    h.set_gid(0);
    h
}

fn tar_of(fill: impl FnOnce(&mut tar::Builder<Vec<u8>>)) -> Vec<u8> {
    let mut builder = tar::Builder::new(Vec::new());
    fill(&mut builder);
    builder.into_inner().expect("tar")
}

fn compress(compression: TarCompression, bytes: &[u8]) -> Vec<u8> {
    match compression {
        TarCompression::None => bytes.to_vec(),
        TarCompression::Gzip => {
            let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            e.write_all(bytes).expect("gzip");
            e.finish().expect("gzip")
        }
        TarCompression::Xz => {
            let mut e = xz2::write::XzEncoder::new(Vec::new(), 6);
            e.write_all(bytes).expect("xz");
            e.finish().expect("xz")
        }
        TarCompression::Zstd => zstd::bulk::compress(bytes, 3).expect("zstd"),
    }
}
