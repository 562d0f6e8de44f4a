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

fn write_string(out: &mut String, s: &str, style: Style) {
    out.push('"');
    for c in s.chars() {
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
    out.push('"');
}

fn push_u_escape(out: &mut String, unit: u32) {
    // Writing to a String cannot fail.
    let _ = write!(out, "\\u{unit:04x}");
}
