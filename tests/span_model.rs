//! The span model through the public API: names, kinds, parent links, attributes, the
//! content toggle in every mode, prompt-metadata inheritance, user-id hashing and async
//! nesting across tokio tasks.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

use genai_otel::opentelemetry::trace::{SpanId, SpanKind, Status};
use genai_otel::opentelemetry::{Array, Value};
use genai_otel::opentelemetry_sdk::trace::SpanData;
use genai_otel::testing::{attribute, SpanCollector};
use genai_otel::{
    semconv, AgentSpan, Config, ContentCapture, Evaluation, ExporterKind, InferenceSpan, Message,
    OutputMessage, ParseStatus, ParserSpan, Part, PromptMetadata, PromptSpan, RetrievalSpan,
    RetrievedDocument, Sampling, ScopedGuard, ToolSpan, Usage,
};

fn install(content: ContentCapture) -> (ScopedGuard, SpanCollector) {
    let spans = SpanCollector::new();
    let guard = genai_otel::init_scoped(
        Config::new("span-model-test")
            .exporter(ExporterKind::None)
            .collector(spans.clone())
            .content_capture(content)
            .sampling(Sampling::disabled())
            .user_hash_key(b"test-key-0123456789abcdef")
            .without_redaction(),
    )
    .expect("init_scoped");
    (guard, spans)
}

fn str_attr(span: &SpanData, key: &str) -> Option<String> {
    match attribute(span, key)? {
        Value::String(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

fn int_attr(span: &SpanData, key: &str) -> Option<i64> {
    match attribute(span, key)? {
        Value::I64(i) => Some(*i),
        _ => None,
    }
}

fn get(spans: &[SpanData], name: &str) -> SpanData {
    spans
        .iter()
        .find(|s| s.name == name)
        .cloned()
        .unwrap_or_else(|| {
            panic!(
                "no span {name:?} in {:?}",
                spans.iter().map(|s| s.name.to_string()).collect::<Vec<_>>()
            )
        })
}

/// Runs one support request through every span kind.
fn support_request() {
    let agent = AgentSpan::builder("support_agent")
        .route("/v1/support")
        .tenant("acme")
        .user_id("customer-8812")
        .conversation_id("conv_1")
        .start();
    agent.in_scope(|| {
        let load = PromptSpan::load("support_agent_v3").start();
        load.record_metadata(
            &PromptMetadata::new("support_agent_v3")
                .version("3.2.0")
                .version_id("prv_2026_06_03_17")
                .release("prod")
                .git_sha("9f2c1e7"),
        );
        load.end();

        let render = PromptSpan::render("support_agent_v3").start();
        render.record_variables([("customer_name", "Ada Lovelace")]);
        render.end();

        let retrieval = RetrievalSpan::builder("support_policy_prod")
            .top_k(5)
            .start();
        retrieval.record_query("refund for damaged blender");
        retrieval.record_documents(&[
            RetrievedDocument::new("doc_102", 0.91).with_content("Damaged items: full refund."),
            RetrievedDocument::new("doc_087", 0.84),
        ]);
        retrieval.end();

        let chat = InferenceSpan::chat("openai", "gpt-4.1-mini")
            .temperature(0.2)
            .max_tokens(512)
            .server("api.openai.com", 443)
            .start();
        chat.record_input_messages(&[
            Message::system("You are a support agent."),
            Message::user("My blender arrived broken"),
        ]);
        chat.record_usage(Usage::new(812, 164).cache_read(512));
        chat.record_response("chatcmpl-1", "gpt-4.1-mini-2025-04-14", ["tool_calls"]);
        chat.record_output_messages(&[OutputMessage::new(
            Message::with_parts(
                "assistant",
                vec![Part::tool_call(
                    Some("call_1"),
                    "create_refund",
                    serde_json::json!({"refund_amount_cents": 12000}),
                )],
            ),
            "tool_call",
        )]);
        chat.record_evaluation(&Evaluation::new("groundedness").score(0.93).label("pass"));
        chat.end();

        let tool = ToolSpan::builder("create_refund").call_id("call_1").start();
        tool.record_arguments(&serde_json::json!({"refund_amount_cents": 12000}));
        tool.record_error(
            "INVALID_ARGUMENT",
            "refund_amount_cents must be <= order_total_cents",
        );
        tool.end();

        let parser = ParserSpan::builder("SupportAnswer").start();
        parser.record_input(r#"{"answer": "refund issued"}"#);
        parser.record_parse(Ok(()));
        parser.record_validate(Ok(()));
        parser.finish(ParseStatus::Ok);
        parser.end();
    });
    agent.end();
}

#[test]
fn names_kinds_links_and_attributes_of_every_kind() {
    let (guard, collector) = install(ContentCapture::off());
    support_request();
    assert!(guard.force_flush());
    let spans = collector.spans();
    assert_eq!(spans.len(), 7, "{:?}", collector.names());

    let root = get(&spans, "invoke_agent support_agent");
    assert_eq!(root.span_kind, SpanKind::Internal);
    assert_eq!(root.parent_span_id, SpanId::INVALID);
    assert_eq!(
        str_attr(&root, "gen_ai.operation.name").as_deref(),
        Some("invoke_agent")
    );
    assert_eq!(
        str_attr(&root, "gen_ai.agent.name").as_deref(),
        Some("support_agent")
    );
    assert_eq!(
        str_attr(&root, "http.route").as_deref(),
        Some("/v1/support")
    );
    assert_eq!(str_attr(&root, semconv::TENANT_ID).as_deref(), Some("acme"));
    assert_eq!(
        root.status,
        Status::Unset,
        "an inner tool error is not the agent's"
    );

    let root_id = root.span_context.span_id();
    let trace_id = root.span_context.trace_id();
    for s in &spans {
        assert_eq!(
            s.span_context.trace_id(),
            trace_id,
            "{} in another trace",
            s.name
        );
        if s.name != root.name {
            assert_eq!(
                s.parent_span_id, root_id,
                "{} not a child of the root",
                s.name
            );
        }
    }

    let load = get(&spans, "prompt.load");
    assert_eq!(load.span_kind, SpanKind::Internal);
    assert_eq!(
        str_attr(&load, semconv::SPAN_TYPE).as_deref(),
        Some("prompt.load")
    );
    assert_eq!(
        str_attr(&load, semconv::PROMPT_VERSION_ID).as_deref(),
        Some("prv_2026_06_03_17")
    );

    let retrieval = get(&spans, "retrieval support_policy_prod");
    assert_eq!(retrieval.span_kind, SpanKind::Client);
    assert_eq!(
        str_attr(&retrieval, "gen_ai.operation.name").as_deref(),
        Some("retrieval")
    );
    assert_eq!(
        str_attr(&retrieval, "gen_ai.data_source.id").as_deref(),
        Some("support_policy_prod")
    );
    assert_eq!(int_attr(&retrieval, "gen_ai.retrieval.top_k"), Some(5));
    assert_eq!(
        attribute(&retrieval, semconv::RETRIEVAL_DOCUMENT_IDS),
        Some(&Value::Array(Array::String(vec![
            "doc_102".into(),
            "doc_087".into()
        ])))
    );
    assert_eq!(
        attribute(&retrieval, semconv::RETRIEVAL_DOCUMENT_SCORES),
        Some(&Value::Array(Array::F64(vec![0.91, 0.84])))
    );

    let chat = get(&spans, "chat gpt-4.1-mini");
    assert_eq!(chat.span_kind, SpanKind::Client);
    assert_eq!(
        str_attr(&chat, "gen_ai.operation.name").as_deref(),
        Some("chat")
    );
    assert_eq!(
        str_attr(&chat, "gen_ai.provider.name").as_deref(),
        Some("openai")
    );
    assert_eq!(
        str_attr(&chat, "gen_ai.request.model").as_deref(),
        Some("gpt-4.1-mini")
    );
    assert_eq!(
        attribute(&chat, "gen_ai.request.temperature"),
        Some(&Value::F64(0.2))
    );
    assert_eq!(int_attr(&chat, "gen_ai.request.max_tokens"), Some(512));
    assert_eq!(int_attr(&chat, "gen_ai.usage.input_tokens"), Some(812));
    assert_eq!(int_attr(&chat, "gen_ai.usage.output_tokens"), Some(164));
    assert_eq!(
        int_attr(&chat, "gen_ai.usage.cache_read.input_tokens"),
        Some(512)
    );
    assert_eq!(
        str_attr(&chat, "gen_ai.response.id").as_deref(),
        Some("chatcmpl-1")
    );
    assert_eq!(
        attribute(&chat, "gen_ai.response.finish_reasons"),
        Some(&Value::Array(Array::String(vec!["tool_calls".into()])))
    );
    assert_eq!(
        str_attr(&chat, "server.address").as_deref(),
        Some("api.openai.com")
    );
    assert_eq!(int_attr(&chat, "server.port"), Some(443));
    let eval = chat
        .events
        .iter()
        .find(|e| e.name == "gen_ai.evaluation.result")
        .expect("evaluation event");
    assert!(eval.attributes.iter().any(
        |kv| kv.key.as_str() == "gen_ai.evaluation.score.value" && kv.value == Value::F64(0.93)
    ));

    let tool = get(&spans, "execute_tool create_refund");
    assert_eq!(tool.span_kind, SpanKind::Internal);
    assert_eq!(
        str_attr(&tool, "gen_ai.tool.name").as_deref(),
        Some("create_refund")
    );
    assert_eq!(
        str_attr(&tool, "gen_ai.tool.call.id").as_deref(),
        Some("call_1")
    );
    assert_eq!(
        str_attr(&tool, "error.type").as_deref(),
        Some("INVALID_ARGUMENT")
    );
    assert_eq!(
        tool.status,
        Status::error("refund_amount_cents must be <= order_total_cents")
    );

    let parser = get(&spans, "parse_output SupportAnswer");
    assert_eq!(
        str_attr(&parser, semconv::PARSER_STATUS).as_deref(),
        Some("ok")
    );
    assert_eq!(int_attr(&parser, semconv::PARSER_ATTEMPTS), Some(1));
    assert_eq!(parser.events.len(), 2);
    assert_eq!(parser.status, Status::Unset);
}

#[test]
fn content_off_records_no_content_anywhere() {
    let (guard, collector) = install(ContentCapture::off());
    support_request();
    guard.force_flush();
    let spans = collector.spans();
    assert_eq!(spans.len(), 7);
    for s in &spans {
        for kv in &s.attributes {
            assert!(
                !semconv::is_content_key(kv.key.as_str()),
                "{} carries content key {}",
                s.name,
                kv.key
            );
        }
        let text = format!("{:?}", s.attributes);
        for needle in [
            "blender",
            "Ada Lovelace",
            "support agent",
            "refund issued",
            "Damaged",
        ] {
            assert!(
                !text.contains(needle),
                "{} leaks {needle:?}: {text}",
                s.name
            );
        }
    }
}

#[test]
fn content_on_records_every_kind() {
    let (guard, collector) = install(ContentCapture::on());
    support_request();
    guard.force_flush();
    let spans = collector.spans();
    let chat = get(&spans, "chat gpt-4.1-mini");
    let input = str_attr(&chat, "gen_ai.input.messages").expect("input messages");
    let parsed: serde_json::Value = serde_json::from_str(&input).expect("JSON");
    assert_eq!(parsed[1]["role"], "user");
    assert_eq!(parsed[1]["parts"][0]["type"], "text");
    assert_eq!(
        parsed[1]["parts"][0]["content"],
        "My blender arrived broken"
    );
    let output: serde_json::Value =
        serde_json::from_str(&str_attr(&chat, "gen_ai.output.messages").expect("output")).unwrap();
    assert_eq!(output[0]["parts"][0]["type"], "tool_call");
    assert_eq!(output[0]["finish_reason"], "tool_call");

    let tool = get(&spans, "execute_tool create_refund");
    assert!(str_attr(&tool, "gen_ai.tool.call.arguments")
        .unwrap()
        .contains("12000"));
    let retrieval = get(&spans, "retrieval support_policy_prod");
    assert_eq!(
        str_attr(&retrieval, "gen_ai.retrieval.query.text").as_deref(),
        Some("refund for damaged blender")
    );
    let docs: serde_json::Value =
        serde_json::from_str(&str_attr(&retrieval, "gen_ai.retrieval.documents").unwrap()).unwrap();
    assert_eq!(docs[0]["id"], "doc_102");
    assert_eq!(docs[0]["content"], "Damaged items: full refund.");
    let render = get(&spans, "prompt.render");
    assert_eq!(
        str_attr(&render, "gen_ai.prompt.variable.customer_name").as_deref(),
        Some("Ada Lovelace")
    );
    let parser = get(&spans, "parse_output SupportAnswer");
    assert!(str_attr(&parser, semconv::PARSER_INPUT).is_some());
}

#[test]
fn per_kind_switches_and_truncation() {
    let (guard, collector) = install(
        ContentCapture::on()
            .output_messages(false)
            .tool_io(false)
            .retrieval_documents(false)
            .max_length(20),
    );
    support_request();
    guard.force_flush();
    let spans = collector.spans();
    let chat = get(&spans, "chat gpt-4.1-mini");
    assert!(str_attr(&chat, "gen_ai.output.messages").is_none());
    let input = str_attr(&chat, "gen_ai.input.messages").unwrap();
    assert!(input.contains("…[truncated "), "{input}");
    assert_eq!(
        attribute(&chat, semconv::CONTENT_TRUNCATED),
        Some(&Value::Bool(true))
    );
    let tool = get(&spans, "execute_tool create_refund");
    assert!(str_attr(&tool, "gen_ai.tool.call.arguments").is_none());
    let retrieval = get(&spans, "retrieval support_policy_prod");
    assert!(str_attr(&retrieval, "gen_ai.retrieval.documents").is_none());
    assert!(str_attr(&retrieval, "gen_ai.retrieval.query.text").is_some());
}

#[test]
fn sampled_content_is_all_or_nothing_per_trace() {
    let (guard, collector) = install(ContentCapture::sampled(0.5));
    for _ in 0..60 {
        support_request();
    }
    guard.force_flush();
    let spans = collector.spans();
    let mut by_trace: std::collections::HashMap<_, Vec<&SpanData>> = Default::default();
    for s in &spans {
        by_trace
            .entry(s.span_context.trace_id())
            .or_default()
            .push(s);
    }
    assert_eq!(by_trace.len(), 60);
    let mut with_content = 0;
    for spans in by_trace.values() {
        let flags: Vec<bool> = spans
            .iter()
            .filter(|s| s.name == "chat gpt-4.1-mini" || s.name == "execute_tool create_refund")
            .map(|s| {
                s.attributes
                    .iter()
                    .any(|kv| semconv::is_content_key(kv.key.as_str()))
            })
            .collect();
        assert_eq!(flags.len(), 2);
        assert_eq!(flags[0], flags[1], "content recorded for part of a trace");
        with_content += flags[0] as usize;
    }
    assert!((10..=50).contains(&with_content), "{with_content} of 60");
}

struct PanicsOnSerialize;

impl serde::Serialize for PanicsOnSerialize {
    fn serialize<S: serde::Serializer>(&self, _: S) -> Result<S::Ok, S::Error> {
        panic!("content was serialized while capture is off");
    }
}

#[test]
fn content_off_never_serializes() {
    let (guard, collector) = install(ContentCapture::off());
    let chat = InferenceSpan::chat("openai", "m").start();
    assert!(!chat.record_input_messages(&PanicsOnSerialize));
    assert!(!chat.record_output_messages(&PanicsOnSerialize));
    assert!(!chat.record_system_instructions(&PanicsOnSerialize));
    chat.end();
    let tool = ToolSpan::builder("t").start();
    assert!(!tool.record_arguments(&PanicsOnSerialize));
    assert!(!tool.record_result(&PanicsOnSerialize));
    tool.end();
    // A switched-off kind is not serialized either, even with capture on.
    drop(guard);
    let (guard, _) = install(ContentCapture::on().messages(false));
    let chat = InferenceSpan::chat("openai", "m").start();
    assert!(!chat.record_input_messages(&PanicsOnSerialize));
    chat.end();
    guard.force_flush();
    let _ = collector;
}

#[test]
fn prompt_metadata_is_inherited_by_later_spans() {
    let (guard, collector) = install(ContentCapture::off());
    let agent = AgentSpan::builder("support_agent").start();
    agent.in_scope(|| {
        let before = ToolSpan::builder("before_prompt").start();
        before.end();
        let load = PromptSpan::load("support_agent_v3").start();
        load.record_metadata(
            &PromptMetadata::new("support_agent_v3")
                .version("3.2.0")
                .version_id("prv_9")
                .release("canary")
                .git_sha("abc123")
                .deployment_id("dep_1")
                .environment("staging"),
        );
        load.end();
        let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
        chat.in_scope(|| {
            // grandchildren inherit too
            ToolSpan::builder("nested").start().end();
        });
        chat.end();
    });
    agent.end();
    guard.force_flush();
    let spans = collector.spans();
    for name in [
        "invoke_agent support_agent",
        "chat gpt-4.1-mini",
        "execute_tool nested",
        "prompt.load",
    ] {
        let s = get(&spans, name);
        assert_eq!(
            str_attr(&s, "gen_ai.prompt.name").as_deref(),
            Some("support_agent_v3"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, "gen_ai.prompt.version").as_deref(),
            Some("3.2.0"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, semconv::PROMPT_VERSION_ID).as_deref(),
            Some("prv_9"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, semconv::PROMPT_RELEASE).as_deref(),
            Some("canary"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, semconv::PROMPT_GIT_SHA).as_deref(),
            Some("abc123"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, "deployment.id").as_deref(),
            Some("dep_1"),
            "{name}"
        );
        assert_eq!(
            str_attr(&s, "deployment.environment.name").as_deref(),
            Some("staging"),
            "{name}"
        );
    }
    let before = get(&spans, "execute_tool before_prompt");
    assert!(
        str_attr(&before, "gen_ai.prompt.name").is_none(),
        "set once applies from then on"
    );
}

#[test]
fn user_ids_are_only_recorded_as_keyed_hashes() {
    let (guard, collector) = install(ContentCapture::on());
    let expected = genai_otel::hash_user_id("customer-8812");
    assert_eq!(expected.len(), 32);
    support_request();
    guard.force_flush();
    let spans = collector.spans();
    let root = get(&spans, "invoke_agent support_agent");
    assert_eq!(
        str_attr(&root, "user.hash").as_deref(),
        Some(expected.as_str())
    );
    for s in &spans {
        assert!(
            !format!("{s:?}").contains("customer-8812"),
            "raw user id on {}",
            s.name
        );
    }
    drop(guard);
    // Another key gives another hash: the hash is keyed, not a plain digest.
    let other = genai_otel::init_scoped(
        Config::new("t")
            .exporter(ExporterKind::None)
            .user_hash_key(b"another-key-0123456789"),
    )
    .unwrap();
    assert_ne!(genai_otel::hash_user_id("customer-8812"), expected);
    drop(other);
}

#[test]
fn async_spans_nest_across_tokio_tasks() {
    let (guard, collector) = install(ContentCapture::off());
    let dispatch = guard.dispatch();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        use tracing::instrument::WithSubscriber;
        let agent = AgentSpan::builder("research_agent").start();
        let a2 = agent.clone();
        agent
            .instrument(async move {
                let mut tasks = Vec::new();
                for i in 0..3 {
                    let retrieval = RetrievalSpan::builder(format!("index_{i}"))
                        .top_k(3)
                        .start();
                    // Everything the task owns is dropped inside `with_subscriber`, so the
                    // scoped dispatcher sees every close (a global install needs none of this).
                    tasks.push(tokio::spawn(
                        async move {
                            let r2 = retrieval.clone();
                            retrieval
                                .instrument(async move {
                                    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
                                    let embed = InferenceSpan::embeddings(
                                        "openai",
                                        "text-embedding-3-small",
                                    )
                                    .start();
                                    embed.end();
                                })
                                .await;
                            r2.end();
                        }
                        .with_subscriber(dispatch.clone()),
                    ));
                }
                for t in tasks {
                    t.await.unwrap();
                }
                a2.end();
            })
            .await;
        agent.end();
    });
    guard.force_flush();
    let spans = collector.spans();
    assert_eq!(spans.len(), 7, "{:?}", collector.names());
    let root = get(&spans, "invoke_agent research_agent");
    for i in 0..3 {
        let r = get(&spans, &format!("retrieval index_{i}"));
        assert_eq!(r.parent_span_id, root.span_context.span_id());
        let embeds: Vec<_> = spans
            .iter()
            .filter(|s| s.parent_span_id == r.span_context.span_id())
            .collect();
        assert_eq!(
            embeds.len(),
            1,
            "one embeddings span under retrieval index_{i}"
        );
        assert_eq!(embeds[0].name, "embeddings text-embedding-3-small");
    }
}

/// Spans of the export path (hyper, h2, tonic, the SDK itself) are never traced — tracing
/// them would export spans about exporting spans — and spans started inside them attach to
/// the app's span around them.
#[test]
fn the_export_path_is_never_traced_and_its_children_attach_to_the_app_span() {
    let (guard, spans) = install(ContentCapture::off());
    tracing::info_span!("app_request").in_scope(|| {
        let inside = || tracing::info_span!("inside_export_io").in_scope(|| {});
        tracing::info_span!(target: "hyper::client::conn", "export_io").in_scope(inside);
        tracing::info_span!(target: "h2::proto", "export_io").in_scope(inside);
        tracing::info_span!(target: "tonic::transport", "export_io").in_scope(inside);
        tracing::info_span!(target: "opentelemetry_sdk::trace", "export_io").in_scope(inside);
    });
    assert!(guard.force_flush());
    let spans = spans.spans();
    let names: Vec<&str> = spans.iter().map(|s| s.name.as_ref()).collect();
    assert!(!names.contains(&"export_io"), "{names:?}");
    let app = get(&spans, "app_request");
    let inside: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "inside_export_io")
        .collect();
    assert_eq!(inside.len(), 4, "{names:?}");
    for s in inside {
        assert_eq!(s.parent_span_id, app.span_context.span_id());
    }
}
