use genai_otel::Message;

#[genai_otel::traced_llm(provider = "openai", model = "gpt-4.1-mini", input = msgs)]
fn plan(messages: &[Message]) -> String {
    messages.len().to_string()
}

#[genai_otel::traced_tool(arguments = build_args(order))]
fn refund(order: &str) -> usize {
    order.len()
}

#[genai_otel::traced_retrieval(query = "fixed text")]
fn search() -> usize {
    0
}

fn build_args(order: &str) -> String {
    order.to_string()
}

fn main() {
    plan(&[]);
    refund("o1");
    search();
    let _ = build_args("o");
}
