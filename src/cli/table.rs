//! Plain aligned tables for terminal output.

use std::io::Write;

use unicode_width::UnicodeWidthStr;

pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[impl AsRef<str>]) -> Table {
        Table {
            rows: vec![header.iter().map(|h| h.as_ref().to_string()).collect()],
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn write(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let cols = self.rows.iter().map(Vec::len).max().unwrap_or(0);
        let widths: Vec<usize> = (0..cols)
            .map(|c| {
                self.rows
                    .iter()
                    .map(|r| r.get(c).map_or(0, |s| s.width()))
                    .max()
                    .unwrap_or(0)
            })
            .collect();
        for row in &self.rows {
            let mut line = String::new();
            for (c, cell) in row.iter().enumerate() {
                if c + 1 == row.len() {
                    line.push_str(cell);
                } else {
                    // Cells, not chars: a Chinese label is two a character.
                    let pad = widths[c] - cell.width();
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad + 2));
                }
            }
            writeln!(out, "{}", line.trim_end())?;
        }
        Ok(())
    }
}

/// `value` as pretty JSON, for `--json`.
pub fn json(
    out: &mut dyn Write,
    value: &impl serde::Serialize,
) -> Result<(), super::error::CliError> {
    serde_json::to_writer_pretty(&mut *out, value)
        .map_err(|e| super::error::CliError::Failed(e.to_string()))?;
    writeln!(out)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::Table;

    #[test]
    fn columns_line_up_by_display_width() {
        let mut t = Table::new(&["配置档", "work"]);
        t.row(vec!["main".into(), "deepseek-v4-pro".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        let out = String::from_utf8(out).unwrap();
        assert_eq!(out, "配置档  work\nmain    deepseek-v4-pro\n");
    }
}
