//! Column alignment with the semantics of Go's text/tabwriter (space padding, no flags).
//!
//! Cells are tab-terminated: the text after a line's last tab is not part of any column and
//! is never padded. A column block is a run of consecutive lines that all have a cell in that
//! column; each block gets its own width (`max(minwidth, widest cell + padding)`).

/// Go's `tabwriter.NewWriter(w, minwidth, tabwidth, padding, ' ', flags)` settings.
#[derive(Debug, Clone, Copy)]
pub struct TabSettings {
    /// Minimal cell width including padding.
    pub min_width: usize,
    /// Padding added to the widest cell of a column.
    pub padding: usize,
}

impl TabSettings {
    /// Podman's table settings (`report.NewWriterDefault`: minwidth 12, tabwidth 2,
    /// padding 2, padchar ' '); tabwidth only matters when padding with tabs.
    pub const PODMAN: TabSettings = TabSettings {
        min_width: 12,
        padding: 2,
    };
}

/// Aligns tab-separated text. Text without a final newline keeps its last line unterminated.
pub fn align(text: &str, settings: TabSettings) -> String {
    let mut lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let ends_with_newline = text.ends_with('\n');
    if ends_with_newline {
        lines.pop();
    }
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format_block(&lines, 0, lines.len(), &mut widths, settings, &mut out);
    if !ends_with_newline && out.ends_with('\n') {
        out.pop();
    }
    out
}

fn cell_width(c: &str) -> usize {
    c.chars().count()
}

/// Go's `Writer.format`: recursively find column blocks for column `widths.len()`.
fn format_block(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    settings: TabSettings,
    out: &mut String,
) {
    let column = widths.len();
    let mut this = line0;
    while this < line1 {
        if column + 1 >= lines[this].len() {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = settings.min_width;
        while this < line1 && column + 1 < lines[this].len() {
            width = width.max(cell_width(lines[this][column]) + settings.padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, settings, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for line in &lines[from..to] {
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if j < widths.len() {
                let w = cell_width(cell);
                out.extend(std::iter::repeat_n(' ', widths[j].saturating_sub(w)));
            }
        }
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn podman_table() {
        let text = "Identity\tValue\nc061a0839e\tone\nf10fc2e11057\ttwo\n1eb6fab5aa8f4b5cbfd3e66aa35e9b2a\tthree\n";
        assert_eq!(
            align(text, TabSettings::PODMAN),
            "Identity                          Value\nc061a0839e                        one\nf10fc2e11057                      two\n1eb6fab5aa8f4b5cbfd3e66aa35e9b2a  three\n"
        );
    }

    #[test]
    fn min_width_and_trailing_cell() {
        assert_eq!(
            align("Value\tIdent\nIdentity\tID\n", TabSettings::PODMAN),
            "Value       Ident\nIdentity    ID\n"
        );
        // Trailing cells are not padded, a tab-terminated last cell is.
        assert_eq!(
            align("a\tb\t\n", TabSettings::PODMAN),
            "a           b           \n"
        );
    }

    #[test]
    fn blocks_are_separate() {
        // A line without tabs ends the column block.
        let got = align(
            "a\tb\nno tabs here\nlonger-cell-xx\tc\n",
            TabSettings::PODMAN,
        );
        assert_eq!(got, "a           b\nno tabs here\nlonger-cell-xx  c\n");
    }

    #[test]
    fn unterminated_last_line() {
        assert_eq!(align("a\tb", TabSettings::PODMAN), "a           b");
    }
}
