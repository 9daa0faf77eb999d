//! Stage 1: JSON-aware redaction.
//!
//! A validating, allocation-light JSON parser that walks the document once
//! and records *edits* (byte range → replacement) instead of building a
//! tree, so the output keeps the input's formatting, key order and number
//! spelling, and a document with nothing to redact costs no allocation
//! (except the reused scratch buffer for strings with escape sequences).
//! Any syntax error, or nesting deeper than [`MAX_NEST`], makes the caller
//! treat the text as plain text instead.

use std::borrow::Cow;

use super::{KeyAction, KeyDecision, Redactor, MASKED};
use crate::redact::detectors::Detector;
use crate::redact::validate::KeyKind;

/// Deepest object/array nesting accepted.
const MAX_NEST: usize = 128;

/// True if `text` starts (after whitespace) like a JSON object or array.
pub(super) fn looks_like_json(text: &str) -> bool {
    matches!(
        text.bytes()
            .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r')),
        Some(b'{' | b'[')
    )
}

/// Redacts a JSON document. `None` if `text` is not valid JSON.
pub(super) fn redact_document<'a>(r: &Redactor, text: &'a str, depth: u8) -> Option<Cow<'a, str>> {
    let mut w = Walker {
        r,
        text,
        b: text.as_bytes(),
        pos: 0,
        nest: 0,
        depth,
        edits: Vec::new(),
        scratch: String::new(),
    };
    w.ws();
    w.value(false).ok()?;
    w.ws();
    if w.pos != w.b.len() {
        return None;
    }
    if w.edits.is_empty() {
        return Some(Cow::Borrowed(text));
    }
    w.edits.sort_by_key(|e| e.start);
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for e in &w.edits {
        if e.start < last {
            return None;
        }
        out.push_str(text.get(last..e.start)?);
        out.push_str(&e.with);
        last = e.end;
    }
    out.push_str(text.get(last..)?);
    Some(Cow::Owned(out))
}

struct Edit {
    start: usize,
    end: usize,
    with: String,
}

/// A parse failure; the document is handled as plain text.
struct Invalid;

type Parse<T = ()> = Result<T, Invalid>;

struct Walker<'a, 'r> {
    r: &'r Redactor,
    text: &'a str,
    b: &'a [u8],
    pos: usize,
    nest: usize,
    /// JSON-in-string nesting level of this document.
    depth: u8,
    edits: Vec<Edit>,
    /// Decoded text of the current escaped string.
    scratch: String,
}

impl<'a> Walker<'a, '_> {
    fn peek(&self) -> Option<u8> {
        self.b.get(self.pos).copied()
    }

    fn ws(&mut self) {
        while matches!(self.peek(), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: u8) -> Parse {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn edit(&mut self, start: usize, end: usize, with: String) {
        self.edits.push(Edit { start, end, with });
    }

    /// One value. `skip`: validate only (inside a value a key rule already
    /// handled).
    fn value(&mut self, skip: bool) -> Parse {
        match self.peek().ok_or(Invalid)? {
            b'"' => {
                let (s, e, escaped) = self.string()?;
                if !skip {
                    self.leaf_string(s, e, escaped)?;
                }
                Ok(())
            }
            b'{' => self.object(skip),
            b'[' => self.array(skip),
            b'-' | b'0'..=b'9' => {
                let (s, e) = self.number()?;
                if !skip && e - s >= 7 {
                    self.leaf_plain(s, e)?;
                }
                Ok(())
            }
            b't' => self.literal(b"true"),
            b'f' => self.literal(b"false"),
            b'n' => self.literal(b"null"),
            _ => Err(Invalid),
        }
    }

    fn literal(&mut self, lit: &[u8]) -> Parse {
        if self.b.get(self.pos..self.pos + lit.len()) == Some(lit) {
            self.pos += lit.len();
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    fn number(&mut self) -> Parse<(usize, usize)> {
        let s = self.pos;
        let digits = |w: &mut Self| {
            let start = w.pos;
            while w.peek().is_some_and(|c| c.is_ascii_digit()) {
                w.pos += 1;
            }
            w.pos > start
        };
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        if self.peek() == Some(b'0') {
            self.pos += 1;
        } else if !digits(self) {
            return Err(Invalid);
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            if !digits(self) {
                return Err(Invalid);
            }
        }
        if matches!(self.peek(), Some(b'e' | b'E')) {
            self.pos += 1;
            if matches!(self.peek(), Some(b'+' | b'-')) {
                self.pos += 1;
            }
            if !digits(self) {
                return Err(Invalid);
            }
        }
        Ok((s, self.pos))
    }

    /// Scans a string token; returns its range (quotes included) and whether
    /// it holds escape sequences.
    fn string(&mut self) -> Parse<(usize, usize, bool)> {
        let s = self.pos;
        self.expect(b'"')?;
        let mut escaped = false;
        loop {
            // Jump to the next quote or backslash; the bytes skipped must
            // not be control characters.
            let rest = self.b.get(self.pos..).ok_or(Invalid)?;
            let skip = memchr::memchr2(b'"', b'\\', rest).ok_or(Invalid)?;
            if has_control(rest.get(..skip).ok_or(Invalid)?) {
                return Err(Invalid);
            }
            self.pos += skip;
            if self.peek() == Some(b'"') {
                self.pos += 1;
                return Ok((s, self.pos, escaped));
            }
            escaped = true;
            match self.b.get(self.pos + 1).ok_or(Invalid)? {
                b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => self.pos += 2,
                b'u' => {
                    let hex = self.b.get(self.pos + 2..self.pos + 6).ok_or(Invalid)?;
                    if !hex.iter().all(u8::is_ascii_hexdigit) {
                        return Err(Invalid);
                    }
                    self.pos += 6;
                }
                _ => return Err(Invalid),
            }
        }
    }

    /// The text of the string token `s..e`: borrowed when it has no escapes,
    /// else decoded into `scratch` (which the caller must hand back).
    fn decode(&mut self, s: usize, e: usize, escaped: bool) -> Parse<Cow<'a, str>> {
        let raw = self.text.get(s + 1..e - 1).ok_or(Invalid)?;
        if !escaped {
            return Ok(Cow::Borrowed(raw));
        }
        let mut buf = std::mem::take(&mut self.scratch);
        buf.clear();
        unescape(raw, &mut buf)?;
        Ok(Cow::Owned(buf))
    }

    /// Returns a decoded buffer to the scratch slot for reuse.
    fn recycle(&mut self, text: Cow<'a, str>) {
        if let Cow::Owned(buf) = text {
            self.scratch = buf;
        }
    }

    fn leaf_string(&mut self, s: usize, e: usize, escaped: bool) -> Parse {
        let depth = self.depth + 1;
        let r = self.r;
        let text = self.decode(s, e, escaped)?;
        let replaced = match r.redact_nested(&text, depth) {
            Cow::Borrowed(_) => None,
            Cow::Owned(new) => Some(quote(&new)),
        };
        self.recycle(text);
        if let Some(with) = replaced {
            self.edit(s, e, with);
        }
        Ok(())
    }

    /// A number or key through stages 2 and 3.
    fn leaf_plain(&mut self, s: usize, e: usize) -> Parse {
        let raw = self.text.get(s..e).ok_or(Invalid)?;
        if let Cow::Owned(new) = self.r.redact_plain(raw) {
            self.edit(s, e, quote(&new));
        }
        Ok(())
    }

    fn array(&mut self, skip: bool) -> Parse {
        self.enter()?;
        self.expect(b'[')?;
        self.ws();
        if self.peek() == Some(b']') {
            self.pos += 1;
            self.nest -= 1;
            return Ok(());
        }
        loop {
            self.value(skip)?;
            self.ws();
            match self.peek().ok_or(Invalid)? {
                b',' => {
                    self.pos += 1;
                    self.ws();
                }
                b']' => {
                    self.pos += 1;
                    self.nest -= 1;
                    return Ok(());
                }
                _ => return Err(Invalid),
            }
        }
    }

    fn enter(&mut self) -> Parse {
        self.nest += 1;
        if self.nest > MAX_NEST {
            Err(Invalid)
        } else {
            Ok(())
        }
    }

    fn object(&mut self, skip: bool) -> Parse {
        self.enter()?;
        self.expect(b'{')?;
        self.ws();
        if self.peek() == Some(b'}') {
            self.pos += 1;
            self.nest -= 1;
            return Ok(());
        }
        // End of the last kept member's value, and the span of the current
        // run of dropped members: a run is removed together with the commas
        // that separate it from the kept members, so the output stays valid.
        let mut last_kept_end: Option<usize> = None;
        let mut dropped: Option<(usize, usize)> = None;
        loop {
            let (ks, ke, kesc) = self.string()?;
            self.ws();
            self.expect(b':')?;
            self.ws();
            let decision = if skip {
                None
            } else {
                let key = self.decode(ks, ke, kesc)?;
                let d = self.r.key_decision(&key, false);
                self.recycle(key);
                d
            };
            let vs = self.pos;
            if let Some(KeyDecision::Rule(KeyAction::Drop)) = decision {
                self.value(true)?;
                dropped = Some((dropped.map_or(ks, |d| d.0), self.pos));
            } else {
                if let Some((run_start, _)) = dropped.take() {
                    self.edit(run_start, ks, String::new());
                }
                if !skip {
                    self.key(ks, ke, kesc)?;
                }
                match decision {
                    Some(KeyDecision::Rule(KeyAction::Mask)) => {
                        self.value(true)?;
                        self.edit(vs, self.pos, quote(MASKED));
                    }
                    Some(KeyDecision::Rule(KeyAction::Hash)) => {
                        self.value(true)?;
                        let hash = self.hash_value(vs, self.pos)?;
                        self.edit(vs, self.pos, quote(&hash));
                    }
                    Some(KeyDecision::Secret(kind, det)) => self.secret_member(kind, det)?,
                    _ => self.value(skip)?,
                }
                last_kept_end = Some(self.pos);
            }
            self.ws();
            match self.peek().ok_or(Invalid)? {
                b',' => {
                    self.pos += 1;
                    self.ws();
                }
                b'}' => {
                    self.pos += 1;
                    break;
                }
                _ => return Err(Invalid),
            }
        }
        if let Some((run_start, run_end)) = dropped {
            // A trailing run takes the comma after the last kept member.
            self.edit(last_kept_end.unwrap_or(run_start), run_end, String::new());
        }
        self.nest -= 1;
        Ok(())
    }

    /// Object keys go through stages 2 and 3 like any string.
    fn key(&mut self, s: usize, e: usize, escaped: bool) -> Parse {
        let r = self.r;
        let text = self.decode(s, e, escaped)?;
        let replaced = match r.redact_plain(&text) {
            Cow::Borrowed(_) => None,
            Cow::Owned(new) => Some(quote(&new)),
        };
        self.recycle(text);
        if let Some(with) = replaced {
            self.edit(s, e, with);
        }
        Ok(())
    }

    /// The value of a built-in secret-bearing key (`"password"`,
    /// `"authorization"`): scalars are replaced, containers are walked.
    fn secret_member(&mut self, kind: KeyKind, det: Detector) -> Parse {
        match self.peek().ok_or(Invalid)? {
            b'"' => {
                let (s, e, escaped) = self.string()?;
                let r = self.r;
                let text = self.decode(s, e, escaped)?;
                let replaced = match r.secret_value(&text, kind, det) {
                    Cow::Borrowed(_) => None,
                    Cow::Owned(new) => Some(quote(&new)),
                };
                self.recycle(text);
                if let Some(with) = replaced {
                    self.edit(s, e, with);
                }
                Ok(())
            }
            b'-' | b'0'..=b'9' => {
                let (s, e) = self.number()?;
                let raw = self.text.get(s..e).ok_or(Invalid)?;
                let token = self.r.token(det.label(), raw);
                self.edit(s, e, quote(&token));
                Ok(())
            }
            b'{' | b'[' => self.value(false),
            _ => self.value(true),
        }
    }

    /// [`KeyAction::Hash`] of the value token `s..e`: a string hashes its
    /// text, anything else its canonical JSON (keys sorted, compact).
    fn hash_value(&mut self, s: usize, e: usize) -> Parse<String> {
        let raw = self.text.get(s..e).ok_or(Invalid)?;
        let canonical = if raw.starts_with('"') {
            let mut buf = String::with_capacity(raw.len());
            unescape(raw.get(1..raw.len() - 1).ok_or(Invalid)?, &mut buf)?;
            buf
        } else {
            let value: serde_json::Value = serde_json::from_str(raw).map_err(|_| Invalid)?;
            let mut buf = String::with_capacity(raw.len());
            canonical(&value, &mut buf);
            buf
        };
        Ok(self.r.key_hash(&canonical))
    }
}

/// True if `bytes` holds a byte below 0x20 (not allowed unescaped in JSON
/// strings). A fold rather than `any`, so it vectorises.
fn has_control(bytes: &[u8]) -> bool {
    bytes.iter().fold(false, |acc, &b| acc | (b < 0x20))
}

/// Decodes the inside of a JSON string literal into `out`.
fn unescape(raw: &str, out: &mut String) -> Parse {
    let mut rest = raw;
    while let Some(p) = memchr::memchr(b'\\', rest.as_bytes()) {
        out.push_str(rest.get(..p).ok_or(Invalid)?);
        let mut chars = rest.get(p + 1..).ok_or(Invalid)?.chars();
        let decoded = match chars.next().ok_or(Invalid)? {
            '"' => '"',
            '\\' => '\\',
            '/' => '/',
            'b' => '\u{8}',
            'f' => '\u{c}',
            'n' => '\n',
            'r' => '\r',
            't' => '\t',
            'u' => {
                let hi = hex4(&mut chars)?;
                if (0xD800..0xDC00).contains(&hi) {
                    if chars.next() != Some('\\') || chars.next() != Some('u') {
                        return Err(Invalid);
                    }
                    let lo = hex4(&mut chars)?;
                    if !(0xDC00..0xE000).contains(&lo) {
                        return Err(Invalid);
                    }
                    char::from_u32(0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
                        .ok_or(Invalid)?
                } else {
                    char::from_u32(hi).ok_or(Invalid)?
                }
            }
            _ => return Err(Invalid),
        };
        out.push(decoded);
        rest = chars.as_str();
    }
    out.push_str(rest);
    Ok(())
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Parse<u32> {
    let mut v = 0;
    for _ in 0..4 {
        v = v * 16 + chars.next().and_then(|c| c.to_digit(16)).ok_or(Invalid)?;
    }
    Ok(v)
}

/// `s` as a JSON string literal.
pub(super) fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if u32::from(c) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(c)));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// Compact JSON with object keys sorted, for [`KeyAction::Hash`].
fn canonical(v: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match v {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&quote(s)),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<_> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, item)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&quote(k));
                out.push(':');
                canonical(item, out);
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::redact::Redactor;

    fn drop_rule(keys: &[&str]) -> Redactor {
        keys.iter()
            .fold(Redactor::builder(), |b, k| b.json_key(k, KeyAction::Drop))
            .build()
            .expect("builds")
    }

    #[test]
    fn dropping_members_keeps_the_json_valid() {
        let r = drop_rule(&["p", "q"]);
        let cases = [
            (r#"{"p":1}"#, r#"{}"#),
            (r#"{"p":1,"a":2}"#, r#"{"a":2}"#),
            (r#"{"a":1,"p":2}"#, r#"{"a":1}"#),
            (r#"{"a":1,"p":2,"q":3}"#, r#"{"a":1}"#),
            (r#"{"p":1,"q":2,"a":3}"#, r#"{"a":3}"#),
            (r#"{"a":1, "p":2, "b":3, "q":4}"#, r#"{"a":1, "b":3}"#),
            (r#"{ "p" : [1,{"x":2}] , "q":{} }"#, r#"{  }"#),
            (r#"[{"p":1},{"a":{"q":2,"b":3}}]"#, r#"[{},{"a":{"b":3}}]"#),
        ];
        for (input, expected) in cases {
            let out = r.redact(input);
            assert_eq!(out, expected, "input {input}");
            serde_json::from_str::<serde_json::Value>(&out).expect("valid JSON");
        }
    }

    #[test]
    fn invalid_documents_are_rejected() {
        let r = drop_rule(&["p"]);
        for bad in [
            r#"{"p":1"#,
            r#"{"p" 1}"#,
            r#"[1,]"#,
            r#"{"a":01}"#,
            r#"["\x"]"#,
            "[\"\u{1}\"]",
            r#"["\ud800"]"#,
            r#"{"a":1} x"#,
            r#"[tru]"#,
        ] {
            assert!(redact_document(&r, bad, 0).is_none(), "{bad}");
        }
        let deep = "[".repeat(MAX_NEST + 1) + &"]".repeat(MAX_NEST + 1);
        assert!(redact_document(&r, &deep, 0).is_none());
        let ok = "[".repeat(MAX_NEST) + &"]".repeat(MAX_NEST);
        assert!(redact_document(&r, &ok, 0).is_some());
    }

    #[test]
    fn unescape_and_quote_round_trip() {
        let mut out = String::new();
        unescape(r#"a\"b\\c\/d\n\u00e9\ud83d\ude00"#, &mut out)
            .map_err(|_| "invalid")
            .expect("valid");
        assert_eq!(out, "a\"b\\c/d\né😀");
        let back: String = serde_json::from_str(&quote(&out)).expect("valid literal");
        assert_eq!(back, out);
        assert_eq!(quote("\u{1}"), r#""\u0001""#);
    }

    #[test]
    fn canonical_sorts_keys() {
        let v: serde_json::Value =
            serde_json::from_str(r#"{"b":[1,{"d":null,"c":true}],"a":"x"}"#).expect("json");
        let mut s = String::new();
        canonical(&v, &mut s);
        assert_eq!(s, r#"{"a":"x","b":[1,{"c":true,"d":null}]}"#);
    }
}
