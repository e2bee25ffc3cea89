//! rootfs (being written)
