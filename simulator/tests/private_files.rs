//! Every folder and file the simulator creates is its user's alone (0700
//! folders, 0600 files), created that way under the common umask 022, so
//! no other local user can read a device's w0 and L, the service's keys or
//! anyone's contact data.
#![cfg(unix)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output};

use akuersi_testkit::TempDir;

/// `akuersi-sim COMMAND --data DATA ARGS` run with umask 022, as a default
/// shell has it.
fn sim_under_umask_022(command: &str, data: &Path, args: &[&str]) -> Output {
    Command::new("sh")
        .arg("-c")
        .arg("umask 022 && exec \"$0\" \"$@\"")
        .arg(env!("CARGO_BIN_EXE_akuersi-sim"))
        .arg(command)
        .arg("--data")
        .arg(data)
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .expect("sh runs the simulator")
}

/// Every folder under `dir` (and `dir` itself) and every file in them, with
/// its permission bits.
fn modes(dir: &Path, out: &mut Vec<(String, bool, u32)>) {
    let meta = std::fs::metadata(dir).expect("metadata");
    out.push((
        dir.display().to_string(),
        true,
        meta.permissions().mode() & 0o777,
    ));
    for entry in std::fs::read_dir(dir).expect("read_dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            modes(&path, out);
        } else {
            let mode = std::fs::metadata(&path)
                .expect("metadata")
                .permissions()
                .mode();
            out.push((path.display().to_string(), false, mode & 0o777));
        }
    }
}

fn assert_private(dir: &Path) -> usize {
    let mut all = Vec::new();
    modes(dir, &mut all);
    for (path, is_dir, mode) in &all {
        let want = if *is_dir { 0o700 } else { 0o600 };
        assert_eq!(*mode, want, "{path} is {mode:o}, not {want:o}");
    }
    all.iter().filter(|(_, is_dir, _)| !is_dir).count()
}

#[test]
fn the_demo_and_an_app_profile_create_nothing_others_can_read() {
    let data = TempDir::new("private-files");
    // A nested folder that does not exist yet: every missing level is made.
    let demo_dir = data.0.join("demo");
    let nested = demo_dir.join("deeper");
    let demo = sim_under_umask_022("demo", &nested, &["--kdf-iterations", "1000"]);
    assert!(
        demo.status.success(),
        "{}",
        String::from_utf8_lossy(&demo.stderr)
    );
    // An app profile opened against a service that is not there still
    // creates its folder, database and vault key first.
    let app = sim_under_umask_022(
        "app",
        &data.0.join("app"),
        &[
            "--profile",
            "phone",
            "--service",
            "http://127.0.0.1:9",
            "status",
        ],
    );
    assert!(!app.status.success(), "no service answers on port 9");
    // The service's and both devices' databases and vault keys...
    let files = assert_private(&demo_dir);
    assert!(files >= 5, "only {files} files were made by the demo");
    // ...and the app profile's folder, database and vault key.
    let files = assert_private(&data.0.join("app"));
    assert!(files >= 2, "only {files} files were made by the app");
}
