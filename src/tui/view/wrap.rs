//! Text wrapped by display width, for every pane that wraps.
//!
//! ratatui's own wrapping asks whether a row is already full before it
//! adds a character, not whether the character still fits: a row with one
//! cell left took a wide character and ran one cell past its area, over
//! the pane's border (issue 27, wart 12). It also breaks only at spaces,
//! so a Chinese sentence, which has none, moved whole to the next row.
//! Here a row never takes more cells than it has, and may also break
//! between two Chinese characters, except before closing punctuation
//! (`，。）`) or after opening punctuation (`（`).

use ratatui::style::Style;
use ratatui::text::{Line, Span, Text};
use unicode_width::UnicodeWidthChar;

/// No row starts with one of these (they close what came before).
const NO_BREAK_BEFORE: &str = "，。、；：？！）」』】》〉…·,.;:?!)]}%";
/// No row ends with one of these (they open what comes after).
const NO_BREAK_AFTER: &str = "（「『【《〈([{";

/// Each line of `text` in rows of at most `width` cells, styles kept.
pub(super) fn lines<'a>(text: impl Into<Text<'a>>, width: usize) -> Vec<Line<'static>> {
    text.into()
        .lines
        .iter()
        .flat_map(|l| line(l, width))
        .collect()
}

/// `text` (no styles) in rows of at most `width` cells.
pub(super) fn rows(text: &str, width: usize) -> Vec<String> {
    lines(text, width).iter().map(Line::to_string).collect()
}

/// One styled character of a row.
type Cell = (char, Style);

fn cells(row: &[Cell]) -> usize {
    row.iter().map(|(c, _)| cols(*c)).sum()
}

fn cols(c: char) -> usize {
    c.width().unwrap_or(0)
}

/// May a row end between `before` and `after`? At a space (the space
/// stays behind, and is dropped), and beside a wide character.
fn breaks_between(before: char, after: char) -> bool {
    if before == ' ' {
        return after != ' ';
    }
    (cols(before) > 1 || cols(after) > 1)
        && after != ' '
        && !NO_BREAK_BEFORE.contains(after)
        && !NO_BREAK_AFTER.contains(before)
}

fn line(line: &Line<'_>, width: usize) -> Vec<Line<'static>> {
    let width = width.max(1);
    let all: Vec<Cell> = line
        .spans
        .iter()
        .flat_map(|s| {
            let style = line.style.patch(s.style);
            s.content.chars().map(move |c| (c, style))
        })
        .collect();
    let mut out: Vec<Vec<Cell>> = Vec::new();
    let mut row: Vec<Cell> = Vec::new();
    // Where the row may be cut: the index of the first cell of the next row.
    let mut cut: Option<usize> = None;
    for &(c, style) in &all {
        if let Some(&(prev, _)) = row.last()
            && breaks_between(prev, c)
        {
            cut = Some(row.len());
        }
        if cells(&row) + cols(c) > width && !row.is_empty() {
            if c == ' ' {
                // A space that would end the row is not carried over.
                out.push(std::mem::take(&mut row));
                cut = None;
                continue;
            }
            let rest = match cut.take() {
                Some(at) if at > 0 => row.split_off(at),
                _ => Vec::new(),
            };
            out.push(trimmed(std::mem::replace(&mut row, rest)));
            if cells(&row) + cols(c) > width {
                out.push(std::mem::take(&mut row));
            }
        }
        row.push((c, style));
    }
    out.push(row);
    out.iter().map(|r| to_line(r, line)).collect()
}

/// A row cut at a space, without the space.
fn trimmed(mut row: Vec<Cell>) -> Vec<Cell> {
    while row.last().is_some_and(|(c, _)| *c == ' ') {
        row.pop();
    }
    row
}

/// Cells back into spans, one per run of the same style.
fn to_line(row: &[Cell], like: &Line<'_>) -> Line<'static> {
    let mut spans: Vec<Span<'static>> = Vec::new();
    for &(c, style) in row {
        match spans.last_mut() {
            Some(s) if s.style == style => s.content.to_mut().push(c),
            _ => spans.push(Span::styled(c.to_string(), style)),
        }
    }
    let mut l = Line::from(spans);
    l.alignment = like.alignment;
    l
}

#[cfg(test)]
mod tests {
    use super::*;
    use ratatui::style::Color;

    #[test]
    fn rows_break_at_spaces_and_inside_long_words() {
        assert_eq!(rows("ab cd ef", 5), ["ab cd", "ef"]);
        assert_eq!(rows("  indented line", 10), ["  indented", "line"]);
        assert_eq!(
            rows("https://x.example/long", 8),
            ["https://", "x.exampl", "e/long"]
        );
        assert_eq!(rows("", 5), [""]);
        assert_eq!(rows("one\ntwo", 5), ["one", "two"]);
    }

    #[test]
    fn chinese_breaks_between_characters_and_never_past_the_width() {
        assert_eq!(rows("密钥存入系统", 5), ["密钥", "存入", "系统"]);
        // 53 cells: ratatui drew all of them in a row of 52.
        let text = "DeepSeek 官方接口：失败时先改用月之暗面，再用本地模型";
        for width in 5..60 {
            for row in rows(text, width) {
                assert!(Line::from(row.as_str()).width() <= width, "{width}: {row}");
            }
        }
        assert_eq!(
            rows("按 n（或 Enter）新建一个", 14),
            ["按 n（或", "Enter）新建一", "个"]
        );
    }

    #[test]
    fn punctuation_stays_with_its_word() {
        // Not "失败时依次改" / "，用", nor a row ending in "（".
        assert_eq!(rows("失败时依次改，用", 12), ["失败时依次", "改，用"]);
        assert_eq!(rows("一二三四（五）", 10), ["一二三四", "（五）"]);
    }

    #[test]
    fn styles_survive_the_wrap() {
        let red = Style::new().fg(Color::Red);
        let l = Line::from(vec![
            Span::raw("熔断 "),
            Span::styled("目标故障已打开", red),
        ]);
        let out = lines(l, 10);
        assert_eq!(out.len(), 2, "{out:?}");
        assert_eq!(out[0].to_string(), "熔断 目标");
        assert_eq!(out[0].spans[1].style, red);
        assert_eq!(out[1].spans[0].style, red);
        assert_eq!(out[1].to_string(), "故障已打开");
    }
}
