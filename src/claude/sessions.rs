//! Claude Code's saved sessions in one project folder (see `resume` for
//! where that is), newest first, each with a one-line title: what the TUI
//! offers to resume.
//!
//! A transcript is `<session id>.jsonl`, one JSON object a line, and can be
//! hundreds of MB (tool results are kept whole). Only its head is read: up
//! to the first prompt the user typed, never more than [`CAP`] bytes.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde::Deserialize;

/// The most of a transcript read for its title.
pub const CAP: u64 = 256 * 1024;

/// A title's length, in characters.
pub const TITLE_CHARS: usize = 80;

/// One saved session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Transcript {
    pub id: String,
    /// When Claude Code last wrote to it.
    pub modified: SystemTime,
    pub path: PathBuf,
}

/// The `limit` sessions written to last, newest first; none when the
/// folder does not exist (nothing was ever run there). Only file names and
/// times are read here: titles cost a read each, so they are asked for
/// only for the sessions that are shown ([`Transcript::title`]).
pub fn newest(project_dir: &Path, limit: usize) -> Vec<Transcript> {
    let Ok(entries) = std::fs::read_dir(project_dir) else {
        return Vec::new();
    };
    let mut all: Vec<Transcript> = entries
        .filter_map(Result::ok)
        .filter_map(|e| {
            let path = e.path();
            if path.extension()? != "jsonl" {
                return None;
            }
            let meta = e.metadata().ok().filter(std::fs::Metadata::is_file)?;
            let id = path.file_stem()?.to_str()?.to_string();
            Some(Transcript {
                id,
                modified: meta.modified().ok()?,
                path,
            })
        })
        .collect();
    // Equal times by id, so the list reads the same every time.
    all.sort_by(|a, b| b.modified.cmp(&a.modified).then_with(|| a.id.cmp(&b.id)));
    all.truncate(limit);
    all
}

impl Transcript {
    /// Its title, or `None` when its head holds no prompt (or it cannot be
    /// read).
    pub fn title(&self) -> Option<String> {
        let file = File::open(&self.path).ok()?;
        title_from(BufReader::new(file.take(CAP)))
    }
}

/// A title from the head of a transcript: the first summary line or real
/// prompt, whichever comes first, on one line.
///
/// Reading stops at the first prompt. A summary line Claude Code put at
/// the head of a transcript is found; one appended further down is not
/// looked for, as finding it means reading the whole file, and the first
/// prompt is a fair title too.
pub fn title_from(mut head: impl BufRead) -> Option<String> {
    let mut line = Vec::new();
    loop {
        line.clear();
        match head.read_until(b'\n', &mut line) {
            Ok(0) | Err(_) => return None,
            Ok(_) => {}
        }
        // A line cut short by the cap is not JSON, so it is no title either.
        let Ok(text) = std::str::from_utf8(&line) else {
            continue;
        };
        match entry(text) {
            TranscriptLine::Summary(s) | TranscriptLine::Prompt(s) => {
                return Some(one_line(&s, TITLE_CHARS));
            }
            TranscriptLine::Other => {}
        }
    }
}

/// What one transcript line is, for titles.
#[derive(Debug, PartialEq, Eq)]
pub enum TranscriptLine {
    /// `{"type":"summary","summary":"..."}`.
    Summary(String),
    /// Something the user typed.
    Prompt(String),
    /// Anything else: the assistant's turns, tool results, commands,
    /// context Claude Code added, lines that are not JSON.
    Other,
}

/// Texts that a `user` line can start with and the user did not type:
/// slash commands and their output, shell (`!`) commands, the caveat
/// Claude Code puts before local command output, reminders and IDE
/// context it adds, and the note left when a turn is interrupted.
const NOT_TYPED: &[&str] = &[
    "<command-name>",
    "<command-message>",
    "<command-args>",
    "<local-command",
    "<bash-",
    "Caveat:",
    "<system-reminder>",
    "<ide_",
    "[Request interrupted",
];

#[derive(Deserialize)]
struct Line {
    #[serde(rename = "type", default)]
    kind: String,
    summary: Option<String>,
    message: Option<Message>,
    // Claude Code's own additions: expanded commands and reminders (meta),
    // a subagent's conversation (sidechain), the summary a compacted
    // session starts from.
    #[serde(rename = "isMeta")]
    is_meta: Option<bool>,
    #[serde(rename = "isSidechain")]
    is_sidechain: Option<bool>,
    #[serde(rename = "isCompactSummary")]
    is_compact_summary: Option<bool>,
}

#[derive(Deserialize)]
struct Message {
    content: Option<Content>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum Content {
    Text(String),
    Blocks(Vec<Block>),
}

#[derive(Deserialize)]
struct Block {
    #[serde(rename = "type", default)]
    kind: String,
    text: Option<String>,
}

/// What a transcript line is.
pub fn entry(line: &str) -> TranscriptLine {
    // Most lines are the assistant's and tool output: no need to parse them.
    if !line.contains("\"user\"") && !line.contains("\"summary\"") {
        return TranscriptLine::Other;
    }
    let Ok(l) = serde_json::from_str::<Line>(line) else {
        return TranscriptLine::Other;
    };
    let added = [l.is_meta, l.is_sidechain, l.is_compact_summary]
        .into_iter()
        .any(|f| f == Some(true));
    let found = match l.kind.as_str() {
        "summary" => l
            .summary
            .filter(|s| !s.trim().is_empty())
            .map(TranscriptLine::Summary),
        "user" if !added => l
            .message
            .and_then(|m| m.content)
            .and_then(typed)
            .map(TranscriptLine::Prompt),
        _ => None,
    };
    found.unwrap_or(TranscriptLine::Other)
}

/// The text the user typed, if the content is that: a tool result is not,
/// and neither are blocks Claude Code adds next to a prompt.
fn typed(content: Content) -> Option<String> {
    let texts = match content {
        Content::Text(t) => vec![t],
        Content::Blocks(blocks) => {
            if blocks.iter().any(|b| b.kind == "tool_result") {
                return None;
            }
            blocks
                .into_iter()
                .filter(|b| b.kind == "text")
                .filter_map(|b| b.text)
                .collect()
        }
    };
    let words: Vec<&str> = texts
        .iter()
        .map(|t| t.trim())
        .filter(|t| !t.is_empty() && !NOT_TYPED.iter().any(|m| t.starts_with(m)))
        .collect();
    (!words.is_empty()).then(|| words.join(" "))
}

/// `text` with every run of whitespace as one space, cut to `max`
/// characters (the last one then `…`).
pub fn one_line(text: &str, max: usize) -> String {
    let mut out = String::new();
    let mut chars = 0;
    for word in text.split_whitespace() {
        // A pasted file can be megabytes: stop once past the cut.
        if chars > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
            chars += 1;
        }
        out.push_str(word);
        chars += word.chars().count();
    }
    if chars <= max {
        return out;
    }
    let mut cut: String = out.chars().take(max.saturating_sub(1)).collect();
    cut.truncate(cut.trim_end().len());
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests;
