//! Runs the README's main job, `examples/support_agent`, as a user would (a separate
//! process, configured only through the environment) and checks what reached the store.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use std::path::{Path, PathBuf};
use std::process::Command;

use genai_otel::otlp_json::SpanRecord;

fn example_binary() -> PathBuf {
    // cargo test builds the examples next to the test binaries' `deps` directory.
    let exe = std::env::current_exe().unwrap();
    let debug = exe.parent().unwrap().parent().unwrap();
    let path = debug.join("examples").join("support_agent");
    assert!(
        path.exists(),
        "{} not built; run through `cargo test`, which builds the examples",
        path.display()
    );
    path
}

fn run(store: &Path, extra_env: &[(&str, &str)]) -> (String, Vec<SpanRecord>) {
    let mut cmd = Command::new(example_binary());
    cmd.env("GENAI_OTEL_STORE_DIR", store)
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .env_remove("OTEL_TRACES_EXPORTER")
        .env_remove("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT");
    for (k, v) in extra_env {
        cmd.env(k, v);
    }
    let out = cmd.output().expect("run example");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "example failed: {stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let spans: Vec<SpanRecord> = genai_otel::store::SpanReader::open(store)
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    (stdout, spans)
}

fn stored_text(store: &Path) -> String {
    genai_otel::store::store_files(store)
        .unwrap()
        .iter()
        .map(|f| std::fs::read_to_string(f).unwrap())
        .collect()
}

#[test]
fn the_main_job_stores_the_support_trace_without_content() {
    let dir = common::TempDir::new("example-off");
    let (stdout, spans) = run(dir.path(), &[]);
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names.len(), 7, "one trace of seven spans: {names:?}");
    for expected in [
        "invoke_agent support_agent",
        "prompt.load",
        "retrieval support_policy_prod",
        "chat gpt-4.1-mini",
        "execute_tool create_refund",
        "parse_output SupportAnswer",
    ] {
        assert!(
            names.contains(&expected),
            "{expected} missing from {names:?}"
        );
        assert!(
            stdout.contains(expected),
            "timeline lacks {expected}:\n{stdout}"
        );
    }
    let root = spans.iter().find(|s| s.parent_span_id.is_none()).unwrap();
    assert!(spans
        .iter()
        .filter(|s| s.span_id != root.span_id)
        .all(|s| s.parent_span_id.as_deref() == Some(root.span_id.as_str())));
    assert_eq!(root.attr_str("genai_otel.sampling.decision"), Some("error"));
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool create_refund")
        .unwrap();
    assert!(tool.status.is_error());
    assert_eq!(tool.attr_str("error.type"), Some("INVALID_ARGUMENT"));
    assert!(stdout.contains("INVALID_ARGUMENT"));
    assert!(stdout.contains(&format!("stored in {}", dir.path().display())));
    assert!(stdout.contains(&root.trace_id));

    let text = stored_text(dir.path());
    for content in [
        "blender arrived broken",
        "A full refund",
        "You are Acme",
        "Items damaged in transit",
        "refund_amount_cents\\\":12999",
        "customer-8812",
        "ada.lovelace",
    ] {
        assert!(
            !text.contains(content),
            "{content:?} reached the store with capture off"
        );
    }
    for key in genai_otel::semconv::CONTENT_KEYS {
        assert!(
            !text.contains(&format!("\"{key}\"")),
            "content key {key} stored"
        );
    }
}

#[test]
fn content_capture_by_env_records_redacted_content() {
    let dir = common::TempDir::new("example-on");
    let (_, spans) = run(
        dir.path(),
        &[("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")],
    );
    let chat = spans
        .iter()
        .find(|s| {
            s.attr_str("gen_ai.output.messages")
                .is_some_and(|m| m.contains("A full refund"))
        })
        .expect("the recovering chat span records its output");
    let input: serde_json::Value =
        serde_json::from_str(chat.attr_str("gen_ai.input.messages").unwrap()).unwrap();
    assert_eq!(input[0]["role"], "system");
    assert!(stored_text(dir.path()).contains("blender arrived broken"));
    assert!(
        !stored_text(dir.path()).contains("customer-8812"),
        "user ids stay hashed"
    );
}

#[test]
fn console_exporter_prints_the_timeline_when_the_root_ends() {
    let dir = common::TempDir::new("example-console");
    let out = Command::new(example_binary())
        .env("GENAI_OTEL_STORE_DIR", dir.path())
        .env("OTEL_TRACES_EXPORTER", "console")
        .env_remove("OTEL_EXPORTER_OTLP_ENDPOINT")
        .env_remove("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
        .output()
        .expect("run example");
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    for line in [
        "invoke_agent support_agent",
        "├─ prompt.load",
        "├─ execute_tool create_refund",
        "INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents",
        "└─ parse_output SupportAnswer",
    ] {
        assert!(
            stderr.contains(line),
            "console output lacks {line:?}:\n{stderr}"
        );
    }
    assert!(
        genai_otel::store::store_files(dir.path())
            .unwrap()
            .is_empty(),
        "the console exporter does not write the store"
    );
}
