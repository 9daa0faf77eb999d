//! Synthetic stores for volume tests: OTLP/JSON lines written directly with
//! `genai_otel::otlp_json::encode_request`, the library's own encoder (fast: no pipeline).
//!
//! Shared by the `large` tests and `cli/examples/gen_store.rs`. Trace `i` (0-based) has four
//! spans — `invoke_agent support_agent` (root), `retrieval`, `chat <model>` and
//! `execute_tool lookup_order` — and deterministic properties: tenant, model and prompt
//! version rotate with `i`, every tenth trace (`i % 10 == 3`) has a tool error, start times
//! are one second apart from 2026-06-03T17:00:00Z.
#![allow(dead_code)]

use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::Path;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use genai_otel::opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use genai_otel::opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use genai_otel::opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use genai_otel::opentelemetry_sdk::Resource;
use genai_otel::otlp_json::encode_request;

/// Start of trace 0: 2026-06-03T17:00:00Z, in seconds since the epoch.
pub(crate) const T0_SECS: u64 = 1_780_506_000;
pub(crate) const TENANTS: [&str; 3] = ["acme-retail", "globex", "initech"];
pub(crate) const MODELS: [&str; 3] = ["gpt-4.1-mini", "gpt-4.1", "claude-sonnet-4"];
pub(crate) const PROMPT_VERSIONS: [&str; 2] = ["3.2.0", "3.3.0"];

/// The trace id of trace `i`.
pub(crate) fn trace_id(i: u64) -> u128 {
    // Spread the bits so prefixes differ; keep it non-zero.
    (u128::from(i.wrapping_mul(0x9e37_79b9_7f4a_7c15)) << 64) | u128::from(i + 1)
}

/// Input + output tokens of trace `i`'s chat.
pub(crate) fn tokens(i: u64) -> (i64, i64) {
    (500 + (i % 1000) as i64, 50 + (i % 200) as i64)
}

pub(crate) fn has_error(i: u64) -> bool {
    i % 10 == 3
}

fn at(i: u64, ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_secs(T0_SECS + i) + Duration::from_millis(ms)
}

fn span(i: u64, n: u64, parent: u64, name: String, start_ms: u64, end_ms: u64) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace_id(i)),
            SpanId::from((i << 8) | n),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: if parent == 0 {
            SpanId::INVALID
        } else {
            SpanId::from((i << 8) | parent)
        },
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.into(),
        start_time: at(i, start_ms),
        end_time: at(i, end_ms),
        attributes: Vec::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("genai-otel").build(),
    }
}

/// The four spans of trace `i`, in end order (as an exporter writes them).
pub(crate) fn trace_spans(i: u64) -> Vec<SpanData> {
    let tenant = TENANTS[(i % 3) as usize];
    let model = MODELS[(i / 3 % 3) as usize];
    let version = PROMPT_VERSIONS[(i / 9 % 2) as usize];
    let (input, output) = tokens(i);
    let prompt = |mut s: SpanData| {
        s.attributes
            .push(KeyValue::new("gen_ai.prompt.name", "support_agent_v3"));
        s.attributes
            .push(KeyValue::new("gen_ai.prompt.version", version));
        s
    };

    let mut retrieval = prompt(span(i, 2, 1, "retrieval support_policy_prod".into(), 1, 20));
    retrieval.attributes.extend([
        KeyValue::new("gen_ai.operation.name", "retrieval"),
        KeyValue::new("gen_ai.data_source.id", "support_policy_prod"),
        KeyValue::new("gen_ai.retrieval.top_k", 5_i64),
        KeyValue::new(
            "genai_otel.retrieval.document_ids",
            Value::Array(Array::String(vec![
                StringValue::from(format!("doc_{}", i % 500)),
                StringValue::from(format!("doc_{}", (i + 7) % 500)),
            ])),
        ),
        KeyValue::new(
            "genai_otel.retrieval.document_scores",
            Value::Array(Array::F64(vec![0.91, 0.84])),
        ),
    ]);

    let mut chat = prompt(span(i, 3, 1, format!("chat {model}"), 21, 700));
    chat.span_kind = SpanKind::Client;
    chat.attributes.extend([
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.provider.name", "openai"),
        KeyValue::new("gen_ai.request.model", model),
        KeyValue::new("gen_ai.request.temperature", 0.2),
        KeyValue::new("gen_ai.usage.input_tokens", input),
        KeyValue::new("gen_ai.usage.output_tokens", output),
        KeyValue::new(
            "gen_ai.response.finish_reasons",
            Value::Array(Array::String(vec![StringValue::from("tool_calls")])),
        ),
        KeyValue::new(
            "genai_otel.cost.usd",
            (input as f64) * 4e-7 + (output as f64) * 1.6e-6,
        ),
    ]);

    let mut tool = prompt(span(i, 4, 1, "execute_tool lookup_order".into(), 701, 760));
    tool.attributes.extend([
        KeyValue::new("gen_ai.operation.name", "execute_tool"),
        KeyValue::new("gen_ai.tool.name", "lookup_order"),
        KeyValue::new("gen_ai.tool.call.id", format!("call_{i}")),
    ]);
    if has_error(i) {
        tool.attributes
            .push(KeyValue::new("error.type", "NOT_FOUND"));
        tool.status = Status::error(format!("order ord_{i} does not exist"));
    }

    let mut root = prompt(span(i, 1, 0, "invoke_agent support_agent".into(), 0, 800));
    root.span_kind = SpanKind::Server;
    root.attributes.extend([
        KeyValue::new("gen_ai.operation.name", "invoke_agent"),
        KeyValue::new("gen_ai.agent.name", "support_agent"),
        KeyValue::new("http.route", "/v1/support"),
        KeyValue::new("genai_otel.tenant.id", tenant),
        KeyValue::new(
            "genai_otel.sampling.decision",
            if has_error(i) {
                "keep:error"
            } else {
                "keep:base_rate"
            },
        ),
    ]);
    vec![retrieval, chat, tool, root]
}

/// Trace `i` of a lean store, for memory tests where parsing time matters: a `chat <model>`
/// span then its root, named `GET /orders/<i>` (a unique name per trace, the string
/// interner's worst case).
pub(crate) fn lean_trace_spans(i: u64) -> Vec<SpanData> {
    let model = MODELS[(i / 3 % 3) as usize];
    let (input, output) = tokens(i);
    let mut chat = span(i, 2, 1, format!("chat {model}"), 1, 700);
    chat.attributes.extend([
        KeyValue::new("gen_ai.operation.name", "chat"),
        KeyValue::new("gen_ai.request.model", model),
        KeyValue::new("gen_ai.usage.input_tokens", input),
        KeyValue::new("gen_ai.usage.output_tokens", output),
    ]);
    let root = span(i, 1, 0, format!("GET /orders/{i}"), 0, 800);
    vec![chat, root]
}

/// Writes `traces` traces to `dir` as OTLP/JSON Lines, `per_line` traces per line (one
/// export batch), starting a new file every `per_file` lines. Returns the bytes written.
pub(crate) fn write_store(
    dir: &Path,
    traces: u64,
    per_line: u64,
    per_file: u64,
) -> io::Result<u64> {
    write_store_with(dir, traces, per_line, per_file, trace_spans)
}

/// [`write_store`] with `spans(i)` as trace `i`.
pub(crate) fn write_store_with(
    dir: &Path,
    traces: u64,
    per_line: u64,
    per_file: u64,
    spans: fn(u64) -> Vec<SpanData>,
) -> io::Result<u64> {
    std::fs::create_dir_all(dir)?;
    let resource = Resource::builder_empty()
        .with_service_name("support-api")
        .build();
    let per_line = per_line.max(1);
    let per_file = per_file.max(1);
    let mut bytes = 0;
    let mut file: Option<BufWriter<File>> = None;
    let mut lines_in_file = 0;
    let mut file_no = 0;
    let mut i = 0;
    while i < traces {
        if file.is_none() || lines_in_file == per_file {
            if let Some(mut f) = file.take() {
                f.flush()?;
            }
            file = Some(BufWriter::new(File::create(
                dir.join(format!("traces-20260603T170000Z-1-{file_no:06}.jsonl")),
            )?));
            file_no += 1;
            lines_in_file = 0;
        }
        let end = (i + per_line).min(traces);
        let batch: Vec<SpanData> = (i..end).flat_map(spans).collect();
        let line = encode_request(&resource, &batch);
        if let Some(f) = file.as_mut() {
            f.write_all(line.as_bytes())?;
            f.write_all(b"\n")?;
        }
        bytes += line.len() as u64 + 1;
        lines_in_file += 1;
        i = end;
    }
    if let Some(mut f) = file.take() {
        f.flush()?;
    }
    Ok(bytes)
}

/// Writes `spans` as one OTLP/JSON line to the file `path`.
pub(crate) fn write_line(path: &Path, spans: &[SpanData]) -> io::Result<()> {
    let resource = Resource::builder_empty()
        .with_service_name("support-api")
        .build();
    let mut line = encode_request(&resource, spans);
    line.push('\n');
    std::fs::write(path, line)
}
