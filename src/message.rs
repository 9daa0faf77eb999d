//! The crate's own message types, serialized exactly in the JSON shapes of the GenAI
//! conventions (`gen_ai.input.messages`, `gen_ai.output.messages`,
//! `gen_ai.system_instructions`). Any `serde::Serialize` value can be recorded instead;
//! these exist so that the common case needs no mapping code.

use serde::Serialize;

/// One part of a message.
///
/// # Examples
///
/// ```
/// use genai_otel::Part;
/// let json = serde_json::to_value(Part::text("hi")).unwrap();
/// assert_eq!(json, serde_json::json!({"type": "text", "content": "hi"}));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
#[non_exhaustive]
pub enum Part {
    /// Text to or from the model.
    Text {
        /// The text.
        content: String,
    },
    /// A tool call requested by the model.
    ToolCall {
        /// Provider's call id.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// Tool name.
        name: String,
        /// Arguments (a JSON object).
        arguments: serde_json::Value,
    },
    /// A tool result sent back to the model.
    ToolCallResponse {
        /// The call id answered.
        #[serde(skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        /// The result.
        response: serde_json::Value,
    },
    /// Reasoning / thinking text.
    Reasoning {
        /// The text.
        content: String,
    },
}

impl Part {
    /// A text part.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::Part::text("hello");
    /// # let _ = p;
    /// ```
    pub fn text(content: impl Into<String>) -> Self {
        Part::Text {
            content: content.into(),
        }
    }

    /// A tool-call part.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::Part::tool_call(Some("call_1"), "create_refund", serde_json::json!({"order": "o1"}));
    /// # let _ = p;
    /// ```
    pub fn tool_call(
        id: Option<&str>,
        name: impl Into<String>,
        arguments: serde_json::Value,
    ) -> Self {
        Part::ToolCall {
            id: id.map(str::to_string),
            name: name.into(),
            arguments,
        }
    }

    /// A tool-result part.
    ///
    /// # Examples
    ///
    /// ```
    /// let p = genai_otel::Part::tool_response(Some("call_1"), serde_json::json!({"ok": true}));
    /// # let _ = p;
    /// ```
    pub fn tool_response(id: Option<&str>, response: serde_json::Value) -> Self {
        Part::ToolCallResponse {
            id: id.map(str::to_string),
            response,
        }
    }
}

/// A chat message: a role and its parts.
///
/// # Examples
///
/// ```
/// use genai_otel::Message;
/// let m = Message::user("Where is my refund?");
/// assert_eq!(
///     serde_json::to_value(&m).unwrap(),
///     serde_json::json!({"role": "user", "parts": [{"type": "text", "content": "Where is my refund?"}]})
/// );
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Message {
    /// `system`, `user`, `assistant`, `tool`, or the provider's own role name.
    pub role: String,
    /// The parts, in order.
    pub parts: Vec<Part>,
    /// Participant name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
}

impl Message {
    /// A message with `role` and one text part.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = genai_otel::Message::new("developer", "be brief");
    /// # let _ = m;
    /// ```
    pub fn new(role: impl Into<String>, text: impl Into<String>) -> Self {
        Self {
            role: role.into(),
            parts: vec![Part::text(text)],
            name: None,
        }
    }

    /// A `system` message.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = genai_otel::Message::system("You are a support agent.");
    /// # let _ = m;
    /// ```
    pub fn system(text: impl Into<String>) -> Self {
        Self::new("system", text)
    }

    /// A `user` message.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = genai_otel::Message::user("hi");
    /// # let _ = m;
    /// ```
    pub fn user(text: impl Into<String>) -> Self {
        Self::new("user", text)
    }

    /// An `assistant` message.
    ///
    /// # Examples
    ///
    /// ```
    /// let m = genai_otel::Message::assistant("hello");
    /// # let _ = m;
    /// ```
    pub fn assistant(text: impl Into<String>) -> Self {
        Self::new("assistant", text)
    }

    /// A message with any parts.
    ///
    /// # Examples
    ///
    /// ```
    /// use genai_otel::{Message, Part};
    /// let m = Message::with_parts("tool", vec![Part::tool_response(Some("c1"), serde_json::json!("done"))]);
    /// # let _ = m;
    /// ```
    pub fn with_parts(role: impl Into<String>, parts: Vec<Part>) -> Self {
        Self {
            role: role.into(),
            parts,
            name: None,
        }
    }

    /// The concatenated text parts.
    ///
    /// # Examples
    ///
    /// ```
    /// assert_eq!(genai_otel::Message::user("hi").text(), "hi");
    /// ```
    pub fn text(&self) -> String {
        self.parts
            .iter()
            .filter_map(|p| match p {
                Part::Text { content } => Some(content.as_str()),
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("")
    }
}

/// A model's answer for one choice: a message plus its finish reason.
///
/// # Examples
///
/// ```
/// use genai_otel::{Message, OutputMessage};
/// let out = OutputMessage::new(Message::assistant("Done."), "stop");
/// assert_eq!(serde_json::to_value(&out).unwrap()["finish_reason"], "stop");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OutputMessage {
    /// The message.
    #[serde(flatten)]
    pub message: Message,
    /// Why generation stopped (`stop`, `length`, `tool_call`, ...).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finish_reason: Option<String>,
}

impl OutputMessage {
    /// An output message with a finish reason.
    ///
    /// # Examples
    ///
    /// ```
    /// let out = genai_otel::OutputMessage::new(genai_otel::Message::assistant("ok"), "stop");
    /// # let _ = out;
    /// ```
    pub fn new(message: Message, finish_reason: impl Into<String>) -> Self {
        Self {
            message,
            finish_reason: Some(finish_reason.into()),
        }
    }
}

/// A retrieved document: id and score are metadata (always recorded); content is recorded
/// only when retrieval-document capture is on.
///
/// # Examples
///
/// ```
/// let d = genai_otel::RetrievedDocument::new("doc_102", 0.91).with_content("Refunds are issued within 14 days.");
/// # let _ = d;
/// ```
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RetrievedDocument {
    /// Document id.
    pub id: String,
    /// Relevance score.
    pub score: f64,
    /// Document text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content: Option<String>,
}

impl RetrievedDocument {
    /// A document with id and score.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::RetrievedDocument::new("doc_1", 0.5);
    /// # let _ = d;
    /// ```
    pub fn new(id: impl Into<String>, score: f64) -> Self {
        Self {
            id: id.into(),
            score,
            content: None,
        }
    }

    /// Adds the document's text.
    ///
    /// # Examples
    ///
    /// ```
    /// let d = genai_otel::RetrievedDocument::new("doc_1", 0.5).with_content("text");
    /// # let _ = d;
    /// ```
    pub fn with_content(mut self, content: impl Into<String>) -> Self {
        self.content = Some(content.into());
        self
    }
}
