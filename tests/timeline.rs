//! Timeline rendering: golden output for a support-agent trace, orphans, content, color.

use std::sync::Arc;

use genai_otel::otlp_json::{AttrValue, SpanRecord, StatusCodeRecord, StatusRecord};
use genai_otel::timeline::{render, TimelineOptions};

const MS: u64 = 1_000_000;
const T0: u64 = 1_780_506_000_000 * MS;

fn s(v: &str) -> AttrValue {
    AttrValue::Str(v.into())
}

fn strs(v: &[&str]) -> AttrValue {
    AttrValue::Array(v.iter().map(|x| s(x)).collect())
}

fn span(
    id: u64,
    parent: Option<u64>,
    name: &str,
    start_ms: f64,
    dur_ms: f64,
    attributes: Vec<(&str, AttrValue)>,
) -> SpanRecord {
    let start = T0 + (start_ms * MS as f64) as u64;
    SpanRecord {
        trace_id: "5b8efff798038103d269b633813fc60c".into(),
        span_id: format!("{id:016x}"),
        parent_span_id: parent.map(|p| format!("{p:016x}")),
        parent_is_remote: Some(false),
        name: name.into(),
        start_unix_nanos: start,
        end_unix_nanos: start + (dur_ms * MS as f64) as u64,
        attributes: attributes
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect(),
        resource_attributes: Arc::new(vec![("service.name".into(), s("support-api"))]),
        ..Default::default()
    }
}

fn error(mut span: SpanRecord, message: &str) -> SpanRecord {
    span.status = StatusRecord {
        code: StatusCodeRecord::Error,
        message: message.into(),
    };
    span
}

/// A support-agent trace, deliberately shuffled.
fn support_trace() -> Vec<SpanRecord> {
    let root = span(
        1,
        None,
        "invoke_agent support_agent",
        0.0,
        1500.0,
        vec![
            ("gen_ai.operation.name", s("invoke_agent")),
            ("http.route", s("/v1/support")),
            ("genai_otel.tenant.id", s("acme")),
            ("user.hash", s("3f9a0c1d2e3f40516273849506a7b8c9")),
            ("genai_otel.sampling.decision", s("keep:error")),
        ],
    );
    let prompt = span(
        2,
        Some(1),
        "prompt.load",
        0.0,
        11.0,
        vec![
            ("genai_otel.span.type", s("prompt.load")),
            ("gen_ai.prompt.name", s("support_agent_v3")),
            ("genai_otel.prompt.version_id", s("prv_2026_06_03_17")),
            ("genai_otel.prompt.release", s("prod")),
        ],
    );
    let retrieval = span(
        3,
        Some(1),
        "retrieval support_policy_prod",
        42.0,
        23.0,
        vec![
            ("gen_ai.operation.name", s("retrieval")),
            ("gen_ai.retrieval.top_k", AttrValue::Int(5)),
            (
                "genai_otel.retrieval.document_ids",
                strs(&["doc_102", "doc_087"]),
            ),
            (
                "genai_otel.retrieval.document_scores",
                AttrValue::Array(vec![AttrValue::Double(0.912), AttrValue::Double(0.84)]),
            ),
        ],
    );
    let chat = span(
        4,
        Some(1),
        "chat gpt-4.1-mini",
        91.0,
        49.0,
        vec![
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.usage.input_tokens", AttrValue::Int(812)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(164)),
            ("gen_ai.response.finish_reasons", strs(&["tool_calls"])),
            (
                "gen_ai.input.messages",
                s(r#"[{"role":"user","parts":[{"type":"text","content":"Refund order 1234"}]}]"#),
            ),
        ],
    );
    let tool = error(
        span(
            5,
            Some(4),
            "execute_tool create_refund",
            96.0,
            5.0,
            vec![
                ("gen_ai.operation.name", s("execute_tool")),
                ("gen_ai.tool.call.id", s("call_8x")),
                ("error.type", s("INVALID_ARGUMENT")),
            ],
        ),
        "refund_amount_cents must be <= order_total_cents",
    );
    let parse = span(
        6,
        Some(1),
        "parse_output RefundDecision",
        141.0,
        0.4,
        vec![
            ("genai_otel.span.type", s("parse_output")),
            ("genai_otel.parser.schema", s("RefundDecision")),
            ("genai_otel.parser.status", s("repaired")),
            ("genai_otel.parser.attempts", AttrValue::Int(2)),
        ],
    );
    let chat2 = span(
        7,
        Some(1),
        "chat gpt-4.1-mini",
        150.0,
        1234.0,
        vec![
            ("gen_ai.operation.name", s("chat")),
            ("gen_ai.usage.input_tokens", AttrValue::Int(1024)),
            ("gen_ai.usage.output_tokens", AttrValue::Int(88)),
            ("gen_ai.usage.cache_read.input_tokens", AttrValue::Int(768)),
            ("gen_ai.response.finish_reasons", strs(&["stop"])),
        ],
    );
    let ok_tool = span(
        8,
        Some(7),
        "execute_tool lookup_order",
        200.0,
        3.0,
        vec![
            ("gen_ai.operation.name", s("execute_tool")),
            ("gen_ai.tool.call.id", s("call_9y")),
        ],
    );
    vec![chat2, tool, root, parse, ok_tool, retrieval, prompt, chat]
}

#[test]
fn golden_support_agent_timeline() {
    let text = render(&support_trace(), &TimelineOptions::default());
    let expected = "\
0ms    invoke_agent support_agent        ok    1.50s  route=/v1/support tenant=acme user=3f9a… sampling=keep:error
0ms    ├─ prompt.load                    ok     11ms  support_agent_v3 @ prv_2026_06_03_17 (prod)
42ms   ├─ retrieval support_policy_prod  ok     23ms  top_k=5 docs=doc_102(0.91),doc_087(0.84)
91ms   ├─ chat gpt-4.1-mini              ok     49ms  in=812 out=164 finish=tool_calls
96ms   │  └─ execute_tool create_refund  error   5ms  INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents
141ms  ├─ parse_output RefundDecision    ok    0.4ms  schema=RefundDecision status=repaired attempts=2
150ms  └─ chat gpt-4.1-mini              ok    1.23s  in=1024 out=88 cached=768 finish=stop
200ms     └─ execute_tool lookup_order   ok      3ms  call_id=call_9y
";
    assert_eq!(text, expected);
}

#[test]
fn color_marks_errors_and_plain_output_has_no_ansi() {
    let spans = support_trace();
    let plain = render(&spans, &TimelineOptions::default());
    assert!(!plain.contains('\x1b'));
    let colored = render(&spans, &TimelineOptions::default().with_color(true));
    assert!(colored.contains("\x1b[31merror\x1b[0m"), "{colored}");
    assert!(colored.contains("\x1b[31mINVALID_ARGUMENT: refund_amount_cents"));
    // Without the escapes the colored output is the plain output.
    let stripped = colored
        .replace("\x1b[31m", "")
        .replace("\x1b[2m", "")
        .replace("\x1b[0m", "");
    assert_eq!(stripped, plain);
}

#[test]
fn content_lines_are_indented_truncated_and_escaped() {
    let mut spans = support_trace();
    // Terminal escape and newline in recorded model output.
    spans[7].attributes.push((
        "gen_ai.output.messages".into(),
        s("line one\nline two \u{1b}[2J cleared?"),
    ));
    let text = render(
        &spans,
        &TimelineOptions::default()
            .with_content(true)
            .with_content_max_chars(30),
    );
    let lines: Vec<&str> = text.lines().collect();
    let chat = lines
        .iter()
        .position(|l| l.contains("in=812"))
        .expect("chat line");
    assert_eq!(
        lines[chat + 1],
        "       │  │  gen_ai.input.messages: [{\"role\":\"user\",\"parts\":[{\"typ…"
    );
    assert_eq!(
        lines[chat + 2],
        "       │  │  gen_ai.output.messages: line one\\nline two \\u{1b}[2J cleared…"
    );
    assert!(lines[chat + 3].contains("execute_tool create_refund"));
    assert!(!text.contains('\u{1b}'), "escape sequences are neutralised");
    // Metadata is not repeated as content.
    assert!(!text.contains("gen_ai.usage.input_tokens:"));
    // Without the option there are no content lines.
    let plain = render(&spans, &TimelineOptions::default());
    assert_eq!(plain.lines().count(), 8);
}

#[test]
fn orphans_remote_parents_and_cycles_are_all_shown() {
    let mut remote_child = span(5, Some(0xbeef), "POST /v1/refund", 3.0, 2.0, vec![]);
    remote_child.parent_is_remote = Some(true);
    let spans = vec![
        span(1, None, "root", 0.0, 10.0, vec![]),
        span(2, Some(1), "child", 1.0, 2.0, vec![]),
        span(3, Some(0xdead), "orphan b", 6.0, 1.0, vec![]),
        span(4, Some(0xdead), "orphan a", 5.0, 1.0, vec![]),
        remote_child,
        span(6, Some(7), "cycle x", 8.0, 1.0, vec![]),
        span(7, Some(6), "cycle y", 9.0, 1.0, vec![]),
    ];
    let text = render(&spans, &TimelineOptions::default());
    let expected = "\
0ms  root             ok    10ms
1ms  └─ child         ok     2ms
3ms  POST /v1/refund  ok     2ms
     (missing parent 000000000000dead)
5ms  ├─ orphan a      ok     1ms
6ms  └─ orphan b      ok     1ms
8ms  cycle x          ok     1ms
9ms  └─ cycle y       ok     1ms
";
    assert_eq!(text, expected);
}

#[test]
fn long_names_are_cut_and_deep_traces_stay_bounded() {
    let long = "x".repeat(100);
    let spans = vec![span(1, None, &long, 0.0, 1.0, vec![])];
    let text = render(&spans, &TimelineOptions::default().with_max_name_width(20));
    assert_eq!(text, format!("0ms  {}…  ok    1ms\n", "x".repeat(19)));

    // A 5,000-level chain renders without recursion and with bounded line length.
    let chain: Vec<SpanRecord> = (1..=5_000u64)
        .map(|i| span(i, (i > 1).then(|| i - 1), "step", i as f64, 1.0, vec![]))
        .collect();
    let text = render(&chain, &TimelineOptions::default());
    assert_eq!(text.lines().count(), 5_000);
    let longest = text.lines().map(|l| l.chars().count()).max().unwrap_or(0);
    assert!(longest < 120, "longest line {longest}");
}

#[test]
fn no_spans_render_nothing() {
    assert_eq!(render(&[], &TimelineOptions::default()), "");
}
