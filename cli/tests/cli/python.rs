//! Interoperability with the Python OpenTelemetry SDK:
//!
//! * OTLP/JSON written by another implementation — the SDK with its OTLP/JSON file exporter
//!   (`opentelemetry-exporter-otlp-json-file`), producing GenAI spans — is listed, shown and
//!   exported (`tests/python/write_genai_spans.py`);
//! * the YAML export is read by PyYAML, an independent YAML parser, and holds exactly the data
//!   of the JSON Lines export (`tests/python/check_dataset_yaml.py`).
//!
//! Packages are pinned so the writer does not change under the test.

use std::path::PathBuf;
use std::process::Command;

use crate::common::{cli, json_lines, python_venv, TempDir};
use crate::golden::{fixed_support_store, FIXED_TRACE};

const PACKAGES: &[&str] = &[
    "opentelemetry-sdk==1.45.2",
    "opentelemetry-exporter-otlp-json-file==0.66b1",
    "pyyaml==6.0.3",
];

fn script(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/python")
        .join(name)
}

fn python() -> PathBuf {
    python_venv("pyvenv-cli", PACKAGES)
}

#[test]
fn reads_genai_spans_written_by_the_python_sdk() {
    let dir = TempDir::new("python-sdk");
    let file = dir.path().join("python-traces.jsonl");
    let output = Command::new(python())
        .arg(script("write_genai_spans.py"))
        .arg(&file)
        .output()
        .expect("run python");
    assert!(
        output.status.success(),
        "the Python writer failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8_lossy(&output.stdout);
    let ids: Vec<&str> = stdout.lines().collect();
    assert_eq!(ids.len(), 2, "{stdout}");
    let (support, plain) = (ids[0], ids[1]);
    let file_arg = file.to_str().expect("utf-8 path");

    // list: one row per trace, aggregated from the foreign spans.
    let rows = json_lines(cli(&["list", file_arg, "--json"]).ok());
    assert_eq!(rows.len(), 2);
    let row = rows
        .iter()
        .find(|r| r["trace_id"] == support)
        .expect("support trace listed");
    assert_eq!(row["root"], "invoke_agent py_agent");
    assert_eq!(row["service"], "py-support");
    assert_eq!(row["spans"], 5);
    assert_eq!(row["status"], "error");
    assert_eq!(row["models"], serde_json::json!(["gpt-4o"]));
    assert_eq!(row["input_tokens"], 300);
    assert_eq!(row["output_tokens"], 40);
    let cost = row["cost_usd"].as_f64().expect("cost");
    assert!((cost - 0.0012).abs() < 1e-12, "{cost}");
    assert_eq!(
        cli(&["list", file_arg, "--tenant", "py-tenant", "--json"])
            .ok()
            .lines()
            .count(),
        1
    );

    // show: the tree, the tool error and the retrieval ids from the foreign spans.
    let text = cli(&["show", file_arg, support]).ok().to_owned();
    for expected in [
        "invoke_agent py_agent",
        "├─ retrieval orders_index",
        "docs=ord_1234(0.97),faq_9(0.42)",
        "in=120 out=15 finish=tool_calls",
        "execute_tool lookup_order",
        "TIMEOUT: orders service did not answer in 5s",
        "└─ chat gpt-4o",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }

    // export-trace: two cases whose baselines pass on the production outputs.
    let yaml = dir.path().join("py.yaml");
    std::fs::write(&yaml, cli(&["export-trace", file_arg, support]).ok()).expect("write");
    let text = std::fs::read_to_string(&yaml).expect("read");
    assert!(
        text.contains("retrieved_documents:\n        - id: ord_1234"),
        "{text}"
    );
    assert!(
        text.contains("error: \"TIMEOUT: orders service did not answer in 5s\""),
        "{text}"
    );
    assert!(
        text.contains("type: tool_called\n        value: lookup_order"),
        "{text}"
    );
    let eval = cli(&["eval", yaml.to_str().expect("utf-8")]);
    assert!(
        eval.ok().ends_with("2 passed, 0 failed\n"),
        "{}",
        eval.stdout
    );

    // The plain trace has no model call to export.
    let run = cli(&["export-trace", file_arg, plain]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("has no model calls"), "{}", run.stderr);
}

#[test]
fn pyyaml_reads_the_yaml_export_as_the_jsonl_export() {
    let dir = TempDir::new("pyyaml");
    fixed_support_store(dir.path());
    let store = dir.path().join("store");
    let store_arg = store.to_str().expect("utf-8 path");
    let yaml = dir.path().join("support.yaml");
    let jsonl = dir.path().join("support.jsonl");
    std::fs::write(&yaml, cli(&["export-trace", store_arg, FIXED_TRACE]).ok()).expect("write");
    std::fs::write(
        &jsonl,
        cli(&["export-trace", store_arg, FIXED_TRACE, "--format", "jsonl"]).ok(),
    )
    .expect("write");
    let output = Command::new(python())
        .arg(script("check_dataset_yaml.py"))
        .arg(&yaml)
        .arg(&jsonl)
        .output()
        .expect("run python");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "PyYAML check failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert_eq!(stdout.trim(), "OK 2 cases");
}
