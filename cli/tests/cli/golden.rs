//! `export-trace` on the support_agent trace: the golden YAML, the JSON Lines form, and the
//! evaluator on the export.
//!
//! The trace is generated through the library's public API with content capture on and a
//! fixed user-hash key. Its random ids are then replaced in the store files by fixed ones
//! (span ids in start order), and the two timestamps in the YAML are normalised, so the
//! export is byte-for-byte comparable. To accept a deliberate change of the format, run
//! `GENAI_OTEL_BLESS=1 cargo test -p genai-otel-cli --test cli golden` and review the diff.

use std::fs;
use std::path::Path;

use genai_otel::store::{store_files, SpanReader};

use crate::common::{cli, cli_in, json_lines, write_support_store, TempDir};

const GOLDEN: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/golden/support_agent.yaml"
);
pub(crate) const FIXED_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

/// Writes the support_agent trace (content on) to `dir/store` with fixed ids; returns the
/// store path.
pub(crate) fn fixed_support_store(dir: &Path) -> std::path::PathBuf {
    let raw = dir.join("raw");
    let ids = write_support_store(&raw, true, false);
    let mut spans: Vec<_> = SpanReader::open(&raw)
        .expect("open")
        .collect::<Result<Vec<_>, _>>()
        .expect("read");
    spans.sort_by_key(|s| s.start_unix_nanos);
    let store = dir.join("store");
    fs::create_dir_all(&store).expect("mkdir");
    for file in store_files(&raw).expect("files") {
        let mut text = fs::read_to_string(&file)
            .expect("read")
            .replace(&ids[0], FIXED_TRACE);
        for (n, span) in spans.iter().enumerate() {
            text = text.replace(&span.span_id, &format!("00f067aa0ba902{:02x}", n + 1));
        }
        fs::write(store.join(file.file_name().expect("name")), text).expect("write");
    }
    store
}

fn normalise(yaml: &str) -> String {
    yaml.lines()
        .map(|line| {
            for key in ["exported_at: ", "trace_start: "] {
                if let Some(at) = line.find(key) {
                    return format!("{}{key}\"<time>\"", &line[..at]);
                }
            }
            line.to_owned()
        })
        .collect::<Vec<_>>()
        .join("\n")
        + "\n"
}

#[test]
fn export_matches_the_golden_yaml_and_its_baselines_pass() {
    let dir = TempDir::new("golden");
    fixed_support_store(dir.path());

    // SOURCE relative to the working directory, so the file names no temp path.
    let run = cli_in(dir.path(), &["export-trace", "store", FIXED_TRACE], &[]);
    let yaml = normalise(run.ok());
    if std::env::var_os("GENAI_OTEL_BLESS").is_some() {
        fs::write(GOLDEN, &yaml).expect("bless golden file");
    }
    let golden = fs::read_to_string(GOLDEN).expect("golden file");
    if yaml != golden {
        let actual = dir.path().join("actual.yaml");
        fs::write(&actual, &yaml).expect("write actual");
        let first = yaml
            .lines()
            .zip(golden.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        panic!(
            "export differs from {GOLDEN} at line {}:\n  got:      {:?}\n  expected: {:?}\n\
             (whole output: {}; GENAI_OTEL_BLESS=1 rewrites the golden file)",
            first + 1,
            yaml.lines().nth(first).unwrap_or_default(),
            golden.lines().nth(first).unwrap_or_default(),
            actual.display()
        );
    }

    // Every baseline holds on the production output it came from.
    let file = dir.path().join("support.yaml");
    fs::write(&file, run.ok()).expect("write export");
    let eval = cli(&["eval", file.to_str().expect("utf-8")]);
    assert_eq!(
        eval.ok(),
        "PASS 4bf92f35-1 (2 assertions)\nPASS 4bf92f35-2 (3 assertions)\n2 passed, 0 failed\n"
    );
}

#[test]
fn the_evaluator_fails_outputs_that_break_the_baselines() {
    let dir = TempDir::new("eval");
    fixed_support_store(dir.path());
    let out = dir.path().join("evals");
    let run = cli_in(
        dir.path(),
        &[
            "export-trace",
            "store",
            FIXED_TRACE,
            "--format",
            "jsonl",
            "--output",
            "evals",
        ],
        &[],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let file = out.join(format!("trace-{FIXED_TRACE}.jsonl"));
    assert!(run.stderr.contains("2 cases from trace"), "{}", run.stderr);
    let cases = json_lines(&fs::read_to_string(&file).expect("export written"));
    assert_eq!(cases.len(), 2);
    assert_eq!(cases[1]["dataset"]["metadata"]["trace_id"], FIXED_TRACE);
    assert_eq!(cases[1]["trace"]["span_id"], "00f067aa0ba90206");

    let file_arg = file.to_str().expect("utf-8");
    assert_eq!(
        cli(&["eval", file_arg]).ok().lines().last(),
        Some("2 passed, 0 failed")
    );

    // A new run: the first call answers in text instead of calling the tool, the second
    // refuses in prose.
    let outputs = dir.path().join("run.jsonl");
    fs::write(
        &outputs,
        concat!(
            r#"{"id": "4bf92f35-1", "output": "Let me check that order for you."}"#,
            "\n",
            r#"{"id": "4bf92f35-2", "output": "I'm sorry, but I can't help with refunds.", "tool_calls": []}"#,
            "\n"
        ),
    )
    .expect("write outputs");
    let run = cli(&[
        "eval",
        file_arg,
        "--outputs",
        outputs.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    let lines: Vec<&str> = run.stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{}", run.stdout);
    assert_eq!(
        lines[0],
        r#"FAIL 4bf92f35-1: tool_called "create_refund": no tool was called"#
    );
    assert!(
        lines[1].starts_with("FAIL 4bf92f35-2: not_contains [16 items]: contains"),
        "{}",
        lines[1]
    );
    assert!(lines[1].contains("is_json true"), "{}", lines[1]);
    assert_eq!(lines[2], "0 passed, 2 failed");

    // A passing new run, and a case without output.
    fs::write(
        &outputs,
        concat!(
            r#"{"id": "4bf92f35-2", "output": "{\"answer\": \"Refunded.\", \"refund_cents\": 11999}"}"#,
            "\n"
        ),
    )
    .expect("write outputs");
    let run = cli(&[
        "eval",
        file_arg,
        "--outputs",
        outputs.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .starts_with("FAIL 4bf92f35-1: no output for this case"),
        "{}",
        run.stdout
    );
    assert!(
        run.stdout.contains("PASS 4bf92f35-2 (3 assertions)"),
        "{}",
        run.stdout
    );

    // Malformed input exits 2.
    fs::write(&outputs, "not json\n").expect("write outputs");
    let run = cli(&[
        "eval",
        file_arg,
        "--outputs",
        outputs.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("run.jsonl:1: not JSON"),
        "{}",
        run.stderr
    );
}

#[test]
fn hand_added_assertions_are_checked() {
    let dir = TempDir::new("handmade");
    fixed_support_store(dir.path());
    let yaml = cli_in(dir.path(), &["export-trace", "store", FIXED_TRACE], &[])
        .ok()
        .to_owned();
    // A user appends assertions to the second case, as the file's header invites.
    let edited = format!(
        "{yaml}      - type: contains\n        value: refund\n      - type: regex\n        value: \"refund_cents\\\": 1[0-9]{{4}}\"\n"
    );
    let file = dir.path().join("edited.yaml");
    fs::write(&file, &edited).expect("write");
    let run = cli(&["eval", file.to_str().expect("utf-8")]);
    assert_eq!(
        run.ok().lines().nth(1),
        Some("PASS 4bf92f35-2 (5 assertions)")
    );

    let failing = format!("{yaml}      - type: contains\n        value: voucher\n");
    fs::write(&file, failing).expect("write");
    let run = cli(&["eval", file.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains(r#"FAIL 4bf92f35-2: contains "voucher": does not contain ["voucher"]"#),
        "{}",
        run.stdout
    );

    let unknown = format!("{yaml}      - type: sentiment\n        value: positive\n");
    fs::write(&file, unknown).expect("write");
    let run = cli(&["eval", file.to_str().expect("utf-8")]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("unknown assertion type `sentiment`"),
        "{}",
        run.stderr
    );
}
