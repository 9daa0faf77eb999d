#[genai_otel::traced_llm(model = "gpt-4.1-mini")]
fn plan() -> String {
    String::new()
}

#[genai_otel::traced_agent(name = "a", workflow = "w")]
fn agent() {}

fn main() {
    plan();
    agent();
}
