//! What every part of the view draws with: colours, the spinner, a centred
//! box.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};

/// Colours, or none at all when `NO_COLOR` is set.
#[derive(Clone, Copy, Debug)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    /// `env` is the screen's `ctx.env`: `NO_COLOR` set and not empty turns
    /// colour off.
    pub fn from_env(env: &dyn Fn(&str) -> Option<String>) -> Theme {
        Theme {
            color: env("NO_COLOR").is_none_or(|v| v.is_empty()),
        }
    }

    /// A pop-up's frame: borders all round in the accent colour, titled.
    pub(super) fn popup<'a>(
        self,
        title: impl Into<ratatui::text::Line<'a>>,
    ) -> ratatui::widgets::Block<'a> {
        ratatui::widgets::Block::default()
            .borders(ratatui::widgets::Borders::ALL)
            .title(title)
            .border_style(self.fg(Color::Cyan))
    }

    pub(super) fn fg(self, c: Color) -> Style {
        if self.color {
            Style::new().fg(c)
        } else {
            Style::new()
        }
    }

    pub(super) fn selected(self) -> Style {
        if self.color {
            Style::new()
                .bg(Color::Blue)
                .fg(Color::White)
                .add_modifier(Modifier::BOLD)
        } else {
            Style::new().add_modifier(Modifier::REVERSED)
        }
    }
}

/// Braille spinner frames; one per 100 ms tick.
pub(super) fn spinner(tick: u64) -> char {
    const FRAMES: [char; 10] = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];
    FRAMES[(tick % 10) as usize]
}

/// A box of `w`×`h` cells centred in the screen, clipped to it.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_color_set_and_not_empty_turns_colour_off() {
        let with = |v: Option<&str>| {
            let v = v.map(str::to_string);
            Theme::from_env(&move |k| (k == "NO_COLOR").then(|| v.clone()).flatten()).color
        };
        assert!(with(None));
        assert!(with(Some("")));
        assert!(!with(Some("1")));
    }
}
