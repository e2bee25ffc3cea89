//! The in-image launcher, built by this crate's build script and embedded here
//! so that slipway is one self-contained binary.

/// The static `slipway-launcher` executable that the lifecycle writes to
/// [`slipway_launch::LAUNCHER_PATH`] in every image, with `/cnb/process/<type>`
/// symlinks to it.
///
/// Built by `build.rs` for the target slipway is built for, with the
/// `launcher` profile, `+crt-static` and remapped paths, so the bytes (and the
/// digest of the layer holding them) do not depend on the build machine's
/// paths. Its size is reported by `slipway version`.
pub const LAUNCHER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/launcher"));

#[cfg(test)]
mod tests {
    use super::LAUNCHER;

    /// ELF program header type of the dynamic loader's path.
    const PT_INTERP: u32 = 3;

    fn u16_at(offset: usize) -> usize {
        let bytes = LAUNCHER[offset..offset + 2].try_into().expect("2 bytes");
        usize::from(u16::from_le_bytes(bytes))
    }

    fn u32_at(offset: usize) -> u32 {
        let bytes = LAUNCHER[offset..offset + 4].try_into().expect("4 bytes");
        u32::from_le_bytes(bytes)
    }

    fn u64_at(offset: usize) -> usize {
        let bytes = LAUNCHER[offset..offset + 8].try_into().expect("8 bytes");
        usize::try_from(u64::from_le_bytes(bytes)).expect("offset fits in usize")
    }

    #[test]
    fn the_launcher_is_an_elf_executable() {
        assert_eq!(&LAUNCHER[..4], b"\x7fELF");
    }

    /// A run image may have no dynamic loader or libc, so the launcher must
    /// not ask for one: no `PT_INTERP` program header.
    #[test]
    fn the_launcher_is_statically_linked() {
        assert_eq!(LAUNCHER[4], 2, "ELFCLASS64");
        assert_eq!(LAUNCHER[5], 1, "little endian");
        let (phoff, phentsize, phnum) = (u64_at(0x20), u16_at(0x36), u16_at(0x38));
        assert!(phnum > 0, "the launcher has program headers");
        let types: Vec<u32> = (0..phnum)
            .map(|index| u32_at(phoff + index * phentsize))
            .collect();
        assert!(
            !types.contains(&PT_INTERP),
            "program header types {types:?}"
        );
    }
}
