//! Plain aligned tables for terminal output.

use std::io::Write;

pub struct Table {
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: &[&str]) -> Table {
        Table {
            rows: vec![
                header
                    .iter()
                    .map(std::string::ToString::to_string)
                    .collect(),
            ],
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
                    .map(|r| r.get(c).map_or(0, |s| s.chars().count()))
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
                    let pad = widths[c] - cell.chars().count();
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
