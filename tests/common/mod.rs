//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use std::future::Future;
use std::path::{Path, PathBuf};
use std::pin::pin;
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::{Context, Poll, Waker};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use opentelemetry::trace::{
    SpanContext, SpanId, SpanKind, Status, TraceFlags, TraceId, TraceState,
};
use opentelemetry::{InstrumentationScope, KeyValue};
use opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};

/// A directory under the system temp dir, unique per call, removed on drop.
#[derive(Debug)]
pub struct TempDir(PathBuf);

impl TempDir {
    pub fn new(name: &str) -> TempDir {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or(0);
        let path = std::env::temp_dir().join(format!(
            "genai-otel-test-{name}-{}-{nanos}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir(path)
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Polls a future to completion on this thread (the exporters' futures never pend).
pub fn block_on<F: Future>(future: F) -> F::Output {
    let mut future = pin!(future);
    let mut cx = Context::from_waker(Waker::noop());
    loop {
        if let Poll::Ready(value) = future.as_mut().poll(&mut cx) {
            return value;
        }
        std::thread::yield_now();
    }
}

pub fn at_ms(ms: u64) -> SystemTime {
    UNIX_EPOCH + Duration::from_millis(1_780_506_000_000 + ms)
}

/// A finished span with the given ids (parent 0 = root), times in ms after a fixed epoch.
pub fn span(trace: u128, id: u64, parent: u64, name: &str, start_ms: u64, end_ms: u64) -> SpanData {
    SpanData {
        span_context: SpanContext::new(
            TraceId::from(trace),
            SpanId::from(id),
            TraceFlags::SAMPLED,
            false,
            TraceState::default(),
        ),
        parent_span_id: SpanId::from(parent),
        parent_span_is_remote: false,
        span_kind: SpanKind::Internal,
        name: name.to_owned().into(),
        start_time: at_ms(start_ms),
        end_time: at_ms(end_ms),
        attributes: Vec::<KeyValue>::new(),
        dropped_attributes_count: 0,
        events: SpanEvents::default(),
        links: SpanLinks::default(),
        status: Status::Unset,
        instrumentation_scope: InstrumentationScope::builder("genai-otel-test").build(),
    }
}

/// A Python interpreter with `packages` installed, in a virtual environment under the target
/// directory (created on first use, shared by all tests, guarded by a file lock).
///
/// `GENAI_OTEL_PYTHON` overrides the interpreter (its packages must then already be there).
/// Panics with the command to run when Python or PyPI is unreachable: a test that needs a
/// Python peer fails rather than passing without it.
pub fn python_with(packages: &[&str]) -> PathBuf {
    if let Ok(p) = std::env::var("GENAI_OTEL_PYTHON") {
        return PathBuf::from(p);
    }
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("pyvenv");
    std::fs::create_dir_all(&dir).expect("create venv dir");
    let lock = std::fs::File::create(dir.with_extension("lock")).expect("lock file");
    lock.lock().expect("lock venv");
    let python = dir.join("bin").join("python");
    if !python.exists() {
        let status = Command::new("python3")
            .args(["-m", "venv"])
            .arg(&dir)
            .status()
            .expect("python3 is required for this test: install CPython 3.9+");
        assert!(status.success(), "python3 -m venv {} failed", dir.display());
    }
    let marker = dir.join(format!(
        "installed-{}",
        packages.join("+").replace(['/', '='], "_")
    ));
    if !marker.exists() {
        let status = Command::new(&python)
            .args([
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
            ])
            .args(packages)
            .status()
            .expect("run pip");
        assert!(
            status.success(),
            "pip install {} failed; run it by hand: {} -m pip install {}",
            packages.join(" "),
            python.display(),
            packages.join(" ")
        );
        std::fs::write(&marker, b"").expect("marker");
    }
    python
}

/// Installs the pipeline for the current thread with an in-memory collector, every trace
/// kept and no redaction (so tests see exactly what was recorded).
pub fn install(
    content: genai_otel::ContentCapture,
) -> (genai_otel::ScopedGuard, genai_otel::testing::SpanCollector) {
    let spans = genai_otel::testing::SpanCollector::new();
    let guard = genai_otel::init_scoped(
        genai_otel::Config::new("genai-otel-test")
            .exporter(genai_otel::ExporterKind::None)
            .collector(spans.clone())
            .content_capture(content)
            .sampling(genai_otel::Sampling::disabled())
            .user_hash_key(b"test-key-0123456789abcdef")
            .without_redaction(),
    )
    .expect("init_scoped");
    (guard, spans)
}

/// Flushes and returns every span collected so far.
pub fn flush(
    guard: &genai_otel::ScopedGuard,
    spans: &genai_otel::testing::SpanCollector,
) -> Vec<SpanData> {
    assert!(guard.force_flush());
    spans.spans()
}

/// The span named `name`; panics listing the names that exist.
pub fn get<'a>(spans: &'a [SpanData], name: &str) -> &'a SpanData {
    spans.iter().find(|s| s.name == name).unwrap_or_else(|| {
        panic!(
            "no span {name:?} in {:?}",
            spans.iter().map(|s| s.name.to_string()).collect::<Vec<_>>()
        )
    })
}

/// Attribute `key` as text (non-strings in their display form).
pub fn text(span: &SpanData, key: &str) -> Option<String> {
    match genai_otel::testing::attribute(span, key)? {
        opentelemetry::Value::String(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

/// Attribute `key` as an integer.
pub fn int(span: &SpanData, key: &str) -> Option<i64> {
    match genai_otel::testing::attribute(span, key)? {
        opentelemetry::Value::I64(i) => Some(*i),
        _ => None,
    }
}
