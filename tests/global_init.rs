//! The process-wide install: one test per binary, because `init_observability` may succeed
//! only once per process.
//!
//! Checks: a second call is an error, not a panic; spans created on tokio worker threads
//! (no per-task subscriber glue) nest under the request; the trace lands in the local store
//! with the tool span in status Error with `error.type`; no content reaches the store with
//! capture off.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use std::time::Duration;

use genai_otel::{
    AgentSpan, Config, InferenceSpan, InitError, Message, RetrievalSpan, RetrievedDocument,
    Sampling, ToolSpan,
};

#[test]
fn global_install_once_nesting_across_tasks_and_local_store() {
    let tmp = common::TempDir::new("global-init");
    let dir = tmp.path().to_path_buf();
    let config = || {
        Config::new("global-test")
            .store_dir(&dir)
            .sampling(Sampling::disabled())
            .shutdown_timeout(Duration::from_secs(5))
    };
    let guard = genai_otel::init_observability(config()).expect("first init");
    assert_eq!(guard.store_dir(), Some(dir.as_path()));
    match genai_otel::init_observability(config()) {
        Err(InitError::AlreadyInitialized) => {}
        other => panic!("second init must be an error, got {other:?}"),
    }

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let trace_id = rt.block_on(async {
        let agent = AgentSpan::builder("research_agent").start();
        let trace_id = agent.trace_id().expect("recording");
        agent
            .instrument(async {
                let mut tasks = Vec::new();
                for i in 0..4 {
                    let retrieval = RetrievalSpan::builder(format!("shard_{i}")).start();
                    tasks.push(tokio::spawn(retrieval.clone().instrument(async move {
                        tokio::time::sleep(Duration::from_millis(2 + i)).await;
                        let embed = InferenceSpan::embeddings("openai", "e5").start();
                        embed.end();
                        retrieval.record_query("the secret query text");
                        retrieval.record_documents(&[RetrievedDocument::new(format!("d{i}"), 0.5)
                            .with_content("secret document body")]);
                        retrieval.end();
                    })));
                }
                for t in tasks {
                    t.await.unwrap();
                }
                let chat = InferenceSpan::chat("openai", "gpt-4.1-mini").start();
                chat.record_input_messages(&[Message::user("secret prompt text")]);
                chat.end();
                let tool = ToolSpan::builder("create_refund").start();
                tool.record_arguments(&serde_json::json!({"secret": "tool args"}));
                tool.record_error("INVALID_ARGUMENT", "refund too large");
                tool.end();
            })
            .await;
        agent.end();
        trace_id
    });
    let report = guard.shutdown().expect("clean shutdown");
    assert_eq!(report.submitted, 11);
    assert_eq!(report.exported, 11);

    let spans = genai_otel::store::read_trace(&dir, &trace_id).expect("read store");
    assert_eq!(spans.len(), 11);
    let root = spans
        .iter()
        .find(|s| s.name == "invoke_agent research_agent")
        .unwrap();
    assert!(root.parent_span_id.is_none());
    for i in 0..4 {
        let r = spans
            .iter()
            .find(|s| s.name == format!("retrieval shard_{i}"))
            .unwrap();
        assert_eq!(r.parent_span_id.as_deref(), Some(root.span_id.as_str()));
        let embed: Vec<_> = spans
            .iter()
            .filter(|s| s.parent_span_id.as_deref() == Some(r.span_id.as_str()))
            .collect();
        assert_eq!(embed.len(), 1, "embeddings under shard_{i}");
    }
    let tool = spans
        .iter()
        .find(|s| s.name == "execute_tool create_refund")
        .unwrap();
    assert_eq!(tool.attr_str("error.type"), Some("INVALID_ARGUMENT"));
    assert!(tool.status.is_error());

    let mut stored = String::new();
    for f in genai_otel::store::store_files(&dir).unwrap() {
        stored.push_str(&std::fs::read_to_string(f).unwrap());
    }
    for secret in [
        "secret query",
        "secret document",
        "secret prompt",
        "tool args",
    ] {
        assert!(
            !stored.contains(secret),
            "content {secret:?} reached the store"
        );
    }
}
