//! What the demo tests share: a throw-away data folder, one run of
//! `akuersi-sim demo …` with its common checks, and the database check.

use std::path::PathBuf;
use std::process::Command;

/// A data folder that does not exist yet, removed when the test ends.
pub struct DataDir(pub PathBuf);

impl DataDir {
    /// A fresh path in the temp folder, named `{prefix}-{pid}-{nanos}`.
    pub fn new(prefix: &str) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock after 1970")
            .as_nanos();
        Self(std::env::temp_dir().join(format!("{prefix}-{}-{nanos}", std::process::id())))
    }
}

impl Drop for DataDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `akuersi-sim {command} --kdf-iterations 1000 --data DIR` without
/// colour, checks that it succeeded with no `[FAIL]`, no colour and scenes
/// 1 to `scenes` narrated, and returns its stdout.
pub fn run_demo(command: &[&str], data: &DataDir, scenes: u32) -> String {
    let output = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(command)
        .args(["--kdf-iterations", "1000", "--data"])
        .arg(&data.0)
        .env("NO_COLOR", "1")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "{} failed ({})\n--- stdout\n{stdout}\n--- stderr\n{stderr}",
        command.join(" "),
        output.status
    );
    assert!(!stdout.contains("[FAIL]"), "{stdout}");
    assert!(
        !stdout.contains('\u{1b}'),
        "no colour when not on a terminal"
    );
    for scene in 1..=scenes {
        assert!(
            stdout.contains(&format!("Scene {scene}:")),
            "scene {scene} missing:\n{stdout}"
        );
    }
    stdout
}

/// Each of `files` exists in the data folder and is not empty.
pub fn assert_databases_kept(data: &DataDir, files: &[&str]) {
    for file in files {
        let path = data.0.join(file);
        let len = std::fs::metadata(&path)
            .unwrap_or_else(|e| panic!("{} missing: {e}", path.display()))
            .len();
        assert!(len > 0, "{} is empty", path.display());
    }
}
