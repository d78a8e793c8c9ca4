//! The home screen: the requests fetched when the app was opened or
//! refreshed, and the keys to every other screen.

use ratatui::text::{Line, Span};

use super::render::{bold, countdown_span, dim, line, styled};
use super::*;

impl Ui {
    pub(super) fn key_home(&mut self, k: KeyEvent) {
        match k.code {
            KeyCode::Char('q') | KeyCode::Esc => self.quit = true,
            KeyCode::Char('r') => self.refresh(),
            KeyCode::Enter => {
                if let Some(v) = self.views.first() {
                    self.screen = Screen::Card(v.request_id.clone());
                }
            }
            KeyCode::Char('d') => self.go(Screen::Devices),
            KeyCode::Char('b') => self.go(Screen::Backup),
            KeyCode::Char('n') => self.go(Screen::Notifications),
            KeyCode::Char('l') => self.go(Screen::Log),
            KeyCode::Char('f') => self.go(Screen::Freeze { code_entry: None }),
            KeyCode::Char('s') => self.go(Screen::Support),
            KeyCode::Char('g') => self.next_language(),
            _ => {}
        }
    }

    /// Show request texts in the next language: kl → da → en → kl (local
    /// only; requests carry every language's text).
    pub(super) fn next_language(&mut self) {
        let Some(p) = &self.profile else { return };
        let next = match p.language.as_str() {
            "kl" => "da",
            "da" => "en",
            _ => "kl",
        };
        let pid = p.profile_id.clone();
        match self
            .app
            .set_language(&pid, next.to_owned())
            .and_then(|()| self.app.profile(&pid))
        {
            Ok(p) => {
                self.flash = Some((
                    false,
                    format!("Request texts now in {}.", language_name(next)),
                ));
                self.profile = Some(p);
            }
            Err(e) => self.error_flash(&e),
        }
    }
}

pub(super) fn home_lines(ui: &Ui) -> (Vec<Line<'static>>, Vec<Line<'static>>) {
    let mut out = Vec::new();
    match &ui.refreshed_at {
        Some(t) => out.push(styled(
            format!("Fetched {} · r to fetch again", t.strftime("%H:%M:%S")),
            dim(),
        )),
        None => out.push(styled("Not fetched yet · r to fetch", dim())),
    }
    out.push(line(""));
    match ui.views.first() {
        Some(v) => {
            out.push(styled("1 request waits for you:", bold()));
            out.push(line(""));
            out.push(styled(
                format!("  {}", v.requester_name.to_uppercase()),
                bold(),
            ));
            out.push(line(format!("  {} · {}", v.action_title, v.body)));
            out.push(Line::from(vec![
                Span::raw("  "),
                countdown_span(v.seconds_left),
            ]));
            out.push(line(""));
            out.push(styled("Press Enter to open it.", bold()));
        }
        None => {
            out.push(styled("No requests. Nothing waits for you.", bold()));
            out.push(line(""));
            out.push(line(
                "Requests never pop up by themselves: they appear only when you open the app or fetch (r).",
            ));
            out.push(line("A request disappears after at most 5 minutes."));
        }
    }
    if let Some(s) = &ui.status {
        for w in &s.warnings {
            out.push(line(""));
            out.push(styled(format!("⚠ {w}"), dim()));
        }
    }
    (
        out,
        vec![
            line("r Fetch · Enter Open · d Devices · b Backup device"),
            line("n Notifications · l Activity log · f Freeze · s Support"),
            line("g Language · q Quit"),
        ],
    )
}
