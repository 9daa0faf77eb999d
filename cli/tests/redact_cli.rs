//! Runs the built `genai-otel` binary.

use std::io::Write;
use std::process::{Command, Output, Stdio};

const CORPUS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../../shared/pii-dev.jsonl");

fn run(args: &[&str], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_genai-otel"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the binary starts");
    // The binary may exit on a usage error before reading its input, so a
    // failed write (broken pipe) is not an error here.
    let _ = child
        .stdin
        .take()
        .expect("stdin is piped")
        .write_all(stdin.as_bytes());
    child.wait_with_output().expect("the binary exits")
}

fn stdout(o: &Output) -> String {
    String::from_utf8(o.stdout.clone()).expect("UTF-8 output")
}

fn stderr(o: &Output) -> String {
    String::from_utf8(o.stderr.clone()).expect("UTF-8 errors")
}

/// No 8-byte window of `secret` (the whole value if shorter) is in `out`.
fn gone(secret: &str, out: &str) -> bool {
    if secret.len() < 8 {
        return !out.contains(secret);
    }
    (0..=secret.len() - 8)
        .filter(|&i| secret.is_char_boundary(i) && secret.is_char_boundary(i + 8))
        .all(|i| !out.contains(&secret[i..i + 8]))
}

#[test]
fn jsonl_corpus_loses_every_secret_and_keeps_everything_else() {
    let input = std::fs::read_to_string(CORPUS).expect("shared/pii-dev.jsonl is readable");
    let out = run(&["redact", "--jsonl"], &input);
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(stderr(&out), "");
    let lines: Vec<String> = stdout(&out).lines().map(str::to_owned).collect();
    let inputs: Vec<&str> = input.lines().collect();
    assert_eq!(lines.len(), inputs.len());
    assert_eq!(lines.len(), 600);
    for (line, original) in lines.iter().zip(inputs) {
        let got: serde_json::Value = serde_json::from_str(line).expect("each output line is JSON");
        let want: serde_json::Value = serde_json::from_str(original).expect("corpus line is JSON");
        let text = got["text"].as_str().expect("text stays a string");
        for secret in want["secrets"].as_array().expect("secrets") {
            let value = secret["value"].as_str().expect("value");
            assert!(gone(value, text), "{value:?} survived in {text:?}");
        }
        for keep in want["keep"].as_array().expect("keep") {
            let keep = keep.as_str().expect("keep is a string");
            assert!(text.contains(keep), "{keep:?} missing from {text:?}");
        }
        // Every other field is untouched, in the original key order.
        let (got, want) = (
            got.as_object().expect("object"),
            want.as_object().expect("object"),
        );
        assert_eq!(
            got.keys().collect::<Vec<_>>(),
            want.keys().collect::<Vec<_>>()
        );
        for (key, value) in want.iter().filter(|(k, _)| *k != "text") {
            assert_eq!(&got[key], value, "field {key} changed");
        }
    }
}

#[test]
fn plain_text_mode_redacts_stdin() {
    let out = run(
        &["redact"],
        "Mail ana@example.com, call (415) 555-2671.\nBye\n",
    );
    assert!(out.status.success());
    assert_eq!(stdout(&out), "Mail [email], call [phone].\nBye\n");
}

#[test]
fn detectors_and_rules_are_chosen_on_the_command_line() {
    let out = run(
        &[
            "redact",
            "--detectors",
            "email,card",
            "--rule",
            "order_id=ord_[0-9]{4,}",
            "--rule",
            "ticket=TCK-[0-9]+",
        ],
        "ana@example.com 4111 1111 1111 1111 (415) 555-2671 ord_12345 TCK-9",
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert_eq!(
        stdout(&out),
        "[email] [card] (415) 555-2671 [order_id] [ticket]"
    );
}

#[test]
fn pseudonyms_follow_the_key_in_the_environment() {
    let run_with_key = |key: &str| {
        let out = Command::new(env!("CARGO_BIN_EXE_genai-otel"))
            .args(["redact", "--pseudonym"])
            .env("GENAI_OTEL_REDACT_KEY", key)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .and_then(|mut c| {
                c.stdin.take().map(|mut s| s.write_all(b"ana@example.com"));
                c.wait_with_output()
            })
            .expect("runs");
        String::from_utf8(out.stdout).expect("UTF-8")
    };
    let a = run_with_key("k1");
    assert!(a.starts_with("[email:") && a.ends_with(']'), "{a}");
    assert_eq!(a, run_with_key("k1"));
    assert_ne!(a, run_with_key("k2"));
}

#[test]
fn a_bad_regex_is_a_clear_error() {
    let out = run(&["redact", "--rule", "order_id=ord_(\\d+"], "x");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("rule `order_id`") && err.contains("fix the pattern"),
        "{err}"
    );
    assert_eq!(stdout(&out), "");
}

#[test]
fn an_unknown_detector_is_a_clear_error() {
    let out = run(&["redact", "--detectors", "email,credit_card"], "x");
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("unknown detector `credit_card`") && err.contains("card"),
        "{err}"
    );
}

#[test]
fn a_rule_without_a_name_is_a_clear_error() {
    let out = run(&["redact", "--rule", "ord_[0-9]+"], "x");
    assert_eq!(out.status.code(), Some(2));
    assert!(
        stderr(&out).contains("is not NAME=REGEX"),
        "{}",
        stderr(&out)
    );
}

#[test]
fn jsonl_lines_that_are_not_objects_are_redacted_as_text_and_reported() {
    let input =
        "{\"text\": \"ana@example.com\", \"id\": 1}\nnot json ana@example.com\n{\"id\": 2}\n\n";
    let out = run(&["redact", "--jsonl"], input);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(
        stdout(&out),
        "{\"text\":\"[email]\",\"id\":1}\nnot json [email]\n{\"id\": 2}\n\n"
    );
    let err = stderr(&out);
    assert!(
        err.contains("line 2: not a JSON object") && err.contains("line 3: no string field"),
        "{err}"
    );
}
