//! Checks the store's files with an independent parser: protobuf's JSON parser in Python
//! (`tests/python/check_otlp_json.py`, needs PyPI `opentelemetry-proto`).
//!
//! The interpreter is `$GENAI_OTEL_PYTHON`, or a virtual environment the tests create under
//! the target directory on first use (`tests/common::python_with`). It never skips: without
//! the independent parser the test fails.

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{block_on, TempDir};
use genai_otel::store::{store_files, LocalStore, SpanReader, StoreOptions};
use opentelemetry::trace::{
    Link, Span as _, SpanContext, SpanId, SpanKind, Status, TraceContextExt, TraceFlags, TraceId,
    TraceState, Tracer, TracerProvider,
};
use opentelemetry::{Array, Context, KeyValue, StringValue, Value};
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanEvents, SpanExporter, SpanLinks};
use opentelemetry_sdk::Resource;

const SCRIPT: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/python/check_otlp_json.py"
);

/// Outcome of running the checker.
enum Check {
    Ran { code: i32, stdout: String },
    Unavailable(String),
}

fn run_checker(files: &[PathBuf]) -> Check {
    let python = common::python_with(&["opentelemetry-proto"])
        .display()
        .to_string();
    let output = match Command::new(&python).arg(SCRIPT).args(files).output() {
        Ok(output) => output,
        Err(err) => return Check::Unavailable(format!("cannot run `{python}`: {err}")),
    };
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    match output.status.code() {
        Some(3) => Check::Unavailable(format!("`{python}` lacks the protobuf modules: {stderr}")),
        Some(code) => Check::Ran {
            code,
            stdout: format!("{stdout}{stderr}"),
        },
        None => Check::Ran {
            code: -1,
            stdout: format!("{stdout}{stderr}"),
        },
    }
}

/// Returns `None` (after printing a skip line) when the checker cannot run outside CI.
fn checked(files: &[PathBuf]) -> Option<(i32, String)> {
    match run_checker(files) {
        Check::Ran { code, stdout } => Some((code, stdout)),
        Check::Unavailable(why) => panic!(
            "the OTLP/JSON cross-check could not run: {why}; point GENAI_OTEL_PYTHON at a \
             Python with `opentelemetry-proto`, or let the test create its venv (needs PyPI)"
        ),
    }
}

/// Writes a store with real SDK spans (rotating across files) plus hand-built spans that
/// cover every field, and returns its files.
fn write_store(dir: &Path) -> (Vec<PathBuf>, usize) {
    let store = LocalStore::open(dir, StoreOptions::default().with_max_file_bytes(2_000))
        .expect("open store");
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_service_name("support-api")
                .with_attribute(KeyValue::new("service.version", "1.2.3"))
                .build(),
        )
        .with_simple_exporter(store)
        .build();
    let tracer = provider.tracer("genai-otel");

    // Continue a remote trace, as a server span does.
    let remote = SpanContext::new(
        TraceId::from(0x4bf9_2f35_77b3_4da6_a3ce_929d_0e0e_4736_u128),
        SpanId::from(0x00f0_67aa_0ba9_02b7_u64),
        TraceFlags::SAMPLED,
        true,
        TraceState::from_key_value([("congo", "t61rcWkgMzE")]).expect("trace state"),
    );
    let parent_cx = Context::new().with_remote_span_context(remote.clone());
    let mut root = tracer
        .span_builder("invoke_agent support_agent")
        .with_kind(SpanKind::Server)
        .with_links(vec![Link::with_context(remote)])
        .start_with_context(&tracer, &parent_cx);
    root.set_attribute(KeyValue::new("http.route", "/v1/support"));
    root.set_attribute(KeyValue::new("user.hash", "3f9a0c1d"));
    let root_cx = parent_cx.with_span(root);
    for i in 0..6_i64 {
        let mut chat = tracer.start_with_context(format!("chat gpt-4.1-mini #{i}"), &root_cx);
        chat.set_attribute(KeyValue::new("gen_ai.operation.name", "chat"));
        chat.set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 812 + i));
        chat.set_attribute(KeyValue::new("gen_ai.request.temperature", 0.2));
        chat.set_attribute(KeyValue::new(
            "gen_ai.response.finish_reasons",
            Value::Array(Array::String(vec![StringValue::from("stop")])),
        ));
        chat.set_attribute(KeyValue::new(
            "gen_ai.input.messages",
            "[{\"role\":\"user\",\"content\":\"Rückerstattung für 🧾 #1234\\n\"}]",
        ));
        chat.add_event(
            "gen_ai.evaluation.result",
            vec![KeyValue::new("gen_ai.evaluation.score.value", 0.75)],
        );
        if i == 3 {
            chat.set_status(Status::error("rate limited: \"429\""));
        }
        chat.end();
    }
    root_cx.span().end();
    provider.shutdown().expect("shutdown");

    // Hand-built spans for the fields the tracer API does not reach.
    let store = LocalStore::open(dir, StoreOptions::default()).expect("open second store");
    let mut data = common::span(0xabc, 0x1, 0, "hand-built", 0, 3);
    data.attributes = vec![
        KeyValue::new("nan", f64::NAN),
        KeyValue::new("inf", f64::INFINITY),
        KeyValue::new("ninf", f64::NEG_INFINITY),
        KeyValue::new("i_min", i64::MIN),
        KeyValue::new("i_max", i64::MAX),
        KeyValue::new("b", false),
        KeyValue::new("empty", Value::Array(Array::Bool(Vec::new()))),
        KeyValue::new("floats", Value::Array(Array::F64(vec![0.91, 1e-300, -0.0]))),
        KeyValue::new("ints", Value::Array(Array::I64(vec![1, -1]))),
        KeyValue::new("control", "tab\there\u{1}\u{7f}"),
    ];
    data.dropped_attributes_count = 2;
    let mut events = SpanEvents::default();
    events.events = vec![opentelemetry::trace::Event::new(
        "exception",
        common::at_ms(1),
        vec![KeyValue::new("exception.type", "ValueError")],
        1,
    )];
    events.dropped_count = 1;
    data.events = events;
    let mut links = SpanLinks::default();
    links.links = vec![Link::new(
        SpanContext::new(
            TraceId::from(0xdef_u128),
            SpanId::from(0x2_u64),
            TraceFlags::default(),
            false,
            TraceState::default(),
        ),
        vec![KeyValue::new("reason", "retry")],
        0,
    )];
    links.dropped_count = 3;
    data.links = links;
    data.status = Status::Ok;
    data.span_kind = SpanKind::Consumer;
    block_on(store.export(vec![data])).expect("export hand-built span");

    (store_files(dir).expect("list store"), 8)
}

#[test]
fn python_protobuf_parses_every_line_of_the_store() {
    let dir = TempDir::new("python-check");
    let (files, expected_spans) = write_store(dir.path());
    assert!(files.len() >= 3, "the store rotated: {files:?}");
    let ours = SpanReader::from_files(files.clone())
        .collect::<Result<Vec<_>, _>>()
        .expect("our reader reads the store");
    assert_eq!(ours.len(), expected_spans);

    let Some((code, output)) = checked(&files) else {
        return;
    };
    println!("{output}");
    assert_eq!(code, 0, "the python check failed:\n{output}");
    assert!(
        output.contains(&format!("spans={expected_spans} problems=0 OK")),
        "{output}"
    );
}

#[test]
fn python_check_rejects_broken_lines() {
    let dir = TempDir::new("python-broken");
    let good = r#"{"resourceSpans":[{"resource":{},"scopeSpans":[{"scope":{"name":"x"},"spans":[{"traceId":"5b8efff798038103d269b633813fc60c","spanId":"eee19b7ec3c1b174","flags":257,"name":"ok","kind":1}]}]}]}"#;
    let cases = [
        (
            "short-id",
            good.replace("eee19b7ec3c1b174", "eee19b7ec3c1b17"),
        ),
        (
            "int-as-float",
            good.replace(r#""kind":1"#, r#""kind":1,"startTimeUnixNano":1.5"#),
        ),
        (
            "unknown-field",
            good.replace(r#""name":"ok""#, r#""name":"ok","spanID":"x""#),
        ),
        (
            "bad-enum",
            good.replace(r#""kind":1"#, r#""kind":"SPAN_KIND_BOGUS""#),
        ),
    ];
    let mut files = Vec::new();
    let good_file = dir.path().join("good.jsonl");
    std::fs::write(&good_file, format!("{good}\n")).expect("write");
    for (name, line) in &cases {
        let file = dir.path().join(format!("{name}.jsonl"));
        std::fs::write(&file, format!("{line}\n")).expect("write");
        files.push(file);
    }

    let Some((code, output)) = checked(std::slice::from_ref(&good_file)) else {
        return;
    };
    assert_eq!(code, 0, "the valid line passes:\n{output}");
    for file in &files {
        let Some((code, output)) = checked(std::slice::from_ref(file)) else {
            return;
        };
        assert_eq!(code, 1, "{} should fail:\n{output}", file.display());
        assert!(output.contains(":1: "), "problem names the line:\n{output}");
    }
}
