#[genai_otel::traced_retrieval(data_source = "kb", top_k = "five")]
fn search(q: &str) -> usize {
    q.len()
}

#[genai_otel::traced_llm(provider = 42, model = "m", temperature = "hot")]
fn plan() -> String {
    String::new()
}

#[genai_otel::traced_llm(provider = "openai", operation = "chatting", stream = "yes")]
fn plan2() -> String {
    String::new()
}

#[genai_otel::traced_tool(tool_type = "builtin", crate = "genai_otel")]
fn tool() {}

// A well-formed argument whose expression has the wrong type: rustc's error, at the expression.
#[genai_otel::traced_llm(provider = "openai", model = count)]
fn plan3(count: u32) -> String {
    count.to_string()
}

fn main() {
    search("q");
    plan();
    plan2();
    tool();
    plan3(1);
}
