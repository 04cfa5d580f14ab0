//! Finds Mermaid `journey` diagrams inside Markdown: fenced code blocks whose
//! info string is `mermaid` and whose first statement is `journey`.

use std::ops::Range;

/// A journey diagram inside a Markdown file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// Byte range of the diagram text (between the fences) in the file.
    pub range: Range<usize>,
    /// 1-based line of the opening fence.
    pub fence_line: usize,
}

/// Every ```` ```mermaid ```` (or `~~~mermaid`) block holding a journey, in order.
pub fn journey_blocks(markdown: &str) -> Vec<Block> {
    let mut blocks = Vec::new();
    let mut open: Option<(char, usize, bool, usize, usize)> = None; // fence char, len, is mermaid, content start, line
    let mut offset = 0;
    for (index, line) in markdown.split_inclusive('\n').enumerate() {
        let text = line.trim_end_matches(['\n', '\r']);
        let indent = text.len() - text.trim_start_matches(' ').len();
        let body = &text[indent..];
        match open {
            None if indent <= 3 => {
                if let Some((fence, len)) = fence(body) {
                    let info = body[len..].trim();
                    let lang = info.split(|c: char| c.is_whitespace() || c == '{').next().unwrap_or("");
                    open = Some((fence, len, lang.eq_ignore_ascii_case("mermaid"), offset + line.len(), index + 1));
                }
            }
            Some((ch, len, is_mermaid, start, fence_line)) => {
                if let Some((c, l)) = fence(body) {
                    if indent <= 3 && c == ch && l >= len && body[l..].trim().is_empty() {
                        if is_mermaid && starts_with_journey(&markdown[start..offset]) {
                            blocks.push(Block { range: start..offset, fence_line });
                        }
                        open = None;
                    }
                }
            }
            None => {}
        }
        offset += line.len();
    }
    if let Some((_, _, true, start, fence_line)) = open {
        // An unclosed fence runs to the end of the document, as in CommonMark.
        if starts_with_journey(&markdown[start..]) {
            blocks.push(Block { range: start..markdown.len(), fence_line });
        }
    }
    blocks
}

fn fence(body: &str) -> Option<(char, usize)> {
    let ch = body.chars().next().filter(|c| *c == '`' || *c == '~')?;
    let len = body.chars().take_while(|c| *c == ch).count();
    (len >= 3 && !(ch == '`' && body[len..].contains('`'))).then_some((ch, len))
}

/// True when the first line that is not blank, a comment, a directive or
/// front matter is `journey`.
fn starts_with_journey(text: &str) -> bool {
    let mut in_front_matter = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim();
        if i == 0 && t == "---" {
            in_front_matter = true;
            continue;
        }
        if in_front_matter {
            in_front_matter = t != "---";
            continue;
        }
        if t.is_empty() || t.starts_with("%%") {
            continue;
        }
        return t == "journey" || t.starts_with("journey ") || t.starts_with("journey\t");
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_only_journey_blocks() {
        let md = "# Doc\n\n```mermaid\nflowchart LR\n  a-->b\n```\n\ntext\n\n```mermaid\n%% c\njourney\n  title T\n```\n\n~~~~ Mermaid\njourney\n~~~~\n";
        let blocks = journey_blocks(md);
        assert_eq!(blocks.len(), 2);
        assert_eq!(&md[blocks[0].range.clone()], "%% c\njourney\n  title T\n");
        assert_eq!(blocks[0].fence_line, 10);
        assert_eq!(&md[blocks[1].range.clone()], "journey\n");
    }

    #[test]
    fn unclosed_fence_runs_to_the_end() {
        let md = "```mermaid\njourney\n  title T";
        assert_eq!(&md[journey_blocks(md)[0].range.clone()], "journey\n  title T");
    }
}
