//! Runs the built `akuersi-sim demo backup` binary end to end, cheaply (1,000
//! KDF iterations), and checks its exit status, its narration and its data
//! folder.

use std::process::Command;

mod common;

use common::{assert_databases_kept, run_demo, DataDir};

#[test]
fn demo_backup_adds_a_device_after_its_wait_and_tells_every_channel() {
    let data = DataDir::new("akuersi-sim-backup-test");
    let stdout = run_demo(&["demo", "backup"], &data, 7);
    assert!(stdout.contains("adding a backup device"), "{stdout}");
    for phrase in [
        // Contact data, and the three inboxes.
        "SMS to +299 55 12 34",
        "E-mail to aviaja@example.gl",
        "App (shown when a device opens the app)",
        // The addition, its wait and its notices.
        "device_addition_started",
        "the notice names the device that started it",
        "Waiting period: 40:00 left",
        "AdditionNotReady",
        "[clock +40:00] now T+1:00:00",
        // The pairing code and the new device.
        "AKUERSI-PAIR:1:",
        "3:00 left",
        "THIS DEVICE",
        "device_addition_completed",
        // Once only; three at most.
        "PairingInvalid",
        "DeviceLimit",
        "device_removed",
        // Veto, freeze, unfreeze.
        "device_addition_vetoed",
        "tablet B sent /v1/device/freeze",
        "identity_frozen",
        "looks exactly like an unknown user ID's",
        "nothing reaches the app while the identity is frozen",
        "waiting for a second proof: true",
        "identity_unfrozen",
        // The log.
        "verified against the service's signed head",
        "0 failed",
    ] {
        assert!(stdout.contains(phrase), "{phrase:?} missing:\n{stdout}");
    }
    assert_databases_kept(
        &data,
        &[
            "service.sqlite",
            "phone-a.sqlite",
            "tablet-b.sqlite",
            "laptop-c.sqlite",
            "phone-d.sqlite",
        ],
    );
}

#[test]
fn demo_refuses_an_unknown_scenario() {
    let output = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(["demo", "no-such-scenario"])
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("main") && stderr.contains("backup"),
        "{stderr}"
    );
}
