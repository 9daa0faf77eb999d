//! Renders a trace as a text timeline tree, one line per span.
//!
//! ```text
//! 0ms    invoke_agent support_agent        ok    1.50s  route=/v1/support tenant=acme user=3f9a… sampling=keep:error
//! 0ms    ├─ prompt.load                    ok     11ms  support_agent_v3 @ prv_2026_06_03_17 (prod)
//! 42ms   ├─ retrieval support_policy_prod  ok     23ms  top_k=5 docs=doc_102(0.91),doc_087(0.84)
//! 91ms   ├─ chat gpt-4.1-mini              ok     49ms  in=812 out=164 finish=tool_calls
//! 96ms   │  └─ execute_tool create_refund  error   5ms  INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents
//! 141ms  ├─ parse_output RefundDecision    ok    0.4ms  schema=RefundDecision status=repaired attempts=2
//! 150ms  └─ chat gpt-4.1-mini              ok    1.23s  in=1024 out=88 cached=768 finish=stop
//! 200ms     └─ execute_tool lookup_order   ok      3ms  call_id=call_9y
//! ```
//!
//! Columns: offset of the span's start from the trace's first start, tree glyphs and span
//! name, status (`ok` for Ok and Unset, `error` for Error), duration, and key attributes
//! chosen by span type (see [`span_summary`]).
//!
//! Tree rules: children are sorted by start time (then name). Spans without a parent, and
//! spans whose parent is remote, are top-level lines. Spans whose parent id is set but not
//! among the given spans (the parent was not exported yet, was dropped, or lives in another
//! file) are grouped under a synthetic `(missing parent <id>)` line at top level, so they
//! are shown but not mistaken for roots. Spans caught in a parent cycle are shown at top
//! level. Indentation stops growing after 24 levels, so deeper spans line up at that
//! depth. Every printed string has control characters escaped, so recorded content cannot
//! inject terminal escape sequences.
//!
//! # Examples
//!
//! ```
//! use genai_otel::timeline::{render, TimelineOptions};
//! use genai_otel::otlp_json::SpanRecord;
//!
//! const T0: u64 = 1_780_506_000_000_000_000; // nanoseconds since the Unix epoch
//! let root = SpanRecord {
//!     span_id: "00000000000000a1".into(),
//!     name: "invoke_agent support_agent".into(),
//!     start_unix_nanos: T0,
//!     end_unix_nanos: T0 + 312_000_000,
//!     ..Default::default()
//! };
//! let child = SpanRecord {
//!     span_id: "00000000000000b2".into(),
//!     parent_span_id: Some("00000000000000a1".into()),
//!     name: "chat gpt-4.1-mini".into(),
//!     start_unix_nanos: T0 + 91_000_000,
//!     end_unix_nanos: T0 + 140_000_000,
//!     ..Default::default()
//! };
//! let text = render(&[child, root], &TimelineOptions::default());
//! assert_eq!(text, "\
//! 0ms   invoke_agent support_agent  ok    312ms
//! 91ms  └─ chat gpt-4.1-mini        ok     49ms
//! ");
//! ```

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use crate::otlp_json::{AttrValue, SpanRecord};
use crate::semconv;

/// Tree levels drawn with their own indentation; deeper spans are drawn at this depth.
const MAX_DEPTH: usize = 24;

const RED: &str = "\x1b[31m";
const DIM: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Options of [`render`].
///
/// # Examples
///
/// ```
/// use genai_otel::timeline::TimelineOptions;
/// let options = TimelineOptions::default().with_color(true).with_content(true);
/// assert!(options.color && options.content);
/// assert_eq!(options.content_max_chars, 200);
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct TimelineOptions {
    /// Use ANSI colors (error status in red, content and markers dimmed). Default `false`.
    pub color: bool,
    /// Print recorded content attributes ([`semconv::is_content_key`]) on indented lines
    /// below their span. Default `false`.
    pub content: bool,
    /// Characters of a content value shown before it is cut with `…`. Default 200.
    pub content_max_chars: usize,
    /// Width of the tree-and-name column; longer names are cut with `…`. Default 60.
    pub max_name_width: usize,
    /// Characters of the key-attribute summary shown before it is cut with `…`.
    /// Default 160.
    pub max_summary_chars: usize,
}

impl Default for TimelineOptions {
    fn default() -> Self {
        TimelineOptions {
            color: false,
            content: false,
            content_max_chars: 200,
            max_name_width: 60,
            max_summary_chars: 160,
        }
    }
}

impl TimelineOptions {
    /// Sets [`TimelineOptions::color`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::timeline::TimelineOptions;
    /// assert!(TimelineOptions::default().with_color(true).color);
    /// ```
    #[must_use]
    pub fn with_color(mut self, color: bool) -> Self {
        self.color = color;
        self
    }

    /// Sets [`TimelineOptions::content`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::timeline::TimelineOptions;
    /// assert!(TimelineOptions::default().with_content(true).content);
    /// ```
    #[must_use]
    pub fn with_content(mut self, content: bool) -> Self {
        self.content = content;
        self
    }

    /// Sets [`TimelineOptions::content_max_chars`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::timeline::TimelineOptions;
    /// assert_eq!(TimelineOptions::default().with_content_max_chars(80).content_max_chars, 80);
    /// ```
    #[must_use]
    pub fn with_content_max_chars(mut self, chars: usize) -> Self {
        self.content_max_chars = chars;
        self
    }

    /// Sets [`TimelineOptions::max_name_width`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::timeline::TimelineOptions;
    /// assert_eq!(TimelineOptions::default().with_max_name_width(40).max_name_width, 40);
    /// ```
    #[must_use]
    pub fn with_max_name_width(mut self, width: usize) -> Self {
        self.max_name_width = width;
        self
    }

    /// Sets [`TimelineOptions::max_summary_chars`].
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::timeline::TimelineOptions;
    /// assert_eq!(TimelineOptions::default().with_max_summary_chars(60).max_summary_chars, 60);
    /// ```
    #[must_use]
    pub fn with_max_summary_chars(mut self, chars: usize) -> Self {
        self.max_summary_chars = chars;
        self
    }
}

/// Formats a duration given in nanoseconds: `0ms`, `<0.1ms`, `0.4ms`, `49ms`, `1.23s`,
/// `2m05s`, `1h02m`.
///
/// # Examples
///
/// ```
/// use genai_otel::timeline::format_duration;
/// assert_eq!(format_duration(0), "0ms");
/// assert_eq!(format_duration(400_000), "0.4ms");
/// assert_eq!(format_duration(49_200_000), "49ms");
/// assert_eq!(format_duration(1_234_000_000), "1.23s");
/// assert_eq!(format_duration(125_000_000_000), "2m05s");
/// ```
pub fn format_duration(nanos: u64) -> String {
    const MS: u64 = 1_000_000;
    const S: u64 = 1_000_000_000;
    if nanos == 0 {
        return "0ms".into();
    }
    if nanos < MS {
        let tenths = (nanos + 50_000) / 100_000;
        return match tenths {
            0 => "<0.1ms".into(),
            10 => "1ms".into(),
            t => format!("0.{t}ms"),
        };
    }
    if nanos < S {
        let ms = (nanos + MS / 2) / MS;
        if ms < 1000 {
            return format!("{ms}ms");
        }
    }
    if nanos < 60 * S {
        let hundredths = (nanos + 5 * MS) / (10 * MS);
        if hundredths < 6000 {
            return format!("{}.{:02}s", hundredths / 100, hundredths % 100);
        }
    }
    let secs = (nanos + S / 2) / S;
    if secs < 3600 {
        format!("{}m{:02}s", secs / 60, secs % 60)
    } else {
        let mins = (secs + 30) / 60;
        format!("{}h{:02}m", mins / 60, mins % 60)
    }
}

/// The key attributes of a span as shown in the timeline's last column.
///
/// Chosen by `genai_otel.span.type` / `gen_ai.operation.name`:
///
/// | span | summary |
/// |---|---|
/// | `prompt.load`, `prompt.render` | `{gen_ai.prompt.name} @ {genai_otel.prompt.version_id} ({genai_otel.prompt.release})` |
/// | `parse_output` | `schema= status= attempts=` |
/// | `retrieval` | `top_k= docs=id(score),...` (first 5 documents) |
/// | `chat`, `text_completion`, `generate_content`, `embeddings` | `in= out= cached= finish=` |
/// | `execute_tool` | `call_id=` when it succeeded |
///
/// Then, for any span: `route=` (`http.route`), `tenant=`, `user=` (`user.hash`, first 4
/// characters), `sampling=` (`genai_otel.sampling.decision`), and for error spans the
/// error: `error.type`, the status message, or `{error.type}: {message}`. Parts whose
/// attributes are missing are left out.
///
/// # Examples
///
/// ```
/// use genai_otel::timeline::span_summary;
/// use genai_otel::otlp_json::{AttrValue, SpanRecord};
///
/// let chat = SpanRecord {
///     attributes: vec![
///         ("gen_ai.operation.name".into(), AttrValue::Str("chat".into())),
///         ("gen_ai.usage.input_tokens".into(), AttrValue::Int(812)),
///         ("gen_ai.usage.output_tokens".into(), AttrValue::Int(164)),
///         ("gen_ai.response.finish_reasons".into(), AttrValue::Array(vec![AttrValue::Str("stop".into())])),
///     ],
///     ..Default::default()
/// };
/// assert_eq!(span_summary(&chat), "in=812 out=164 finish=stop");
/// ```
pub fn span_summary(span: &SpanRecord) -> String {
    let mut parts: Vec<String> = Vec::new();
    let span_type = span.attr_str(semconv::SPAN_TYPE);
    let operation = span.attr_str(semconv::GEN_AI_OPERATION_NAME);
    match (span_type, operation) {
        (Some("prompt.load" | "prompt.render"), _) => prompt_summary(span, &mut parts),
        (Some("parse_output"), _) => {
            push_kv(&mut parts, "schema", span.attr(semconv::PARSER_SCHEMA));
            push_kv(&mut parts, "status", span.attr(semconv::PARSER_STATUS));
            push_kv(&mut parts, "attempts", span.attr(semconv::PARSER_ATTEMPTS));
        }
        (_, Some(semconv::operation::RETRIEVAL)) => retrieval_summary(span, &mut parts),
        (
            _,
            Some(
                semconv::operation::CHAT
                | semconv::operation::TEXT_COMPLETION
                | semconv::operation::GENERATE_CONTENT
                | semconv::operation::EMBEDDINGS,
            ),
        ) => {
            push_kv(
                &mut parts,
                "in",
                span.attr(semconv::GEN_AI_USAGE_INPUT_TOKENS),
            );
            push_kv(
                &mut parts,
                "out",
                span.attr(semconv::GEN_AI_USAGE_OUTPUT_TOKENS),
            );
            push_kv(
                &mut parts,
                "cached",
                span.attr(semconv::GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS),
            );
            if let Some(reasons) = span.attr_str_array(semconv::GEN_AI_RESPONSE_FINISH_REASONS) {
                if !reasons.is_empty() {
                    parts.push(format!("finish={}", reasons.join(",")));
                }
            }
        }
        (_, Some(semconv::operation::EXECUTE_TOOL)) if !span.status.is_error() => {
            push_kv(
                &mut parts,
                "call_id",
                span.attr(semconv::GEN_AI_TOOL_CALL_ID),
            );
        }
        _ => {}
    }
    push_kv(&mut parts, "route", span.attr(semconv::HTTP_ROUTE));
    push_kv(&mut parts, "tenant", span.attr(semconv::TENANT_ID));
    if let Some(user) = span.attr_str(semconv::USER_HASH) {
        parts.push(format!("user={}", shorten(user, 4)));
    }
    push_kv(
        &mut parts,
        "sampling",
        span.attr(semconv::SAMPLING_DECISION),
    );
    if span.status.is_error() {
        let error_type = span.attr_str(semconv::ERROR_TYPE).filter(|t| !t.is_empty());
        let message = span.status.message.as_str();
        let error = match (error_type, message.is_empty()) {
            (Some(t), false) if !message.starts_with(t) => format!("{t}: {message}"),
            (Some(t), true) => t.to_owned(),
            (_, false) => message.to_owned(),
            (None, true) => String::new(),
        };
        if !error.is_empty() {
            parts.push(error);
        }
    }
    parts.join(" ")
}

fn prompt_summary(span: &SpanRecord, parts: &mut Vec<String>) {
    let name = span.attr_str(semconv::GEN_AI_PROMPT_NAME);
    let version = span
        .attr(semconv::PROMPT_VERSION_ID)
        .or_else(|| span.attr(semconv::GEN_AI_PROMPT_VERSION))
        .map(AttrValue::to_string);
    let mut text = match (name, version) {
        (Some(name), Some(version)) => format!("{name} @ {version}"),
        (Some(name), None) => name.to_owned(),
        (None, Some(version)) => format!("@ {version}"),
        (None, None) => String::new(),
    };
    if let Some(release) = span.attr_str(semconv::PROMPT_RELEASE) {
        if !text.is_empty() {
            text.push(' ');
        }
        text.push_str(&format!("({release})"));
    }
    if !text.is_empty() {
        parts.push(text);
    }
}

fn retrieval_summary(span: &SpanRecord, parts: &mut Vec<String>) {
    const SHOWN: usize = 5;
    push_kv(parts, "top_k", span.attr(semconv::GEN_AI_RETRIEVAL_TOP_K));
    let Some(ids) = span.attr_str_array(semconv::RETRIEVAL_DOCUMENT_IDS) else {
        return;
    };
    if ids.is_empty() {
        parts.push("docs=none".into());
        return;
    }
    let scores = span
        .attr_f64_array(semconv::RETRIEVAL_DOCUMENT_SCORES)
        .unwrap_or_default();
    let mut docs: Vec<String> = ids
        .iter()
        .take(SHOWN)
        .enumerate()
        .map(|(i, id)| match scores.get(i) {
            Some(score) => format!("{id}({score:.2})"),
            None => (*id).to_owned(),
        })
        .collect();
    if ids.len() > SHOWN {
        docs.push(format!("+{} more", ids.len() - SHOWN));
    }
    parts.push(format!("docs={}", docs.join(",")));
}

fn push_kv(parts: &mut Vec<String>, label: &str, value: Option<&AttrValue>) {
    match value {
        None | Some(AttrValue::Empty) => {}
        Some(AttrValue::Str(s)) if s.is_empty() => {}
        Some(value) => parts.push(format!("{label}={value}")),
    }
}

/// The first `chars` characters followed by `…`, or `text` if it is not longer.
fn shorten(text: &str, chars: usize) -> String {
    match text.char_indices().nth(chars) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

/// Escapes control characters (newlines, tabs, ESC, ...) so one value stays on one line
/// and cannot drive the terminal.
pub(crate) fn sanitize(text: &str) -> String {
    if !text.chars().any(char::is_control) {
        return text.to_owned();
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    out
}

/// One output line before column alignment.
struct Line {
    offset: String,
    tree: String,
    name: String,
    status: &'static str,
    duration: String,
    summary: String,
    error: bool,
    marker: bool,
    content: Vec<String>,
}

enum Top<'a> {
    Span(usize),
    Missing(&'a str, Vec<usize>),
}

/// Renders spans (normally one trace) as a timeline tree; one `\n`-terminated line per
/// span (plus a marker line per missing parent and, with [`TimelineOptions::content`],
/// content lines). Offsets are relative to the earliest non-zero start time (a span without
/// a start time shows `?`). Returns an
/// empty string for no spans. Column widths adapt to the content; widths count `char`s,
/// so wide (e.g. CJK) characters in names misalign the columns.
///
/// # Examples
///
/// ```
/// use genai_otel::timeline::{render, TimelineOptions};
/// use genai_otel::otlp_json::{StatusCodeRecord, StatusRecord};
/// use genai_otel::otlp_json::{AttrValue, SpanRecord};
///
/// let tool = SpanRecord {
///     span_id: "00000000000000c3".into(),
///     name: "execute_tool create_refund".into(),
///     start_unix_nanos: 1_000_000_000,
///     end_unix_nanos: 1_005_000_000,
///     status: StatusRecord { code: StatusCodeRecord::Error, message: "amount too large".into() },
///     attributes: vec![("error.type".into(), AttrValue::Str("INVALID_ARGUMENT".into()))],
///     ..Default::default()
/// };
/// let plain = render(std::slice::from_ref(&tool), &TimelineOptions::default());
/// assert_eq!(plain, "0ms  execute_tool create_refund  error 5ms  INVALID_ARGUMENT: amount too large\n");
/// let colored = render(&[tool], &TimelineOptions::default().with_color(true));
/// assert!(colored.contains("\x1b[31merror\x1b[0m"));
/// ```
pub fn render(spans: &[SpanRecord], options: &TimelineOptions) -> String {
    if spans.is_empty() {
        return String::new();
    }
    let trace_start = spans
        .iter()
        .map(|s| s.start_unix_nanos)
        .filter(|&t| t != 0)
        .min()
        .unwrap_or(0);

    // Index and parent/child relation.
    let mut by_id: HashMap<&str, usize> = HashMap::with_capacity(spans.len());
    for (i, span) in spans.iter().enumerate() {
        by_id.entry(span.span_id.as_str()).or_insert(i);
    }
    let mut children: Vec<Vec<usize>> = vec![Vec::new(); spans.len()];
    let mut tops: Vec<Top<'_>> = Vec::new();
    let mut missing: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, span) in spans.iter().enumerate() {
        match span.parent_span_id.as_deref() {
            Some(parent) => match by_id.get(parent) {
                Some(&p) if p != i => children[p].push(i),
                _ if span.parent_is_remote == Some(true) => tops.push(Top::Span(i)),
                Some(_) => tops.push(Top::Span(i)),
                None => missing.entry(parent).or_default().push(i),
            },
            None => tops.push(Top::Span(i)),
        }
    }
    let order = |a: &usize, b: &usize| {
        let (sa, sb) = (&spans[*a], &spans[*b]);
        sa.start_unix_nanos
            .cmp(&sb.start_unix_nanos)
            .then_with(|| sa.name.cmp(&sb.name))
            .then_with(|| a.cmp(b))
    };
    for list in &mut children {
        list.sort_by(order);
    }
    for (parent, mut list) in missing {
        list.sort_by(order);
        tops.push(Top::Missing(parent, list));
    }
    let top_start = |top: &Top<'_>| match top {
        Top::Span(i) => spans[*i].start_unix_nanos,
        Top::Missing(_, list) => list
            .iter()
            .map(|i| spans[*i].start_unix_nanos)
            .min()
            .unwrap_or(0),
    };
    tops.sort_by_key(|top| top_start(top));

    let mut walker = Walker {
        spans,
        children: &children,
        visited: vec![false; spans.len()],
        trace_start,
        options,
        lines: Vec::with_capacity(spans.len() + 1),
    };
    for top in &tops {
        match top {
            Top::Span(i) => walker.walk(*i, String::new(), String::new()),
            Top::Missing(parent, list) => {
                walker.lines.push(Line {
                    offset: String::new(),
                    tree: String::new(),
                    name: format!("(missing parent {})", sanitize(parent)),
                    status: "",
                    duration: String::new(),
                    summary: String::new(),
                    error: false,
                    marker: true,
                    content: Vec::new(),
                });
                for (n, &child) in list.iter().enumerate() {
                    let (glyph, cont) = glyphs(n + 1 == list.len());
                    walker.walk(child, glyph.into(), cont.into());
                }
            }
        }
    }
    // Spans only reachable through a parent cycle.
    let mut rest: Vec<usize> = (0..spans.len()).filter(|&i| !walker.visited[i]).collect();
    rest.sort_by(order);
    for i in rest {
        walker.walk(i, String::new(), String::new());
    }

    layout(&walker.lines, options)
}

fn glyphs(last: bool) -> (&'static str, &'static str) {
    if last {
        ("└─ ", "   ")
    } else {
        ("├─ ", "│  ")
    }
}

struct Walker<'a> {
    spans: &'a [SpanRecord],
    children: &'a [Vec<usize>],
    visited: Vec<bool>,
    trace_start: u64,
    options: &'a TimelineOptions,
    lines: Vec<Line>,
}

impl Walker<'_> {
    /// Depth-first walk from `start` with an explicit stack, so deep traces cannot
    /// overflow the call stack. `tree` prefixes the span's own line, `base` its children's.
    fn walk(&mut self, start: usize, tree: String, base: String) {
        let mut stack: Vec<(usize, String, String)> = vec![(start, tree, base)];
        while let Some((i, tree, base)) = stack.pop() {
            if self.visited[i] {
                continue;
            }
            self.visited[i] = true;
            let kids: Vec<usize> = self.children[i]
                .iter()
                .copied()
                .filter(|&c| !self.visited[c])
                .collect();
            self.lines.push(span_line(
                &self.spans[i],
                self.trace_start,
                tree,
                &base,
                !kids.is_empty(),
                self.options,
            ));
            // Beyond MAX_DEPTH levels the tree stops indenting (children are drawn at the
            // cap), keeping every line bounded however deep a trace is.
            let deep = base.chars().count() >= MAX_DEPTH * 3;
            for (n, &child) in kids.iter().enumerate().rev() {
                let (glyph, cont) = glyphs(n + 1 == kids.len());
                let child_base = if deep {
                    base.clone()
                } else {
                    format!("{base}{cont}")
                };
                stack.push((child, format!("{base}{glyph}"), child_base));
            }
        }
    }
}

fn span_line(
    span: &SpanRecord,
    trace_start: u64,
    tree: String,
    base: &str,
    has_children: bool,
    options: &TimelineOptions,
) -> Line {
    let error = span.status.is_error();
    let offset = if span.start_unix_nanos == 0 {
        "?".to_owned()
    } else {
        format_duration(span.start_unix_nanos.saturating_sub(trace_start))
    };
    let mut content = Vec::new();
    if options.content {
        let indent = format!("{base}{}", if has_children { "│  " } else { "   " });
        for (key, value) in &span.attributes {
            if !semconv::is_content_key(key) {
                continue;
            }
            let text = match value {
                AttrValue::Str(s) => s.clone(),
                other => other.to_string(),
            };
            let text = sanitize(&shorten(&text, options.content_max_chars));
            content.push(format!("{indent}{}: {text}", sanitize(key)));
        }
    }
    Line {
        offset,
        tree,
        name: sanitize(&span.name),
        status: if error { "error" } else { "ok" },
        duration: format_duration(span.duration_nanos()),
        summary: sanitize(&shorten(&span_summary(span), options.max_summary_chars)),
        error,
        marker: false,
        content,
    }
}

fn layout(lines: &[Line], options: &TimelineOptions) -> String {
    let width = |s: &str| s.chars().count();
    let offset_width = lines.iter().map(|l| width(&l.offset)).max().unwrap_or(0) + 2;
    let name_width = lines
        .iter()
        .filter(|l| !l.marker)
        .map(|l| width(&l.tree) + width(&l.name))
        .max()
        .unwrap_or(0)
        .min(options.max_name_width.max(8));
    let duration_width = lines.iter().map(|l| width(&l.duration)).max().unwrap_or(0);
    let status_width = 5;

    let mut out = String::new();
    for line in lines {
        let mut text = String::new();
        let _ = write!(text, "{:<offset_width$}", line.offset);
        if line.marker {
            let marker = format!("{}{}", line.tree, line.name);
            if options.color {
                let _ = write!(text, "{DIM}{marker}{RESET}");
            } else {
                text.push_str(&marker);
            }
            out.push_str(text.trim_end());
            out.push('\n');
            continue;
        }
        let tree_width = width(&line.tree);
        let room = name_width.saturating_sub(tree_width).max(1);
        let name = if width(&line.name) > room {
            shorten(&line.name, room.saturating_sub(1))
        } else {
            line.name.clone()
        };
        let label = format!("{}{}", line.tree, name);
        let _ = write!(text, "{label:<name_width$}  ");
        let status = format!("{:<status_width$}", line.status);
        if options.color && line.error {
            let _ = write!(text, "{RED}{status}{RESET}");
        } else {
            text.push_str(&status);
        }
        let _ = write!(text, " {:>duration_width$}", line.duration);
        if !line.summary.is_empty() {
            text.push_str("  ");
            if options.color && line.error {
                let _ = write!(text, "{RED}{}{RESET}", line.summary);
            } else {
                text.push_str(&line.summary);
            }
        }
        out.push_str(text.trim_end());
        out.push('\n');
        for content in &line.content {
            let blank = " ".repeat(offset_width);
            if options.color {
                let _ = writeln!(out, "{blank}{DIM}{content}{RESET}");
            } else {
                let _ = writeln!(out, "{blank}{content}");
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_at_unit_boundaries() {
        assert_eq!(format_duration(1), "<0.1ms");
        assert_eq!(format_duration(49_999), "<0.1ms");
        assert_eq!(format_duration(50_000), "0.1ms");
        assert_eq!(format_duration(960_000), "1ms");
        assert_eq!(format_duration(1_000_000), "1ms");
        assert_eq!(format_duration(999_400_000), "999ms");
        assert_eq!(format_duration(999_600_000), "1.00s");
        assert_eq!(format_duration(59_996_000_000), "1m00s");
        assert_eq!(format_duration(3_600_000_000_000), "1h00m");
    }

    #[test]
    fn sanitize_escapes_terminal_control() {
        assert_eq!(sanitize("a\nb\x1b[31m"), "a\\nb\\u{1b}[31m");
        assert_eq!(sanitize("plain"), "plain");
    }

    #[test]
    fn shorten_counts_chars() {
        assert_eq!(shorten("3f9a0c77", 4), "3f9a…");
        assert_eq!(shorten("ab", 4), "ab");
        assert_eq!(shorten("ééééé", 2), "éé…");
    }
}
