//! The local store: writing through the SDK, rotation, reading back.

mod common;

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use common::{block_on, span, TempDir};
use genai_otel::otlp_json::decode_request;
use genai_otel::store::{
    group_by_trace, read_trace, store_files, LocalStore, ReadErrorKind, SpanReader, StoreError,
    StoreOptions,
};
use opentelemetry::trace::{TraceContextExt, Tracer, TracerProvider};
use opentelemetry::KeyValue;
use opentelemetry_sdk::error::OTelSdkError;
use opentelemetry_sdk::trace::{SdkTracerProvider, SpanExporter};
use opentelemetry_sdk::Resource;

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

fn snapshot(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    store_files(dir)
        .expect("list store")
        .into_iter()
        .map(|path| {
            let bytes = fs::read(&path).expect("read store file");
            (path, bytes)
        })
        .collect()
}

#[test]
fn sdk_spans_are_written_as_one_request_per_export() {
    let dir = TempDir::new("sdk");
    let store = LocalStore::open(dir.path(), StoreOptions::default()).expect("open store");
    let provider = SdkTracerProvider::builder()
        .with_resource(
            Resource::builder_empty()
                .with_service_name("support-api")
                .build(),
        )
        .with_simple_exporter(store)
        .build();
    let tracer = provider.tracer("genai-otel");
    let (trace_id, root_id) = tracer.in_span("invoke_agent support_agent", |cx| {
        let span = cx.span();
        span.set_attribute(KeyValue::new("http.route", "/v1/support"));
        tracer.in_span("chat gpt-4.1-mini", |cx| {
            cx.span()
                .set_attribute(KeyValue::new("gen_ai.usage.input_tokens", 812_i64));
        });
        let context = span.span_context();
        (
            format!("{:032x}", context.trace_id()),
            format!("{:016x}", context.span_id()),
        )
    });
    provider.shutdown().expect("shutdown");

    let files = store_files(dir.path()).expect("list");
    assert_eq!(files.len(), 1, "{files:?}");
    let name = file_name(&files[0]);
    assert!(
        name.starts_with("traces-") && name.ends_with(".jsonl"),
        "file name {name}"
    );
    assert!(
        name.contains(&format!("-{}-", std::process::id())),
        "pid in {name}"
    );

    // The simple processor exports each span on its own: two lines, child first.
    let text = fs::read_to_string(&files[0]).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 2, "{text}");
    assert!(text.ends_with('\n'));
    let child = &decode_request(lines[0]).expect("line 1 decodes")[0];
    let root = &decode_request(lines[1]).expect("line 2 decodes")[0];
    assert_eq!(child.name, "chat gpt-4.1-mini");
    assert_eq!(child.parent_span_id.as_deref(), Some(root_id.as_str()));
    assert_eq!(child.attr_i64("gen_ai.usage.input_tokens"), Some(812));
    assert_eq!(root.name, "invoke_agent support_agent");
    assert_eq!(root.trace_id, trace_id);
    assert_eq!(root.span_id, root_id);
    assert!(root.is_local_root());
    assert_eq!(root.attr_str("http.route"), Some("/v1/support"));
    // The provider hands its resource to the exporter through `set_resource`.
    assert_eq!(root.resource_str("service.name"), Some("support-api"));

    let trace = read_trace(dir.path(), &trace_id).expect("read trace");
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["invoke_agent support_agent", "chat gpt-4.1-mini"]);
}

#[test]
fn rotation_creates_ordered_files_and_never_rewrites_one() {
    let dir = TempDir::new("rotate");
    // About two lines per file.
    let probe_line = genai_otel::otlp_json::encode_request(
        &Resource::builder_empty().build(),
        &[span(7, 1, 0, "span-000", 0, 1)],
    );
    let max = (probe_line.len() as u64 + 1) * 2 + 10;
    let store = LocalStore::open(dir.path(), StoreOptions::default().with_max_file_bytes(max))
        .expect("open store");

    let mut written = Vec::new();
    let mut export = |n: u64| {
        let name = format!("span-{n:03}");
        block_on(store.export(vec![span(7, n + 1, 0, &name, n, n + 1)])).expect("export");
        written.push(name);
    };
    for n in 0..5 {
        export(n);
    }
    let before = snapshot(dir.path());
    assert!(
        before.len() >= 3,
        "rotated into several files: {:?}",
        before.keys()
    );
    for bytes in before.values() {
        assert!(bytes.len() as u64 <= max, "file within limit");
        assert!(bytes.ends_with(b"\n"));
    }
    let current = store.current_file().expect("a current file");
    assert_eq!(
        Some(&current),
        before.keys().last(),
        "current file sorts last"
    );

    for n in 5..12 {
        export(n);
    }
    let after = snapshot(dir.path());
    assert!(after.len() > before.len());
    for (path, old) in &before {
        let new = &after[path];
        if path == &current {
            assert!(
                new.starts_with(old),
                "the current file was only appended to"
            );
        } else {
            assert_eq!(new, old, "{} was rewritten", path.display());
        }
    }

    // Reading the files in name order gives the write order.
    let read: Vec<String> = SpanReader::open(dir.path())
        .expect("reader")
        .map(|r| r.expect("record").name)
        .collect();
    assert_eq!(read, written);
    assert_eq!(
        store.bytes_written(),
        after.values().map(|b| b.len() as u64).sum::<u64>()
    );
}

#[test]
fn a_line_larger_than_the_limit_gets_a_file_of_its_own() {
    let dir = TempDir::new("big");
    let store = LocalStore::open(dir.path(), StoreOptions::default().with_max_file_bytes(10))
        .expect("open store");
    block_on(store.export(vec![span(1, 1, 0, "a", 0, 1)])).expect("export");
    block_on(store.export(vec![span(1, 2, 0, "b", 0, 1)])).expect("export");
    let files = snapshot(dir.path());
    assert_eq!(files.len(), 2);
    for bytes in files.values() {
        assert_eq!(bytes.iter().filter(|b| **b == b'\n').count(), 1);
    }
}

#[test]
fn open_fails_with_a_typed_error_naming_the_path() {
    let dir = TempDir::new("unwritable");
    let blocker = dir.path().join("not-a-dir");
    fs::write(&blocker, b"file").expect("write file");
    let target = blocker.join("traces");
    let err = LocalStore::open(&target, StoreOptions::default()).expect_err("cannot create");
    match &err {
        StoreError::CreateDir { path, .. } => assert_eq!(path, &target),
        other => panic!("unexpected error {other:?}"),
    }
    let message = err.to_string();
    assert!(message.contains(&target.display().to_string()), "{message}");
    assert!(
        message.contains("set GENAI_OTEL_STORE_DIR to a writable directory"),
        "{message}"
    );
}

#[test]
fn export_failures_are_sdk_errors_naming_the_path() {
    let dir = TempDir::new("vanish");
    let store_dir = dir.path().join("store");
    // Every export starts a new file, so the next export needs the directory.
    let store = LocalStore::open(&store_dir, StoreOptions::default().with_max_file_bytes(0))
        .expect("open store");
    block_on(store.export(vec![span(1, 1, 0, "a", 0, 1)])).expect("first export");
    fs::remove_dir_all(&store_dir).expect("remove store dir");
    let err = block_on(store.export(vec![span(1, 2, 0, "b", 0, 1)])).expect_err("no directory");
    match err {
        OTelSdkError::InternalFailure(message) => {
            assert!(
                message.contains(&store_dir.display().to_string()),
                "{message}"
            );
            assert!(message.contains("cannot create store file"), "{message}");
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn export_after_shutdown_is_refused() {
    let dir = TempDir::new("shutdown");
    let store = LocalStore::open(dir.path(), StoreOptions::default()).expect("open store");
    store.shutdown().expect("shutdown");
    assert!(matches!(
        block_on(store.export(vec![span(1, 1, 0, "a", 0, 1)])),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    assert!(matches!(
        store.shutdown(),
        Err(OTelSdkError::AlreadyShutdown)
    ));
    assert_eq!(store_files(dir.path()).expect("list").len(), 0);
}

#[test]
fn two_stores_in_one_process_never_share_a_file() {
    let dir = TempDir::new("two");
    let a = LocalStore::open(dir.path(), StoreOptions::default()).expect("open a");
    let b = LocalStore::open(dir.path(), StoreOptions::default()).expect("open b");
    block_on(a.export(vec![span(1, 1, 0, "a", 0, 1)])).expect("export a");
    block_on(b.export(vec![span(1, 2, 0, "b", 0, 1)])).expect("export b");
    assert_ne!(a.current_file(), b.current_file());
    assert_eq!(store_files(dir.path()).expect("list").len(), 2);
}

#[test]
fn a_bad_line_reports_file_and_line_and_reading_continues() {
    let dir = TempDir::new("badline");
    let store = LocalStore::open(dir.path(), StoreOptions::default()).expect("open store");
    block_on(store.export(vec![span(1, 1, 0, "first", 0, 1)])).expect("export");
    let file = store.current_file().expect("file");
    // A line cut off mid-write, then more good data appended after it.
    let mut text = fs::read_to_string(&file).expect("read");
    text.push_str("{\"resourceSpans\":[{\"scopeSp\n");
    fs::write(&file, text).expect("corrupt");
    let good = genai_otel::otlp_json::encode_request(
        &Resource::builder_empty().build(),
        &[span(1, 2, 1, "third", 0, 1)],
    );
    fs::write(
        &file,
        format!("{}{good}\n", fs::read_to_string(&file).expect("read")),
    )
    .expect("append");

    let results: Vec<_> = SpanReader::open(dir.path()).expect("reader").collect();
    assert_eq!(results.len(), 3);
    assert_eq!(
        results[0].as_ref().map(|s| s.name.as_str()).ok(),
        Some("first")
    );
    let err = results[1].as_ref().expect_err("line 2 is bad");
    assert_eq!(err.path, file);
    assert_eq!(err.line, 2);
    assert!(matches!(err.kind, ReadErrorKind::Decode(_)));
    let message = err.to_string();
    assert!(
        message.starts_with(&format!("{}:2: not valid JSON", file.display())),
        "{message}"
    );
    assert_eq!(
        results[2].as_ref().map(|s| s.name.as_str()).ok(),
        Some("third")
    );

    // read_trace stops at the bad line with the same location.
    let err = read_trace(dir.path(), &format!("{:032x}", 1)).expect_err("bad line");
    match err {
        StoreError::Read(err) => assert_eq!((err.path, err.line), (file, 2)),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn invalid_utf8_is_a_decode_error_not_a_stop() {
    let dir = TempDir::new("utf8");
    let file = dir.path().join("traces-a.jsonl");
    let good = genai_otel::otlp_json::encode_request(
        &Resource::builder_empty().build(),
        &[span(1, 2, 0, "after", 0, 1)],
    );
    let mut bytes = b"\xff\xfe garbage\n".to_vec();
    bytes.extend_from_slice(good.as_bytes());
    bytes.push(b'\n');
    fs::write(&file, bytes).expect("write");
    let results: Vec<_> = SpanReader::open(&file).expect("reader").collect();
    assert_eq!(results.len(), 2);
    let err = results[0].as_ref().expect_err("bad utf-8");
    assert_eq!(err.line, 1);
    assert!(err.to_string().contains("invalid UTF-8"), "{err}");
    assert_eq!(
        results[1].as_ref().map(|s| s.name.as_str()).ok(),
        Some("after")
    );
}

#[test]
fn read_trace_streams_across_rotated_files_and_keeps_only_that_trace() {
    let dir = TempDir::new("multi");
    let store = LocalStore::open(dir.path(), StoreOptions::default().with_max_file_bytes(1))
        .expect("open store");
    // Two interleaved traces; every export lands in its own file.
    let a = 0xaaaa_u128;
    let b = 0xbbbb_u128;
    let batches = vec![
        vec![span(a, 2, 1, "a.child1", 10, 20)],
        vec![
            span(b, 2, 1, "b.child", 5, 6),
            span(a, 3, 1, "a.child2", 30, 40),
        ],
        vec![span(b, 1, 0, "b.root", 0, 7)],
        vec![span(a, 1, 0, "a.root", 0, 50)],
    ];
    for batch in batches {
        block_on(store.export(batch)).expect("export");
    }
    assert_eq!(store_files(dir.path()).expect("list").len(), 4);

    let trace = read_trace(dir.path(), &format!("{a:032X}")).expect("read");
    let names: Vec<&str> = trace.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["a.root", "a.child1", "a.child2"], "sorted by start");

    let all: Vec<_> = SpanReader::open(dir.path())
        .expect("reader")
        .collect::<Result<_, _>>()
        .expect("all good");
    let grouped = group_by_trace(all);
    assert_eq!(grouped.len(), 2);
    assert_eq!(grouped[0].len(), 3);
    assert_eq!(grouped[0][0].name, "a.root");
    assert_eq!(
        grouped[1]
            .iter()
            .map(|s| s.name.as_str())
            .collect::<Vec<_>>(),
        ["b.root", "b.child"]
    );

    assert!(read_trace(dir.path(), "00000000000000000000000000000001")
        .expect("read")
        .is_empty());
}

#[test]
fn missing_store_is_not_found() {
    let dir = TempDir::new("missing");
    let missing = dir.path().join("nope");
    let err = read_trace(&missing, "00").expect_err("missing");
    assert!(matches!(err, StoreError::NotFound { .. }));
    assert!(err.to_string().contains("GENAI_OTEL_STORE_DIR"), "{err}");
}
