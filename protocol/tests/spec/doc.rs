//! Reading docs/PROTOCOL.md: its sections, code blocks, labelled values and
//! hex dumps, so the tests check the values where they are written.
//! (Each test crate that includes it uses only some of it.)
#![allow(dead_code)]

/// The normative document, as committed next to the code.
pub const PROTOCOL: &str = include_str!("../../../docs/PROTOCOL.md");

/// The text of the section whose heading line starts with `heading` (e.g.
/// `"### 11.3 "`), up to the next heading of the same or a higher level.
pub fn section(heading: &str) -> &'static str {
    let level = heading.chars().take_while(|c| *c == '#').count();
    let start = PROTOCOL
        .lines()
        .position(|l| l.starts_with(heading))
        .unwrap_or_else(|| panic!("PROTOCOL.md has no heading {heading:?}"));
    let lines: Vec<&str> = PROTOCOL.lines().collect();
    let mut out = String::new();
    for line in &lines[start + 1..] {
        let hashes = line.chars().take_while(|c| *c == '#').count();
        if hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            break;
        }
        out.push_str(line);
        out.push('\n');
    }
    Box::leak(out.into_boxed_str())
}

/// The fenced code blocks of `lang` ("text", "json") in `text`, in order,
/// each with the last non-empty line before it (what introduces it).
pub fn blocks(text: &str, lang: &str) -> Vec<(String, String)> {
    let mut out = Vec::new();
    let mut current: Option<String> = None;
    let mut before = String::new();
    let fence = format!("```{lang}");
    for line in text.lines() {
        match current.as_mut() {
            Some(body) if line.trim_end() == "```" => {
                out.push((before.clone(), std::mem::take(body)));
                current = None;
            }
            Some(body) => {
                body.push_str(line);
                body.push('\n');
            }
            None if line.trim_end() == fence => current = Some(String::new()),
            None => {
                if !line.trim().is_empty() {
                    before = line.to_owned();
                }
            }
        }
    }
    assert!(current.is_none(), "an unclosed ```{lang} block");
    out
}

/// Hex to bytes; panics (fails the test) on anything else.
pub fn unhex(s: &str) -> Vec<u8> {
    hex::decode(s).unwrap_or_else(|e| panic!("not hex: {s:?}: {e}"))
}

fn is_hex_token(t: &str) -> bool {
    t.len() >= 2 && t.len().is_multiple_of(2) && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// One piece of a hex dump: bytes, or bytes the document elides with `…`
/// (a known prefix and suffix; the length is the 4-byte length before it).
enum Piece {
    Bytes(Vec<u8>),
    Elided(Vec<u8>, Vec<u8>),
}

/// A hex dump as the document writes them: lines of an optional 4-digit
/// offset, then hex tokens, then a comment; continuation lines of hex only;
/// `total N bytes`. Offsets and totals are checked against the bytes read so
/// far (the first offset is the base, for dumps that start midway; a total
/// counts from offset 0), and the
/// bytes are compared with `actual` (elided parts match any bytes of the
/// announced length). Returns the number of dump lines that carried bytes.
pub fn assert_dump(dump: &str, actual: &[u8], what: &str) -> usize {
    let mut pieces = Vec::new();
    let mut len = 0usize;
    let mut base: Option<usize> = None;
    let mut total: Option<usize> = None;
    let mut lines = 0;
    for line in dump.lines() {
        let trimmed = line.trim();
        if let Some(rest) = trimmed.strip_prefix("total ") {
            let n = rest.trim_end_matches(" bytes").trim();
            total = Some(
                n.parse()
                    .unwrap_or_else(|_| panic!("{what}: bad total {line:?}")),
            );
            continue;
        }
        let mut tokens = trimmed.split_whitespace().peekable();
        if !line.starts_with(' ') {
            if let Some(off) = tokens.peek().filter(|t| t.len() == 4 && is_hex_token(t)) {
                let off = usize::from_str_radix(off, 16).unwrap();
                let base = *base.get_or_insert(off);
                assert_eq!(off, base + len, "{what}: offset of {line:?}");
                tokens.next();
            }
        }
        let mut any = false;
        for t in tokens {
            if let Some((pre, suf)) = t.split_once('…') {
                if is_hex_token(pre) && is_hex_token(suf) {
                    let n = match pieces.last() {
                        Some(Piece::Bytes(b)) if b.len() >= 4 => {
                            u32::from_be_bytes(b[b.len() - 4..].try_into().unwrap()) as usize
                        }
                        _ => panic!("{what}: an elision without a length before it"),
                    };
                    pieces.push(Piece::Elided(unhex(pre), unhex(suf)));
                    len += n;
                    any = true;
                    continue;
                }
            }
            if !is_hex_token(t) {
                break;
            }
            let b = unhex(t);
            len += b.len();
            pieces.push(Piece::Bytes(b));
            any = true;
        }
        lines += usize::from(any);
    }
    if let Some(total) = total {
        assert_eq!(total, base.unwrap_or(0) + len, "{what}: the stated total");
    }
    assert_eq!(
        actual.len(),
        len,
        "{what}: length (doc {len}, code {})",
        actual.len()
    );
    let mut at = 0;
    for p in &pieces {
        match p {
            Piece::Bytes(b) => {
                assert_eq!(
                    hex::encode(&actual[at..at + b.len()]),
                    hex::encode(b),
                    "{what}: bytes at offset {at:#x}"
                );
                at += b.len();
            }
            Piece::Elided(pre, suf) => {
                let n = u32::from_be_bytes(actual[at - 4..at].try_into().unwrap()) as usize;
                assert!(
                    actual[at..at + n].starts_with(pre),
                    "{what}: elided start at {at:#x}"
                );
                assert!(
                    actual[at..at + n].ends_with(suf),
                    "{what}: elided end at {at:#x}"
                );
                at += n;
            }
        }
    }
    assert!(lines > 0, "{what}: the dump is empty");
    lines
}

/// The value written as `label = value` (or `label` on one line and
/// `= value` on the next) in `text`, with its hex continuation lines joined.
/// A quoted value is returned without its quotes.
pub fn labelled(text: &str, label: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let i = lines
        .iter()
        .position(|l| {
            l.trim_start()
                .strip_prefix(label)
                .is_some_and(|rest| rest.trim_start().starts_with('=') || rest.trim().is_empty())
        })
        .unwrap_or_else(|| panic!("no value labelled {label:?}"));
    let mut rest = lines[i].trim_start()[label.len()..].trim().to_owned();
    let mut next = i + 1;
    if rest.is_empty() {
        rest = lines[next].trim().to_owned();
        next += 1;
    }
    let value = rest
        .strip_prefix('=')
        .unwrap_or_else(|| panic!("{label}: no `=`"))
        .trim();
    if let Some(q) = value.strip_prefix('"') {
        return q.split('"').next().unwrap_or_default().to_owned();
    }
    let mut out: String = value
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    assert!(is_hex_token(&out), "{label}: not hex: {value:?}");
    while let Some(l) = lines.get(next) {
        let t = l.trim();
        if l.starts_with(' ') && is_hex_token(t) {
            out.push_str(t);
            next += 1;
        } else {
            break;
        }
    }
    out
}

/// The lines of `text` from the first line starting (after indentation)
/// with `from` (exclusive) up to the next line starting with `to`.
pub fn between(text: &str, from: &str, to: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    let mut found = false;
    for line in text.lines() {
        if inside && line.trim_start().starts_with(to) {
            return out;
        }
        if inside {
            out.push_str(line);
            out.push('\n');
        }
        if !found && line.trim_start().starts_with(from) {
            inside = true;
            found = true;
        }
    }
    assert!(found, "no line starting with {from:?}");
    out
}

/// A markdown table's rows (header and separator dropped), cells trimmed
/// and stripped of backticks.
pub fn table_rows(text: &str) -> Vec<Vec<String>> {
    text.lines()
        .filter(|l| l.starts_with('|'))
        .skip(2)
        .map(|l| {
            l.trim_matches('|')
                .split('|')
                .map(|c| c.trim().trim_matches('`').to_owned())
                .collect()
        })
        .collect()
}

/// The hex of a one-string block (its lines up to the first empty one), joined.
pub fn joined_hex(block: &str) -> Vec<u8> {
    let s: String = block
        .lines()
        .take_while(|l| !l.trim().is_empty())
        .flat_map(str::split_whitespace)
        .collect();
    unhex(&s)
}
