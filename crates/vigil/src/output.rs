//! Rendering for people (aligned tables) and for scripts (JSON). Table cells are sanitised:
//! event data is attacker-controlled and must not drive the terminal (escape sequences,
//! carriage returns), so control characters are shown as `\u{..}` escapes.

use std::io::{self, Write};

/// Replaces control characters (C0, DEL, C1) so hostile strings cannot rewrite the terminal,
/// and cuts the cell at `max` characters.
pub fn cell(text: &str, max: usize) -> String {
    let mut out = String::with_capacity(text.len().min(max + 8));
    for (n, c) in text.chars().enumerate() {
        if n >= max {
            out.push('…');
            break;
        }
        if c.is_control() {
            out.push_str(&c.escape_unicode().to_string());
        } else {
            out.push(c);
        }
    }
    out
}

/// An aligned text table.
pub struct Table {
    header: Vec<&'static str>,
    rows: Vec<Vec<String>>,
}

impl Table {
    pub fn new(header: Vec<&'static str>) -> Self {
        Table {
            header,
            rows: Vec::new(),
        }
    }

    pub fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    pub fn write(&self, out: &mut impl Write) -> io::Result<()> {
        let mut widths: Vec<usize> = self.header.iter().map(|h| h.chars().count()).collect();
        for row in &self.rows {
            for (i, c) in row.iter().enumerate() {
                if let Some(w) = widths.get_mut(i) {
                    *w = (*w).max(c.chars().count());
                }
            }
        }
        let line = |out: &mut dyn Write, cells: &mut dyn Iterator<Item = &str>| -> io::Result<()> {
            let mut first = true;
            let mut text = String::new();
            for (i, c) in cells.enumerate() {
                if !first {
                    text.push_str("  ");
                }
                first = false;
                let w = widths.get(i).copied().unwrap_or(0);
                text.push_str(c);
                for _ in c.chars().count()..w {
                    text.push(' ');
                }
            }
            writeln!(out, "{}", text.trim_end())
        };
        line(out, &mut self.header.iter().copied())?;
        for row in &self.rows {
            line(out, &mut row.iter().map(String::as_str))?;
        }
        Ok(())
    }
}

/// Writes one JSON document followed by a newline.
pub fn write_json(out: &mut impl Write, value: &impl serde::Serialize) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, value)?;
    writeln!(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_cannot_reach_the_terminal() {
        let hostile = "ok\u{1b}[2J\rgone\u{9b}";
        let c = cell(hostile, 100);
        assert!(!c.chars().any(char::is_control), "{c:?}");
        assert!(c.starts_with("ok\\u{1b}[2J"));
        assert_eq!(cell("abcdef", 3), "abc…");
    }

    #[test]
    fn tables_align() {
        let mut t = Table::new(vec!["a", "bee"]);
        t.row(vec!["long value".into(), "x".into()]);
        let mut out = Vec::new();
        t.write(&mut out).unwrap();
        assert_eq!(
            String::from_utf8(out).unwrap(),
            "a           bee\nlong value  x\n"
        );
    }
}
