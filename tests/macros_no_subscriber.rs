//! With no subscriber installed (this binary never installs one), instrumented functions
//! take the macros' fast path: the body runs alone, no builder argument and no content
//! expression is evaluated, and every shape still returns, errs, panics and streams as it
//! would without the attribute.
#![allow(clippy::unwrap_used)]

mod common;

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;

use futures_util::StreamExt;
use genai_otel::{
    traced_agent, traced_llm, traced_parser, traced_retrieval, traced_tool, Message,
    RetrievedDocument,
};
use tracing::level_filters::LevelFilter;

thread_local! {
    static EVALUATED: Cell<u32> = const { Cell::new(0) };
}

/// Counts its evaluations: the macros must not evaluate builder arguments or content
/// expressions when no subscriber could record the span.
fn counted(text: &'static str) -> &'static str {
    EVALUATED.with(|c| c.set(c.get() + 1));
    text
}

fn evaluated() -> u32 {
    EVALUATED.with(Cell::get)
}

#[derive(Debug, PartialEq)]
struct ApiError(u16);

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "status {}", self.0)
    }
}

/// A prompt whose text is read through a counting method.
struct Prompt(&'static str);

impl Prompt {
    fn text(&self) -> &'static str {
        counted(self.0)
    }
}

#[traced_llm(provider = "openai", model = counted("gpt-4.1-mini"), system = prompt.text())]
fn chat(prompt: &Prompt, fail: bool) -> Result<String, ApiError> {
    if fail {
        return Err(ApiError(429));
    }
    Ok(format!("answer to {}", prompt.0))
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages)]
async fn chat_async(messages: Vec<Message>) -> Option<String> {
    Some(format!("{} messages", messages.len()))
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn chat_stream(parts: Vec<&'static str>) -> impl futures_core::Stream<Item = String> {
    futures_util::stream::iter(parts.into_iter().map(String::from))
}

#[traced_tool(name = "create_refund", arguments = amount)]
fn create_refund(amount: u64) -> Result<u64, ApiError> {
    if amount > 100 {
        Err(ApiError(400))
    } else {
        Ok(amount)
    }
}

#[traced_retrieval(data_source = "support_policy_prod", top_k = 2, query = q)]
async fn search(q: &str) -> Vec<RetrievedDocument> {
    vec![RetrievedDocument::new(format!("doc_{}", q.len()), 0.9)]
}

#[traced_parser(schema = "Answer")]
fn parse(raw: &str) -> Result<u32, std::num::ParseIntError> {
    raw.trim().parse()
}

#[traced_agent(name = "support_agent", tenant = counted("acme"))]
fn handle(panic: bool) -> &'static str {
    assert!(!panic, "agent panicked");
    "done"
}

struct Client {
    calls: u32,
}

impl Client {
    #[traced_llm(provider = "openai", model = "m")]
    fn call(&mut self) -> u32 {
        self.calls += 1;
        self.calls
    }

    #[traced_llm(provider = "openai", model = "m")]
    fn boxed(&self) -> Pin<Box<dyn Future<Output = u32> + Send + '_>> {
        Box::pin(async move { self.calls })
    }

    #[allow(clippy::manual_async_fn)] // the `-> impl Future` shape is the one under test
    #[traced_llm(provider = "openai", model = "m")]
    fn call_later(&self) -> impl Future<Output = u32> + '_ {
        async move { self.calls * 10 }
    }
}

#[test]
fn every_shape_runs_unchanged_without_a_subscriber() {
    assert_eq!(
        LevelFilter::current(),
        LevelFilter::OFF,
        "this binary must not install a subscriber"
    );

    let prompt = Prompt("refunds?");
    assert_eq!(chat(&prompt, false).unwrap(), "answer to refunds?");
    assert_eq!(chat(&prompt, true), Err(ApiError(429)));
    let messages = vec![Message::user("a"), Message::user("b")];
    assert_eq!(
        common::block_on(chat_async(messages)).as_deref(),
        Some("2 messages")
    );
    let chunks: Vec<String> = common::block_on(chat_stream(vec!["a", "b", "c"]).collect());
    assert_eq!(chunks, ["a", "b", "c"]);
    assert_eq!(create_refund(40), Ok(40));
    assert_eq!(create_refund(400), Err(ApiError(400)));
    let docs = common::block_on(search("refund"));
    assert_eq!(docs[0].id, "doc_6");
    assert_eq!(parse(" 42 "), Ok(42));
    assert!(parse("x").is_err());
    assert_eq!(handle(false), "done");

    let mut client = Client { calls: 0 };
    assert_eq!(client.call(), 1);
    assert_eq!(client.call(), 2);
    assert_eq!(common::block_on(client.boxed()), 2);
    assert_eq!(common::block_on(client.call_later()), 20);

    // No argument of the attribute was evaluated: there was no span to give it to.
    assert_eq!(evaluated(), 0);
    assert_eq!(genai_otel::current_trace_id(), None);
}

#[test]
fn panics_still_unwind_with_their_payload() {
    let payload = std::panic::catch_unwind(|| handle(true)).unwrap_err();
    let message = payload
        .downcast_ref::<&str>()
        .copied()
        .or_else(|| payload.downcast_ref::<String>().map(String::as_str))
        .unwrap_or_default()
        .to_string();
    assert_eq!(message, "agent panicked");
}
