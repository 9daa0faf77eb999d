//! Throughput of `Redactor::redact` with every built-in detector, on 1 KiB and 64 KiB of
//! prompt-like text with no matches, a few matches and dense matches, against a baseline in
//! the same run: the same built-in patterns applied as sequential `regex::Regex::replace_all`
//! passes (one compiled `Regex` per pattern, compiled once, outside the timing loop).
//!
//! The ladder, per input:
//!
//! * `baseline_memchr`: a SIMD search for a byte that is not there (the memory-bandwidth
//!   ceiling of any scan);
//! * `sequential_regex`: the baseline above. It finds candidates only: the validators
//!   (Luhn, mod-97, octet ranges, key names, …) are not applied, so on text with colons or
//!   `@` it replaces more than the redactor does;
//! * `redactor`: `Redactor::redact` with `Detector::ALL`.
//!
//! Before the timings, the bench counts the heap allocations of one `redact` call on each
//! no-match input (after one warm-up call) with a counting global allocator, prints them and
//! fails if any is not 0. `tests/redaction_alloc.rs` checks the same thing in CI.
//!
//! Run: `cargo bench --bench redaction -- --warm-up-time 1 --measurement-time 3`

use std::alloc::{GlobalAlloc, Layout, System};
use std::borrow::Cow;
use std::cell::Cell;
use std::hint::black_box;
use std::sync::atomic::{AtomicUsize, Ordering};

use criterion::{criterion_main, BenchmarkId, Criterion, Throughput};
use genai_otel::{Detector, Redactor};
use regex::{NoExpand, Regex};

/// Counts allocations made by the current thread while [`COUNTING`] is set.
struct CountingAlloc;

static ALLOCATIONS: AtomicUsize = AtomicUsize::new(0);

thread_local! {
    static COUNTING: Cell<bool> = const { Cell::new(false) };
}

fn note_allocation() {
    if COUNTING.with(Cell::get) {
        ALLOCATIONS.fetch_add(1, Ordering::Relaxed);
    }
}

// SAFETY: every call is forwarded unchanged to the system allocator; the counter only
// touches an atomic and a const-initialised thread-local (no allocation, no reentrancy).
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
    ALLOCATIONS.store(0, Ordering::Relaxed);
    COUNTING.with(|c| c.set(true));
    let out = f();
    COUNTING.with(|c| c.set(false));
    (ALLOCATIONS.load(Ordering::Relaxed), out)
}

/// Sentences of a support chat between a user and an assistant: numbers, dates, prices,
/// versions, times, code, URLs, markdown and some non-ASCII, but no PII or secret.
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

/// One sample of each built-in kind: (text before, the secret that must go, text after).
const SECRETS: &[(&str, &str, &str)] = &[
    ("", "ana.garcia@example.com", ""),
    ("", "+1 415 555 2671", ""),
    ("SSN ", "262-92-2594", ""),
    ("", "4111 1111 1111 1111", ""),
    ("IBAN ", "DE89 3704 0044 0532 0130 00", ""),
    ("from ", "203.0.113.7", ""),
    ("", "2001:db8::8a2e:370:7334", ""),
    (
        "",
        "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
        "",
    ),
    ("Authorization: Basic ", "dXNlcjpwYXNzd29yZA==", ""),
    ("postgres://admin:", "s3cr3t-pw", "@db.example.com/app"),
    (
        "-----BEGIN PRIVATE KEY-----\n",
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASC",
        "\n-----END PRIVATE KEY-----",
    ),
    ("key ", "sk-proj-QIYWD2jZ1a7BmScVUbHte3xJitZU8vNxakieS4p6rwz5", ""),
    ("", "sk-ant-api03-R2D2C3POxyzR2D2C3POxyzR2D2C3POxyz-abcDEF123_xyzAA", ""),
    ("", "AKIAIOSFODNN7EXAMPLE", ""),
    ("token ", "ghp_iT6QLWhtjNZ8JJ7P3JIAVWEqt4H2hIcEdoxu", ""),
    ("", "xoxb-1234567890-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ""),
    ("", "sk_live_51H8xYzAbCdEfGhIjKlMnOpQr", ""),
    ("", "AIzaSyA-1234567890abcdefghijklmnopqrstu", ""),
    ("", "hf_AbCdEfGhIjKlMnOpQrStUvWxYz01234567", ""),
    ("", "glpat-xxxxxxxxxxxxxxxxxxxx", ""),
    ("password=", "hunter2!", ""),
];

const KIB: usize = 1024;

#[derive(Clone, Copy)]
enum Density {
    /// No secret at all.
    None,
    /// About one secret per KiB of prose (1 in the 1 KiB input, 64 in the 64 KiB one).
    Few,
    /// A secret in every short sentence: about half of the bytes are secrets.
    Dense,
}

impl Density {
    fn name(self) -> &'static str {
        match self {
            Density::None => "no_matches",
            Density::Few => "few_matches",
            Density::Dense => "dense_matches",
        }
    }
}

/// Prompt-like text of exactly `size` bytes (cut at a character boundary below it).
fn prompt(size: usize, density: Density) -> String {
    let mut out = String::with_capacity(size + 512);
    let mut next_secret = 512;
    let mut k = 0;
    let mut i = 0;
    while out.len() < size {
        let push_secret = match density {
            Density::None => false,
            Density::Few => out.len() >= next_secret,
            Density::Dense => true,
        };
        if push_secret {
            let (before, value, after) = SECRETS[k % SECRETS.len()];
            out.push_str(if matches!(density, Density::Dense) {
                "Mine: "
            } else {
                "My details: "
            });
            out.push_str(before);
            out.push_str(value);
            out.push_str(after);
            out.push_str(". ");
            k += 1;
            next_secret += KIB;
        }
        if !matches!(density, Density::Dense) || i % 4 == 3 {
            out.push_str(SENTENCES[i % SENTENCES.len()]);
            out.push(if i % 5 == 4 { '\n' } else { ' ' });
        }
        i += 1;
    }
    let mut cut = size;
    while !out.is_char_boundary(cut) {
        cut -= 1;
    }
    out.truncate(cut);
    out
}

/// The same text as a JSON array of chat messages.
fn json_messages(text: &str) -> String {
    let mut messages = Vec::new();
    let mut rest = text;
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

/// The baseline: every built-in pattern as its own `Regex`, applied one `replace_all` pass
/// after the other.
struct Sequential {
    passes: Vec<(String, Regex)>,
}

impl Sequential {
    fn new(detectors: Detector) -> Sequential {
        let passes = genai_otel::redact::__builtin_patterns(detectors)
            .into_iter()
            .map(|(label, pattern)| {
                let re = Regex::new(pattern).expect("built-in patterns compile in `regex`");
                (format!("[{label}]"), re)
            })
            .collect();
        Sequential { passes }
    }

    fn redact<'a>(&self, text: &'a str) -> Cow<'a, str> {
        let mut cur = Cow::Borrowed(text);
        for (label, re) in &self.passes {
            if let Cow::Owned(next) = re.replace_all(&cur, NoExpand(label)) {
                cur = Cow::Owned(next);
            }
        }
        cur
    }
}

fn bench(c: &mut Criterion) {
    let redactor = Redactor::builder()
        .builtin(Detector::ALL)
        .build()
        .expect("built-ins compile");
    let sequential = Sequential::new(Detector::ALL);

    let sizes = [("1KiB", KIB), ("64KiB", 64 * KIB)];
    let densities = [Density::None, Density::Few, Density::Dense];
    let mut inputs = Vec::new();
    for (size_name, size) in sizes {
        for density in densities {
            inputs.push((size_name, density, prompt(size, density)));
        }
    }

    // Sanity: the inputs are what they claim to be.
    println!("redaction bench inputs (all built-in detectors):");
    for (size_name, density, text) in &inputs {
        let out = redactor.redact(text);
        let replaced = out
            .matches('[')
            .count()
            .saturating_sub(text.matches('[').count());
        let secrets = SECRETS.iter().filter(|(_, v, _)| text.contains(v)).count();
        match density {
            Density::None => assert!(
                matches!(out, Cow::Borrowed(_)),
                "{size_name} no-match input must be clean"
            ),
            _ => {
                for (_, value, _) in SECRETS {
                    assert!(
                        !out.contains(value),
                        "{value} survived in the {size_name} {} input",
                        density.name()
                    );
                }
            }
        }
        println!(
            "  {size_name:>5} {:<13} {} bytes, {replaced} replacements, {secrets} distinct secret kinds",
            density.name(),
            text.len()
        );
    }

    // No allocation on no-match input (after one warm-up call fills the lazy DFA cache).
    println!("heap allocations in one call (after one warm-up call):");
    for (size_name, density, text) in &inputs {
        let _ = redactor.redact(text);
        let (n, out) = allocations(|| redactor.redact(black_box(text)).len());
        let _ = sequential.redact(text);
        let (m, _) = allocations(|| sequential.redact(black_box(text)).len());
        println!(
            "  {size_name:>5} {:<13} redactor {n:>4}, sequential_regex {m:>4} (output {out} bytes)",
            density.name()
        );
        if matches!(density, Density::None) {
            assert_eq!(n, 0, "redact allocated on the {size_name} no-match input");
        }
    }

    let mut g = c.benchmark_group("redaction");
    for (size_name, density, text) in &inputs {
        g.throughput(Throughput::Bytes(text.len() as u64));
        if matches!(density, Density::None) {
            g.bench_with_input(
                BenchmarkId::new("baseline_memchr", size_name),
                text,
                |b, t| b.iter(|| memchr::memchr_iter(b'\0', black_box(t.as_bytes())).count()),
            );
        }
        g.bench_with_input(
            BenchmarkId::new(format!("sequential_regex/{}", density.name()), size_name),
            text,
            |b, t| b.iter(|| sequential.redact(black_box(t)).len()),
        );
        g.bench_with_input(
            BenchmarkId::new(format!("redactor/{}", density.name()), size_name),
            text,
            |b, t| b.iter(|| redactor.redact(black_box(t)).len()),
        );
    }
    // The same clean text as a JSON message array (stage 1 walks it).
    let json = json_messages(&prompt(64 * KIB, Density::None));
    assert!(matches!(redactor.redact(&json), Cow::Borrowed(_)));
    g.throughput(Throughput::Bytes(json.len() as u64));
    g.bench_with_input(
        BenchmarkId::new("redactor/json_no_matches", "64KiB"),
        &json,
        |b, t| b.iter(|| redactor.redact(black_box(t)).len()),
    );
    g.finish();
}

/// `REDACTION_PROFILE=<density>/<size>` (for example `dense_matches/64KiB`) skips criterion
/// and runs [`profile_loop`] on that input: 100 `redact` calls, and 100 `sequential_regex`
/// calls in [`profile_sequential`]. Meant for instruction counts:
///
/// ```text
/// REDACTION_PROFILE=dense_matches/64KiB valgrind --tool=callgrind \
///     --toggle-collect='redaction::profile_loop' target/release/deps/redaction-<hash>
/// ```
///
/// gives the instructions of 100 calls (`--toggle-collect='redaction::profile_sequential'`
/// for the baseline).
fn profile(which: &str) {
    let started = std::time::Instant::now();
    let redactor = Redactor::builder()
        .builtin(Detector::ALL)
        .build()
        .expect("built-ins compile");
    println!("Redactor::build took {:?}", started.elapsed());
    let sequential = Sequential::new(Detector::ALL);
    let text = [("1KiB", KIB), ("64KiB", 64 * KIB)]
        .into_iter()
        .flat_map(|(size_name, size)| {
            [Density::None, Density::Few, Density::Dense]
                .into_iter()
                .map(move |d| (format!("{}/{size_name}", d.name()), size, d))
        })
        .find(|(name, _, _)| name == which)
        .map(|(_, size, d)| prompt(size, d))
        .unwrap_or_else(|| panic!("REDACTION_PROFILE: unknown input {which:?}"));
    // Warm the lazy DFA caches outside the measured functions.
    let warm = redactor.redact(&text).len() + sequential.redact(&text).len();
    let a = profile_loop(&redactor, &text);
    let b = profile_sequential(&sequential, &text);
    println!("{which}: 100 calls each, output bytes {a} / {b} (warm-up {warm})");
}

/// 100 calls of `Redactor::redact`.
#[inline(never)]
fn profile_loop(redactor: &Redactor, text: &str) -> usize {
    (0..100)
        .map(|_| redactor.redact(black_box(text)).len())
        .sum()
}

/// 100 calls of the sequential baseline.
#[inline(never)]
fn profile_sequential(sequential: &Sequential, text: &str) -> usize {
    (0..100)
        .map(|_| sequential.redact(black_box(text)).len())
        .sum()
}

/// Runs the group with the command line's criterion settings.
fn benches() {
    if let Ok(which) = std::env::var("REDACTION_PROFILE") {
        profile(&which);
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    bench(&mut c);
}

criterion_main!(benches);
