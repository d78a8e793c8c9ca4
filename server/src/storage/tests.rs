//! Unit tests of the storage operations.
