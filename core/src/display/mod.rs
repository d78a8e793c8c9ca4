//! What the owner reads: the core's own strings in Greenlandic, Danish and
//! English ([`i18n`]), and how to reach support and whether it is open
//! ([`support`]).

pub mod i18n;
pub mod support;
