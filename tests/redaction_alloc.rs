//! `Redactor::redact` and `Redactor::redact_span` allocate nothing when there is nothing
//! to redact, measured with a counting global allocator (this test binary only).
//!
//! "Nothing" is the steady state: the first call on a thread may fill the regex engine's
//! lazy-DFA cache, so each input is redacted once before the counted call.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;
use std::hint::black_box;
use std::time::SystemTime;

use genai_otel::opentelemetry::trace::{Event, SpanContext, SpanId, SpanKind, Status};
use genai_otel::opentelemetry::{Array, InstrumentationScope, KeyValue, StringValue, Value};
use genai_otel::opentelemetry_sdk::trace::{SpanData, SpanEvents, SpanLinks};
use genai_otel::{Detector, Redactor};

/// Counts the allocations of the current thread while counting is on. Tests run on
/// several threads; only the measuring thread's allocations are counted.
struct CountingAlloc;

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
    static COUNT: Cell<usize> = const { Cell::new(0) };
}

fn note_allocation() {
    // `try_with`: thread-locals may already be gone while a thread exits.
    let _ = COUNTING.try_with(|on| {
        if on.get() {
            let _ = COUNT.try_with(|n| n.set(n.get() + 1));
        }
    });
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only
// touches const-initialised thread-locals (no allocation, no reentrancy).
unsafe impl GlobalAlloc for CountingAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        note_allocation();
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.realloc(ptr, layout, new_size) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }
}

#[global_allocator]
static GLOBAL: CountingAlloc = CountingAlloc;

/// Heap allocations made by `f` on this thread.
fn allocations<T>(f: impl FnOnce() -> T) -> (usize, T) {
    COUNT.with(|n| n.set(0));
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (COUNT.with(Cell::get), out)
}

fn all() -> Redactor {
    Redactor::builder()
        .builtin(Detector::ALL)
        .build()
        .expect("built-ins compile")
}

/// Prompt-like text without PII or secrets, but with everything that makes the scanner
/// stop and look: digits, dates, prices, versions, times, `@`, `:`, `=`, `+`, `(`, URLs,
/// code, non-ASCII, and words that start like key prefixes (`sk`, `Bearer`, `Basic`).
const SENTENCES: &[&str] = &[
    "Thanks for reaching out! I can help you with that.",
    "Your order #48213 shipped on 2026-03-14 and should arrive by March 18.",
    "The total comes to $1,299.00 including tax, and the refund of $42.50 was issued.",
    "Please upgrade the client to v8.7.34 or later; 8.6 had a known issue with retries.",
    "We can schedule the call for 10:30 AM or 2:15 PM on Thursday.",
    "Use `std::fs::read_to_string(path)?` and then `serde_json::from_str` to parse it.",
    "See https://docs.example.com/guide/setup#install for the full instructions.",
    "Set retries=3 and timeout: 30 in the config; mention @support in the channel.",
    "Python 3.12 is about 25% faster than 3.10 (see the notes) with 1,000 requests + 2 GB.",
    "The café on page 42 of the naïve guide is closed on Mondays — sorry about that.",
    "Basic question: the Bearer of bad news was the sketch artist, said the FAQ.",
    "The model gpt-4.1-mini returned 512 tokens in 1.8 s, which is within the SLA.",
];

fn prose(size: usize) -> String {
    let mut out = String::with_capacity(size + 128);
    let mut i = 0;
    while out.len() < size {
        out.push_str(SENTENCES[i % SENTENCES.len()]);
        out.push(if i % 5 == 4 { '\n' } else { ' ' });
        i += 1;
    }
    let mut cut = size;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

/// Asserts that redacting `text` changes nothing and, once warm, allocates nothing.
#[track_caller]
fn assert_no_allocation(r: &Redactor, what: &str, text: &str) {
    assert!(
        matches!(r.redact(text), Cow::Borrowed(_)),
        "{what}: the input must have nothing to redact"
    );
    let (n, out) = allocations(|| r.redact(black_box(text)).len());
    assert_eq!(out, text.len());
    assert_eq!(n, 0, "{what}: {n} allocations on input with no match");
}

#[test]
fn no_match_inputs_allocate_nothing() {
    let r = all();
    // The counter works: a match allocates the output.
    let _ = r.redact("mail ana@example.com");
    let (n, out) = allocations(|| r.redact(black_box("mail ana@example.com")).into_owned());
    assert_eq!(out, "mail [email]");
    assert!(n > 0, "the counting allocator must see the output string");

    for size in [1024, 64 * 1024] {
        assert_no_allocation(&r, &format!("{size}-byte prose"), &prose(size));
    }
    // JSON without escape sequences in its strings is walked without allocating.
    let json = serde_json::json!([
        {"role": "system", "parts": [{"type": "text", "content": prose(600)}]},
        {"role": "user", "parts": [{"type": "text", "content": prose(2000)}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "name": "lookup_order",
            "arguments": {"order": 48213, "max_tokens": 512, "note": prose(300)}}]},
    ])
    .to_string()
    .replace("\\n", " ");
    assert!(!json.contains('\\'));
    assert_no_allocation(&r, "JSON messages", &json);
}

#[test]
fn clean_spans_are_scrubbed_without_allocating() {
    let r = all();
    let text = prose(4096);
    let mut events = SpanEvents::default();
    events.events.push(Event::new(
        "exception",
        SystemTime::UNIX_EPOCH,
        vec![
            KeyValue::new(
                "exception.message",
                "connection reset by peer (os error 104)",
            ),
            KeyValue::new("exception.stacktrace", text.clone()),
        ],
        0,
    ));
    let mut span = SpanData {
        span_context: SpanContext::empty_context(),
        parent_span_id: SpanId::INVALID,
        parent_span_is_remote: false,
        span_kind: SpanKind::Client,
        name: "chat gpt-4.1-mini".into(),
        start_time: SystemTime::UNIX_EPOCH,
        end_time: SystemTime::UNIX_EPOCH,
        attributes: vec![
            KeyValue::new("gen_ai.input.messages", text.clone()),
            KeyValue::new("gen_ai.usage.input_tokens", 812_i64),
            KeyValue::new(
                "thirdparty.tags",
                Value::Array(Array::String(vec![StringValue::from("v8.7.34")])),
            ),
        ],
        dropped_attributes_count: 0,
        events,
        links: SpanLinks::default(),
        status: Status::error("rate limited: retry in 30 s"),
        instrumentation_scope: InstrumentationScope::builder("x").build(),
    };
    let before = format!("{span:?}");
    r.redact_span(&mut span);
    assert_eq!(format!("{span:?}"), before, "nothing to redact");
    let (n, ()) = allocations(|| r.redact_span(black_box(&mut span)));
    assert_eq!(n, 0, "{n} allocations scrubbing a clean span");
}
