//! Runs the built `akuersi-sim demo` binary end to end, cheaply (1,000 KDF
//! iterations), and checks its exit status, its narration and its data folder.

use std::process::Command;

mod common;

use common::{assert_databases_kept, run_demo, DataDir};

#[test]
fn demo_runs_every_scene_and_keeps_its_databases() {
    let data = DataDir::new("akuersi-sim-test");
    let stdout = run_demo(&["demo"], &data, 8);
    for outcome in [
        "Demo Bank sees \"approved\"",
        "Demo Bank sees \"expired\"",
        "Demo Bank sees \"rejected\"",
        "Demo Bank sees \"reported\"",
        "already decided",
        "WrongPin",
        "RequestExpired",
        "Demo Bank-imut iserneq",
        "left",
        // Scene 7: a payment bound to the bank's screen, shown in kl, da, en.
        "Phone A, language kl:",
        "Phone A, language da:",
        "Phone A, language en:",
        "Godkend betaling",
        "Account: GL89 6471 0001 0002 06",
        "ChannelBindingRequired",
        "WrongChannelCode { attempts_left: 2 }",
        "the right code is accepted",
        "the payment is approved",
        "evidence holds the code, the amount and the account",
        "Never show your codes",
        // Scene 8: report, freeze in one step, support hours.
        "recorded as reported",
        "one step: the identity is frozen",
        "same answer as for an unknown user ID",
        "+45 00 00 00 00 (example number)",
        "(America/Nuuk)",
    ] {
        assert!(stdout.contains(outcome), "{outcome:?} missing:\n{stdout}");
    }
    assert_databases_kept(
        &data,
        &["service.sqlite", "phone-a.sqlite", "tablet-b.sqlite"],
    );
}

#[test]
fn demo_refuses_a_folder_with_an_earlier_run() {
    let data = DataDir::new("akuersi-sim-test");
    std::fs::create_dir_all(&data.0).expect("create folder");
    std::fs::write(data.0.join("service.sqlite"), b"").expect("write file");
    let output = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(["demo", "--kdf-iterations", "1000", "--data"])
        .arg(&data.0)
        .output()
        .expect("the binary runs");
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("earlier run"), "{stderr}");
}

#[test]
fn help_names_the_demo_command() {
    let output = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .arg("--help")
        .output()
        .expect("the binary runs");
    assert!(output.status.success());
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(text.contains("demo"), "{text}");
}
