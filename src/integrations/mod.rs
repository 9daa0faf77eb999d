//! Implementations of the response traits for third-party LLM clients, one module per
//! client, each behind the client's feature.

#[cfg(feature = "async-openai")]
mod async_openai;
