//! Plain-text tables for the CLI: left-aligned columns sized to their widest cell (counted in
//! characters), two spaces apart, an upper-case header line first.

/// Renders `rows` under `header`; every row must have `header.len()` cells.
pub fn render(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let mut out = String::new();
    let header: Vec<String> = header.iter().map(|h| (*h).to_owned()).collect();
    for row in std::iter::once(&header).chain(rows) {
        let mut line = String::new();
        for (i, (cell, w)) in row.iter().zip(&widths).enumerate() {
            if i > 0 {
                line.push_str("  ");
            }
            line.push_str(cell);
            if i + 1 < widths.len() {
                let pad = w.saturating_sub(cell.chars().count());
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::render;

    #[test]
    fn columns_are_aligned_by_characters() {
        let rows = vec![
            vec!["Порт".to_owned(), "1".to_owned()],
            vec!["KTZ Express".to_owned(), "22".to_owned()],
        ];
        let text = render(&["ORG", "N"], &rows);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines[0], "ORG          N");
        assert_eq!(lines[1], "Порт         1");
        assert_eq!(lines[2], "KTZ Express  22");
    }
}
