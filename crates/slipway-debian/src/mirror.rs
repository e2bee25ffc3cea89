//! mirror (being written)
