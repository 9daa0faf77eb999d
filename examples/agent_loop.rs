//! An agent loop on a multi-thread tokio runtime: each turn runs parallel retrievals on
//! separate tokio tasks, then a model call that asks for tools, then the tool calls (one of
//! them calling a nested tool). Every span still nests under the right parent.
//!
//! ```text
//! cargo run --example agent_loop
//! ```

use std::time::Duration;

use genai_otel::{
    AgentSpan, Config, InferenceSpan, RetrievalSpan, RetrievedDocument, ToolSpan, Usage,
};

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Default tail sampling keeps this trace: one tool call times out.
    let guard = genai_otel::init_observability(Config::new("research-agent"))?;

    let agent = AgentSpan::builder("research_agent")
        .route("/v1/research")
        .start();
    let trace_id = agent.trace_id();
    agent.instrument(run_agent()).await;
    agent.end();

    let store_dir = guard.store_dir().map(|d| d.to_path_buf());
    // Shutting down blocks; do it off the async workers.
    let report = tokio::task::spawn_blocking(move || guard.shutdown()).await??;
    println!("exported: {report}");
    if let (Some(dir), Some(trace_id)) = (store_dir, trace_id) {
        let spans = genai_otel::store::read_trace(&dir, &trace_id)?;
        print!(
            "{}",
            genai_otel::timeline::render(&spans, &genai_otel::timeline::TimelineOptions::default())
        );
        println!("trace {trace_id} stored in {}", dir.display());
    }
    Ok(())
}

async fn run_agent() {
    for turn in 0..2u64 {
        // Parallel retrievals, each on its own task: instrument the task's future with its span.
        let mut tasks = Vec::new();
        for (index, delay) in [("papers", 17), ("patents", 9), ("news", 13)] {
            let retrieval = RetrievalSpan::builder(index).top_k(3).start();
            tasks.push(tokio::spawn(retrieval.clone().instrument(async move {
                let embed = InferenceSpan::embeddings("openai", "text-embedding-3-small").start();
                tokio::time::sleep(Duration::from_millis(3)).await;
                embed.record_usage(Usage::new(12, 0));
                embed.end();
                tokio::time::sleep(Duration::from_millis(delay)).await;
                retrieval
                    .record_documents(&[RetrievedDocument::new(format!("{index}_{turn}"), 0.8)]);
                retrieval.end();
            })));
        }
        for t in tasks {
            let _ = t.await;
        }

        let chat = InferenceSpan::chat("anthropic", "claude-sonnet-4")
            .max_tokens(1024)
            .start();
        chat.instrument(tokio::time::sleep(Duration::from_millis(30)))
            .await;
        chat.record_usage(Usage::new(2048 + turn * 300, 210));
        chat.record_response("msg_01", "claude-sonnet-4-20250514", ["tool_call"]);
        chat.end();

        let summarize = ToolSpan::builder("summarize").start();
        summarize
            .instrument(async {
                // A tool that calls another tool.
                let fetch = ToolSpan::builder("fetch_url")
                    .tool_type("extension")
                    .start();
                fetch
                    .instrument(tokio::time::sleep(Duration::from_millis(8)))
                    .await;
                if turn == 0 {
                    fetch.record_error("TIMEOUT", "fetch_url timed out after 8ms");
                }
                fetch.end();
            })
            .await;
        summarize.end();
    }
}
