//! resolve (being written)
