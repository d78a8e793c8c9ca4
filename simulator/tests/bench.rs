//! `akuersi-sim bench --quick` as a binary: it runs through, prints a row and
//! a status for every budget, and `--markdown` writes the file while keeping
//! a hand-written section. No figure is asserted: budgets are for the report,
//! never for tests.

use std::process::Command;

#[test]
fn quick_bench_prints_every_budget_and_keeps_hand_written_sections() {
    let dir = std::env::temp_dir().join(format!("akuersi-bench-test-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let md = dir.join("BENCHMARKS.md");
    std::fs::write(
        &md,
        "# Benchmarks\n\nold figures\n\n## Load test\n\n50 clients, kept\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_akuersi-sim"))
        .args(["bench", "--quick", "--markdown", "--output"])
        .arg(&md)
        .arg("--data")
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for budget in [
        "≥ 0.10",
        "≥ 0.8",
        "≤ 5 ms",
        "≤ 250 ms",
        "≤ 10 ms",
        "≤ 4 MB",
        "≤ 5 µs",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.contains(budget))
            .unwrap_or_else(|| panic!("no row for {budget}:\n{stdout}"));
        assert!(
            ["| pass |", "| FAIL |", "| not measured |"]
                .iter()
                .any(|s| line.contains(s)),
            "{line}"
        );
    }
    assert!(stdout.contains("100,000 identities"), "{stdout}");
    let written = std::fs::read_to_string(&md).unwrap();
    assert!(written.contains("ring ECDSA P-256 verify"), "{written}");
    assert!(written.contains("## How to reproduce"), "{written}");
    assert!(
        written.contains("## Load test\n\n50 clients, kept"),
        "{written}"
    );
    assert!(!written.contains("old figures"), "{written}");
    std::fs::remove_dir_all(&dir).unwrap();
}
