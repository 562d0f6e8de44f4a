//! The value walker behind [`super::canonical`] and [`super::python`]: one recursive writer,
//! parameterised by [`Style`] (key order, separators, ASCII escaping).

use std::fmt::Write as _;

use serde_json::{Map, Number, Value};

use super::{JsonError, MAX_DEPTH};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Style {
    /// Sorted keys, `,`/`:`, raw UTF-8.
    Canonical,
    /// Insertion order, `, `/`: `, ASCII with `\uXXXX` escapes.
    Python,
}

impl Style {
    fn item_separator(self) -> &'static str {
        match self {
            Style::Canonical => ",",
            Style::Python => ", ",
        }
    }

    fn key_separator(self) -> &'static str {
        match self {
            Style::Canonical => ":",
            Style::Python => ": ",
        }
    }
}

pub(super) fn write(
    out: &mut String,
    value: &Value,
    style: Style,
    depth: usize,
) -> Result<(), JsonError> {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(true) => out.push_str("true"),
        Value::Bool(false) => out.push_str("false"),
        Value::Number(n) => write_number(out, n)?,
        Value::String(s) => write_string(out, s, style),
        Value::Array(items) => {
            let depth = deeper(depth)?;
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(style.item_separator());
                }
                write(out, item, style, depth)?;
            }
            out.push(']');
        }
        Value::Object(map) => write_object(out, map, style, deeper(depth)?)?,
    }
    Ok(())
}

/// [`write`] of `Value::Object(map)`, given the map.
pub(super) fn write_map(
    out: &mut String,
    map: &Map<String, Value>,
    style: Style,
    depth: usize,
) -> Result<(), JsonError> {
    write_object(out, map, style, deeper(depth)?)
}

fn deeper(depth: usize) -> Result<usize, JsonError> {
    if depth >= MAX_DEPTH {
        Err(JsonError::TooDeep)
    } else {
        Ok(depth + 1)
    }
}

fn write_object(
    out: &mut String,
    map: &Map<String, Value>,
    style: Style,
    depth: usize,
) -> Result<(), JsonError> {
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    if style == Style::Canonical {
        // Python's `sort_keys` compares `str`s by code point. Rust's `String` ordering compares
        // the UTF-8 bytes, and UTF-8 byte order equals code-point order (even for astral vs
        // BMP characters, unlike UTF-16), so a plain sort matches Python exactly.
        entries.sort_by(|a, b| a.0.cmp(b.0));
    }
    out.push('{');
    for (i, (key, item)) in entries.into_iter().enumerate() {
        if i > 0 {
            out.push_str(style.item_separator());
        }
        write_string(out, key, style);
        out.push_str(style.key_separator());
        write(out, item, style, depth)?;
    }
    out.push('}');
    Ok(())
}

fn write_number(out: &mut String, n: &Number) -> Result<(), JsonError> {
    if let Some(i) = n.as_i64() {
        out.push_str(&i.to_string());
    } else if let Some(u) = n.as_u64() {
        out.push_str(&u.to_string());
    } else {
        return Err(JsonError::Float);
    }
    Ok(())
}

/// Whether byte `b` of a string cannot be copied as is: quotes, backslashes and control
/// characters always; in the Python style also DEL and every byte of a non-ASCII character.
fn needs_escape(b: u8, style: Style) -> bool {
    b < 0x20 || b == b'"' || b == b'\\' || (style == Style::Python && b >= 0x7f)
}

/// Writes `s` as a JSON string. Runs of bytes that need no escape are copied whole (a
/// proposal's envelope holds base64 strings of hundreds of KB, and a character at a time was
/// several per cent of a loaded node's CPU); the escapes are those of [`write_char_escaped`].
fn write_string(out: &mut String, s: &str, style: Style) {
    out.reserve(s.len() + 2);
    out.push('"');
    let bytes = s.as_bytes();
    let mut run_start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if !needs_escape(bytes[i], style) {
            i += 1;
            continue;
        }
        // `i` is at a character boundary: every byte before it in this run is ASCII or (in
        // the canonical style, which never stops inside one) a whole multi-byte character.
        out.push_str(&s[run_start..i]);
        let Some(c) = s[i..].chars().next() else {
            break;
        };
        write_char_escaped(out, c, style);
        i += c.len_utf8();
        run_start = i;
    }
    out.push_str(&s[run_start..]);
    out.push('"');
}

/// One character as Python's `json.dumps` writes it (escaped, or as is).
fn write_char_escaped(out: &mut String, c: char, style: Style) {
    match c {
        '"' => out.push_str("\\\""),
        '\\' => out.push_str("\\\\"),
        '\n' => out.push_str("\\n"),
        '\r' => out.push_str("\\r"),
        '\t' => out.push_str("\\t"),
        '\u{8}' => out.push_str("\\b"),
        '\u{c}' => out.push_str("\\f"),
        c if (c as u32) < 0x20 => push_u_escape(out, c as u32),
        c if style == Style::Python && !(' '..='~').contains(&c) => {
            let mut units = [0u16; 2];
            for unit in c.encode_utf16(&mut units) {
                push_u_escape(out, u32::from(*unit));
            }
        }
        c => out.push(c),
    }
}

fn push_u_escape(out: &mut String, unit: u32) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{unit:04x}");
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    /// The writer before runs were copied whole: one character at a time.
    fn by_char(s: &str, style: Style) -> String {
        let mut out = String::from("\"");
        for c in s.chars() {
            // The old loop's body: every character through the escape table.
            write_char_escaped(&mut out, c, style);
        }
        out.push('"');
        out
    }

    fn written(s: &str, style: Style) -> String {
        let mut out = String::new();
        write_string(&mut out, s, style);
        out
    }

    #[test]
    fn escapes_match_python_json_dumps() {
        let s = "a\"b\\c\nd\u{1}\u{7f}é😀";
        assert_eq!(
            written(s, Style::Python),
            r#""a\"b\\c\nd\u0001\u007f\u00e9\ud83d\ude00""#
        );
        assert_eq!(
            written(s, Style::Canonical),
            "\"a\\\"b\\\\c\\nd\\u0001\u{7f}é😀\""
        );
        assert_eq!(written("", Style::Python), "\"\"");
    }

    proptest! {
        #[test]
        fn copying_runs_writes_what_one_character_at_a_time_wrote(s in any::<String>()) {
            for style in [Style::Canonical, Style::Python] {
                prop_assert_eq!(written(&s, style), by_char(&s, style));
            }
        }

        #[test]
        fn the_output_reads_back_as_the_same_string(s in any::<String>()) {
            for style in [Style::Canonical, Style::Python] {
                let back: String = serde_json::from_str(&written(&s, style))
                    .map_err(|e| TestCaseError::fail(e.to_string()))?;
                prop_assert_eq!(&back, &s);
            }
        }
    }
}
