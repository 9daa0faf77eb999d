//! Throughput of `Redactor::redact` on 64 KiB inputs, against two baselines
//! over the same bytes: a SIMD byte search (`memchr`) and one simple regex
//! (an SSN pattern) searched by the same regex engine.
//!
//! Run: `cargo bench --bench redaction -- --warm-up-time 1 --measurement-time 3`

use std::borrow::Cow;
use std::hint::black_box;

use criterion::{criterion_main, Criterion, Throughput};
use genai_otel::{Detector, Redactor};

const SIZE: usize = 64 * 1024;

/// Sentences of a support chat between a user and an assistant: numbers,
/// dates, prices, versions, times, code, URLs, markdown and some non-ASCII,
/// but no PII or secret.
const SENTENCES: &[&str] = &[
    "Thanks for reaching out! I can help you with that.",
    "Your order #48213 shipped on 2026-03-14 and should arrive by March 18.",
    "The total comes to $1,299.00 including tax, and the refund of $42.50 was issued yesterday.",
    "Please upgrade the client to v8.7.34 or later; 8.6 had a known issue with retries.",
    "We can schedule the call for 10:30 AM or 2:15 PM on Thursday.",
    "Use `std::fs::read_to_string(path)?` to load the file, then `serde_json::from_str` to parse it.",
    "1. Open Settings → Privacy.\n2. Turn off \"Share usage data\".\n3. Restart the app.",
    "See https://docs.example.com/guide/setup#install for the full instructions.",
    "Python 3.12 is about 25% faster on this benchmark than 3.10, according to the release notes.",
    "The error says: connection reset by peer (os error 104). That usually means the server closed the socket.",
    "I tried that already, but the build still fails with exit code 101.",
    "Could you share the exact command you ran and the output you got?",
    "**Note:** the free tier allows 3 projects and 1,000 requests per day.",
    "The café on page 42 of the naïve guide is closed on Mondays — sorry about that.",
    "Try `cargo build --release -j 2` and check whether memory stays under 4 GB.",
    "Your ticket TCK-2231 was escalated to the platform team; expect an update within 24 hours.",
    "The model gpt-4.1-mini returned 512 tokens in 1.8 s, which is within the SLA.",
    "In the table below, row 7 shows the 95th percentile latency: 340 ms.",
    "If the issue persists, clear the cache (Ctrl+Shift+R) and log in again.",
    "Here is a summary of the changes between 2.3 and 2.4: faster startup, fewer allocations, and a new flag.",
];

/// One sample of each kind of secret, inserted about once per KiB.
const SECRETS: &[(&str, &str)] = &[
    ("", "ana.garcia@example.com"),
    ("", "+1 415 555 2671"),
    ("", "4111 1111 1111 1111"),
    ("SSN ", "262-92-2594"),
    ("from ", "203.0.113.7"),
    ("key ", "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNxakieS4p6rwz5"),
    ("token ", "ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu"),
    ("IBAN ", "DE89 3704 0044 0532 0130 00"),
    (
        "Authorization: Bearer ",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    ("password=", "hunter2!"),
    ("", "AKIAIOSFODNN7EXAMPLE"),
    ("", "2001:db8::8a2e:370:7334"),
];

fn chat(with_secrets: bool) -> String {
    let mut out = String::with_capacity(SIZE + 256);
    let mut next_secret = 1024;
    let mut i = 0;
    while out.len() < SIZE {
        out.push_str(SENTENCES[i % SENTENCES.len()]);
        out.push(if i % 5 == 4 { '\n' } else { ' ' });
        if with_secrets && out.len() >= next_secret {
            out.push_str("My details: ");
            let (prefix, value) = SECRETS[(i / 3) % SECRETS.len()];
            out.push_str(prefix);
            out.push_str(value);
            out.push_str(". ");
            next_secret += 1024;
        }
        i += 1;
    }
    while out.len() > SIZE {
        out.pop();
    }
    out
}

fn json_messages() -> String {
    let text = chat(false);
    let mut messages = Vec::new();
    let mut rest = text.as_str();
    let mut i = 0;
    while !rest.is_empty() {
        let mut cut = rest.len().min(600);
        while !rest.is_char_boundary(cut) {
            cut -= 1;
        }
        let (head, tail) = rest.split_at(cut);
        let role = if i % 2 == 0 { "user" } else { "assistant" };
        messages
            .push(serde_json::json!({"role": role, "parts": [{"type": "text", "content": head}]}));
        rest = tail;
        i += 1;
    }
    serde_json::to_string(&messages).expect("serializable")
}

fn bench(c: &mut Criterion) {
    let redactor = Redactor::builder()
        .builtin(Detector::ALL)
        .build()
        .expect("built-ins compile");
    let clean = chat(false);
    let dirty = chat(true);
    let json = json_messages();
    assert!(
        matches!(redactor.redact(&clean), Cow::Borrowed(_)),
        "bench text must be clean"
    );
    assert!(
        matches!(redactor.redact(&json), Cow::Borrowed(_)),
        "bench JSON must be clean"
    );
    let redacted = redactor.redact(&dirty);
    for (_, value) in SECRETS {
        assert!(
            dirty.contains(value) && !redacted.contains(value),
            "{value} must be redacted"
        );
    }

    let ssn = regex_automata::meta::Regex::new(r"[0-9]{3}-[0-9]{2}-[0-9]{4}").expect("compiles");

    let mut g = c.benchmark_group("redaction");
    g.throughput(Throughput::Bytes(clean.len() as u64));
    g.bench_function("baseline_memchr", |b| {
        b.iter(|| memchr::memchr_iter(b'\0', black_box(clean.as_bytes())).count())
    });
    g.bench_function("baseline_one_regex", |b| {
        b.iter(|| ssn.find_iter(black_box(clean.as_str())).count())
    });
    g.bench_function("chat_no_secrets", |b| {
        b.iter(|| redactor.redact(black_box(&clean)).len())
    });
    g.throughput(Throughput::Bytes(dirty.len() as u64));
    g.bench_function("chat_1_secret_per_kib", |b| {
        b.iter(|| redactor.redact(black_box(&dirty)).len())
    });
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_function("json_messages", |b| {
        b.iter(|| redactor.redact(black_box(&json)).len())
    });
    g.finish();
}

/// Runs the group with the command line's criterion settings.
fn benches() {
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
