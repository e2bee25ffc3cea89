//! deb (being written)
