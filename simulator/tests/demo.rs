//! Runs the built `akuersi-sim demo` binary end to end, cheaply (1,000 KDF
//! iterations), and checks its exit status, its narration and its data folder.

use std::path::PathBuf;
use std::process::Command;

/// A data folder that does not exist yet, removed when the test ends.
struct DataDir(PathBuf);

impl DataDir {
    fn new() -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        Self(std::env::temp_dir().join(format!("akuersi-sim-test-{}-{nanos}", std::process::id())))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn demo_runs_every_scene_and_keeps_its_databases() {
    let data = DataDir::new();
    let output = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(["demo", "--kdf-iterations", "1000", "--data"])
        .arg(&data.0)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "demo failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        output.status
    );
    assert!(!stdout.contains("[FAIL]"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    for scene in 1..=8 {
        assert!(
            stdout.contains(&format!("Scene {scene}:")),
            "scene {scene} missing:\n{stdout}"
        );
    }
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
    for file in ["service.sqlite", "phone-a.sqlite", "tablet-b.sqlite"] {
        let path = data.0.join(file);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{} missing: {e}", path.display()))
            .len();
        assert!(len > 0, "{} is empty", path.display());
    }
}

#[test]
fn demo_refuses_a_folder_with_an_earlier_run() {
    let data = DataDir::new();
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
