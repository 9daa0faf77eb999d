//! The console exporter prints a trace once, when its local root arrives.

mod common;

use common::{block_on, span};
use genai_otel::console::{ConsoleExporter, SharedBuffer};
use opentelemetry::trace::{Status, Tracer, TracerProvider};
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use opentelemetry_sdk::Resource;

const TRACE: u128 = 0x5b8e_fff7_9803_8103_d269_b633_813f_c60c;

fn exporter() -> (ConsoleExporter, SharedBuffer) {
    let sink = SharedBuffer::new();
    let mut exporter = ConsoleExporter::with_writer(sink.clone());
    exporter.set_resource(
        &Resource::builder_empty()
            .with_service_name("support-api")
            .build(),
    );
    (exporter, sink)
}

#[test]
fn out_of_order_batches_print_the_trace_once_when_the_root_arrives() {
    let (exporter, sink) = exporter();
    let mut tool = span(TRACE, 3, 2, "execute_tool create_refund", 96, 101);
    tool.status = Status::error("INVALID_ARGUMENT");
    tool.attributes = vec![KeyValue::new("gen_ai.operation.name", "execute_tool")];
    let chat = span(TRACE, 2, 1, "chat gpt-4.1-mini", 91, 140);
    let root = span(TRACE, 1, 0, "invoke_agent support_agent", 0, 312);
    let prompt = span(TRACE, 4, 1, "prompt.load", 0, 11);

    block_on(exporter.export(vec![tool, chat])).expect("first batch");
    assert_eq!(sink.contents(), "", "nothing printed before the root");

    // The root arrives with one more child after it in the same batch.
    block_on(exporter.export(vec![root, prompt])).expect("second batch");
    let expected = "\
trace 5b8efff798038103d269b633813fc60c  support-api  4 spans  312ms
0ms   invoke_agent support_agent        ok    312ms
0ms   ├─ prompt.load                    ok     11ms
91ms  └─ chat gpt-4.1-mini              ok     49ms
96ms     └─ execute_tool create_refund  error   5ms  INVALID_ARGUMENT

";
    let out = sink.contents();
    assert_eq!(out.matches("trace 5b8e").count(), 1, "{out}");
    assert_eq!(out, expected);

    // Nothing is left to print at shutdown.
    exporter.shutdown().expect("shutdown");
    assert_eq!(sink.contents(), expected);
    assert!(matches!(
        block_on(exporter.export(Vec::new())),
        Err(OTelSdkError::AlreadyShutdown)
    ));
}

#[test]
fn a_span_with_a_remote_parent_is_a_local_root() {
    let (exporter, sink) = exporter();
    let mut server = span(TRACE, 0x10, 0xabc, "POST /v1/support", 0, 20);
    server.parent_span_is_remote = true;
    let child = span(TRACE, 0x11, 0x10, "chat gpt-4.1-mini", 2, 12);
    block_on(exporter.export(vec![child, server])).expect("export");
    let out = sink.contents();
    assert!(
        out.starts_with("trace 5b8efff798038103d269b633813fc60c  support-api  2 spans  20ms\n"),
        "{out}"
    );
    assert!(out.contains("└─ chat gpt-4.1-mini"), "{out}");
}

#[test]
fn waiting_traces_are_bounded_and_flushed_at_shutdown() {
    let (exporter, sink) = exporter();
    let exporter = exporter.with_max_pending_traces(2);
    // Three traces whose roots never arrive.
    for trace in 1..=3u128 {
        block_on(exporter.export(vec![span(trace, 2, 1, &format!("child of {trace}"), 0, 1)]))
            .expect("export");
    }
    let out = sink.contents();
    assert_eq!(
        out.matches("trace ").count(),
        1,
        "only the oldest is evicted: {out}"
    );
    assert!(out.starts_with("trace 00000000000000000000000000000001  support-api  1 span  1ms  (partial: root span not received yet; printed early because too many traces were waiting)\n"), "{out}");
    assert!(out.contains("(missing parent 0000000000000001)"), "{out}");

    exporter.shutdown().expect("shutdown");
    let out = sink.contents();
    assert_eq!(
        out.matches("partial: root span not received before shutdown")
            .count(),
        2,
        "{out}"
    );
    let second = out
        .find("trace 00000000000000000000000000000002")
        .expect("trace 2");
    let third = out
        .find("trace 00000000000000000000000000000003")
        .expect("trace 3");
    assert!(second < third, "oldest first");
}

#[test]
fn the_span_cap_also_bounds_memory() {
    let (exporter, sink) = exporter();
    let exporter = exporter.with_max_pending_spans(3);
    block_on(exporter.export((2..=5).map(|id| span(1, id, 1, "child", 0, 1)).collect()))
        .expect("export");
    let out = sink.contents();
    assert!(out.contains("4 spans"), "{out}");
    assert!(out.contains("printed early"), "{out}");
}

#[test]
fn works_as_the_sdk_exporter() {
    let sink = SharedBuffer::new();
    let provider = SdkTracerProvider::builder()
        .with_simple_exporter(ConsoleExporter::with_writer(sink.clone()))
        .build();
    let tracer = provider.tracer("app");
    tracer.in_span("invoke_agent support_agent", |_cx| {
        tracer.in_span("retrieval support_policy_prod", |_cx| {});
        tracer.in_span("chat gpt-4.1-mini", |_cx| {});
    });
    tracer.in_span("second trace", |_cx| {});
    provider.shutdown().expect("shutdown");
    let out = sink.contents();
    assert_eq!(
        out.matches("\ntrace ").count() + usize::from(out.starts_with("trace ")),
        2,
        "{out}"
    );
    assert!(out.contains("├─ retrieval support_policy_prod"), "{out}");
    assert!(out.contains("└─ chat gpt-4.1-mini"), "{out}");
    assert!(
        out.contains("unknown_service"),
        "SDK default resource: {out}"
    );
    assert!(!out.contains("partial"), "{out}");
}
