//! `#[traced_tool]`, `#[traced_retrieval]`, `#[traced_parser]` and `#[traced_agent]`
//! through the public API: names, kinds, attributes, parent links, errors, content only
//! when capture allows it, and the `crate = ..` override.
#![allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point

mod common;

use common::{flush, get, install, int, text};
use std::fmt;

use genai_otel::opentelemetry::trace::{SpanKind, Status};
use genai_otel::opentelemetry::{Array, Value};
use genai_otel::opentelemetry_sdk::trace::SpanData;
use genai_otel::testing::attribute;
use genai_otel::{
    semconv, traced_agent, traced_parser, traced_retrieval, traced_tool, ContentCapture,
    DocumentRef, RetrievalResults, RetrievedDocument,
};
use serde::{Deserialize, Serialize};

fn has_content(span: &SpanData) -> bool {
    span.attributes
        .iter()
        .any(|kv| semconv::is_content_key(kv.key.as_str()))
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
}

// ---- tools --------------------------------------------------------------------------------

#[derive(Debug, Serialize)]
struct RefundArgs {
    order_id: String,
    refund_amount_cents: u64,
    order_total_cents: u64,
}

#[derive(Debug, Serialize)]
struct Refund {
    refund_id: String,
}

#[derive(Debug)]
enum ToolError {
    InvalidArgument(&'static str),
}

impl fmt::Display for ToolError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ToolError::InvalidArgument(m) => f.write_str(m),
        }
    }
}

#[traced_tool(name = "create_refund", arguments = args, call_id = call_id)]
fn create_refund(call_id: &str, args: &RefundArgs) -> Result<Refund, ToolError> {
    if args.refund_amount_cents > args.order_total_cents {
        return Err(ToolError::InvalidArgument(
            "refund_amount_cents must be <= order_total_cents",
        ));
    }
    Ok(Refund {
        refund_id: format!("rf_{}", args.order_id),
    })
}

/// A tool without arguments named: nothing from the parameters is recorded.
#[traced_tool(tool_type = "datastore", description = "Looks an order up")]
fn lookup_order(order_id: String) -> Option<u64> {
    (order_id == "ord_1").then_some(12_000)
}

#[test]
fn tool_spans_record_arguments_and_results_only_as_content() {
    for capture in [ContentCapture::off(), ContentCapture::on()] {
        let on = capture == ContentCapture::on();
        let (guard, collector) = install(capture);
        let args = RefundArgs {
            order_id: "ord_1".into(),
            refund_amount_cents: 9_000,
            order_total_cents: 12_000,
        };
        assert_eq!(
            create_refund("call_1", &args).unwrap().refund_id,
            "rf_ord_1"
        );
        assert_eq!(lookup_order("ord_1".to_string()), Some(12_000));
        let spans = flush(&guard, &collector);
        let tool = get(&spans, "execute_tool create_refund");
        assert_eq!(tool.span_kind, SpanKind::Internal);
        assert_eq!(tool.status, Status::Unset);
        assert_eq!(
            text(tool, "gen_ai.operation.name").as_deref(),
            Some("execute_tool")
        );
        assert_eq!(
            text(tool, "gen_ai.tool.name").as_deref(),
            Some("create_refund")
        );
        assert_eq!(text(tool, "gen_ai.tool.type").as_deref(), Some("function"));
        assert_eq!(text(tool, "gen_ai.tool.call.id").as_deref(), Some("call_1"));
        assert_eq!(
            text(tool, semconv::CODE_FUNCTION_NAME).as_deref(),
            Some("macros_kinds::create_refund")
        );
        let lookup = get(&spans, "execute_tool lookup_order");
        assert_eq!(
            text(lookup, "gen_ai.tool.type").as_deref(),
            Some("datastore")
        );
        assert_eq!(
            text(lookup, "gen_ai.tool.description").as_deref(),
            Some("Looks an order up")
        );
        assert!(
            text(lookup, "gen_ai.tool.call.arguments").is_none(),
            "not named"
        );
        if on {
            let arguments: serde_json::Value =
                serde_json::from_str(&text(tool, "gen_ai.tool.call.arguments").unwrap()).unwrap();
            assert_eq!(arguments, serde_json::to_value(&args).unwrap());
            assert_eq!(
                text(tool, "gen_ai.tool.call.result").as_deref(),
                Some(r#"{"refund_id":"rf_ord_1"}"#)
            );
            assert_eq!(
                text(lookup, "gen_ai.tool.call.result").as_deref(),
                Some("12000")
            );
        } else {
            assert!(!has_content(tool));
            assert!(!has_content(lookup));
        }
    }
}

#[test]
fn tool_errors_record_no_result() {
    let (guard, collector) = install(ContentCapture::on());
    let args = RefundArgs {
        order_id: "ord_1".into(),
        refund_amount_cents: 99_000,
        order_total_cents: 12_000,
    };
    assert!(create_refund("call_2", &args).is_err());
    let spans = flush(&guard, &collector);
    let tool = get(&spans, "execute_tool create_refund");
    assert_eq!(text(tool, "error.type").as_deref(), Some("ToolError"));
    assert_eq!(
        tool.status,
        Status::error("refund_amount_cents must be <= order_total_cents")
    );
    assert!(text(tool, "gen_ai.tool.call.result").is_none());
    assert!(text(tool, "gen_ai.tool.call.arguments").is_some());
}

// ---- retrieval ----------------------------------------------------------------------------

#[traced_retrieval(data_source = "support_policy_prod", top_k = 5, query = q, model = "text-embedding-3-small")]
async fn search_policy_docs(q: &str) -> Vec<RetrievedDocument> {
    tokio::task::yield_now().await;
    assert!(!q.is_empty());
    vec![
        RetrievedDocument::new("doc_102", 0.91).with_content("Damaged items: full refund."),
        RetrievedDocument::new("doc_087", 0.84),
    ]
}

/// The caller's own document type.
struct Hit {
    key: u32,
    body: String,
}

impl RetrievalResults for Hit {
    fn documents(&self) -> Vec<DocumentRef<'_>> {
        vec![DocumentRef::unscored(self.key.to_string()).content(&self.body)]
    }
}

struct Index {
    name: String,
    k: usize,
}

impl Index {
    #[traced_retrieval(data_source = self.name, top_k = self.k, query = query.text)]
    fn search(&self, query: &Query) -> Result<Vec<Hit>, std::io::Error> {
        if query.text.is_empty() {
            return Err(std::io::Error::other("empty query"));
        }
        Ok(vec![Hit {
            key: 7,
            body: "Refunds take 5 days.".into(),
        }])
    }
}

struct Query {
    text: String,
}

#[test]
fn retrieval_spans() {
    let (guard, collector) = install(ContentCapture::on().retrieval_documents(false));
    rt().block_on(search_policy_docs("refund for damaged blender"));
    let index = Index {
        name: "faq_index".into(),
        k: 3,
    };
    index
        .search(&Query {
            text: "how long".into(),
        })
        .unwrap();
    assert!(index
        .search(&Query {
            text: String::new()
        })
        .is_err());
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 3);

    let r = get(&spans, "retrieval support_policy_prod");
    assert_eq!(r.span_kind, SpanKind::Client);
    assert_eq!(
        text(r, "gen_ai.operation.name").as_deref(),
        Some("retrieval")
    );
    assert_eq!(
        text(r, "gen_ai.data_source.id").as_deref(),
        Some("support_policy_prod")
    );
    assert_eq!(int(r, "gen_ai.retrieval.top_k"), Some(5));
    assert_eq!(
        text(r, "gen_ai.request.model").as_deref(),
        Some("text-embedding-3-small")
    );
    assert_eq!(
        text(r, "gen_ai.retrieval.query.text").as_deref(),
        Some("refund for damaged blender")
    );
    assert_eq!(
        attribute(r, semconv::RETRIEVAL_DOCUMENT_IDS),
        Some(&Value::Array(Array::String(vec![
            "doc_102".into(),
            "doc_087".into()
        ])))
    );
    assert_eq!(
        attribute(r, semconv::RETRIEVAL_DOCUMENT_SCORES),
        Some(&Value::Array(Array::F64(vec![0.91, 0.84])))
    );
    assert!(
        text(r, "gen_ai.retrieval.documents").is_none(),
        "document capture is switched off"
    );

    let faq: Vec<&SpanData> = spans
        .iter()
        .filter(|s| s.name == "retrieval faq_index")
        .collect();
    assert_eq!(faq.len(), 2);
    assert_eq!(int(faq[0], "gen_ai.retrieval.top_k"), Some(3));
    assert_eq!(
        attribute(faq[0], semconv::RETRIEVAL_DOCUMENT_IDS),
        Some(&Value::Array(Array::String(vec!["7".into()])))
    );
    assert!(
        attribute(faq[0], semconv::RETRIEVAL_DOCUMENT_SCORES).is_none(),
        "no scores: no score array"
    );
    assert_eq!(
        text(faq[0], semconv::CODE_FUNCTION_NAME).as_deref(),
        Some("macros_kinds::Index::search")
    );
    assert_eq!(text(faq[1], "error.type").as_deref(), Some("Error"));
    assert_eq!(faq[1].status, Status::error("empty query"));
    assert!(attribute(faq[1], semconv::RETRIEVAL_DOCUMENT_IDS).is_none());
}

#[test]
fn retrieved_document_text_is_content() {
    let (guard, collector) = install(ContentCapture::on());
    rt().block_on(search_policy_docs("refund"));
    let spans = flush(&guard, &collector);
    let docs: serde_json::Value = serde_json::from_str(
        &text(
            get(&spans, "retrieval support_policy_prod"),
            "gen_ai.retrieval.documents",
        )
        .expect("documents"),
    )
    .unwrap();
    assert_eq!(
        docs,
        serde_json::json!([
            {"id": "doc_102", "score": 0.91, "content": "Damaged items: full refund."},
            {"id": "doc_087", "score": 0.84}
        ])
    );
}

// ---- parser -------------------------------------------------------------------------------

#[derive(Debug, Deserialize)]
struct SupportAnswer {
    answer: String,
}

#[traced_parser(schema = "SupportAnswer", input = raw)]
fn parse_answer(raw: &str) -> Result<SupportAnswer, serde_json::Error> {
    serde_json::from_str(raw)
}

#[test]
fn parser_spans() {
    let (guard, collector) = install(ContentCapture::on());
    assert_eq!(
        parse_answer(r#"{"answer": "Refund issued."}"#)
            .unwrap()
            .answer,
        "Refund issued."
    );
    assert!(parse_answer(r#"{"answer": "#).is_err());
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(s.name, "parse_output SupportAnswer");
        assert_eq!(s.span_kind, SpanKind::Internal);
        assert_eq!(
            text(s, semconv::PARSER_SCHEMA).as_deref(),
            Some("SupportAnswer")
        );
        assert_eq!(int(s, semconv::PARSER_ATTEMPTS), Some(1));
        assert_eq!(s.events.len(), 1, "one parse step");
        assert!(text(s, semconv::PARSER_INPUT).is_some());
    }
    assert_eq!(
        text(&spans[0], semconv::PARSER_STATUS).as_deref(),
        Some("ok")
    );
    assert_eq!(spans[0].status, Status::Unset);
    assert_eq!(
        text(&spans[1], semconv::PARSER_STATUS).as_deref(),
        Some("failed")
    );
    assert_eq!(text(&spans[1], "error.type").as_deref(), Some("Error"));
    assert!(
        matches!(&spans[1].status, Status::Error { description } if description.contains("EOF"))
    );
    drop(guard);

    let (guard, collector) = install(ContentCapture::off());
    parse_answer("{}").unwrap_err();
    let spans = flush(&guard, &collector);
    assert!(!has_content(&spans[0]));
}

// ---- agents and nesting -------------------------------------------------------------------

struct Request {
    user: String,
    tenant: &'static str,
    question: String,
}

#[traced_agent(name = "support_agent", route = "/v1/support", tenant = req.tenant, user_id = req.user, conversation_id = "conv_1")]
async fn handle(req: Request) -> Result<String, ToolError> {
    let docs = search_policy_docs(&req.question).await;
    let refund = create_refund(
        "call_1",
        &RefundArgs {
            order_id: "ord_1".into(),
            refund_amount_cents: 9_000,
            order_total_cents: 12_000,
        },
    )?;
    let answer =
        parse_answer(r#"{"answer": "done"}"#).map_err(|_| ToolError::InvalidArgument("bad"))?;
    Ok(format!(
        "{} {} {}",
        docs.len(),
        refund.refund_id,
        answer.answer
    ))
}

#[traced_agent(workflow = "ticket_triage")]
fn triage(ticket: &str) -> Result<&'static str, ToolError> {
    match ticket {
        "" => Err(ToolError::InvalidArgument("empty ticket")),
        _ => Ok("billing"),
    }
}

#[test]
fn agents_are_roots_and_the_other_spans_nest_under_them() {
    let (guard, collector) = install(ContentCapture::off());
    let reply = rt().block_on(handle(Request {
        user: "customer-8812".into(),
        tenant: "acme",
        question: "refund?".into(),
    }));
    assert_eq!(reply.unwrap(), "2 rf_ord_1 done");
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 4, "{:?}", collector.names());
    let root = get(&spans, "invoke_agent support_agent");
    assert_eq!(root.span_kind, SpanKind::Internal);
    assert_eq!(
        root.parent_span_id,
        genai_otel::opentelemetry::trace::SpanId::INVALID
    );
    assert_eq!(
        text(root, "gen_ai.operation.name").as_deref(),
        Some("invoke_agent")
    );
    assert_eq!(
        text(root, "gen_ai.agent.name").as_deref(),
        Some("support_agent")
    );
    assert_eq!(text(root, "http.route").as_deref(), Some("/v1/support"));
    assert_eq!(text(root, semconv::TENANT_ID).as_deref(), Some("acme"));
    assert_eq!(
        text(root, "gen_ai.conversation.id").as_deref(),
        Some("conv_1")
    );
    assert_eq!(
        text(root, "user.hash"),
        Some(genai_otel::hash_user_id("customer-8812"))
    );
    for s in &spans {
        assert!(
            !format!("{s:?}").contains("customer-8812"),
            "raw user id on {}",
            s.name
        );
        assert_eq!(s.span_context.trace_id(), root.span_context.trace_id());
        if s.name != root.name {
            assert_eq!(s.parent_span_id, root.span_context.span_id(), "{}", s.name);
        }
    }
}

#[test]
fn workflows_and_agent_errors() {
    let (guard, collector) = install(ContentCapture::off());
    assert_eq!(triage("my card was charged twice").unwrap(), "billing");
    assert!(triage("").is_err());
    let spans = flush(&guard, &collector);
    assert_eq!(spans.len(), 2);
    for s in &spans {
        assert_eq!(s.name, "invoke_workflow ticket_triage");
        assert_eq!(
            text(s, "gen_ai.operation.name").as_deref(),
            Some("invoke_workflow")
        );
        assert_eq!(
            text(s, "gen_ai.workflow.name").as_deref(),
            Some("ticket_triage")
        );
    }
    assert_eq!(spans[0].status, Status::Unset);
    assert_eq!(text(&spans[1], "error.type").as_deref(), Some("ToolError"));
    assert_eq!(spans[1].status, Status::error("empty ticket"));
}

// ---- crate = path ---------------------------------------------------------------------------

/// A crate that re-exports genai-otel under another path.
mod wrapper {
    pub(crate) use genai_otel as telemetry;
}

#[traced_tool(crate = wrapper::telemetry, name = "via_reexport")]
fn via_reexport() -> u8 {
    7
}

#[test]
fn crate_path_override() {
    let (guard, collector) = install(ContentCapture::off());
    assert_eq!(via_reexport(), 7);
    let spans = flush(&guard, &collector);
    assert_eq!(spans[0].name, "execute_tool via_reexport");
}
