//! After claude exits: the command that resumes its session. Claude Code
//! prints `claude --settings /tmp/ccswitch-…json --resume <id>`, which
//! cannot work (the settings file is gone, and nothing serves the proxy's
//! address), so ccswitch prints `ccswitch run PROFILE -- --resume <id>`.
//!
//! The id is the `X-Claude-Code-Session-Id` the proxy saw last. Without a
//! proxy (Anthropic direct, Bedrock, Vertex) it is the newest transcript
//! Claude Code wrote during the run, in `<claude dir>/projects/<cwd with
//! every character but ASCII letters and digits as '-'>/<id>.jsonl`.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::t;

/// Claude Code's own folder: `CLAUDE_CONFIG_DIR`, else `~/.claude`.
pub fn claude_dir(env: &dyn Fn(&str) -> Option<String>, home: Option<&Path>) -> Option<PathBuf> {
    env("CLAUDE_CONFIG_DIR")
        .filter(|d| !d.is_empty())
        .map(PathBuf::from)
        .or_else(|| home.map(|h| h.join(".claude")))
}

/// The folder Claude Code keeps a project's transcripts in.
pub fn project_dir(claude_dir: &Path, cwd: &Path) -> PathBuf {
    claude_dir
        .join("projects")
        .join(project_key(&cwd.to_string_lossy()))
}

/// Claude Code 2.1.332's name for a project folder: every UTF-16 unit
/// that is not an ASCII letter or digit becomes `-` (its JavaScript regex
/// works on units, so a character outside the BMP gives two), and a name
/// over 200 is cut there and given `-` and the path's 32-bit string hash
/// (`h = h * 31 + unit`), unsigned, in base 36. Checked against a real run
/// in a 252-character folder.
fn project_key(path: &str) -> String {
    const MAX: usize = 200;
    let units: Vec<u16> = path.encode_utf16().collect();
    let key: String = units
        .iter()
        .map(|&u| match u8::try_from(u) {
            Ok(b) if b.is_ascii_alphanumeric() => char::from(b),
            _ => '-',
        })
        .collect();
    if key.len() <= MAX {
        return key;
    }
    let hash = units
        .iter()
        .fold(0i32, |h, &u| h.wrapping_mul(31).wrapping_add(i32::from(u)));
    format!("{}-{}", &key[..MAX], base36(hash.unsigned_abs()))
}

fn base36(mut n: u32) -> String {
    const DIGITS: &[u8; 36] = b"0123456789abcdefghijklmnopqrstuvwxyz";
    let mut out = Vec::new();
    loop {
        out.push(DIGITS[(n % 36) as usize]);
        n /= 36;
        if n == 0 {
            break;
        }
    }
    out.reverse();
    String::from_utf8(out).unwrap_or_default()
}

/// The session whose transcript changed last, at or after `since`.
pub fn latest_session(project_dir: &Path, since: SystemTime) -> Option<String> {
    std::fs::read_dir(project_dir)
        .ok()?
        .filter_map(Result::ok)
        .filter(|e| e.path().extension().is_some_and(|x| x == "jsonl"))
        .filter_map(|e| {
            let modified = e.metadata().ok()?.modified().ok()?;
            let id = e.path().file_stem()?.to_str()?.to_string();
            (modified >= since).then_some((modified, id))
        })
        .max()
        .map(|(_, id)| id)
}

/// What Claude Code's own resume hint names as the program to run instead
/// of `claude --settings <a file that is gone> --resume <id>`: it takes a
/// bare word only, so the hint reads `ccswitch --resume <id>`.
pub const HINT_COMMAND_VAR: &str = "CLAUDE_CODE_RESUME_HINT_COMMAND";
pub const HINT_COMMAND: &str = "ccswitch";

/// `Resume this session: ccswitch run p -- --resume <id>`; with no id,
/// `--continue` (the latest session in this folder).
pub fn hint(profile: &str, id: Option<&str>) -> String {
    let command = match id {
        Some(id) => format!("ccswitch run {profile} -- --resume {id}"),
        None => format!("ccswitch run {profile} -- --continue"),
    };
    t!("launch.resume", command = command)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transcripts_are_found_where_claude_code_keeps_them() {
        let dir = tempfile::tempdir().unwrap();
        let project = project_dir(dir.path(), Path::new("/home/ana/my.app_v2"));
        assert!(
            project.ends_with("projects/-home-ana-my-app-v2"),
            "{project:?}"
        );
        std::fs::create_dir_all(&project).unwrap();
        let before = SystemTime::now() - std::time::Duration::from_secs(5);
        assert_eq!(latest_session(&project, before), None);
        std::fs::write(project.join("0b5c2e6a-1.jsonl"), "{}\n").unwrap();
        std::fs::write(project.join("notes.txt"), "").unwrap();
        assert_eq!(
            latest_session(&project, before).as_deref(),
            Some("0b5c2e6a-1")
        );
        let later = SystemTime::now() + std::time::Duration::from_secs(60);
        assert_eq!(latest_session(&project, later), None, "older than the run");
    }

    #[test]
    fn long_and_non_bmp_folders_are_named_as_claude_code_names_them() {
        // The folder Claude Code 2.1.332 made for this working directory.
        let deep: Vec<String> = (0..7)
            .map(|i| format!("segment_with_a_fairly_long_name_{i:02}"))
            .collect();
        let cwd = format!("/tmp/lp/{}", deep.join("/"));
        let want = "-tmp-lp-segment-with-a-fairly-long-name-00-segment-with-a-fairly-long-name-01-\
                    segment-with-a-fairly-long-name-02-segment-with-a-fairly-long-name-03-\
                    segment-with-a-fairly-long-name-04-segment-with-a-fa-il0ilh";
        assert_eq!(project_key(&cwd), want);
        // One unit, one dash: é is one, an emoji two.
        assert_eq!(project_key("/a/é/😀"), "-a-----");
    }

    #[test]
    fn the_hint_runs_through_ccswitch() {
        crate::i18n::set_lang(crate::i18n::Lang::En);
        assert!(hint("p", Some("abc")).contains("ccswitch run p -- --resume abc"));
        assert!(hint("p", None).contains("ccswitch run p -- --continue"));
    }
}
