#[genai_otel::traced_llm(provider = "openai", modle = "gpt-4.1-mini")]
fn plan() -> String {
    String::new()
}

#[genai_otel::traced_tool(name = "create_refund", argument = args)]
fn create_refund(args: &str) -> usize {
    args.len()
}

fn main() {
    plan();
    create_refund("x");
}
