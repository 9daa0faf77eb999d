//! Argument parsing: `#[traced_llm(key = value, flag, ..)]` into checked [`Args`].
//!
//! Every error points at the offending token: the unknown or repeated key, the literal of
//! the wrong type, the value that is not one of the allowed ones.

use proc_macro2::{Span, TokenStream};
use quote::quote;
use syn::ext::IdentExt;
use syn::parse::{ParseStream, Parser};
use syn::punctuated::Punctuated;
use syn::spanned::Spanned;
use syn::{Expr, Ident, Lit, Path, Token};

/// Which macro is expanding.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    Llm,
    Tool,
    Retrieval,
    Parser,
    Agent,
}

/// What a key accepts.
#[derive(Debug, Clone, Copy)]
enum Ty {
    /// A string: a literal or any expression implementing `AsRef<str>`.
    Str,
    /// An integer: a literal or any integer expression.
    Int,
    /// A float: a literal (integer or float) or any expression implementing `Into<f64>`.
    Float,
    /// Content named from the function's parameters (`input = messages`).
    Content,
    /// `key` or `key = true|false`.
    Flag,
    /// A string literal out of a fixed list.
    Choice(&'static [&'static str]),
    /// A path (`crate = my::reexport`).
    Path,
}

const OPERATIONS: &[&str] = &["chat", "text_completion", "generate_content", "embeddings"];
const TOOL_TYPES: &[&str] = &["function", "extension", "datastore"];

impl Kind {
    pub(crate) fn macro_name(self) -> &'static str {
        match self {
            Kind::Llm => "traced_llm",
            Kind::Tool => "traced_tool",
            Kind::Retrieval => "traced_retrieval",
            Kind::Parser => "traced_parser",
            Kind::Agent => "traced_agent",
        }
    }

    fn keys(self) -> &'static [(&'static str, Ty)] {
        match self {
            Kind::Llm => &[
                ("provider", Ty::Str),
                ("model", Ty::Str),
                ("operation", Ty::Choice(OPERATIONS)),
                ("input", Ty::Content),
                ("system", Ty::Content),
                ("temperature", Ty::Float),
                ("top_p", Ty::Float),
                ("max_tokens", Ty::Int),
                ("seed", Ty::Int),
                ("conversation_id", Ty::Str),
                ("stream", Ty::Flag),
                ("crate", Ty::Path),
            ],
            Kind::Tool => &[
                ("name", Ty::Str),
                ("arguments", Ty::Content),
                ("call_id", Ty::Str),
                ("description", Ty::Str),
                ("tool_type", Ty::Choice(TOOL_TYPES)),
                ("agent", Ty::Str),
                ("crate", Ty::Path),
            ],
            Kind::Retrieval => &[
                ("data_source", Ty::Str),
                ("top_k", Ty::Int),
                ("query", Ty::Content),
                ("provider", Ty::Str),
                ("model", Ty::Str),
                ("crate", Ty::Path),
            ],
            Kind::Parser => &[
                ("schema", Ty::Str),
                ("input", Ty::Content),
                ("crate", Ty::Path),
            ],
            Kind::Agent => &[
                ("name", Ty::Str),
                ("workflow", Ty::Str),
                ("route", Ty::Str),
                ("tenant", Ty::Str),
                ("user_id", Ty::Str),
                ("conversation_id", Ty::Str),
                ("agent_id", Ty::Str),
                ("description", Ty::Str),
                ("model", Ty::Str),
                ("crate", Ty::Path),
            ],
        }
    }

    /// Required keys, with an example of each for the error message.
    fn required(self) -> &'static [(&'static str, &'static str)] {
        match self {
            Kind::Llm => &[("provider", "provider = \"openai\"")],
            _ => &[],
        }
    }
}

/// A checked argument value.
#[derive(Debug)]
pub(crate) enum Value {
    Expr(Expr),
    Flag(bool),
    Choice(String),
    Path(Path),
}

/// One checked `key = value`.
#[derive(Debug)]
pub(crate) struct Arg {
    pub(crate) key: Ident,
    pub(crate) value: Value,
}

/// The checked arguments of one attribute, in the order written.
#[derive(Debug)]
pub(crate) struct Args {
    pub(crate) kind: Kind,
    args: Vec<Arg>,
}

impl Args {
    pub(crate) fn get(&self, key: &str) -> Option<&Arg> {
        self.args.iter().find(|a| a.key == key)
    }

    /// The expression of a string / number / content key.
    pub(crate) fn expr(&self, key: &str) -> Option<&Expr> {
        match &self.get(key)?.value {
            Value::Expr(e) => Some(e),
            _ => None,
        }
    }

    pub(crate) fn flag(&self, key: &str) -> Option<bool> {
        match &self.get(key)?.value {
            Value::Flag(b) => Some(*b),
            _ => None,
        }
    }

    pub(crate) fn choice(&self, key: &str) -> Option<&str> {
        match &self.get(key)?.value {
            Value::Choice(c) => Some(c),
            _ => None,
        }
    }

    /// The content keys given, with their expressions.
    pub(crate) fn content(&self) -> impl Iterator<Item = (&Ident, &Expr)> {
        let keys = self.kind.keys();
        self.args.iter().filter_map(move |a| {
            let is_content = keys
                .iter()
                .any(|(k, t)| a.key == *k && matches!(t, Ty::Content));
            match (&a.value, is_content) {
                (Value::Expr(e), true) => Some((&a.key, e)),
                _ => None,
            }
        })
    }

    /// The path generated code starts from: `::genai_otel` unless `crate = ..` says otherwise.
    pub(crate) fn krate(&self) -> TokenStream {
        match self.get("crate").map(|a| &a.value) {
            Some(Value::Path(p)) => quote!(#p),
            _ => quote!(::genai_otel),
        }
    }
}

/// `key` or `key = value`, as written.
struct RawArg {
    key: Ident,
    value: Option<Expr>,
}

fn parse_raw(input: ParseStream<'_>) -> syn::Result<RawArg> {
    let key = input.call(Ident::parse_any)?;
    let value = if input.peek(Token![=]) {
        input.parse::<Token![=]>()?;
        Some(input.parse::<Expr>()?)
    } else {
        None
    };
    Ok(RawArg { key, value })
}

fn describe_lit(lit: &Lit) -> &'static str {
    match lit {
        Lit::Str(_) => "a string literal",
        Lit::ByteStr(_) => "a byte string literal",
        Lit::CStr(_) => "a C string literal",
        Lit::Byte(_) => "a byte literal",
        Lit::Char(_) => "a character literal",
        Lit::Int(_) => "an integer literal",
        Lit::Float(_) => "a float literal",
        Lit::Bool(_) => "a boolean literal",
        _ => "a literal",
    }
}

fn literal(expr: &Expr) -> Option<&Lit> {
    match expr {
        Expr::Lit(l) => Some(&l.lit),
        Expr::Group(g) => literal(&g.expr),
        _ => None,
    }
}

fn check(key: &Ident, ty: Ty, value: Option<Expr>) -> syn::Result<Value> {
    let Some(expr) = value else {
        return match ty {
            Ty::Flag => Ok(Value::Flag(true)),
            _ => Err(syn::Error::new(
                key.span(),
                format!("`{key}` needs a value: `{key} = ...`"),
            )),
        };
    };
    let lit = literal(&expr);
    let wrong = |expected: &str, lit: &Lit| {
        syn::Error::new(
            lit.span(),
            format!("`{key}` expects {expected}, found {}", describe_lit(lit)),
        )
    };
    match ty {
        Ty::Str => match lit {
            Some(Lit::Str(_)) | None => Ok(Value::Expr(expr)),
            Some(l) => Err(wrong("a string (a literal or an expression)", l)),
        },
        Ty::Content => match lit {
            None => Ok(Value::Expr(expr)),
            Some(l) => Err(syn::Error::new(
                l.span(),
                format!(
                    "`{key}` names content to capture: a parameter of the function, a field \
                     of one or a method call on one, not {}",
                    describe_lit(l)
                ),
            )),
        },
        Ty::Int => match lit {
            Some(Lit::Int(_)) | None => Ok(Value::Expr(expr)),
            Some(l) => Err(wrong("an integer", l)),
        },
        Ty::Float => match lit {
            Some(Lit::Float(_)) | Some(Lit::Int(_)) | None => Ok(Value::Expr(expr)),
            Some(l) => Err(wrong("a number", l)),
        },
        Ty::Flag => match lit {
            Some(Lit::Bool(b)) => Ok(Value::Flag(b.value)),
            _ => Err(syn::Error::new(
                expr.span(),
                format!("`{key}` is a flag: write `{key}` or `{key} = false`"),
            )),
        },
        Ty::Choice(allowed) => {
            let list = allowed
                .iter()
                .map(|a| format!("\"{a}\""))
                .collect::<Vec<_>>()
                .join(", ");
            match lit {
                Some(Lit::Str(s)) if allowed.contains(&s.value().as_str()) => {
                    Ok(Value::Choice(s.value()))
                }
                Some(Lit::Str(s)) => Err(syn::Error::new(
                    s.span(),
                    format!("`{key}` must be one of {list}"),
                )),
                Some(l) => Err(wrong(&format!("one of {list}"), l)),
                None => Err(syn::Error::new(
                    expr.span(),
                    format!("`{key}` must be a string literal: one of {list}"),
                )),
            }
        }
        Ty::Path => match expr {
            Expr::Path(p) if p.qself.is_none() => Ok(Value::Path(p.path)),
            other => Err(syn::Error::new(
                other.span(),
                format!("`{key}` expects a path, e.g. `{key} = my_crate::genai`"),
            )),
        },
    }
}

/// Parses and checks the arguments of `kind`'s attribute; every problem found is reported.
pub(crate) fn parse(kind: Kind, tokens: TokenStream) -> syn::Result<Args> {
    let raw = Punctuated::<RawArg, Token![,]>::parse_terminated
        .parse2(tokens.clone())
        .map_err(|e| {
            if tokens.is_empty() {
                e
            } else {
                syn::Error::new(
                    e.span(),
                    format!(
                        "{e}; arguments of `#[{}]` are `key = value` pairs separated by commas",
                        kind.macro_name()
                    ),
                )
            }
        })?;
    let keys = kind.keys();
    let mut errors: Option<syn::Error> = None;
    fn push(errors: &mut Option<syn::Error>, e: syn::Error) {
        match errors {
            Some(all) => all.combine(e),
            None => *errors = Some(e),
        }
    }
    let mut args: Vec<Arg> = Vec::new();
    for RawArg { key, value } in raw {
        let Some((_, ty)) = keys.iter().find(|(k, _)| key == *k) else {
            let list = keys
                .iter()
                .map(|(k, _)| format!("`{k}`"))
                .collect::<Vec<_>>()
                .join(", ");
            push(
                &mut errors,
                syn::Error::new(
                    key.span(),
                    format!(
                        "unknown argument `{key}` for `#[{}]`; expected one of: {list}",
                        kind.macro_name()
                    ),
                ),
            );
            continue;
        };
        if args.iter().any(|a| a.key == key) {
            push(
                &mut errors,
                syn::Error::new(key.span(), format!("duplicate argument `{key}`")),
            );
            continue;
        }
        match check(&key, *ty, value) {
            Ok(value) => args.push(Arg { key, value }),
            Err(e) => push(&mut errors, e),
        }
    }
    let args = Args { kind, args };
    if kind == Kind::Agent {
        if let (Some(_), Some(workflow)) = (args.get("name"), args.get("workflow")) {
            push(
                &mut errors,
                syn::Error::new(
                    workflow.key.span(),
                    "`name` and `workflow` cannot both be given: `name` makes an `invoke_agent` \
                 span, `workflow` an `invoke_workflow` span",
                ),
            );
        }
    }
    for (key, example) in kind.required() {
        if args.get(key).is_none() && errors.is_none() {
            push(
                &mut errors,
                syn::Error::new(
                    Span::call_site(),
                    format!(
                        "`#[{}]` needs `{key} = ...`, e.g. `{example}`",
                        kind.macro_name()
                    ),
                ),
            );
        }
    }
    match errors {
        Some(e) => Err(e),
        None => Ok(args),
    }
}

impl syn::parse::Parse for RawArg {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        parse_raw(input)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point
mod tests {
    use super::*;

    fn parse_llm(tokens: TokenStream) -> syn::Result<Args> {
        parse(Kind::Llm, tokens)
    }

    #[test]
    fn accepts_literals_expressions_and_flags() {
        let args = parse_llm(quote!(
            provider = "openai",
            model = cfg.model,
            max_tokens = 5,
            temperature = 0,
            stream,
            crate = ::my::genai
        ))
        .unwrap();
        assert!(args.expr("model").is_some());
        assert_eq!(args.flag("stream"), Some(true));
        assert_eq!(args.krate().to_string(), ":: my :: genai");
    }

    #[test]
    fn reports_every_problem() {
        let err = parse_llm(quote!(
            modle = "x",
            provider = "a",
            provider = "b",
            max_tokens = "5"
        ))
        .unwrap_err();
        let messages: Vec<String> = err.into_iter().map(|e| e.to_string()).collect();
        assert_eq!(messages.len(), 3, "{messages:?}");
        assert!(messages[0].starts_with("unknown argument `modle`"));
        assert_eq!(messages[1], "duplicate argument `provider`");
        assert_eq!(
            messages[2],
            "`max_tokens` expects an integer, found a string literal"
        );
    }

    #[test]
    fn missing_required_key() {
        let err = parse_llm(quote!(model = "m")).unwrap_err();
        assert!(err.to_string().contains("needs `provider = ...`"), "{err}");
    }

    #[test]
    fn choices_and_flags() {
        let err = parse_llm(quote!(provider = "p", operation = "chatt")).unwrap_err();
        assert!(err.to_string().contains("must be one of"), "{err}");
        let err = parse_llm(quote!(provider = "p", stream = 1)).unwrap_err();
        assert!(err.to_string().contains("is a flag"), "{err}");
        let ok = parse_llm(quote!(
            provider = "p",
            operation = "embeddings",
            stream = false
        ))
        .unwrap();
        assert_eq!(ok.choice("operation"), Some("embeddings"));
        assert_eq!(ok.flag("stream"), Some(false));
    }

    #[test]
    fn agent_name_or_workflow() {
        let err = parse(Kind::Agent, quote!(name = "a", workflow = "w")).unwrap_err();
        assert!(err.to_string().contains("cannot both be given"), "{err}");
    }
}
