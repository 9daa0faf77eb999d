//! A customer-support request traced end to end with the manual span API, offline.
//!
//! ```text
//! cargo run --example support_agent_manual
//! ```
//!
//! The request: load the `support_agent_v3` prompt, retrieve policy documents, let the model
//! plan a refund, call the `create_refund` tool (which rejects the amount), let the model
//! recover, and parse and validate the final JSON answer. The trace goes to the local store
//! (`.genai-otel/traces`, or `GENAI_OTEL_STORE_DIR`) — or over OTLP when
//! `OTEL_EXPORTER_OTLP_ENDPOINT` is set — and is printed as a timeline.
//!
//! Prompts and completions are recorded only with content capture on:
//! `OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT=true cargo run --example support_agent_manual`.

use std::thread::sleep;
use std::time::Duration;

use genai_otel::{
    AgentSpan, Config, InferenceSpan, Message, OutputMessage, ParseStatus, ParserSpan, Part,
    PromptMetadata, PromptSpan, RetrievalSpan, RetrievedDocument, ToolSpan, Usage,
};

const MODEL: &str = "gpt-4.1-mini";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Default tail sampling: this trace is kept because a span failed (and its prompt version
    // is new to this process); the decision is recorded on the root span.
    let guard = genai_otel::init_observability(Config::new("support-api"))?;

    let trace_id = handle_request(
        "customer-8812",
        "My blender arrived broken, order ord_55120.",
    );

    let store_dir = guard.store_dir().map(|d| d.to_path_buf());
    let report = guard.shutdown()?;
    println!("exported: {report}");

    match (store_dir, trace_id) {
        (Some(dir), Some(trace_id)) => {
            let spans = genai_otel::store::read_trace(&dir, &trace_id)?;
            println!();
            print!(
                "{}",
                genai_otel::timeline::render(
                    &spans,
                    &genai_otel::timeline::TimelineOptions::default()
                )
            );
            println!();
            println!("trace {trace_id} stored in {}", dir.display());
            println!("show it again with: genai-otel show {trace_id}");
        }
        (None, Some(trace_id)) => {
            println!("trace {trace_id} went to the configured exporter (OTLP or console), not the local store")
        }
        (_, None) => println!("no trace was recorded"),
    }
    Ok(())
}

/// One support request; returns its trace id.
fn handle_request(user_id: &str, question: &str) -> Option<String> {
    let agent = AgentSpan::builder("support_agent")
        .route("/v1/support")
        .tenant("acme-retail")
        .user_id(user_id) // recorded only as user.hash
        .conversation_id("conv_7f3a")
        .start();
    let trace_id = agent.trace_id();

    agent.in_scope(|| {
        // 1. Prompt: every later span of the request inherits its name and version.
        let load = PromptSpan::load("support_agent_v3").start();
        sleep(Duration::from_millis(11));
        load.record_metadata(
            &PromptMetadata::new("support_agent_v3")
                .version("3.2.0")
                .version_id("prv_2026_06_03_17")
                .release("prod")
                .git_sha("9f2c1e7")
                .environment("production"),
        );
        load.end();
        let system = "You are Acme's support agent. Answer in JSON: {\"answer\", \"refund_cents\"}.";

        // 2. Retrieval.
        let retrieval = RetrievalSpan::builder("support_policy_prod")
            .top_k(5)
            .model("text-embedding-3-small")
            .start();
        sleep(Duration::from_millis(23));
        retrieval.record_query(question);
        retrieval.record_documents(&[
            RetrievedDocument::new("doc_102", 0.91)
                .with_content("Items damaged in transit are refunded in full."),
            RetrievedDocument::new("doc_087", 0.84)
                .with_content("Refunds never exceed the order total."),
        ]);
        retrieval.end();

        // 3. The model plans the answer and asks for a refund tool call.
        let mut messages = vec![Message::system(system), Message::user(question)];
        let plan = InferenceSpan::chat("openai", MODEL)
            .temperature(0.2)
            .max_tokens(512)
            .server("api.openai.com", 443)
            .start();
        plan.record_tool_names(["create_refund"]);
        plan.record_input_messages(&messages);
        sleep(Duration::from_millis(49));
        let call = Part::tool_call(
            Some("call_9XkQ"),
            "create_refund",
            serde_json::json!({"order_id": "ord_55120", "refund_amount_cents": 12999}),
        );
        plan.record_response("chatcmpl-AX81", "gpt-4.1-mini-2025-04-14", ["tool_calls"]);
        plan.record_usage(Usage::new(812, 164).cache_read(512));
        plan.record_output_messages(&[OutputMessage::new(
            Message::with_parts("assistant", vec![call.clone()]),
            "tool_call",
        )]);
        plan.end();

        // 4. The tool rejects the amount.
        let tool = ToolSpan::builder("create_refund")
            .call_id("call_9XkQ")
            .agent("support_agent")
            .start();
        tool.record_arguments(&serde_json::json!({"order_id": "ord_55120", "refund_amount_cents": 12999}));
        sleep(Duration::from_millis(5));
        tool.record_error(
            "INVALID_ARGUMENT",
            "refund_amount_cents must be <= order_total_cents",
        );
        tool.end();

        // 5. The model recovers with the error in context.
        messages.push(Message::with_parts("assistant", vec![call]));
        messages.push(Message::with_parts(
            "tool",
            vec![Part::tool_response(
                Some("call_9XkQ"),
                serde_json::json!({"error": "INVALID_ARGUMENT: refund_amount_cents must be <= order_total_cents (order total 11999)"}),
            )],
        ));
        let recover = InferenceSpan::chat("openai", MODEL)
            .temperature(0.2)
            .max_tokens(512)
            .output_type("json")
            .server("api.openai.com", 443)
            .start();
        recover.record_input_messages(&messages);
        sleep(Duration::from_millis(41));
        let answer = r#"{"answer": "We're sorry your blender arrived broken. A full refund of $119.99 is on its way.", "refund_cents": 11999}"#;
        recover.record_response("chatcmpl-AX82", "gpt-4.1-mini-2025-04-14", ["stop"]);
        recover.record_usage(Usage::new(1024, 58).cache_read(768));
        recover.record_output_messages(&[OutputMessage::new(Message::assistant(answer), "stop")]);
        recover.end();

        // 6. Parse and validate the final JSON answer.
        let parser = ParserSpan::builder("SupportAnswer").start();
        parser.record_input(answer);
        match serde_json::from_str::<serde_json::Value>(answer) {
            Ok(value) => {
                parser.record_parse(Ok(()));
                let valid = value.get("answer").is_some_and(|a| a.is_string())
                    && value.get("refund_cents").is_some_and(|r| r.is_u64());
                parser.record_validate(if valid { Ok(()) } else { Err("missing field") });
                parser.finish(if valid { ParseStatus::Ok } else { ParseStatus::Invalid });
            }
            Err(e) => {
                parser.record_parse(Err(&e.to_string()));
                parser.finish(ParseStatus::Failed);
            }
        }
        parser.end();
    });
    agent.end();
    trace_id
}
