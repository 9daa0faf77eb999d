//! Attribute keys, span-name parts and enum values this crate emits.
//!
//! Every key comes from the OpenTelemetry GenAI semantic conventions (the
//! `semantic-conventions-genai` snapshot with schema URL [`SCHEMA_URL`]) or from
//! a stable general convention (`error.type`, `server.address`, ...), except the
//! keys under [`NAMESPACE`], which are this crate's own and documented here.
//!
//! The upstream `opentelemetry-semantic-conventions` crate gates its GenAI keys
//! behind an experimental feature and marks them deprecated, so the crate keeps
//! its own pinned list.
//!
//! # Examples
//!
//! ```
//! use genai_otel::semconv;
//! assert_eq!(semconv::GEN_AI_OPERATION_NAME, "gen_ai.operation.name");
//! assert!(semconv::is_content_key(semconv::GEN_AI_INPUT_MESSAGES));
//! assert!(!semconv::is_content_key(semconv::GEN_AI_REQUEST_MODEL));
//! ```

/// Schema URL of the GenAI conventions snapshot the emitted keys follow.
pub const SCHEMA_URL: &str = "https://opentelemetry.io/schemas/gen-ai-dev/1.42.0-dev";

/// Prefix of every attribute key this crate defines itself (`genai_otel.`).
pub const NAMESPACE: &str = "genai_otel.";

// ---- GenAI conventions -------------------------------------------------------------------

/// `gen_ai.operation.name`: `chat`, `execute_tool`, `retrieval`, ...
pub const GEN_AI_OPERATION_NAME: &str = "gen_ai.operation.name";
/// `gen_ai.provider.name`: `openai`, `anthropic`, ...
pub const GEN_AI_PROVIDER_NAME: &str = "gen_ai.provider.name";
/// `gen_ai.request.model`.
pub const GEN_AI_REQUEST_MODEL: &str = "gen_ai.request.model";
/// `gen_ai.request.temperature` (double).
pub const GEN_AI_REQUEST_TEMPERATURE: &str = "gen_ai.request.temperature";
/// `gen_ai.request.top_p` (double).
pub const GEN_AI_REQUEST_TOP_P: &str = "gen_ai.request.top_p";
/// `gen_ai.request.top_k` (int; decoding top-k, not retrieval).
pub const GEN_AI_REQUEST_TOP_K: &str = "gen_ai.request.top_k";
/// `gen_ai.request.max_tokens` (int).
pub const GEN_AI_REQUEST_MAX_TOKENS: &str = "gen_ai.request.max_tokens";
/// `gen_ai.request.seed` (int).
pub const GEN_AI_REQUEST_SEED: &str = "gen_ai.request.seed";
/// `gen_ai.request.stream` (bool, set only for streaming requests).
pub const GEN_AI_REQUEST_STREAM: &str = "gen_ai.request.stream";
/// `gen_ai.request.stop_sequences` (string[]).
pub const GEN_AI_REQUEST_STOP_SEQUENCES: &str = "gen_ai.request.stop_sequences";
/// `gen_ai.request.frequency_penalty` (double).
pub const GEN_AI_REQUEST_FREQUENCY_PENALTY: &str = "gen_ai.request.frequency_penalty";
/// `gen_ai.request.presence_penalty` (double).
pub const GEN_AI_REQUEST_PRESENCE_PENALTY: &str = "gen_ai.request.presence_penalty";
/// `gen_ai.request.choice.count` (int, only when != 1).
pub const GEN_AI_REQUEST_CHOICE_COUNT: &str = "gen_ai.request.choice.count";
/// `gen_ai.request.encoding_formats` (string[], embeddings).
pub const GEN_AI_REQUEST_ENCODING_FORMATS: &str = "gen_ai.request.encoding_formats";
/// `gen_ai.embeddings.dimension.count` (int).
pub const GEN_AI_EMBEDDINGS_DIMENSION_COUNT: &str = "gen_ai.embeddings.dimension.count";
/// `gen_ai.output.type`: `text`, `json`, `image`, `speech`.
pub const GEN_AI_OUTPUT_TYPE: &str = "gen_ai.output.type";
/// `gen_ai.conversation.id`.
pub const GEN_AI_CONVERSATION_ID: &str = "gen_ai.conversation.id";
/// `gen_ai.response.id`.
pub const GEN_AI_RESPONSE_ID: &str = "gen_ai.response.id";
/// `gen_ai.response.model`.
pub const GEN_AI_RESPONSE_MODEL: &str = "gen_ai.response.model";
/// `gen_ai.response.finish_reasons` (string[]).
pub const GEN_AI_RESPONSE_FINISH_REASONS: &str = "gen_ai.response.finish_reasons";
/// `gen_ai.response.time_to_first_chunk` (double, seconds).
pub const GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK: &str = "gen_ai.response.time_to_first_chunk";
/// `gen_ai.usage.input_tokens` (int, includes cached tokens).
pub const GEN_AI_USAGE_INPUT_TOKENS: &str = "gen_ai.usage.input_tokens";
/// `gen_ai.usage.output_tokens` (int, includes reasoning tokens).
pub const GEN_AI_USAGE_OUTPUT_TOKENS: &str = "gen_ai.usage.output_tokens";
/// `gen_ai.usage.cache_read.input_tokens` (int).
pub const GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS: &str = "gen_ai.usage.cache_read.input_tokens";
/// `gen_ai.usage.cache_write.input_tokens` (int).
pub const GEN_AI_USAGE_CACHE_WRITE_INPUT_TOKENS: &str = "gen_ai.usage.cache_write.input_tokens";
/// `gen_ai.usage.reasoning.output_tokens` (int).
pub const GEN_AI_USAGE_REASONING_OUTPUT_TOKENS: &str = "gen_ai.usage.reasoning.output_tokens";
/// `gen_ai.input.messages` (content, JSON string).
pub const GEN_AI_INPUT_MESSAGES: &str = "gen_ai.input.messages";
/// `gen_ai.output.messages` (content, JSON string).
pub const GEN_AI_OUTPUT_MESSAGES: &str = "gen_ai.output.messages";
/// `gen_ai.system_instructions` (content, JSON string).
pub const GEN_AI_SYSTEM_INSTRUCTIONS: &str = "gen_ai.system_instructions";
/// `gen_ai.tool.definitions` (JSON string).
pub const GEN_AI_TOOL_DEFINITIONS: &str = "gen_ai.tool.definitions";
/// `gen_ai.tool.name`.
pub const GEN_AI_TOOL_NAME: &str = "gen_ai.tool.name";
/// `gen_ai.tool.type`: `function`, `extension`, `datastore`.
pub const GEN_AI_TOOL_TYPE: &str = "gen_ai.tool.type";
/// `gen_ai.tool.description`.
pub const GEN_AI_TOOL_DESCRIPTION: &str = "gen_ai.tool.description";
/// `gen_ai.tool.call.id`.
pub const GEN_AI_TOOL_CALL_ID: &str = "gen_ai.tool.call.id";
/// `gen_ai.tool.call.arguments` (content, JSON string).
pub const GEN_AI_TOOL_CALL_ARGUMENTS: &str = "gen_ai.tool.call.arguments";
/// `gen_ai.tool.call.result` (content, JSON string).
pub const GEN_AI_TOOL_CALL_RESULT: &str = "gen_ai.tool.call.result";
/// `gen_ai.agent.name`.
pub const GEN_AI_AGENT_NAME: &str = "gen_ai.agent.name";
/// `gen_ai.agent.id`.
pub const GEN_AI_AGENT_ID: &str = "gen_ai.agent.id";
/// `gen_ai.agent.description`.
pub const GEN_AI_AGENT_DESCRIPTION: &str = "gen_ai.agent.description";
/// `gen_ai.agent.version`.
pub const GEN_AI_AGENT_VERSION: &str = "gen_ai.agent.version";
/// `gen_ai.workflow.name`.
pub const GEN_AI_WORKFLOW_NAME: &str = "gen_ai.workflow.name";
/// `gen_ai.data_source.id`.
pub const GEN_AI_DATA_SOURCE_ID: &str = "gen_ai.data_source.id";
/// `gen_ai.retrieval.top_k` (int).
pub const GEN_AI_RETRIEVAL_TOP_K: &str = "gen_ai.retrieval.top_k";
/// `gen_ai.retrieval.query.text` (content).
pub const GEN_AI_RETRIEVAL_QUERY_TEXT: &str = "gen_ai.retrieval.query.text";
/// `gen_ai.retrieval.documents` (content, JSON string `[{id, score, content?}]`).
pub const GEN_AI_RETRIEVAL_DOCUMENTS: &str = "gen_ai.retrieval.documents";
/// `gen_ai.prompt.name`.
pub const GEN_AI_PROMPT_NAME: &str = "gen_ai.prompt.name";
/// `gen_ai.prompt.version`.
pub const GEN_AI_PROMPT_VERSION: &str = "gen_ai.prompt.version";
/// Prefix of `gen_ai.prompt.variable.<key>` (content).
pub const GEN_AI_PROMPT_VARIABLE_PREFIX: &str = "gen_ai.prompt.variable.";
/// Event name `gen_ai.evaluation.result`.
pub const GEN_AI_EVALUATION_RESULT: &str = "gen_ai.evaluation.result";
/// `gen_ai.evaluation.name`.
pub const GEN_AI_EVALUATION_NAME: &str = "gen_ai.evaluation.name";
/// `gen_ai.evaluation.score.value` (double).
pub const GEN_AI_EVALUATION_SCORE_VALUE: &str = "gen_ai.evaluation.score.value";
/// `gen_ai.evaluation.score.label`.
pub const GEN_AI_EVALUATION_SCORE_LABEL: &str = "gen_ai.evaluation.score.label";
/// `gen_ai.evaluation.explanation`.
pub const GEN_AI_EVALUATION_EXPLANATION: &str = "gen_ai.evaluation.explanation";

// ---- general conventions -----------------------------------------------------------------

/// `error.type` (stable): low-cardinality error identifier.
pub const ERROR_TYPE: &str = "error.type";
/// `server.address` (stable).
pub const SERVER_ADDRESS: &str = "server.address";
/// `server.port` (stable).
pub const SERVER_PORT: &str = "server.port";
/// `http.route` (stable): the request's route template.
pub const HTTP_ROUTE: &str = "http.route";
/// `code.function.name`: the instrumented function.
pub const CODE_FUNCTION_NAME: &str = "code.function.name";
/// `deployment.environment.name`.
pub const DEPLOYMENT_ENVIRONMENT_NAME: &str = "deployment.environment.name";
/// `deployment.id`.
pub const DEPLOYMENT_ID: &str = "deployment.id";
/// `user.hash`: keyed HMAC-SHA256 of the user id (see [`crate::hash_user_id`]).
pub const USER_HASH: &str = "user.hash";

// ---- this crate's namespace (genai_otel.*) ----------------------------------------------

/// `genai_otel.prompt.version_id`: the prompt registry's immutable version id.
pub const PROMPT_VERSION_ID: &str = "genai_otel.prompt.version_id";
/// `genai_otel.prompt.release`: release label of the prompt version (`prod`, `canary`, ...).
pub const PROMPT_RELEASE: &str = "genai_otel.prompt.release";
/// `genai_otel.prompt.git_sha`: commit the prompt template was loaded from.
pub const PROMPT_GIT_SHA: &str = "genai_otel.prompt.git_sha";
/// `genai_otel.tenant.id`: the tenant a request belongs to.
pub const TENANT_ID: &str = "genai_otel.tenant.id";
/// `genai_otel.span.type`: the crate's span kind for spans the conventions do not cover
/// (`prompt.load`, `prompt.render`, `parse_output`).
pub const SPAN_TYPE: &str = "genai_otel.span.type";
/// `genai_otel.retrieval.document_ids` (string[]): ids of retrieved documents (metadata, always recorded).
pub const RETRIEVAL_DOCUMENT_IDS: &str = "genai_otel.retrieval.document_ids";
/// `genai_otel.retrieval.document_scores` (double[]): scores, same order as the ids.
pub const RETRIEVAL_DOCUMENT_SCORES: &str = "genai_otel.retrieval.document_scores";
/// `genai_otel.parser.schema`: name of the schema an output parser targets.
pub const PARSER_SCHEMA: &str = "genai_otel.parser.schema";
/// `genai_otel.parser.attempts` (int): parse attempts, 1 + repairs.
pub const PARSER_ATTEMPTS: &str = "genai_otel.parser.attempts";
/// `genai_otel.parser.status`: `ok`, `repaired`, `invalid`, `failed`.
pub const PARSER_STATUS: &str = "genai_otel.parser.status";
/// `genai_otel.parser.input` (content): raw text handed to the parser.
pub const PARSER_INPUT: &str = "genai_otel.parser.input";
/// Event name of a parse / validate / repair step on a parser span.
pub const PARSER_STEP_EVENT: &str = "genai_otel.parser.step";
/// `genai_otel.parser.step`: `parse`, `validate`, `repair`.
pub const PARSER_STEP: &str = "genai_otel.parser.step";
/// `genai_otel.parser.step.ok` (bool).
pub const PARSER_STEP_OK: &str = "genai_otel.parser.step.ok";
/// `genai_otel.parser.step.error`: why the step failed.
pub const PARSER_STEP_ERROR: &str = "genai_otel.parser.step.error";
/// `genai_otel.content.truncated` (bool): a content attribute of this span was cut to the
/// configured maximum length.
pub const CONTENT_TRUNCATED: &str = "genai_otel.content.truncated";
/// `genai_otel.cost.usd` (double): estimated cost of a model call.
pub const COST_USD: &str = "genai_otel.cost.usd";
/// `genai_otel.sampling.decision`: the tail sampler's decision and reason, on the local root.
pub const SAMPLING_DECISION: &str = "genai_otel.sampling.decision";
/// `genai_otel.sampling.eviction.cause`: metric attribute, why the tail sampler decided a trace
/// before its local root ended (`pending_traces`, `buffered_bytes`, `spans_per_trace`,
/// `max_age`, `idle`, `shutdown`).
pub const SAMPLING_EVICTION_CAUSE: &str = "genai_otel.sampling.eviction.cause";
/// `genai_otel.sampling.span.outcome`: metric attribute, what the tail sampler did with spans
/// (`forwarded`, `dropped`).
pub const SAMPLING_SPAN_OUTCOME: &str = "genai_otel.sampling.span.outcome";
/// `genai_otel.stream.cancelled` (bool): a streamed response was dropped before it ended.
pub const STREAM_CANCELLED: &str = "genai_otel.stream.cancelled";
/// `genai_otel.cancelled` (bool): an instrumented `async` function's future was dropped
/// before it completed (a timeout, a `select!` that took another branch, a dropped task).
pub const CANCELLED: &str = "genai_otel.cancelled";

// ---- values --------------------------------------------------------------------------------

/// Operation names (`gen_ai.operation.name` values).
pub mod operation {
    /// Chat completion.
    pub const CHAT: &str = "chat";
    /// Legacy text completion.
    pub const TEXT_COMPLETION: &str = "text_completion";
    /// Multimodal generation.
    pub const GENERATE_CONTENT: &str = "generate_content";
    /// Embeddings.
    pub const EMBEDDINGS: &str = "embeddings";
    /// Retrieval from a vector store or search index.
    pub const RETRIEVAL: &str = "retrieval";
    /// Tool execution.
    pub const EXECUTE_TOOL: &str = "execute_tool";
    /// In-process agent invocation.
    pub const INVOKE_AGENT: &str = "invoke_agent";
    /// Application-defined workflow.
    pub const INVOKE_WORKFLOW: &str = "invoke_workflow";
}

/// Keys that carry user or model content. They are recorded only when content capture
/// allows it, pass the redaction seam, and are removed by the metadata-only sampling tier.
pub const CONTENT_KEYS: &[&str] = &[
    GEN_AI_INPUT_MESSAGES,
    GEN_AI_OUTPUT_MESSAGES,
    GEN_AI_SYSTEM_INSTRUCTIONS,
    GEN_AI_TOOL_CALL_ARGUMENTS,
    GEN_AI_TOOL_CALL_RESULT,
    GEN_AI_RETRIEVAL_QUERY_TEXT,
    GEN_AI_RETRIEVAL_DOCUMENTS,
    PARSER_INPUT,
    "gen_ai.prompt",
    "gen_ai.completion",
    "gen_ai.memory.query.text",
    "gen_ai.memory.records",
];

/// Whether `key` is a content-bearing attribute key (see [`CONTENT_KEYS`]); also true for
/// every `gen_ai.prompt.variable.<key>`.
pub fn is_content_key(key: &str) -> bool {
    CONTENT_KEYS.contains(&key) || key.starts_with(GEN_AI_PROMPT_VARIABLE_PREFIX)
}
