use futures_core::Stream;

// (The item type is a type parameter so that rustc does not list the trait's implementors,
// which differ with the enabled features.)
#[genai_otel::traced_llm(provider = "openai", model = "gpt-4.1-mini")]
fn tokens<T>(items: Vec<T>) -> impl Stream<Item = T> {
    futures_util::stream::iter(items)
}

fn main() {
    let _ = tokens(vec![1_u32]);
}
