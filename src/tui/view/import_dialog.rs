//! The first run's import dialog: everything the import would do, then
//! the question.
//!
//! It covers the whole body of the screen it was opened from. A box
//! centred over the empty screen left that screen's own copy of the offer
//! showing below and beside it, so the lines read twice (issue 27), and
//! its lines were cut at the box's edge. Here they wrap, and when they
//! need more rows than there are, the question still shows: the last
//! rows that would not fit are counted instead.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph};

use super::theme::Theme;
use super::wrap::rows as wrap;
use crate::{t, tn};

pub fn draw(f: &mut Frame, lines: &[String], body: Rect, theme: Theme) {
    f.render_widget(Clear, body);
    let block = theme.popup(t!("tui.import_title"));
    let inner = block.inner(body);
    f.render_widget(block, body);
    let width = usize::from(inner.width);
    let question = wrap(&t!("tui.confirm_import"), width);
    // A blank row between the lines and the question.
    let room = usize::from(inner.height).saturating_sub(question.len() + 1);
    let mut text: Vec<Line> = fit(lines, width, room)
        .into_iter()
        .map(Line::from)
        .collect();
    text.push(Line::default());
    text.extend(
        question
            .into_iter()
            .map(|q| Line::from(Span::styled(q, theme.fg(Color::Yellow)))),
    );
    f.render_widget(Paragraph::new(text), inner);
}

/// The rows `lines` take at `width`, if they fit in `room`; else the
/// whole lines that fit with a last row saying how many more there are.
fn fit(lines: &[String], width: usize, room: usize) -> Vec<String> {
    let wrapped: Vec<Vec<String>> = lines.iter().map(|l| wrap(l, width)).collect();
    if wrapped.iter().map(Vec::len).sum::<usize>() <= room {
        return wrapped.concat();
    }
    let mut rows = Vec::new();
    let mut shown = 0;
    // One row is kept for the count.
    for w in &wrapped {
        if rows.len() + w.len() + 1 > room {
            break;
        }
        rows.extend(w.iter().cloned());
        shown += 1;
    }
    if room > 0 {
        let more = tn!("tui.import_more", count = lines.len() - shown);
        rows.extend(wrap(&more, width).into_iter().take(1));
    }
    rows
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::{Lang, set_lang};

    #[test]
    fn lines_that_do_not_fit_are_counted() {
        set_lang(Lang::En);
        let lines: Vec<String> = ["one", "two two", "three"].map(String::from).to_vec();
        assert_eq!(fit(&lines, 20, 3), ["one", "two two", "three"]);
        // "two two" takes two rows at width 4: one line fits with the count.
        let rows = fit(&lines, 4, 3);
        assert_eq!(rows[0], "one");
        assert_eq!(rows.len(), 2);
        assert!(fit(&lines, 80, 2)[1].contains("2 more lines"), "{rows:?}");
        assert!(fit(&lines, 80, 0).is_empty());
    }
}
