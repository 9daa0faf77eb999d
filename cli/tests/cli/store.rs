//! `list`, `show` and `export-trace` on stores written by the library.

use std::fs;

use crate::common::{cli, cli_in, json_lines, write_support_store, TempDir};
use crate::gen;

#[test]
fn list_shows_one_line_per_trace_with_its_columns() {
    let dir = TempDir::new("list");
    let store = dir.path().join("store");
    let ids = write_support_store(&store, false, true);
    let store_arg = store.to_str().expect("utf-8 path");

    let run = cli(&["list", store_arg]);
    let text = run.ok();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(
        lines[0].starts_with("TRACE ") && lines[0].contains("SAMPLING"),
        "{text}"
    );
    // Newest first: the FAQ request ran second.
    assert!(lines[1].starts_with(&ids[1]), "{text}");
    let support = lines[2];
    assert!(support.starts_with(&ids[0]), "{text}");
    for part in [
        "invoke_agent support_agent",
        "  7  ",
        "error(1)",
        "gpt-4.1-mini",
        "2058",
    ] {
        assert!(support.contains(part), "`{part}` missing from: {support}");
    }
    assert!(!text.contains('\x1b'), "no colour when piped");

    let rows = json_lines(cli(&["list", store_arg, "--json"]).ok());
    assert_eq!(rows.len(), 2);
    let row = &rows[1];
    assert_eq!(row["trace_id"], ids[0].as_str());
    assert_eq!(row["root"], "invoke_agent support_agent");
    assert_eq!(row["service"], "support-api");
    assert_eq!(row["spans"], 7);
    assert_eq!(row["status"], "error");
    assert_eq!(row["error_spans"], 1);
    assert_eq!(row["models"], serde_json::json!(["gpt-4.1-mini"]));
    assert_eq!(row["input_tokens"], 1836);
    assert_eq!(row["output_tokens"], 222);
    assert!(row["duration_ms"].as_f64().is_some_and(|d| d > 0.0));
    assert_eq!(rows[0]["status"], "ok");
    assert_eq!(rows[0]["models"], serde_json::json!(["gpt-4.1"]));
}

#[test]
fn list_filters_select_traces() {
    let dir = TempDir::new("filters");
    let store = dir.path().join("store");
    let ids = write_support_store(&store, false, true);
    let store_arg = store.to_str().expect("utf-8 path");
    let listed = |extra: &[&str]| -> Vec<String> {
        let mut args = vec!["list", store_arg, "--json"];
        args.extend_from_slice(extra);
        json_lines(cli(&args).ok())
            .iter()
            .map(|row| row["trace_id"].as_str().unwrap_or_default().to_owned())
            .collect()
    };
    let support = vec![ids[0].clone()];
    let faq = vec![ids[1].clone()];
    assert_eq!(listed(&["--errors"]), support);
    assert_eq!(listed(&["--model", "gpt-4.1-mini"]), support);
    assert_eq!(
        listed(&["--model", "gpt-4.1-2025-04-14"]),
        faq,
        "response model"
    );
    assert_eq!(listed(&["--tenant", "globex"]), faq);
    assert_eq!(listed(&["--prompt-version", "3.2.0"]), support);
    assert_eq!(listed(&["--prompt-version", "prv_2026_06_03_17"]), support);
    assert_eq!(listed(&["--min-tokens", "100"]), support);
    assert_eq!(listed(&["--since", "1h"]).len(), 2);
    assert_eq!(listed(&["--since", "2000-01-01"]).len(), 2);
    assert!(listed(&["--since", "2999-01-01T00:00:00Z"]).is_empty());
    assert!(listed(&["--errors", "--tenant", "globex"]).is_empty());
    assert_eq!(listed(&["--limit", "1"]), faq, "the newest");

    let none = cli(&["list", store_arg, "--tenant", "nobody"]);
    assert_eq!(none.code, 0);
    assert!(none.stdout.is_empty());
    assert!(
        none.stderr.contains("no traces match the filters")
            && none.stderr.contains("2 traces scanned"),
        "{}",
        none.stderr
    );
    let limited = cli(&["list", store_arg, "--limit", "1"]);
    assert!(
        limited.stderr.contains("1 of 2 matching traces shown"),
        "{}",
        limited.stderr
    );

    let bad = cli(&["list", store_arg, "--since", "yesterday"]);
    assert_eq!(bad.code, 2);
    assert!(bad.stderr.contains("give a duration"), "{}", bad.stderr);
}

#[test]
fn show_renders_the_timeline() {
    let dir = TempDir::new("show");
    let store = dir.path().join("store");
    let ids = write_support_store(&store, true, false);
    let store_arg = store.to_str().expect("utf-8 path");

    let text = cli(&["show", store_arg, &ids[0]]).ok().to_owned();
    assert!(
        text.starts_with(&format!("trace {}  ·  support-api  ·  ", ids[0])),
        "{text}"
    );
    assert!(
        text.contains("7 spans") && text.contains("1 error"),
        "{text}"
    );
    for expected in [
        "invoke_agent support_agent",
        "├─ prompt.load",
        "support_agent_v3 @ prv_2026_06_03_17 (prod)",
        "top_k=5 docs=doc_102(0.91),doc_087(0.84)",
        "in=812 out=164 cached=512 finish=tool_calls",
        "in=1024 out=58 cached=768 finish=stop",
        "INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents",
        "└─ parse_output SupportAnswer",
        "2 model calls (gpt-4.1-mini)  ·  tokens in=1836 out=222 cached=1280",
    ] {
        assert!(text.contains(expected), "`{expected}` missing:\n{text}");
    }
    let tool_line = text
        .lines()
        .find(|l| l.contains("execute_tool create_refund"))
        .expect("tool line");
    assert!(tool_line.contains(" error "), "{tool_line}");
    assert!(!text.contains('\x1b'), "plain when piped");
    assert!(
        !text.contains("gen_ai.input.messages"),
        "content only with --content"
    );

    // A unique prefix is enough; --content shows recorded content.
    let content = cli(&["show", store_arg, &ids[0][..8], "--content"])
        .ok()
        .to_owned();
    assert!(content.contains("gen_ai.input.messages: [{"), "{content}");
    assert!(
        content.contains("gen_ai.tool.call.arguments: {\"order_id\":\"ord_55120\""),
        "{content}"
    );

    let colored = cli(&["show", store_arg, &ids[0], "--color", "always"])
        .ok()
        .to_owned();
    assert!(colored.contains("\x1b[31merror"), "{colored}");

    let spans = json_lines(cli(&["show", store_arg, &ids[0], "--json"]).ok());
    assert_eq!(spans.len(), 7);
    assert!(spans.iter().all(|s| s["trace_id"] == ids[0].as_str()));
    assert_eq!(
        spans[0]["name"], "invoke_agent support_agent",
        "start order"
    );
    assert_eq!(
        spans
            .iter()
            .filter(|s| s["status"]["code"] == "error")
            .count(),
        1
    );

    // The default store: GENAI_OTEL_STORE_DIR.
    let via_env = cli_in(
        dir.path(),
        &["show", &ids[0]],
        &[("GENAI_OTEL_STORE_DIR", store_arg)],
    );
    assert_eq!(via_env.ok(), text);
}

#[test]
fn unknown_ids_and_bad_arguments_name_the_fix() {
    let dir = TempDir::new("errors");
    let store = dir.path().join("store");
    write_support_store(&store, false, true);
    let store_arg = store.to_str().expect("utf-8 path");

    let missing = "4bf92f3577b34da6a3ce929d0e0e4736";
    let run = cli(&["show", store_arg, missing]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stderr.trim(),
        format!(
            "error: trace {missing} not found in {store_arg} (2 traces scanned); run `genai-otel list {store_arg}` to see ids"
        )
    );
    assert!(run.stdout.is_empty());

    let run = cli(&["show", store_arg, "not-a-trace"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("is not a trace id"), "{}", run.stderr);

    let run = cli(&["show", store_arg]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("a trace id must follow it"),
        "{}",
        run.stderr
    );

    let nowhere = dir.path().join("nowhere");
    let run = cli(&["list", nowhere.to_str().expect("utf-8")]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("no trace store at") && run.stderr.contains("GENAI_OTEL_STORE_DIR"),
        "{}",
        run.stderr
    );

    // Omitted SOURCE is the default store, relative to the working directory.
    let run = cli_in(dir.path(), &["list"], &[]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains(".genai-otel/traces"), "{}", run.stderr);

    let run = cli(&["list", store_arg, "--phoenix", "http://127.0.0.1:9"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("use one of them"), "{}", run.stderr);
}

#[test]
fn ambiguous_prefixes_and_unreadable_lines() {
    let dir = TempDir::new("prefix");
    let store = dir.path().join("store");
    gen::write_store(&store, 3, 1, 10).expect("write store");
    // Two traces sharing the first 8 hex digits.
    let file = fs::read_dir(&store)
        .expect("store")
        .next()
        .expect("a file")
        .expect("entry")
        .path();
    let text = fs::read_to_string(&file).expect("read");
    let first = format!("{:032x}", gen::trace_id(0));
    let second = format!("{:032x}", gen::trace_id(1));
    let twin = format!("{}{}", &first[..8], &second[8..]);
    let mut text = text.replace(&second, &twin);
    text.push_str("{\"resourceSpans\": [ cut short by a crash\n");
    fs::write(&file, text).expect("write");
    let store_arg = store.to_str().expect("utf-8 path");

    let run = cli(&["show", store_arg, &first[..8]]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr.contains("is ambiguous") && run.stderr.contains(&twin),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("warning: skipped an unreadable line"),
        "{}",
        run.stderr
    );

    let run = cli(&["show", store_arg, &first[..12]]);
    assert!(run.ok().contains("invoke_agent support_agent"));

    let run = cli(&["list", store_arg]);
    assert_eq!(run.ok().lines().count(), 4);
    assert!(
        run.stderr.contains(":4: not valid JSON"),
        "names file and line: {}",
        run.stderr
    );
}

#[test]
fn export_without_content_writes_nothing_and_names_the_setting() {
    let dir = TempDir::new("nocontent");
    let store = dir.path().join("store");
    let ids = write_support_store(&store, false, false);
    let out = dir.path().join("evals");
    let run = cli(&[
        "export-trace",
        store.to_str().expect("utf-8"),
        &ids[0],
        "--output",
        out.to_str().expect("utf-8"),
    ]);
    assert_eq!(run.code, 1);
    assert!(run.stdout.is_empty());
    assert!(!out.exists(), "nothing written");
    for expected in [
        "content was not recorded for 2 of its 2 model calls",
        "chat gpt-4.1-mini",
        "Config::record_content(true)",
        "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true",
        "nothing was written",
    ] {
        assert!(
            run.stderr.contains(expected),
            "`{expected}` missing:\n{}",
            run.stderr
        );
    }

    // A trace without model calls cannot be exported either.
    let gen_store = dir.path().join("gen");
    gen::write_store(&gen_store, 1, 1, 1).expect("write");
    let run = cli(&[
        "export-trace",
        gen_store.to_str().expect("utf-8"),
        &format!("{:032x}", gen::trace_id(0)),
    ]);
    assert_eq!(run.code, 1);
    assert!(
        run.stderr.contains("content was not recorded"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_teaches_the_commands() {
    let top = cli(&["--help"]);
    for expected in [
        "list",
        "show",
        "export-trace",
        "eval",
        "SOURCE",
        "--phoenix",
        "GENAI_OTEL_STORE_DIR",
    ] {
        assert!(
            top.ok().contains(expected),
            "`{expected}` missing:\n{}",
            top.stdout
        );
    }
    let export = cli(&["export-trace", "--help"]);
    for expected in [
        "max_length",
        "not_contains",
        "is_json",
        "tool_called",
        "record_content",
        "[SOURCE] <TRACE_ID>...",
    ] {
        assert!(
            export.ok().contains(expected),
            "`{expected}` missing:\n{}",
            export.stdout
        );
    }
    let show = cli(&["show", "--help"]);
    assert!(show
        .ok()
        .contains("genai-otel show [OPTIONS] [SOURCE] <TRACE_ID>"));
}

#[test]
fn export_takes_rendered_variables_from_the_render_span() {
    use genai_otel::{AgentSpan, ExporterKind, InferenceSpan, Message, OutputMessage, PromptSpan};

    let dir = TempDir::new("variables");
    let store = dir.path().join("store");
    let guard = genai_otel::init_scoped(
        crate::common::test_config("shipping-api", true)
            .exporter(ExporterKind::Store)
            .store_dir(&store),
    )
    .expect("init pipeline");
    let agent = AgentSpan::builder("shipping_agent").start();
    let trace_id = agent.trace_id().expect("sampled");
    agent.in_scope(|| {
        let render = PromptSpan::render("shipping_update_v1").start();
        render.record_variables([("customer_name", "Ada"), ("order_id", "ord_1")]);
        render.end();
        let chat = InferenceSpan::chat("anthropic", "claude-sonnet-4").start();
        chat.record_input_messages(&[Message::user("Write Ada's shipping update for ord_1.")]);
        chat.record_output_messages(&[OutputMessage::new(
            Message::assistant("Hello Ada, order ord_1 has shipped."),
            "stop",
        )]);
        chat.end();
    });
    agent.end();
    guard.shutdown().expect("stored");

    let cases = json_lines(
        cli(&[
            "export-trace",
            store.to_str().expect("utf-8"),
            &trace_id,
            "--format",
            "jsonl",
        ])
        .ok(),
    );
    assert_eq!(cases.len(), 1);
    let variables = &cases[0]["variables"];
    assert_eq!(variables["customer_name"], "Ada");
    assert_eq!(variables["order_id"], "ord_1");
    assert_eq!(
        variables["messages"][0]["parts"][0]["content"],
        "Write Ada's shipping update for ord_1."
    );
    assert_eq!(cases[0]["context"]["model"]["provider"], "anthropic");
    assert_eq!(
        cases[0]["production_output"]["text"],
        "Hello Ada, order ord_1 has shipped."
    );
    let kinds: Vec<&str> = cases[0]["assertions"]
        .as_array()
        .expect("assertions")
        .iter()
        .filter_map(|a| a["type"].as_str())
        .collect();
    assert_eq!(kinds, ["max_length", "not_contains"]);
    assert_eq!(cases[0]["assertions"][0]["value"], 53, "ceil(35 * 1.5)");
}
