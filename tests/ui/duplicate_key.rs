#[genai_otel::traced_llm(provider = "openai", model = "a", model = "b")]
fn plan() -> String {
    String::new()
}

#[genai_otel::traced_retrieval(data_source = "kb", top_k = 5, top_k = 3)]
fn search(q: &str) -> usize {
    q.len()
}

fn main() {
    plan();
    search("q");
}
