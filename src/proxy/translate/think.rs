//! Inline `<think>...</think>` reasoning (MiniMax's OpenAI layer, local
//! servers running reasoning models) split out of content text, safely
//! across chunk boundaries.

/// A piece of content after splitting.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Piece {
    Thinking(String),
    Text(String),
}

const OPEN: &str = "<think>";
const CLOSE: &str = "</think>";

/// Streaming splitter: feed content deltas, get thinking/text pieces.
///
/// A tag may be cut anywhere between two chunks, so a suffix that could be
/// the start of a tag is held back until the next chunk decides it.
#[derive(Debug, Default)]
pub struct ThinkSplitter {
    inside: bool,
    held: String,
    /// Leading whitespace before a first `<think>` is not text.
    seen_content: bool,
}

impl ThinkSplitter {
    pub fn new() -> ThinkSplitter {
        ThinkSplitter::default()
    }

    pub fn push(&mut self, chunk: &str) -> Vec<Piece> {
        let mut buf = std::mem::take(&mut self.held);
        buf.push_str(chunk);
        let mut out = Vec::new();
        loop {
            let tag = if self.inside { CLOSE } else { OPEN };
            match buf.find(tag) {
                Some(at) => {
                    self.emit(&buf[..at], &mut out);
                    buf.drain(..at + tag.len());
                    self.inside = !self.inside;
                }
                None => {
                    let keep = partial_suffix(&buf, tag);
                    let cut = buf.len() - keep;
                    self.emit(&buf[..cut], &mut out);
                    self.held = buf[cut..].to_string();
                    return out;
                }
            }
        }
    }

    /// End of content: whatever is held is what it looked like.
    pub fn finish(&mut self) -> Vec<Piece> {
        let held = std::mem::take(&mut self.held);
        let mut out = Vec::new();
        self.emit(&held, &mut out);
        out
    }

    fn emit(&mut self, s: &str, out: &mut Vec<Piece>) {
        if s.is_empty() {
            return;
        }
        if self.inside {
            out.push(Piece::Thinking(s.to_string()));
        } else {
            // Models put "\n\n" between </think> and the answer; a text
            // block that starts with it looks broken.
            let s = if self.seen_content { s } else { s.trim_start() };
            if !s.is_empty() {
                self.seen_content = true;
                out.push(Piece::Text(s.to_string()));
            }
        }
    }
}

/// Length of the longest suffix of `s` that is a proper prefix of `tag`.
fn partial_suffix(s: &str, tag: &str) -> usize {
    (1..tag.len())
        .rev()
        .find(|&n| {
            s.len() >= n && s.is_char_boundary(s.len() - n) && tag.starts_with(&s[s.len() - n..])
        })
        .unwrap_or(0)
}

/// Split a whole text (non-streaming responses): (thinking, text).
pub fn split_whole(text: &str) -> (String, String) {
    let mut s = ThinkSplitter::new();
    let mut pieces = s.push(text);
    pieces.extend(s.finish());
    let mut thinking = String::new();
    let mut out = String::new();
    for p in pieces {
        match p {
            Piece::Thinking(t) => thinking.push_str(&t),
            Piece::Text(t) => out.push_str(&t),
        }
    }
    (thinking, out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(chunks: &[&str]) -> Vec<Piece> {
        let mut s = ThinkSplitter::new();
        let mut out: Vec<Piece> = chunks.iter().flat_map(|c| s.push(c)).collect();
        out.extend(s.finish());
        // Merge neighbours of the same kind so chunking does not matter.
        let mut merged: Vec<Piece> = Vec::new();
        for p in out {
            match (merged.last_mut(), p) {
                (Some(Piece::Thinking(a)), Piece::Thinking(b)) => a.push_str(&b),
                (Some(Piece::Text(a)), Piece::Text(b)) => a.push_str(&b),
                (_, p) => merged.push(p),
            }
        }
        merged
    }

    #[test]
    fn splits_regardless_of_chunk_boundaries() {
        let whole = "<think>plan it</think>\n\nThe answer.";
        let want = vec![
            Piece::Thinking("plan it".into()),
            Piece::Text("The answer.".into()),
        ];
        assert_eq!(run(&[whole]), want);
        for i in 0..whole.len() {
            let (a, b) = whole.split_at(i);
            assert_eq!(run(&[a, b]), want, "split at {i}");
        }
        let bytes: Vec<String> = whole.chars().map(String::from).collect();
        let refs: Vec<&str> = bytes.iter().map(String::as_str).collect();
        assert_eq!(run(&refs), want);
    }

    #[test]
    fn text_without_tags_and_lookalikes_pass_through() {
        assert_eq!(
            run(&["a < b and <thin", "king> is fine"]),
            vec![Piece::Text("a < b and <thinking> is fine".into())]
        );
        assert_eq!(
            run(&["ends with <thi"]),
            vec![Piece::Text("ends with <thi".into())]
        );
        assert_eq!(split_whole("plain"), (String::new(), "plain".into()));
    }

    #[test]
    fn unclosed_thinking_stays_thinking() {
        assert_eq!(
            run(&["<think>still going"]),
            vec![Piece::Thinking("still going".into())]
        );
        assert_eq!(split_whole("  <think>x</think>y"), ("x".into(), "y".into()));
    }
}
