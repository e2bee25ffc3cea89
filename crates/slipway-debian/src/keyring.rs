//! keyring (being written)
