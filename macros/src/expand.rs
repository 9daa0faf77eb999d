//! Code generation: the instrumented function, from the checked arguments and the function
//! as written.
//!
//! The function keeps its signature. Its body becomes:
//!
//! ```text
//! let span = <Kind>Span::..(<arguments>).start();      // child of the current span
//! span.set_attribute("code.function.name", ..);
//! if content_enabled(&span, <kind>) { span.record_<content>(&(<named expression>)); }
//! let ret: <return type, `impl ..` as `_`> = run_sync(&span, move || -> <ret> <body>);
//!                                        // or: run_async(&span, async move <body>).await
//! <record the Err / the response / the result, by trait dispatch on &ret>
//! ret                                    // or, for a stream: TracedStream::new(ret, span)
//! ```
//!
//! A function that is not `async` but returns a future built by an `async` block in tail
//! position (`Box::pin(async move { .. })`, as `async-trait` generates, or `async move { .. }`
//! for `-> impl Future`) is instrumented inside that block, so the span covers the future's
//! execution rather than its construction.
//!
//! Every path the expansion names is absolute (`::core::..`, `::genai_otel::__private::..`),
//! and the expansion's own locals have mixed-site hygiene, so the user's names and the
//! expansion's cannot collide.

use proc_macro2::{Span, TokenStream};
use quote::{quote, quote_spanned, ToTokens};
use syn::ext::IdentExt;
use syn::parse::{Parse, ParseStream};
use syn::spanned::Spanned;
use syn::visit_mut::{self, VisitMut};
use syn::{
    Attribute, Block, Expr, ExprAsync, FnArg, GenericArgument, Ident, Pat, PathArguments,
    ReturnType, Signature, Stmt, Token, Type, TypeParamBound, Visibility,
};

use crate::attr::{self, Args, Kind};

/// Entry point of every macro: never loses the user's function. When the arguments or the
/// function cannot be instrumented, the error is emitted next to the unchanged item.
pub(crate) fn traced(kind: Kind, args: TokenStream, item: TokenStream) -> TokenStream {
    let func = match syn::parse2::<MaybeItemFn>(item.clone()) {
        Ok(f) => f,
        Err(e) => {
            let e = if e.to_string() == NOT_A_FUNCTION {
                syn::Error::new(
                    Span::call_site(),
                    format!(
                        "`#[{}]` can only be applied to functions",
                        kind.macro_name()
                    ),
                )
            } else {
                e
            };
            return with_item(e, item);
        }
    };
    let args = match attr::parse(kind, args) {
        Ok(a) => a,
        Err(e) => return with_item(e, item),
    };
    match gen_function(&args, func) {
        Ok(tokens) => tokens,
        Err(e) => with_item(e, item),
    }
}

fn with_item(error: syn::Error, item: TokenStream) -> TokenStream {
    let error = error.to_compile_error();
    quote!(#error #item)
}

const NOT_A_FUNCTION: &str = "not a function";

/// A function whose body may not parse (while the user is typing): the body is then kept as
/// raw tokens, so that rustc reports the user's syntax error, not the macro's.
struct MaybeItemFn {
    attrs: Vec<Attribute>,
    vis: Visibility,
    sig: Signature,
    body: Body,
}

enum Body {
    Parsed(Block),
    Raw(TokenStream),
}

impl Parse for MaybeItemFn {
    fn parse(input: ParseStream<'_>) -> syn::Result<Self> {
        let attrs = input.call(Attribute::parse_outer)?;
        let vis: Visibility = input.parse()?;
        let sig: Signature = input
            .parse()
            .map_err(|e| syn::Error::new(e.span(), NOT_A_FUNCTION))?;
        if input.peek(Token![;]) {
            return Err(syn::Error::new(
                input.span(),
                "the function needs a body to be instrumented",
            ));
        }
        let rest: TokenStream = input.parse()?;
        let body = match syn::parse2::<Block>(rest.clone()) {
            Ok(block) => Body::Parsed(block),
            Err(_) => Body::Raw(rest),
        };
        Ok(Self {
            attrs,
            vis,
            sig,
            body,
        })
    }
}

impl ToTokens for Body {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        match self {
            Body::Parsed(b) => b.to_tokens(tokens),
            Body::Raw(t) => t.to_tokens(tokens),
        }
    }
}

/// How the returned stream is wrapped so that the function still returns its declared type.
enum StreamForm {
    /// `impl Stream<..>`: return the wrapper itself.
    Impl,
    /// `Pin<Box<dyn Stream<..>>>`, `BoxStream<..>` or an alias of one: box the wrapper.
    Boxed,
    /// `Result<S, E>`: wrap the `Ok` stream.
    Result(Box<StreamForm>),
}

/// The local names of the expansion (mixed-site: invisible to the user's code).
struct Names {
    span: Ident,
    ret: Ident,
    err: Ident,
    stream: Ident,
    stream_err: Ident,
    out: Ident,
    body: Ident,
    holder: Ident,
}

impl Names {
    fn new() -> Self {
        let id = |s: &str| Ident::new(s, Span::mixed_site());
        Self {
            span: id("__genai_otel_span"),
            ret: id("__genai_otel_ret"),
            err: id("__genai_otel_err"),
            stream: id("__genai_otel_stream"),
            stream_err: id("__genai_otel_stream_err"),
            out: id("__genai_otel_out"),
            body: id("__genai_otel_body"),
            holder: id("__genai_otel_span_holder"),
        }
    }
}

fn gen_function(args: &Args, func: MaybeItemFn) -> syn::Result<TokenStream> {
    let MaybeItemFn {
        attrs,
        vis,
        sig,
        body,
    } = func;
    let macro_name = args.kind.macro_name();
    if let Some(c) = &sig.constness {
        return Err(syn::Error::new(
            c.span,
            format!("`#[{macro_name}]` cannot instrument a `const fn`"),
        ));
    }
    check_content(args, &sig)?;

    let names = Names::new();
    let krate = args.krate();

    // The value the instrumented code produces, and its declared type when known.
    let mut body = body;
    let async_tail = match &mut body {
        Body::Parsed(block) if sig.asyncness.is_none() => take_async_tail(block),
        _ => None,
    };
    let output: Option<Type> = match (&async_tail, &sig.output) {
        (Some(_), ReturnType::Type(_, ty)) => future_output(ty),
        (Some(_), ReturnType::Default) => None,
        (None, ReturnType::Type(_, ty)) => Some((**ty).clone()),
        (None, ReturnType::Default) => Some(syn::parse_quote!(())),
    };
    let stream = stream_form(args, output.as_ref(), &sig)?;

    let start = span_start(args, &sig, &krate, stream.is_some());
    let span = &names.span;
    let content = content_statements(args, &krate, span);
    // With no subscriber that could record the span (one load and a compare), neither the
    // builder nor its arguments are evaluated. A plain function then runs its body directly;
    // a stream keeps its wrapper around a disabled span (its type must not change).
    let holder = &names.holder;
    let body_var = &names.body;
    let prologue = if stream.is_some() {
        quote! {
            let #span = if #krate::__private::may_record() {
                #start
            } else {
                #krate::__private::DisabledSpan::genai_otel_disabled()
            };
            if #krate::__private::recording(&#span) {
                #(#content)*
            }
        }
    } else {
        quote! {
            let #holder = if #krate::__private::may_record() {
                ::core::option::Option::Some(#start)
            } else {
                ::core::option::Option::None
            };
            if let ::core::option::Option::Some(#span) = &#holder {
                if #krate::__private::recording(#span) {
                    #(#content)*
                }
            }
        }
    };
    // After the content is read and the body is bound (which moves the arguments): run the
    // body alone when there is no span.
    let skip = |run_plain: TokenStream| {
        if stream.is_some() {
            TokenStream::new()
        } else {
            quote! {
                let ::core::option::Option::Some(#span) = &#holder else {
                    return #run_plain;
                };
            }
        }
    };
    let annotation = output.as_ref().map(|t| {
        let t = erase_impl_trait(t);
        quote!(: #t)
    });
    let epilogue = epilogue(args, &krate, &names, stream.is_some());
    let ret = &names.ret;
    let ret_span = match &sig.output {
        ReturnType::Type(_, ty) => ty.span(),
        ReturnType::Default => sig.ident.span(),
    };
    let tail = match &stream {
        Some(form) => wrap_stream(form, quote!(#ret), &krate, &names, ret_span),
        None => quote!(#ret),
    };

    // `run_async::<Output, _>`: the body is checked against the declared output type.
    let output_turbofish = output.as_ref().map(|t| {
        let t = erase_impl_trait(t);
        quote!(::<#t, _>)
    });
    let block = match async_tail {
        None if sig.asyncness.is_some() => {
            let skip = skip(quote!(#body_var.await));
            let run = quote! {
                #krate::__private::run_async #output_turbofish (&#span, #body_var).await
            };
            quote! {{
                #prologue
                let #body_var = async move #body;
                #skip
                let #ret #annotation = #run;
                if #krate::__private::recording(&#span) { #epilogue }
                #tail
            }}
        }
        None => {
            let closure_ret = annotation.as_ref().map(|_| {
                let t = output.as_ref().map(erase_impl_trait);
                quote!(-> #t)
            });
            let skip = skip(quote!(#krate::__private::call_once(#body_var)));
            let run = quote! {
                #krate::__private::run_sync(&#span, #body_var)
            };
            quote! {{
                #prologue
                let #body_var = move || #closure_ret #body;
                #skip
                let #ret #annotation = #run;
                if #krate::__private::recording(&#span) { #epilogue }
                #tail
            }}
        }
        Some(AsyncTail {
            mut block,
            inner_capture,
            inner_block,
        }) => {
            let tail = match (&stream, &annotation) {
                (Some(_), Some(annotation)) => {
                    let out = &names.out;
                    quote!(let #out #annotation = #tail; #out)
                }
                _ => tail,
            };
            let skip = skip(quote!(#body_var.await));
            let new_inner: Block = syn::parse2(quote! {{
                #prologue
                let #body_var = async #inner_capture #inner_block;
                #skip
                let #ret #annotation = #krate::__private::run_async #output_turbofish (
                    &#span,
                    #body_var,
                )
                .await;
                if #krate::__private::recording(&#span) { #epilogue }
                #tail
            }})?;
            put_async_tail(&mut block, new_inner);
            block.into_token_stream()
        }
    };

    Ok(quote! {
        #(#attrs)*
        #vis #sig
        #block
    })
}

/// `let span = ...start()` for the macro's span kind.
fn span_start(args: &Args, sig: &Signature, krate: &TokenStream, stream: bool) -> TokenStream {
    let text = |key: &str| {
        args.expr(key)
            .map(|e| quote_spanned!(e.span()=> #krate::__private::text(&(#e))))
    };
    let int = |key: &str| {
        args.expr(key)
            .map(|e| quote_spanned!(e.span()=> #krate::__private::int(#e)))
    };
    let fn_name = sig.ident.unraw().to_string();
    let mut calls: Vec<TokenStream> = Vec::new();
    let mut setter = |method: &str, value: Option<TokenStream>| {
        if let Some(value) = value {
            let method = Ident::new(method, Span::call_site());
            calls.push(quote!(.#method(#value)));
        }
    };
    let builder = match args.kind {
        Kind::Llm => {
            let operation = Ident::new(
                args.choice("operation").unwrap_or("chat"),
                Span::call_site(),
            );
            let provider = text("provider").unwrap_or_else(|| quote!(""));
            let model = text("model").unwrap_or_else(|| quote!(""));
            setter(
                "temperature",
                args.expr("temperature")
                    .map(|e| quote_spanned!(e.span()=> #krate::__private::float(#e))),
            );
            setter(
                "top_p",
                args.expr("top_p")
                    .map(|e| quote_spanned!(e.span()=> #krate::__private::float(#e))),
            );
            setter("max_tokens", int("max_tokens"));
            setter(
                "seed",
                args.expr("seed")
                    .map(|e| quote_spanned!(e.span()=> #krate::__private::seed(#e))),
            );
            setter("conversation_id", text("conversation_id"));
            if stream {
                calls.push(quote!(.streaming()));
            }
            quote!(#krate::__private::InferenceSpan::#operation(#provider, #model))
        }
        Kind::Tool => {
            let name = text("name").unwrap_or_else(|| quote!(#fn_name));
            setter("call_id", text("call_id"));
            setter("description", text("description"));
            setter("tool_type", args.choice("tool_type").map(|t| quote!(#t)));
            setter("agent", text("agent"));
            quote!(#krate::__private::ToolSpan::builder(#name))
        }
        Kind::Retrieval => {
            let data_source = text("data_source").unwrap_or_else(|| quote!(""));
            setter("top_k", int("top_k"));
            setter("provider", text("provider"));
            setter("model", text("model"));
            quote!(#krate::__private::RetrievalSpan::builder(#data_source))
        }
        Kind::Parser => {
            let schema = text("schema").unwrap_or_else(|| quote!(""));
            quote!(#krate::__private::ParserSpan::builder(#schema))
        }
        Kind::Agent => {
            for key in [
                "route",
                "tenant",
                "user_id",
                "conversation_id",
                "agent_id",
                "description",
                "model",
            ] {
                setter(key, text(key));
            }
            match text("workflow") {
                Some(w) => quote!(#krate::__private::AgentSpan::workflow(#w)),
                None => {
                    let name = text("name").unwrap_or_else(|| quote!(#fn_name));
                    quote!(#krate::__private::AgentSpan::builder(#name))
                }
            }
        }
    };
    let function = function_name(sig, krate);
    quote! {
        #krate::__private::WithCodeFunction::genai_otel_code_function(
            #builder #(#calls)*,
            #function,
        )
        .start()
    }
}

/// `code.function.name`: `module::path::function`, or `module::path::Type::method` for a
/// method (the type is known only at run time, through `Self`).
fn function_name(sig: &Signature, krate: &TokenStream) -> TokenStream {
    let name = sig.ident.unraw().to_string();
    if sig.receiver().is_some() {
        quote!(#krate::__private::CodeFunction::method::<Self>(#name))
    } else {
        quote!(#krate::__private::CodeFunction::path(::core::concat!(
            ::core::module_path!(),
            "::",
            #name
        )))
    }
}

/// One guarded `record_*` call per content key.
fn content_statements(args: &Args, krate: &TokenStream, span: &Ident) -> Vec<TokenStream> {
    args.content()
        .filter_map(|(key, expr)| {
            let key = key.to_string();
            let (kind, method, as_text) = match (args.kind, key.as_str()) {
                (Kind::Llm, "input") => ("InputMessages", "record_input_messages", false),
                (Kind::Llm, "system") => ("SystemInstructions", "record_system_instructions", false),
                (Kind::Tool, "arguments") => ("ToolArguments", "record_arguments", false),
                (Kind::Retrieval, "query") => ("RetrievalQuery", "record_query", true),
                (Kind::Parser, "input") => ("ParserInput", "record_input", true),
                _ => return None,
            };
            let kind = Ident::new(kind, Span::call_site());
            let method = Ident::new(method, Span::call_site());
            let value = if as_text {
                quote_spanned!(expr.span()=> #krate::__private::text(&(#expr)))
            } else {
                quote_spanned!(expr.span()=> &(#expr))
            };
            // Naming a parameter or a field costs nothing; anything that computes (a method
            // call, an index) is evaluated only when the content would be recorded. The
            // `record_*` call checks capture again either way: it is the content seam.
            Some(if is_place(expr) {
                quote!(#span.#method(#value);)
            } else {
                quote! {
                    if #krate::__private::content_enabled(&#span, #krate::__private::ContentKind::#kind) {
                        #span.#method(#value);
                    }
                }
            })
        })
        .collect()
}

/// Records the `Err` (any kind) and the kind's view of a successful value.
fn epilogue(args: &Args, krate: &TokenStream, names: &Names, stream: bool) -> TokenStream {
    let Names { span, ret, err, .. } = names;
    let private = quote!(#krate::__private);
    let error = quote! {
        #[allow(unused_imports)]
        use #private::{ViaDisplay as _, ViaErrorType as _, ViaNotAResult as _, ViaTypeName as _};
        let #err = (&&&#private::Outcome(&#ret)).genai_otel_error();
    };
    // The kind's view of the value, read only when it is not an `Err`.
    let success = match args.kind {
        _ if stream => None,
        Kind::Llm => Some(quote! {
            #[allow(unused_imports)]
            use #private::{ViaLlmResponse as _, ViaNoLlmResponse as _};
            (&#private::Returned(&#ret)).genai_otel_llm(&#span);
        }),
        Kind::Tool => Some(quote! {
            #[allow(unused_imports)]
            use #private::{ViaNoToolResult as _, ViaToolOk as _, ViaToolValue as _};
            (&&#private::Returned(&#ret)).genai_otel_tool(&#span);
        }),
        Kind::Retrieval => Some(quote! {
            #[allow(unused_imports)]
            use #private::{ViaNoRetrievalResults as _, ViaRetrievalResults as _};
            (&#private::Returned(&#ret)).genai_otel_retrieval(&#span);
        }),
        Kind::Parser | Kind::Agent => None,
    };
    let success = match (args.kind, success) {
        (Kind::Parser, _) if !stream => quote!(#private::finish_parser(&#span, #err);),
        (_, Some(success)) => quote! {
            if #err.is_none() {
                #success
            }
            #private::record_error(&#span, #err);
        },
        (_, None) => quote!(#private::record_error(&#span, #err);),
    };
    quote!(#error #success)
}

fn wrap_stream(
    form: &StreamForm,
    value: TokenStream,
    krate: &TokenStream,
    names: &Names,
    ret_span: Span,
) -> TokenStream {
    let span = &names.span;
    // The whole call at the declared return type, so that a stream whose items are not
    // chunks is reported there.
    let krate = &locate(krate.clone(), ret_span);
    let value = locate(value, ret_span);
    match form {
        StreamForm::Impl => {
            quote_spanned!(ret_span=> #krate::__private::TracedStream::new(#value, #span))
        }
        StreamForm::Boxed => quote_spanned! {ret_span=>
            ::std::boxed::Box::pin(#krate::__private::TracedStream::new(#value, #span))
        },
        StreamForm::Result(inner) => {
            let Names {
                stream, stream_err, ..
            } = names;
            let wrapped = wrap_stream(inner, quote!(#stream), krate, names, ret_span);
            quote! {
                match #value {
                    ::core::result::Result::Ok(#stream) => ::core::result::Result::Ok(#wrapped),
                    ::core::result::Result::Err(#stream_err) => ::core::result::Result::Err(#stream_err),
                }
            }
        }
    }
}

/// Moves `tokens` to `span` for error reporting, keeping how their names resolve.
fn locate(tokens: TokenStream, span: Span) -> TokenStream {
    tokens
        .into_iter()
        .map(|mut tt| {
            if let proc_macro2::TokenTree::Group(g) = &tt {
                let mut group = proc_macro2::Group::new(g.delimiter(), locate(g.stream(), span));
                group.set_span(g.span().located_at(span));
                tt = proc_macro2::TokenTree::Group(group);
            } else {
                tt.set_span(tt.span().located_at(span));
            }
            tt
        })
        .collect()
}

// ---- streams --------------------------------------------------------------------------------

/// Stream mode: explicit (`stream`, `stream = false`) or recognized from the declared type.
fn stream_form(
    args: &Args,
    output: Option<&Type>,
    sig: &Signature,
) -> syn::Result<Option<StreamForm>> {
    if args.kind != Kind::Llm {
        return Ok(None);
    }
    match args.flag("stream") {
        Some(false) => Ok(None),
        Some(true) => match output {
            Some(ty) => Ok(Some(forced_stream_form(ty))),
            None => Err(syn::Error::new(
                args.get("stream")
                    .map_or(sig.ident.span(), |a| a.key.span()),
                "cannot tell the stream type: declare the future's output \
                 (`-> Pin<Box<dyn Future<Output = ..>>>` or `-> impl Future<Output = ..>`)",
            )),
        },
        None => Ok(output.and_then(detect_stream_form)),
    }
}

fn last_segment(ty: &Type) -> Option<&syn::PathSegment> {
    match ty {
        Type::Path(p) if p.qself.is_none() => p.path.segments.last(),
        Type::Group(g) => last_segment(&g.elem),
        Type::Paren(p) => last_segment(&p.elem),
        _ => None,
    }
}

fn first_type_arg(segment: &syn::PathSegment) -> Option<&Type> {
    match &segment.arguments {
        PathArguments::AngleBracketed(a) => a.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(t) => Some(t),
            _ => None,
        }),
        _ => None,
    }
}

fn bounds_name_stream<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> bool {
    bounds.into_iter().any(|b| match b {
        TypeParamBound::Trait(t) => t.path.segments.last().is_some_and(|s| s.ident == "Stream"),
        _ => false,
    })
}

fn detect_stream_form(ty: &Type) -> Option<StreamForm> {
    match ty {
        Type::ImplTrait(i) if bounds_name_stream(&i.bounds) => Some(StreamForm::Impl),
        Type::Group(g) => detect_stream_form(&g.elem),
        Type::Paren(p) => detect_stream_form(&p.elem),
        _ => {
            let segment = last_segment(ty)?;
            match segment.ident.to_string().as_str() {
                "Result" => Some(StreamForm::Result(Box::new(detect_stream_form(
                    first_type_arg(segment)?,
                )?))),
                "BoxStream" | "LocalBoxStream" => Some(StreamForm::Boxed),
                "Pin" => {
                    let boxed = last_segment(first_type_arg(segment)?)?;
                    if boxed.ident != "Box" {
                        return None;
                    }
                    match first_type_arg(boxed)? {
                        Type::TraitObject(o) if bounds_name_stream(&o.bounds) => {
                            Some(StreamForm::Boxed)
                        }
                        _ => None,
                    }
                }
                _ => None,
            }
        }
    }
}

fn forced_stream_form(ty: &Type) -> StreamForm {
    match ty {
        Type::ImplTrait(_) => StreamForm::Impl,
        Type::Group(g) => forced_stream_form(&g.elem),
        Type::Paren(p) => forced_stream_form(&p.elem),
        _ => match last_segment(ty) {
            Some(s) if s.ident == "Result" => match first_type_arg(s) {
                Some(inner) => StreamForm::Result(Box::new(forced_stream_form(inner))),
                None => StreamForm::Boxed,
            },
            _ => StreamForm::Boxed,
        },
    }
}

// ---- futures built in tail position ------------------------------------------------------------

struct AsyncTail {
    /// The function body, with the `async` block to instrument still in it.
    block: Block,
    inner_capture: Option<Token![move]>,
    inner_block: Block,
}

/// `Box::pin(async move { .. })` or `async move { .. }` as the body's last expression.
fn async_tail_mut(block: &mut Block) -> Option<&mut ExprAsync> {
    let Some(Stmt::Expr(expr, None)) = block.stmts.last_mut() else {
        return None;
    };
    match expr {
        Expr::Async(a) => Some(a),
        Expr::Call(call) if call.args.len() == 1 => {
            let is_pin = matches!(&*call.func, Expr::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "pin"));
            match call.args.first_mut() {
                Some(Expr::Async(a)) if is_pin => Some(a),
                _ => None,
            }
        }
        _ => None,
    }
}

fn take_async_tail(block: &mut Block) -> Option<AsyncTail> {
    let tail = async_tail_mut(block)?;
    let inner_capture = tail.capture;
    let inner_block = std::mem::replace(
        &mut tail.block,
        Block {
            brace_token: Default::default(),
            stmts: Vec::new(),
        },
    );
    let block = std::mem::replace(
        block,
        Block {
            brace_token: Default::default(),
            stmts: Vec::new(),
        },
    );
    Some(AsyncTail {
        block,
        inner_capture,
        inner_block,
    })
}

fn put_async_tail(block: &mut Block, new_inner: Block) {
    if let Some(tail) = async_tail_mut(block) {
        tail.block = new_inner;
    }
}

/// `X` of `Pin<Box<dyn Future<Output = X> ..>>`, `impl Future<Output = X>`, `BoxFuture<'_, X>`.
fn future_output(ty: &Type) -> Option<Type> {
    fn from_segment(s: &syn::PathSegment) -> Option<Type> {
        let PathArguments::AngleBracketed(a) = &s.arguments else {
            return None;
        };
        if s.ident == "Future" {
            return a.args.iter().find_map(|arg| match arg {
                GenericArgument::AssocType(t) if t.ident == "Output" => Some(t.ty.clone()),
                _ => None,
            });
        }
        if s.ident == "BoxFuture" || s.ident == "LocalBoxFuture" {
            return a.args.iter().rev().find_map(|arg| match arg {
                GenericArgument::Type(t) => Some(t.clone()),
                _ => None,
            });
        }
        a.args.iter().find_map(|arg| match arg {
            GenericArgument::Type(t) => future_output(t),
            _ => None,
        })
    }
    fn from_bounds<'a>(bounds: impl IntoIterator<Item = &'a TypeParamBound>) -> Option<Type> {
        bounds.into_iter().find_map(|b| match b {
            TypeParamBound::Trait(t) => t.path.segments.iter().find_map(from_segment),
            _ => None,
        })
    }
    match ty {
        Type::Path(p) => p.path.segments.iter().find_map(from_segment),
        Type::ImplTrait(i) => from_bounds(&i.bounds),
        Type::TraitObject(o) => from_bounds(&o.bounds),
        Type::Group(g) => future_output(&g.elem),
        Type::Paren(p) => future_output(&p.elem),
        _ => None,
    }
}

// ---- content ------------------------------------------------------------------------------------

fn param_names(sig: &Signature) -> Vec<Ident> {
    fn collect(pat: &Pat, out: &mut Vec<Ident>) {
        match pat {
            Pat::Ident(p) => {
                out.push(p.ident.clone());
                if let Some((_, sub)) = &p.subpat {
                    collect(sub, out);
                }
            }
            Pat::Tuple(t) => t.elems.iter().for_each(|p| collect(p, out)),
            Pat::TupleStruct(t) => t.elems.iter().for_each(|p| collect(p, out)),
            Pat::Struct(s) => s.fields.iter().for_each(|f| collect(&f.pat, out)),
            Pat::Slice(s) => s.elems.iter().for_each(|p| collect(p, out)),
            Pat::Reference(r) => collect(&r.pat, out),
            Pat::Type(t) => collect(&t.pat, out),
            Pat::Paren(p) => collect(&p.pat, out),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for input in &sig.inputs {
        match input {
            FnArg::Receiver(r) => out.push(Ident::new("self", r.self_token.span)),
            FnArg::Typed(t) => collect(&t.pat, &mut out),
        }
    }
    out
}

/// The parameter a content expression starts from: `messages`, `req.messages`,
/// `&req.messages[..]`, `self.history()`.
fn content_root(expr: &Expr) -> Option<&Ident> {
    match expr {
        Expr::Path(p) if p.qself.is_none() => p.path.get_ident(),
        Expr::Field(f) => content_root(&f.base),
        Expr::MethodCall(m) => content_root(&m.receiver),
        Expr::Reference(r) => content_root(&r.expr),
        Expr::Index(i) => content_root(&i.expr),
        Expr::Paren(p) => content_root(&p.expr),
        Expr::Group(g) => content_root(&g.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => content_root(&u.expr),
        _ => None,
    }
}

/// A parameter or a field of one (possibly behind `&` / `*` / parentheses): evaluating it
/// computes nothing.
fn is_place(expr: &Expr) -> bool {
    match expr {
        Expr::Path(p) => p.qself.is_none() && p.path.get_ident().is_some(),
        Expr::Field(f) => is_place(&f.base),
        Expr::Reference(r) => is_place(&r.expr),
        Expr::Paren(p) => is_place(&p.expr),
        Expr::Group(g) => is_place(&g.expr),
        Expr::Unary(u) if matches!(u.op, syn::UnOp::Deref(_)) => is_place(&u.expr),
        _ => false,
    }
}

/// Content is captured only from what the function was given: every content expression
/// must start from a parameter.
fn check_content(args: &Args, sig: &Signature) -> syn::Result<()> {
    let params = param_names(sig);
    let fn_name = sig.ident.unraw();
    let listed = if params.is_empty() {
        "it has none".to_string()
    } else {
        let names: Vec<String> = params.iter().map(|p| format!("`{p}`")).collect();
        format!("here: {}", names.join(", "))
    };
    let mut errors: Option<syn::Error> = None;
    for (key, expr) in args.content() {
        let error = match content_root(expr) {
            Some(root) if params.iter().any(|p| p == root) => continue,
            Some(root) => syn::Error::new(
                root.span(),
                format!(
                    "`{root}` is not a parameter of `{fn_name}`; `{key}` captures content only \
                     from the function's parameters ({listed})"
                ),
            ),
            None => syn::Error::new(
                expr.span(),
                format!(
                    "`{key}` must name a parameter of `{fn_name}`, a field of one or a method \
                     call on one ({listed})"
                ),
            ),
        };
        match &mut errors {
            Some(all) => all.combine(error),
            None => errors = Some(error),
        }
    }
    errors.map_or(Ok(()), Err)
}

// ---- types ------------------------------------------------------------------------------------

/// The declared type with every `impl Trait` replaced by `_` (let and closure annotations
/// cannot name opaque types; the concrete type is inferred from the body).
fn erase_impl_trait(ty: &Type) -> Type {
    struct Erase;
    impl VisitMut for Erase {
        fn visit_type_mut(&mut self, ty: &mut Type) {
            if let Type::ImplTrait(i) = ty {
                *ty = Type::Infer(syn::TypeInfer {
                    underscore_token: Token![_](i.impl_token.span),
                });
            } else {
                visit_mut::visit_type_mut(self, ty);
            }
        }
    }
    let mut ty = ty.clone();
    Erase.visit_type_mut(&mut ty);
    ty
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // tests may unwrap: a failure is the point
mod tests {
    use super::*;

    fn expand(kind: Kind, args: TokenStream, item: TokenStream) -> String {
        traced(kind, args, item).to_string()
    }

    #[test]
    fn errors_keep_the_function() {
        let out = expand(
            Kind::Llm,
            quote!(modle = "m"),
            quote!(
                fn f() -> u8 {
                    1
                }
            ),
        );
        assert!(out.contains("compile_error"), "{out}");
        assert!(out.contains("fn f () -> u8 { 1 }"), "{out}");
    }

    #[test]
    fn not_a_function() {
        let out = expand(
            Kind::Tool,
            quote!(),
            quote!(
                struct S;
            ),
        );
        assert!(out.contains("can only be applied to functions"), "{out}");
        assert!(out.contains("struct S ;"), "{out}");
    }

    #[test]
    fn unparsable_body_is_kept_raw() {
        let out = expand(Kind::Tool, quote!(), quote!(fn f() { let = ; }));
        assert!(out.contains("run_sync"), "{out}");
        assert!(out.contains("let = ;"), "{out}");
    }

    #[test]
    fn stream_forms() {
        let ty: Type = syn::parse_quote!(Result<Pin<Box<dyn Stream<Item = u8> + Send>>, E>);
        assert!(
            matches!(detect_stream_form(&ty), Some(StreamForm::Result(b)) if matches!(*b, StreamForm::Boxed))
        );
        let ty: Type = syn::parse_quote!(impl futures::Stream<Item = String>);
        assert!(matches!(detect_stream_form(&ty), Some(StreamForm::Impl)));
        let ty: Type = syn::parse_quote!(Vec<String>);
        assert!(detect_stream_form(&ty).is_none());
        let ty: Type = syn::parse_quote!(ChatCompletionResponseStream);
        assert!(matches!(forced_stream_form(&ty), StreamForm::Boxed));
    }

    #[test]
    fn future_outputs() {
        let ty: Type = syn::parse_quote!(Pin<Box<dyn Future<Output = Result<u8, E>> + Send + 'a>>);
        assert_eq!(
            future_output(&ty).map(|t| t.to_token_stream().to_string()),
            Some("Result < u8 , E >".to_string())
        );
        let ty: Type = syn::parse_quote!(BoxFuture<'static, String>);
        assert_eq!(
            future_output(&ty).map(|t| t.to_token_stream().to_string()),
            Some("String".to_string())
        );
    }

    #[test]
    fn content_roots() {
        let e: Expr = syn::parse_quote!(&req.messages[..]);
        assert_eq!(
            content_root(&e).map(ToString::to_string),
            Some("req".into())
        );
        let e: Expr = syn::parse_quote!(self.history());
        assert_eq!(
            content_root(&e).map(ToString::to_string),
            Some("self".into())
        );
        let e: Expr = syn::parse_quote!(build(x));
        assert!(content_root(&e).is_none());
        assert!(is_place(&syn::parse_quote!(&req.messages)));
        assert!(!is_place(&syn::parse_quote!(req.messages())));
        assert!(!is_place(&syn::parse_quote!(req.messages[..])));
    }
}
