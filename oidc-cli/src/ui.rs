//! Terminal presentation: colour (only on a terminal, never with
//! `NO_COLOR`), the sign-in prompt with its QR code and live countdown,
//! times as RFC 3339 seconds, durations for people ("3 min").

use std::io::{IsTerminal as _, Write as _};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant, SystemTime};

use time::format_description::well_known::Rfc3339;
use time::OffsetDateTime;

/// ANSI styling for one stream, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    color: bool,
}

impl Style {
    /// For stderr: colour only on a terminal and without `NO_COLOR`.
    pub(crate) fn stderr() -> Style {
        Style {
            color: std::io::stderr().is_terminal() && no_color_unset(),
        }
    }

    /// For stdout.
    pub(crate) fn stdout() -> Style {
        Style {
            color: std::io::stdout().is_terminal() && no_color_unset(),
        }
    }

    fn paint(self, code: &str, text: &str) -> String {
        if self.color {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    pub(crate) fn bold(self, text: &str) -> String {
        self.paint("1", text)
    }

    pub(crate) fn good(self, text: &str) -> String {
        self.paint("1;32", text)
    }

    pub(crate) fn warn(self, text: &str) -> String {
        self.paint("1;33", text)
    }

    pub(crate) fn error(self, text: &str) -> String {
        self.paint("1;31", text)
    }

    pub(crate) fn dim(self, text: &str) -> String {
        self.paint("2", text)
    }
}

/// `NO_COLOR` set to anything non-empty turns colour off (no-color.org).
fn no_color_unset() -> bool {
    std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// Whether stderr is a terminal (QR code, countdown).
pub(crate) fn stderr_is_tty() -> bool {
    std::io::stderr().is_terminal()
}

/// Anything that came from a server or a local file (names, ids, URLs,
/// paths, error messages), made safe to print: no control characters, so
/// no escape sequence, bell or carriage return reaches the terminal. The
/// CLI's one filter for such text: [`oidc_core::untrusted::printable`].
pub(crate) fn shown(text: impl std::fmt::Display) -> String {
    oidc_core::untrusted::printable(&text.to_string())
}

/// `2024-01-01T01:00:00Z`.
pub(crate) fn rfc3339(at: SystemTime) -> String {
    let secs = at
        .duration_since(SystemTime::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    i64::try_from(secs)
        .ok()
        .and_then(|s| OffsetDateTime::from_unix_timestamp(s).ok())
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "an unrepresentable time".to_owned())
}

/// "45 s", "3 min", "2 h 5 min", "3 days".
pub(crate) fn humanize(d: Duration) -> String {
    let s = d.as_secs();
    match s {
        0..=89 => format!("{s} s"),
        90..=5_399 => format!("{} min", (s + 30) / 60),
        5_400..=172_799 => {
            let h = s / 3600;
            let m = (s % 3600 + 30) / 60;
            if m == 0 || m == 60 {
                format!("{} h", h + u64::from(m == 60))
            } else {
                format!("{h} h {m} min")
            }
        }
        _ => format!("{} days", (s + 43_200) / 86_400),
    }
}

/// "in 3 min" or "3 min ago".
pub(crate) fn relative(at: SystemTime, now: SystemTime) -> String {
    match at.duration_since(now) {
        Ok(d) => format!("in {}", humanize(d)),
        Err(e) => format!("{} ago", humanize(e.duration())),
    }
}

/// A QR code of `text` drawn with Unicode half blocks (two modules per
/// character cell), dark on light with a quiet zone, or `None` when the
/// text does not fit a QR code.
pub(crate) fn qr(text: &str) -> Option<String> {
    let code = qrcode::QrCode::new(text.as_bytes()).ok()?;
    let width = code.width();
    let colors = code.to_colors();
    let quiet = 2;
    let dark = |x: isize, y: isize| -> bool {
        if x < 0 || y < 0 {
            return false;
        }
        let (x, y) = (x as usize, y as usize);
        x < width && y < width && colors[y * width + x] == qrcode::Color::Dark
    };
    let size = width as isize;
    let mut out = String::new();
    let mut y = -quiet;
    while y < size + quiet {
        out.push_str("    ");
        for x in -quiet..size + quiet {
            // Light modules are drawn (the terminal's background may be
            // dark); dark ones are spaces.
            let top = !dark(x, y);
            let bottom = !dark(x, y + 1) && y + 1 < size + quiet;
            out.push(match (top, bottom) {
                (true, true) => '█',
                (true, false) => '▀',
                (false, true) => '▄',
                (false, false) => ' ',
            });
        }
        out.push('\n');
        y += 2;
    }
    Some(out)
}

/// A live countdown on stderr (a terminal only): one line rewritten every
/// second until dropped, then cleared.
pub(crate) struct Countdown {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl Countdown {
    /// Counts down to `until` with `label` ("waiting for approval").
    pub(crate) fn start(label: String, until: Instant) -> Countdown {
        let (tx, rx) = mpsc::channel::<()>();
        let style = Style::stderr();
        let thread = std::thread::Builder::new()
            .name("oidc-cli-countdown".to_owned())
            .spawn(move || loop {
                let left = until.saturating_duration_since(Instant::now());
                let secs = left.as_secs();
                let text = format!("{label}: {}:{:02} left", secs / 60, secs % 60);
                let mut err = std::io::stderr().lock();
                let _ = write!(err, "\r\x1b[2K{}", style.dim(&text));
                let _ = err.flush();
                drop(err);
                match rx.recv_timeout(Duration::from_secs(1)) {
                    Err(mpsc::RecvTimeoutError::Timeout) if !left.is_zero() => {}
                    _ => {
                        let mut err = std::io::stderr().lock();
                        let _ = write!(err, "\r\x1b[2K");
                        let _ = err.flush();
                        return;
                    }
                }
            })
            .ok();
        Countdown {
            stop: Some(tx),
            thread,
        }
    }
}

impl Drop for Countdown {
    fn drop(&mut self) {
        drop(self.stop.take());
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_like_speech() {
        assert_eq!(humanize(Duration::from_secs(45)), "45 s");
        assert_eq!(humanize(Duration::from_secs(180)), "3 min");
        assert_eq!(humanize(Duration::from_secs(8 * 3600)), "8 h");
        assert_eq!(humanize(Duration::from_secs(2 * 3600 + 300)), "2 h 5 min");
        assert_eq!(humanize(Duration::from_secs(90 * 86_400)), "90 days");
    }

    #[test]
    fn times_are_rfc3339_seconds() {
        let t = SystemTime::UNIX_EPOCH + Duration::from_millis(1_704_070_800_500);
        assert_eq!(rfc3339(t), "2024-01-01T01:00:00Z");
    }

    #[test]
    fn qr_codes_are_half_blocks() {
        let q = qr("https://device.sso.us-east-1.amazonaws.com/?user_code=ABCD-EFGH").unwrap();
        assert!(q.contains('▀') || q.contains('▄'));
        let lines: Vec<_> = q.lines().collect();
        assert!(lines.len() > 10);
        assert!(lines
            .iter()
            .all(|l| l.chars().count() == lines[0].chars().count()));
    }
}
