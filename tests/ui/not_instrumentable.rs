#[genai_otel::traced_tool]
struct NotAFunction;

#[genai_otel::traced_tool]
const fn constant() -> u8 {
    1
}

fn main() {
    let _ = NotAFunction;
    let _ = constant();
}
