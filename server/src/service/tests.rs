//! Unit tests of the service parts.
