//! lockfile (being written)
