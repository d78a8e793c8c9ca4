//! akuersi-tests: end-to-end tests across the Akuersi crates, grouped as in
//! docs/THREAT_MODEL.md: `tests/flows/` (the honest flows and what the owner
//! sees), `tests/attackers/` (the attackers of §4), and the model, crash and
//! load runs of its "Evidence" section, each a binary of its own (the crash
//! test re-runs its own binary as a child process). The fixtures they share
//! live in `akuersi-testkit`; this library is empty.

#![forbid(unsafe_code)]
