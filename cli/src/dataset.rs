//! Eval datasets on disk: an ordered value tree ([`Node`]), written as YAML or JSON, and
//! read back (YAML through `yaml-rust2`, JSON through `serde_json`) as `serde_json` values.
//!
//! YAML is written by hand, in block style, so the layout (key order, a comment header) is
//! fixed and readable. Scalars that could be misread (numbers, `yes`/`no`/`null`, anything with
//! punctuation or spaces) are double-quoted with escapes for every character YAML does not
//! allow raw, so any text round-trips — including through YAML 1.1 parsers such as PyYAML.

use std::fmt::Write as _;

use serde_json::Value as Json;
use yaml_rust2::{Yaml, YamlLoader};

/// An ordered JSON-like value.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(String),
    Seq(Vec<Node>),
    Map(Vec<(String, Node)>),
}

impl Node {
    /// A string node.
    pub(crate) fn str(text: impl Into<String>) -> Node {
        Node::Str(text.into())
    }

    /// Converts parsed JSON (object keys keep `serde_json`'s order).
    pub(crate) fn from_json(value: &Json) -> Node {
        match value {
            Json::Null => Node::Null,
            Json::Bool(b) => Node::Bool(*b),
            Json::Number(n) => match n.as_i64() {
                Some(i) => Node::Int(i),
                None => Node::Float(n.as_f64().unwrap_or(f64::NAN)),
            },
            Json::String(s) => Node::Str(s.clone()),
            Json::Array(items) => Node::Seq(items.iter().map(Node::from_json).collect()),
            Json::Object(map) => Node::Map(
                map.iter()
                    .map(|(k, v)| (k.clone(), Node::from_json(v)))
                    .collect(),
            ),
        }
    }

    fn is_empty_collection(&self) -> bool {
        matches!(self, Node::Seq(items) if items.is_empty())
            || matches!(self, Node::Map(entries) if entries.is_empty())
    }
}

/// Builds a [`Node::Map`] from `(key, value)` pairs, leaving out `None` values.
pub(crate) fn map(entries: Vec<(&str, Option<Node>)>) -> Node {
    Node::Map(
        entries
            .into_iter()
            .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v)))
            .collect(),
    )
}

// ---- JSON ----------------------------------------------------------------------------------

/// Writes `node` as compact JSON on one line (non-finite floats become `null`).
pub(crate) fn to_json(node: &Node, out: &mut String) {
    match node {
        Node::Null => out.push_str("null"),
        Node::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Node::Int(i) => {
            let _ = write!(out, "{i}");
        }
        Node::Float(f) if f.is_finite() => {
            let _ = write!(out, "{f:?}");
        }
        Node::Float(_) => out.push_str("null"),
        Node::Str(s) => out.push_str(&json_string(s)),
        Node::Seq(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                to_json(item, out);
            }
            out.push(']');
        }
        Node::Map(entries) => {
            out.push('{');
            for (i, (key, value)) in entries.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&json_string(key));
                out.push(':');
                to_json(value, out);
            }
            out.push('}');
        }
    }
}

fn json_string(text: &str) -> String {
    // Serializing a string into a String cannot fail; the fallback keeps this total.
    serde_json::to_string(text).unwrap_or_else(|_| String::from("\"\""))
}

// ---- YAML ----------------------------------------------------------------------------------

/// Writes a YAML document for `node` (normally a map), preceded by `# ` comment lines.
pub(crate) fn to_yaml(node: &Node, comments: &[&str], out: &mut String) {
    for line in comments {
        let _ = writeln!(out, "# {line}");
    }
    match node {
        Node::Map(entries) if !entries.is_empty() => write_map(entries, 0, false, out),
        Node::Seq(items) if !items.is_empty() => write_seq(items, 0, out),
        scalar => {
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn write_map(entries: &[(String, Node)], indent: usize, inline_first: bool, out: &mut String) {
    for (i, (key, value)) in entries.iter().enumerate() {
        if !(inline_first && i == 0) {
            out.push_str(&" ".repeat(indent));
        }
        out.push_str(&yaml_key(key));
        out.push(':');
        write_value(value, indent, out);
    }
}

/// The value after `key:` (or after `- `), with children indented below `indent`.
fn write_value(value: &Node, indent: usize, out: &mut String) {
    match value {
        Node::Map(entries) if !value.is_empty_collection() => {
            out.push('\n');
            write_map(entries, indent + 2, false, out);
        }
        Node::Seq(items) if !value.is_empty_collection() => {
            out.push('\n');
            write_seq(items, indent + 2, out);
        }
        scalar => {
            out.push(' ');
            out.push_str(&yaml_scalar(scalar));
            out.push('\n');
        }
    }
}

fn write_seq(items: &[Node], indent: usize, out: &mut String) {
    for item in items {
        out.push_str(&" ".repeat(indent));
        out.push('-');
        match item {
            Node::Map(entries) if !entries.is_empty() => {
                out.push(' ');
                write_map(entries, indent + 2, true, out);
            }
            Node::Seq(inner) if !inner.is_empty() => {
                out.push('\n');
                write_seq(inner, indent + 2, out);
            }
            scalar => {
                out.push(' ');
                out.push_str(&yaml_scalar(scalar));
                out.push('\n');
            }
        }
    }
}

fn yaml_key(key: &str) -> String {
    if plain_ok(key) {
        key.to_owned()
    } else {
        quoted(key)
    }
}

fn yaml_scalar(node: &Node) -> String {
    match node {
        Node::Null => "null".into(),
        Node::Bool(b) => (if *b { "true" } else { "false" }).into(),
        Node::Int(i) => i.to_string(),
        Node::Float(f) => yaml_float(*f),
        Node::Str(s) if plain_ok(s) => s.clone(),
        Node::Str(s) => quoted(s),
        Node::Seq(_) => "[]".into(),
        Node::Map(_) => "{}".into(),
    }
}

/// A float both YAML 1.2 and 1.1 read as a float: always a `.`, a signed exponent.
fn yaml_float(f: f64) -> String {
    if f.is_nan() {
        return ".nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { ".inf" } else { "-.inf" }.into();
    }
    let text = format!("{f:?}"); // 0.2, 1.0, 1e-300, 1.5e300
    let (mantissa, exponent) = match text.split_once('e') {
        Some((m, e)) => (m.to_owned(), Some(e.to_owned())),
        None => (text.clone(), None),
    };
    let mantissa = if mantissa.contains('.') {
        mantissa
    } else {
        format!("{mantissa}.0")
    };
    match exponent {
        Some(e) if e.starts_with('-') => format!("{mantissa}e{e}"),
        Some(e) => format!("{mantissa}e+{e}"),
        None => mantissa,
    }
}

/// Whether `text` can be written as a plain (unquoted) scalar and read back as the same
/// string by YAML 1.1 and 1.2 parsers: an identifier-like word that is not a boolean or null.
fn plain_ok(text: &str) -> bool {
    const RESERVED: &[&str] = &[
        "true", "false", "yes", "no", "on", "off", "null", "y", "n", "~",
    ];
    let mut chars = text.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    (first.is_ascii_alphabetic() || first == '_')
        && chars.all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.' | '/'))
        && !RESERVED.iter().any(|r| r.eq_ignore_ascii_case(text))
}

/// A double-quoted YAML scalar. Everything outside YAML's printable set, and the line and
/// paragraph separators YAML 1.1 treats as breaks, is escaped.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push_str("\\t"),
            '\r' => out.push_str("\\r"),
            '\u{0}'..='\u{1f}' | '\u{7f}'..='\u{9f}' => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            '\u{2028}' | '\u{2029}' | '\u{feff}' | '\u{fffe}' | '\u{ffff}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

// ---- reading -------------------------------------------------------------------------------

/// Parses YAML text (every document) into JSON values.
pub(crate) fn yaml_documents(text: &str) -> Result<Vec<Json>, String> {
    let docs = YamlLoader::load_from_str(text).map_err(|err| err.to_string())?;
    docs.iter().map(yaml_to_json).collect()
}

fn yaml_to_json(value: &Yaml) -> Result<Json, String> {
    Ok(match value {
        Yaml::Null | Yaml::BadValue => Json::Null,
        Yaml::Boolean(b) => Json::Bool(*b),
        Yaml::Integer(i) => Json::from(*i),
        Yaml::Real(text) => {
            let f = value
                .as_f64()
                .ok_or_else(|| format!("`{text}` is not a number"))?;
            serde_json::Number::from_f64(f).map_or(Json::Null, Json::Number)
        }
        Yaml::String(s) => Json::String(s.clone()),
        Yaml::Array(items) => {
            Json::Array(items.iter().map(yaml_to_json).collect::<Result<_, _>>()?)
        }
        Yaml::Hash(hash) => {
            let mut object = serde_json::Map::new();
            for (key, value) in hash {
                let key = match key {
                    Yaml::String(s) | Yaml::Real(s) => s.clone(),
                    Yaml::Integer(i) => i.to_string(),
                    Yaml::Boolean(b) => b.to_string(),
                    Yaml::Null => "null".into(),
                    other => return Err(format!("unsupported mapping key {other:?}")),
                };
                object.insert(key, yaml_to_json(value)?);
            }
            Json::Object(object)
        }
        Yaml::Alias(_) => return Err("YAML aliases (*name) are not supported".into()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(node: &Node) -> Json {
        let mut text = String::new();
        to_yaml(node, &["a comment"], &mut text);
        let docs = yaml_documents(&text).unwrap_or_else(|e| panic!("{e}\n{text}"));
        assert_eq!(docs.len(), 1, "{text}");
        docs.into_iter().next().unwrap_or_default()
    }

    fn as_json(node: &Node) -> Json {
        let mut text = String::new();
        to_json(node, &mut text);
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}\n{text}"))
    }

    #[test]
    fn tricky_strings_round_trip_through_yaml_and_json() {
        let strings = [
            "",
            "yes",
            "No",
            "null",
            "~",
            "true",
            "123",
            "0x1f",
            "1e3",
            ".5",
            "-dash",
            "key: value",
            "# not a comment",
            "trailing ",
            " leading",
            "multi\nline\n",
            "tab\there",
            "quote \" and \\ backslash",
            "é ü 🧾 中文",
            "\u{1b}[31mred",
            "\u{85}nel \u{2028}ls",
            "\u{feff}bom",
            "'single'",
            "@at",
            "`tick`",
            "a,b",
            "[flow]",
            "{flow}",
            "*alias",
            "&anchor",
            "!tag",
            "%directive",
            "|",
            ">",
            "2026-06-03T17:00:00Z",
            "gpt-4.1-mini",
            "e8dbd69f",
        ];
        let node = Node::Map(
            strings
                .iter()
                .enumerate()
                .map(|(i, s)| (format!("k{i} {s}"), Node::str(*s)))
                .collect(),
        );
        let back = round_trip(&node);
        assert_eq!(back, as_json(&node));
        for (i, s) in strings.iter().enumerate() {
            assert_eq!(
                back[format!("k{i} {s}")],
                Json::String((*s).to_owned()),
                "{s:?}"
            );
        }
    }

    #[test]
    fn nested_collections_and_numbers() {
        let node = map(vec![
            ("name", Some(Node::str("support"))),
            ("skipped", None),
            (
                "cases",
                Some(Node::Seq(vec![
                    map(vec![
                        ("id", Some(Node::str("c-1"))),
                        ("empty_list", Some(Node::Seq(vec![]))),
                        ("empty_map", Some(Node::Map(vec![]))),
                        (
                            "nested",
                            Some(Node::Seq(vec![
                                Node::Seq(vec![Node::Int(1), Node::Int(-2)]),
                                Node::Map(vec![("x".into(), Node::Float(0.2))]),
                            ])),
                        ),
                        (
                            "floats",
                            Some(Node::Seq(vec![
                                Node::Float(1.0),
                                Node::Float(1e-300),
                                Node::Float(1.5e300),
                                Node::Float(-0.0),
                            ])),
                        ),
                        ("flags", Some(Node::Seq(vec![Node::Bool(true), Node::Null]))),
                    ]),
                    Node::str("scalar item"),
                ])),
            ),
        ]);
        let back = round_trip(&node);
        assert_eq!(back, as_json(&node));
        assert_eq!(back["cases"][0]["floats"][0], Json::from(1.0));
        assert_eq!(back["cases"][0]["floats"][1], Json::from(1e-300));
        assert!(back.get("skipped").is_none());
    }

    #[test]
    fn floats_are_floats_in_yaml_1_1() {
        assert_eq!(yaml_float(1.0), "1.0");
        assert_eq!(yaml_float(1e-300), "1.0e-300");
        assert_eq!(yaml_float(1.5e300), "1.5e+300");
        assert_eq!(yaml_float(0.2), "0.2");
        assert_eq!(yaml_float(f64::NAN), ".nan");
    }

    #[test]
    fn yaml_errors_are_reported() {
        assert!(yaml_documents("a: [unclosed").is_err());
    }
}
