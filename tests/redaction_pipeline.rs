//! End to end through the public API: random secrets of every built-in detector kind,
//! injected into every content path and into spans and events that other libraries create,
//! never reach the bytes the pipeline exported (the local store's OTLP/JSON files).
//!
//! Each case installs a scoped pipeline with the default redaction (every built-in
//! detector), content capture on and sampling off, records one trace, shuts the pipeline
//! down and reads the store files back. Every injected text is framed by marker words that
//! must survive, so the test cannot pass by exporting nothing.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use genai_otel::opentelemetry::trace::{Span as _, Status, Tracer as _, TracerProvider as _};
use genai_otel::opentelemetry::{Array, KeyValue, StringValue, Value};
use genai_otel::{
    AgentSpan, Config, Evaluation, ExporterKind, InferenceSpan, Message, OutputMessage,
    ParseStatus, ParserSpan, Part, PromptSpan, RetrievalSpan, RetrievedDocument, Sampling,
    ToolSpan,
};
use proptest::prelude::*;
use serde_json::Value as Json;

// ---------------------------------------------------------------------------
// Secrets: one generator per built-in detector, each yielding
// (text containing the secret, the secret value that must disappear).
// ---------------------------------------------------------------------------

type Secret = (String, String);

/// A secret that is its own text.
fn same(s: String) -> Secret {
    (s.clone(), s)
}

fn luhn_complete(digits: &mut Vec<u8>) {
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            let d = u32::from(d);
            if i % 2 == 0 {
                let x = d * 2;
                if x > 9 {
                    x - 9
                } else {
                    x
                }
            } else {
                d
            }
        })
        .sum();
    digits.push(((10 - sum % 10) % 10) as u8);
}

fn b64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n =
            chunk.iter().fold(0u32, |acc, &b| (acc << 8) | u32::from(b)) << (8 * (3 - chunk.len()));
        for i in 0..=chunk.len() {
            out.push(char::from(A[((n >> (18 - 6 * i)) & 63) as usize]));
        }
    }
    while !out.len().is_multiple_of(4) {
        out.push('=');
    }
    out
}

fn email() -> BoxedStrategy<Secret> {
    "[a-z][a-z0-9._+-]{0,12}[a-z0-9]@[a-z0-9]{1,10}(\\.[a-z0-9]{1,8}){0,2}\\.[a-z]{2,6}"
        .prop_map(same)
        .boxed()
}

fn phone() -> BoxedStrategy<Secret> {
    prop_oneof![
        ("[2-9][0-9]{2}", "[2-9][0-9]{2}", "[0-9]{4}", 0usize..5).prop_map(|(a, b, c, f)| {
            same(match f {
                0 => format!("({a}) {b}-{c}"),
                1 => format!("{a}-{b}-{c}"),
                2 => format!("{a}.{b}.{c}"),
                3 => format!("+1 {a} {b} {c}"),
                _ => format!("+1-{a}-{b}-{c}"),
            })
        }),
        (
            "[2-9][0-9]{0,2}",
            prop::collection::vec("[0-9]{2,4}", 2..4),
            prop::sample::select(vec![" ", "-", "."])
        )
            .prop_filter("E.164 has 8 to 15 digits", |(cc, groups, _)| {
                let n = cc.len() + groups.iter().map(String::len).sum::<usize>();
                (8..=15).contains(&n)
            })
            .prop_map(|(cc, groups, sep)| same(format!("+{cc}{sep}{}", groups.join(sep)))),
    ]
    .boxed()
}

fn ssn() -> BoxedStrategy<Secret> {
    ("[0-8][0-9]{2}", "[0-9]{2}", "[0-9]{4}", any::<bool>())
        .prop_filter("valid SSN", |(a, g, s, _)| {
            a != "000" && a != "666" && g != "00" && s != "0000"
        })
        .prop_map(|(a, g, s, dashes)| {
            let sep = if dashes { "-" } else { " " };
            same(format!("{a}{sep}{g}{sep}{s}"))
        })
        .boxed()
}

fn card() -> BoxedStrategy<Secret> {
    let brands: Vec<(&'static str, usize, &'static [usize])> = vec![
        ("4", 16, &[4, 4, 4, 4]),
        ("51", 16, &[4, 4, 4, 4]),
        ("2221", 16, &[4, 4, 4, 4]),
        ("37", 15, &[4, 6, 5]),
        ("6011", 16, &[4, 4, 4, 4]),
        ("3528", 16, &[4, 4, 4, 4]),
        ("36", 14, &[4, 6, 4]),
        ("62", 19, &[4, 4, 4, 4, 3]),
    ];
    (
        prop::sample::select(brands),
        prop::collection::vec(0u8..10, 19),
        0usize..3,
    )
        .prop_map(|((prefix, len, groups), rand, sep)| {
            let mut digits: Vec<u8> = prefix.bytes().map(|b| b - b'0').collect();
            digits.extend(rand.iter().take(len - 1 - digits.len()));
            luhn_complete(&mut digits);
            let s: String = digits.iter().map(|d| char::from(b'0' + d)).collect();
            let sep = ["", " ", "-"][sep];
            let mut out = String::new();
            let mut at = 0;
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push_str(sep);
                }
                out.push_str(&s[at..at + g]);
                at += g;
            }
            same(out)
        })
        .boxed()
}

fn iban() -> BoxedStrategy<Secret> {
    let countries: Vec<(&'static str, usize)> = vec![
        ("DE", 22),
        ("GB", 22),
        ("FR", 27),
        ("NL", 18),
        ("NO", 15),
        ("ES", 24),
        ("IT", 27),
        ("CH", 21),
        ("PL", 28),
        ("BE", 16),
    ];
    (
        prop::sample::select(countries),
        prop::collection::vec(0u8..36, 30),
        any::<bool>(),
    )
        .prop_map(|((cc, len), rand, grouped)| {
            let bban: String = rand
                .iter()
                .take(len - 4)
                .map(|&v| {
                    if v < 10 {
                        char::from(b'0' + v)
                    } else {
                        char::from(b'A' + v - 10)
                    }
                })
                .collect();
            let mut rem = 0u32;
            for c in bban.chars().chain(cc.chars()).chain("00".chars()) {
                let v = c.to_digit(36).unwrap_or(0);
                rem = if v >= 10 {
                    (rem * 100 + v) % 97
                } else {
                    (rem * 10 + v) % 97
                };
            }
            let plain = format!("{cc}{:02}{bban}", 98 - rem);
            same(if grouped {
                plain
                    .as_bytes()
                    .chunks(4)
                    .map(|c| String::from_utf8_lossy(c).into_owned())
                    .collect::<Vec<_>>()
                    .join(" ")
            } else {
                plain
            })
        })
        .boxed()
}

fn ipv4() -> BoxedStrategy<Secret> {
    (any::<u8>(), any::<u8>(), any::<u8>(), any::<u8>())
        .prop_map(|(a, b, c, d)| same(format!("{a}.{b}.{c}.{d}")))
        .boxed()
}

fn ipv6() -> BoxedStrategy<Secret> {
    (
        prop::collection::vec(prop_oneof![Just(0u16), any::<u16>()], 8),
        any::<bool>(),
    )
        .prop_map(|(segs, full)| {
            let addr = std::net::Ipv6Addr::new(
                segs[0], segs[1], segs[2], segs[3], segs[4], segs[5], segs[6], segs[7],
            );
            same(if full {
                segs.iter()
                    .map(|s| format!("{s:04x}"))
                    .collect::<Vec<_>>()
                    .join(":")
            } else {
                addr.to_string()
            })
        })
        .prop_filter("not the unspecified address", |(s, _)| {
            s.bytes().any(|b| b.is_ascii_hexdigit() && b != b'0')
        })
        .boxed()
}

fn jwt() -> BoxedStrategy<Secret> {
    (
        "[A-Za-z0-9_-]{10,40}",
        "[A-Za-z0-9_-]{10,60}",
        "[A-Za-z0-9_-]{20,43}",
    )
        .prop_map(|(h, p, s)| same(format!("eyJ{h}.eyJ{p}.{s}")))
        .boxed()
}

fn auth_header() -> BoxedStrategy<Secret> {
    prop_oneof![
        "[A-Za-z0-9._~+/-]{8,60}".prop_map(|t| (format!("Authorization: Bearer {t}"), t)),
        ("[a-z]{3,10}", "[A-Za-z0-9!#%]{6,16}").prop_map(|(u, p)| {
            let t = b64(format!("{u}:{p}").as_bytes());
            (format!("Authorization: Basic {t}"), t)
        }),
        "[A-Za-z0-9]{20,40}".prop_map(|t| (format!("Proxy-Authorization: Token {t}"), t)),
        ("[a-z]{8,12}", "[0-9]{8,12}", "[A-Za-z0-9]{0,20}").prop_map(|(a, d, r)| {
            let t = format!("{a}{d}{r}");
            (format!("Bearer {t}"), t)
        }),
        ("[a-z]{3,10}", "[A-Za-z0-9!#%]{6,16}").prop_map(|(u, p)| {
            let t = b64(format!("{u}:{p}").as_bytes());
            (format!("Basic {t}"), t)
        }),
    ]
    .boxed()
}

fn url_credentials() -> BoxedStrategy<Secret> {
    (
        prop::sample::select(vec!["postgres", "https", "redis", "mongodb+srv"]),
        "[a-z]{3,10}",
        "[A-Za-z0-9!$%*]{6,16}",
    )
        .prop_map(|(scheme, u, p)| (format!("{scheme}://{u}:{p}@db.internal:5432/app"), p))
        .boxed()
}

fn private_key() -> BoxedStrategy<Secret> {
    (
        prop::sample::select(vec![
            ("", ""),
            ("RSA ", ""),
            ("EC ", ""),
            ("OPENSSH ", ""),
            ("ENCRYPTED ", ""),
            ("PGP ", " BLOCK"),
        ]),
        "[A-Za-z0-9+/]{40,64}",
        "[A-Za-z0-9+/]{8,64}",
    )
        .prop_map(|((kind, block), body, more)| {
            (
                format!(
                    "-----BEGIN {kind}PRIVATE KEY{block}-----\n{body}\n{more}==\n-----END {kind}PRIVATE KEY{block}-----"
                ),
                body,
            )
        })
        .boxed()
}

fn openai_key() -> BoxedStrategy<Secret> {
    prop_oneof![
        "sk-proj-[A-Za-z0-9_-]{20,100}[A-Za-z0-9]".prop_map(same),
        "sk-[A-Za-z0-9]{20,60}".prop_map(same),
        "sk-svcacct-[A-Za-z0-9_-]{20,60}[A-Za-z0-9]".prop_map(same),
    ]
    .boxed()
}

fn anthropic_key() -> BoxedStrategy<Secret> {
    "sk-ant-(api03|admin01)-[A-Za-z0-9_-]{40,90}[A-Za-z0-9]"
        .prop_map(same)
        .boxed()
}

fn aws_key() -> BoxedStrategy<Secret> {
    prop_oneof![
        "(AKIA|ASIA)[A-Z0-9]{16}".prop_map(same),
        "[A-Za-z0-9/+]{40}".prop_map(|k| (format!("aws_secret_access_key = {k}"), k)),
        "[A-Za-z0-9/+]{40}".prop_map(|k| (format!("AWS_SECRET_ACCESS_KEY: \"{k}\""), k)),
    ]
    .boxed()
}

fn github_token() -> BoxedStrategy<Secret> {
    prop_oneof![
        "gh[pousr]_[A-Za-z0-9]{36}".prop_map(same),
        "github_pat_[A-Za-z0-9]{22}_[A-Za-z0-9]{59}".prop_map(same),
    ]
    .boxed()
}

fn slack_token() -> BoxedStrategy<Secret> {
    prop_oneof![
        "xox[abeprs]-[0-9]{10,13}-[0-9]{10,13}-[A-Za-z0-9]{24}".prop_map(same),
        "xapp-1-A[0-9A-Z]{10}-[0-9]{13}-[a-f0-9]{64}".prop_map(same),
        "T[A-Z0-9]{8}/B[A-Z0-9]{8}/[A-Za-z0-9]{24}"
            .prop_map(|p| (format!("https://hooks.slack.com/services/{p}"), p)),
    ]
    .boxed()
}

fn stripe_key() -> BoxedStrategy<Secret> {
    prop_oneof![
        "[sr]k_(live|test)_[A-Za-z0-9]{24,60}".prop_map(same),
        "whsec_[A-Za-z0-9]{32}".prop_map(same),
    ]
    .boxed()
}

fn google_key() -> BoxedStrategy<Secret> {
    prop_oneof![
        "AIza[A-Za-z0-9_-]{34}[A-Za-z0-9]".prop_map(same),
        "ya29\\.[A-Za-z0-9_-]{30,100}[A-Za-z0-9]".prop_map(same),
        "GOCSPX-[A-Za-z0-9_-]{27}[A-Za-z0-9]".prop_map(same),
    ]
    .boxed()
}

fn huggingface_token() -> BoxedStrategy<Secret> {
    "hf_[A-Za-z0-9]{34}".prop_map(same).boxed()
}

fn other_api_key() -> BoxedStrategy<Secret> {
    prop_oneof![
        "glpat-[A-Za-z0-9_-]{19}[A-Za-z0-9]".prop_map(same),
        "npm_[A-Za-z0-9]{36}".prop_map(same),
        "pypi-AgEIcHlwaS5vcmc[A-Za-z0-9_-]{50,100}[A-Za-z0-9]".prop_map(same),
        "SG\\.[A-Za-z0-9_-]{22}\\.[A-Za-z0-9_-]{42}[A-Za-z0-9]".prop_map(same),
        "gsk_[A-Za-z0-9]{52}".prop_map(same),
        "r8_[A-Za-z0-9]{37}".prop_map(same),
        "xai-[A-Za-z0-9]{80}".prop_map(same),
        "pplx-[A-Za-z0-9]{48}".prop_map(same),
        "dop_v1_[a-f0-9]{64}".prop_map(same),
        (
            "(ptb\\.|canary\\.)?discord(app)?",
            "[0-9]{17,19}/[A-Za-z0-9_-]{68}"
        )
            .prop_map(|(h, p)| { (format!("https://{h}.com/api/webhooks/{p}"), p) }),
        ("[1-9][0-9]{7,9}", "AA[A-Za-z0-9_-]{30,34}[A-Za-z0-9]")
            .prop_map(|(id, p)| { (format!("https://api.telegram.org/bot{id}:{p}/getMe"), p) }),
    ]
    .boxed()
}

fn generic_secret() -> BoxedStrategy<Secret> {
    "[A-Za-z0-9!#%^*]{6,20}"
        .prop_flat_map(|p| {
            prop::sample::select(vec![
                format!("password={p}"),
                format!("secret: {p}"),
                format!("api_key={p}"),
                format!("\"token\": \"{p}\""),
                format!("DB_PASSWORD = '{p}'"),
                format!("x-api-key: {p}"),
                format!("client_secret={p}"),
                format!("mysql --password {p} -h db"),
                format!("cli --api-key \"{p}\""),
                format!("ALTER USER app WITH PASSWORD '{p}';"),
            ])
            .prop_map(move |text| (text, p.clone()))
        })
        .boxed()
}

/// One secret of every built-in detector, in the order of [`KINDS`].
fn secrets() -> Vec<BoxedStrategy<Secret>> {
    vec![
        email(),
        phone(),
        ssn(),
        card(),
        iban(),
        ipv4(),
        ipv6(),
        jwt(),
        auth_header(),
        url_credentials(),
        private_key(),
        openai_key(),
        anthropic_key(),
        aws_key(),
        github_token(),
        slack_token(),
        stripe_key(),
        google_key(),
        huggingface_token(),
        other_api_key(),
        generic_secret(),
    ]
}

/// The detector names, in the order of [`secrets`].
const KINDS: [&str; 21] = [
    "email",
    "phone",
    "ssn",
    "card",
    "iban",
    "ipv4",
    "ipv6",
    "jwt",
    "auth_header",
    "url_credentials",
    "private_key",
    "openai_key",
    "anthropic_key",
    "aws_key",
    "github_token",
    "slack_token",
    "stripe_key",
    "google_key",
    "huggingface_token",
    "other_api_key",
    "generic_secret",
];

// ---------------------------------------------------------------------------
// Content paths and the injected text.
// ---------------------------------------------------------------------------

/// Every place a secret is injected. Each id is lowercase letters only, so that the
/// markers built from it are plain words no detector touches.
const PATHS: &[&str] = &[
    "inputmessages",
    "systeminstructions",
    "outputmessages",
    "toolarguments",
    "toolresult",
    "retrievalquery",
    "retrieveddocument",
    "recorderror",
    "promptvariable",
    "parserinput",
    "parserstep",
    "evalexplanation",
    "tracingfield",
    "tracingerror",
    "tracingevent",
    "otelattribute",
    "otelarray",
    "otelexceptionmessage",
    "otelexceptionstack",
    "otelstatus",
    "otelspanname",
];

/// A lowercase letter naming line `k`.
fn letter(k: usize) -> char {
    char::from(b'a' + u8::try_from(k % 26).unwrap())
}

/// The text injected into `path`: a begin marker, one line per secret (a marker word, a
/// separator, the secret's text, a closing character), an end marker.
fn injected(path: &str, secrets: &[Secret], seps: &[(usize, usize)]) -> String {
    const OPEN: [&str; 3] = [" ", ": ", "\t"];
    const CLOSE: [&str; 3] = ["", ".", ","];
    let mut out = format!("begin{path}zq\n");
    for (k, ((text, _), (o, c))) in secrets.iter().zip(seps).enumerate() {
        out.push_str(&format!(
            "{path}line{}{}{text}{}\n",
            letter(k),
            OPEN[*o],
            CLOSE[*c]
        ));
    }
    out.push_str(&format!("end{path}zq"));
    out
}

/// The markers of `path` that must be exported.
fn markers(path: &str, n: usize) -> Vec<String> {
    let mut m = vec![format!("begin{path}zq"), format!("end{path}zq")];
    m.extend((0..n).map(|k| format!("{path}line{}", letter(k))));
    m
}

/// Records one trace through every content path and the third-party spans, then shuts
/// the pipeline down and returns the store files' bytes.
fn run_pipeline(text: &dyn Fn(&str) -> String) -> String {
    let dir = common::TempDir::new("redaction-pipeline");
    let guard = genai_otel::init_scoped(
        Config::new("redaction-pipeline-test")
            .env_lookup(|_| None)
            .exporter(ExporterKind::Store)
            .store_dir(dir.path())
            .record_content(true)
            .sampling(Sampling::disabled())
            .user_hash_key(b"test-key-0123456789abcdef"),
    )
    .unwrap();

    let agent = AgentSpan::builder("support_agent").start();
    agent.in_scope(|| {
        let render = PromptSpan::render("support_agent_v3").start();
        render.record_variables([("customer_note", text("promptvariable"))]);
        render.end();

        let retrieval = RetrievalSpan::builder("support_policy_prod").start();
        assert!(retrieval.record_query(&text("retrievalquery")));
        retrieval.record_documents(&[
            RetrievedDocument::new("doc_102", 0.91).with_content(text("retrieveddocument"))
        ]);
        retrieval.end();

        let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
        assert!(chat.record_input_messages(&[
            Message::system("You are a support agent."),
            Message::user(text("inputmessages")),
        ]));
        assert!(chat.record_system_instructions(&[Part::text(text("systeminstructions"))]));
        assert!(chat.record_output_messages(&[OutputMessage::new(
            Message::assistant(text("outputmessages")),
            "stop",
        )]));
        chat.record_evaluation(
            &Evaluation::new("groundedness")
                .score(0.5)
                .explanation(text("evalexplanation")),
        );
        chat.end();

        let tool = ToolSpan::builder("lookup_customer").start();
        assert!(tool.record_arguments(&serde_json::json!({"query": text("toolarguments")})));
        assert!(tool.record_result(&serde_json::json!({"answer": text("toolresult")})));
        tool.record_error("TOOL_FAILED", text("recorderror"));
        tool.end();

        let parser = ParserSpan::builder("SupportAnswer").start();
        assert!(parser.record_input(&text("parserinput")));
        parser.record_parse(Err(&text("parserstep")));
        parser.finish(ParseStatus::Failed);
        parser.end();

        // A span and events from some other library, through `tracing`.
        let field = text("tracingfield");
        let span = tracing::info_span!("thirdparty.work", detail = %field);
        span.in_scope(|| {
            let note = text("tracingevent");
            tracing::info!(note = %note, "thirdparty progress");
            let error = text("tracingerror");
            tracing::error!(error = %error);
        });
        drop(span);
    });
    agent.end();

    // A span from a library that uses the OpenTelemetry API directly.
    let tracer = guard.tracer_provider().unwrap().tracer("thirdparty");
    let mut span = tracer.start(text("otelspanname"));
    span.set_attribute(KeyValue::new("thirdparty.payload", text("otelattribute")));
    span.set_attribute(KeyValue::new(
        "thirdparty.payloads",
        Value::Array(Array::String(vec![
            StringValue::from("plain element"),
            StringValue::from(text("otelarray")),
        ])),
    ));
    span.add_event(
        "exception",
        vec![
            KeyValue::new("exception.type", "ThirdPartyError"),
            KeyValue::new("exception.message", text("otelexceptionmessage")),
            KeyValue::new("exception.stacktrace", text("otelexceptionstack")),
        ],
    );
    span.set_status(Status::error(text("otelstatus")));
    span.end();

    let report = guard.shutdown().unwrap();
    assert!(report.is_complete(), "{report}");
    genai_otel::store::store_files(dir.path())
        .unwrap()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

/// Every string value of the exported OTLP/JSON (ids and timestamps left out), and the
/// string leaves of string values that are JSON documents themselves, one per line.
fn exported_strings(raw: &str) -> String {
    fn walk(v: &Json, key: &str, out: &mut String) {
        match v {
            Json::String(s) => {
                if key.ends_with("Id") || key.ends_with("UnixNano") {
                    return;
                }
                out.push_str(s);
                out.push('\n');
                if s.starts_with('{') || s.starts_with('[') {
                    if let Ok(inner) = serde_json::from_str::<Json>(s) {
                        walk(&inner, "", out);
                    }
                }
            }
            Json::Array(items) => items.iter().for_each(|i| walk(i, key, out)),
            Json::Object(map) => map.iter().for_each(|(k, v)| walk(v, k, out)),
            _ => {}
        }
    }
    let mut out = String::new();
    for line in raw.lines().filter(|l| !l.trim().is_empty()) {
        let v: Json = serde_json::from_str(line).unwrap();
        walk(&v, "", &mut out);
    }
    out
}

/// The first 8-byte window of `secret` (or, for shorter secrets, the whole value) found in
/// `out`: the corpus's acceptance rule.
fn leaked_window<'a>(secret: &'a str, out: &str) -> Option<&'a str> {
    if secret.len() < 8 {
        return out.contains(secret).then_some(secret);
    }
    (0..=secret.len() - 8)
        .filter_map(|i| secret.get(i..i + 8))
        .find(|w| out.contains(w))
}

proptest! {
    // Each case installs, runs and shuts down a whole pipeline.
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn no_secret_of_any_kind_reaches_the_exported_bytes(
        secrets in secrets().prop_shuffle(),
        seps in prop::collection::vec((0usize..3, 0usize..3), KINDS.len()),
    ) {
        let raw = run_pipeline(&|path| injected(path, &secrets, &seps));
        let strings = exported_strings(&raw);

        for path in PATHS {
            for marker in markers(path, secrets.len()) {
                prop_assert!(
                    strings.contains(&marker),
                    "marker {marker:?} of {path} was not exported:\n{strings}"
                );
            }
        }
        prop_assert!(!strings.contains("[redaction-failed]"));
        for (text, secret) in &secrets {
            prop_assert!(
                !raw.contains(secret.as_str()),
                "{secret:?} (from {text:?}) is in the exported bytes"
            );
            let leak = leaked_window(secret, &strings);
            prop_assert!(
                leak.is_none(),
                "{leak:?} of {secret:?} (from {text:?}) is in an exported value:\n{strings}"
            );
        }
    }
}

/// The generators cover every built-in detector, and each of their texts is found by that
/// detector alone: the property above exercises every kind.
#[test]
fn the_generators_cover_every_builtin_detector() {
    use genai_otel::{Detector, Redactor};
    use proptest::strategy::ValueTree;
    use proptest::test_runner::TestRunner;

    assert_eq!(
        Detector::ALL.names().collect::<Vec<_>>(),
        KINDS,
        "a new built-in detector needs a generator here"
    );
    let mut runner = TestRunner::deterministic();
    for (kind, strategy) in KINDS.iter().zip(secrets()) {
        let only = Redactor::builder()
            .builtin(Detector::from_name(kind).unwrap())
            .build()
            .unwrap();
        for _ in 0..64 {
            let (text, secret) = strategy.new_tree(&mut runner).unwrap().current();
            let out = only.redact(&text);
            assert!(
                leaked_window(&secret, &out).is_none(),
                "{kind} alone does not redact {secret:?} in {text:?}: {out:?}"
            );
        }
    }
}
