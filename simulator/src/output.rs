//! Plain-text output with optional colour, and the record of every check the
//! scenes make.

use std::io::{self, Write};

const BOLD: &str = "\x1b[1m";
const DIM: &str = "\x1b[2m";
const GREEN: &str = "\x1b[32m";
const RED: &str = "\x1b[31m";
const CYAN: &str = "\x1b[36m";
const RESET: &str = "\x1b[0m";

/// Writes the demo's text and counts its checks. Colour (ANSI escapes) only
/// when asked to, which `main` does only when stdout is a terminal.
pub struct Printer<'a> {
    out: &'a mut dyn Write,
    colour: bool,
    scene: String,
    checks: u32,
    failures: Vec<String>,
}

impl std::fmt::Debug for Printer<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Printer")
            .field("colour", &self.colour)
            .field("checks", &self.checks)
            .field("failures", &self.failures)
            .finish_non_exhaustive()
    }
}

impl<'a> Printer<'a> {
    /// A printer writing to `out`.
    pub fn new(out: &'a mut dyn Write, colour: bool) -> Self {
        Self {
            out,
            colour,
            scene: String::from("setup"),
            checks: 0,
            failures: Vec::new(),
        }
    }

    fn paint(&self, style: &str, text: &str) -> String {
        if self.colour {
            format!("{style}{text}{RESET}")
        } else {
            text.to_owned()
        }
    }

    /// The demo's title.
    pub fn title(&mut self, text: &str) -> io::Result<()> {
        let rule = "=".repeat(text.chars().count());
        let title = self.paint(BOLD, text);
        writeln!(self.out, "{title}\n{rule}")
    }

    /// Start a scene: a blank line and a heading. Later checks are filed
    /// under this scene.
    pub fn scene(&mut self, number: u32, title: &str) -> io::Result<()> {
        self.scene = format!("scene {number}");
        let heading = format!("Scene {number}: {title}");
        let rule = "-".repeat(heading.chars().count());
        let heading = self.paint(BOLD, &heading);
        writeln!(self.out, "\n{heading}\n{rule}")
    }

    /// Start an unnumbered section (set-up, summary).
    pub fn section(&mut self, title: &str) -> io::Result<()> {
        self.scene = title.to_lowercase();
        let rule = "-".repeat(title.chars().count());
        let heading = self.paint(BOLD, title);
        writeln!(self.out, "\n{heading}\n{rule}")
    }

    /// One line of narration.
    pub fn line(&mut self, text: impl AsRef<str>) -> io::Result<()> {
        writeln!(self.out, "{}", text.as_ref())
    }

    /// An indented detail line, dimmed on a terminal.
    pub fn detail(&mut self, text: impl AsRef<str>) -> io::Result<()> {
        let text = self.paint(DIM, text.as_ref());
        writeln!(self.out, "    {text}")
    }

    /// A picture of a screen (the card), indented.
    pub fn screen(&mut self, lines: &[String]) -> io::Result<()> {
        for l in lines {
            let l = self.paint(CYAN, l);
            writeln!(self.out, "    {l}")?;
        }
        Ok(())
    }

    /// Record a check and print `[ok]` or `[FAIL]` with what was checked.
    /// Returns whether it held.
    pub fn check(&mut self, held: bool, what: impl AsRef<str>) -> io::Result<bool> {
        self.checks += 1;
        let what = what.as_ref();
        let mark = if held {
            self.paint(GREEN, "[ok]  ")
        } else {
            self.failures.push(format!("{}: {what}", self.scene));
            self.paint(RED, "[FAIL]")
        };
        writeln!(self.out, "  {mark} {what}")?;
        Ok(held)
    }

    /// How many checks were made.
    pub fn checks(&self) -> u32 {
        self.checks
    }

    /// The checks that failed, as "scene N: what".
    pub fn failures(&self) -> &[String] {
        &self.failures
    }

    /// Flush the output.
    pub fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}
