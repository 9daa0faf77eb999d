//! The expansions name nothing from the prelude and nothing the user can shadow: every
//! macro, in every shape, compiles under `#![no_implicit_prelude]` next to items named like
//! the ones the expansion uses.
#![no_implicit_prelude]

// Items named like std's and the expansion's own; the expansion must not pick them up.
#[allow(dead_code)]
mod shadows {
    pub(crate) struct Result;
    pub(crate) struct Option;
    pub(crate) struct Box;
    pub(crate) struct Outcome;
    pub(crate) struct Returned;
    pub(crate) fn run_sync() {}
    pub(crate) fn run_async() {}
    pub(crate) mod genai_otel {}
    pub(crate) mod core {}
    pub(crate) mod std {}
}
#[allow(unused_imports)]
use shadows::*;

use ::genai_otel::{
    traced_agent, traced_llm, traced_parser, traced_retrieval, traced_tool, Message,
    RetrievedDocument,
};

type Res<T> = ::std::result::Result<T, ::std::io::Error>;

#[traced_llm(provider = "openai", model = "gpt-4.1-mini", input = messages, temperature = 0.1, max_tokens = 8)]
fn llm_sync(messages: &[Message]) -> Res<::std::string::String> {
    let _ = messages;
    ::std::result::Result::Ok(::std::string::ToString::to_string("ok"))
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
async fn llm_async() -> ::std::option::Option<::serde_json::Value> {
    ::std::option::Option::None
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn llm_stream() -> impl ::futures_core::Stream<Item = ::std::string::String> {
    ::futures_util::stream::iter(::std::vec![::std::string::ToString::to_string("chunk")])
}

#[traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn llm_boxed_stream() -> ::std::result::Result<
    ::std::pin::Pin<
        ::std::boxed::Box<
            dyn ::futures_core::Stream<Item = ::std::string::String> + ::std::marker::Send,
        >,
    >,
    ::std::io::Error,
> {
    ::std::result::Result::Ok(::std::boxed::Box::pin(::futures_util::stream::empty()))
}

struct Client {
    model: ::std::string::String,
}

impl Client {
    #[traced_llm(provider = "openai", model = self.model)]
    fn method(&self) -> ::std::string::String {
        ::std::clone::Clone::clone(&self.model)
    }
}

#[traced_tool(name = "tool", arguments = args)]
fn tool(args: &::serde_json::Value) -> Res<::serde_json::Value> {
    ::std::result::Result::Ok(::std::clone::Clone::clone(args))
}

#[traced_retrieval(data_source = "kb", top_k = 3, query = q)]
fn retrieval(q: &str) -> ::std::vec::Vec<RetrievedDocument> {
    ::std::vec![RetrievedDocument::new(q, 1.0)]
}

#[traced_parser(schema = "S", input = raw)]
fn parser(raw: &str) -> ::std::result::Result<::serde_json::Value, ::serde_json::Error> {
    ::serde_json::from_str(raw)
}

#[traced_tool]
fn returns_unit() {}

#[traced_agent(name = "agent", user_id = user)]
fn agent(user: &str) -> usize {
    user.len()
}

#[test]
fn every_macro_expands_without_the_prelude() {
    let spans = ::genai_otel::testing::SpanCollector::new();
    let guard = ::genai_otel::init_scoped(
        ::genai_otel::Config::new("hygiene")
            .exporter(::genai_otel::ExporterKind::None)
            .collector(::std::clone::Clone::clone(&spans))
            .sampling(::genai_otel::Sampling::disabled()),
    )
    .expect("init");
    let rt = ::tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    ::std::assert!(llm_sync(&[]).is_ok());
    ::std::assert!(rt.block_on(llm_async()).is_none());
    ::std::assert_eq!(
        rt.block_on(::futures_util::StreamExt::count(llm_stream())),
        1
    );
    ::std::assert_eq!(
        rt.block_on(::futures_util::StreamExt::count(
            llm_boxed_stream().expect("ok")
        )),
        0
    );
    let client = Client {
        model: ::std::string::ToString::to_string("m"),
    };
    ::std::assert_eq!(client.method(), "m");
    ::std::assert!(tool(&::serde_json::Value::Bool(true)).is_ok());
    ::std::assert_eq!(retrieval("q").len(), 1);
    ::std::assert!(parser("{}").is_ok());
    ::std::assert_eq!(agent("u-1"), 3);
    returns_unit();
    ::std::assert!(guard.force_flush());
    ::std::assert_eq!(
        spans.names(),
        ::std::vec![
            "chat gpt-4.1-mini",
            "chat gpt-4.1-mini",
            "chat gpt-4.1-mini",
            "chat gpt-4.1-mini",
            "chat m",
            "execute_tool tool",
            "retrieval kb",
            "parse_output S",
            "invoke_agent agent",
            "execute_tool returns_unit",
        ]
    );
}
