//! `#[derive(ToTemplate)]` for report types: builds a `gotmpl::GoStruct` whose fields carry
//! Podman's Go field names, whose JSON form is the type's serde serialization, and whose
//! methods (optional) are the type's `gotmpl::GoMethods` implementation.
//!
//! Attributes:
//! * on the type: `#[go(type = "define.Info")]` — the Go type name shown in template errors
//!   (default: the Rust name); `#[go(methods)]` — the type implements `GoMethods` and `Clone`,
//!   and its methods are offered to templates (looked up before fields, as in Go), and its
//!   JSON form is built only when a template asks for it; `#[go(lazy)]` — the type implements
//!   `Clone` and its JSON form is built only when asked for (a row of a long listing: most
//!   templates read a few fields);
//! * on a field: `#[go(name = "OCIRuntime")]` — its Go name (default: the serde `rename`
//!   with an upper-case first letter, else the field name in UpperCamelCase);
//!   `#[go(skip)]` — not visible to templates; `#[go(embed)]` — an embedded struct whose
//!   fields are promoted (Go embedding; pair with `#[serde(flatten)]`), shared, not copied.

use proc_macro::TokenStream;
use quote::quote;
use syn::{parse_macro_input, Data, DeriveInput, Fields, LitStr};

#[proc_macro_derive(ToTemplate, attributes(go))]
pub fn derive_to_template(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    match expand(&input) {
        Ok(ts) => ts.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

#[derive(Default)]
struct TypeOpts {
    go_type: Option<String>,
    methods: bool,
    lazy: bool,
}

#[derive(Default)]
struct FieldOpts {
    name: Option<String>,
    skip: bool,
    embed: bool,
}

fn type_opts(input: &DeriveInput) -> syn::Result<TypeOpts> {
    let mut o = TypeOpts::default();
    for attr in input.attrs.iter().filter(|a| a.path().is_ident("go")) {
        attr.parse_nested_meta(|m| {
            if m.path.is_ident("type") {
                o.go_type = Some(m.value()?.parse::<LitStr>()?.value());
            } else if m.path.is_ident("methods") {
                o.methods = true;
            } else if m.path.is_ident("lazy") {
                o.lazy = true;
            } else {
                return Err(m.error("expected `type = \"...\"`, `methods` or `lazy`"));
            }
            Ok(())
        })?;
    }
    Ok(o)
}

fn field_opts(field: &syn::Field) -> syn::Result<(FieldOpts, Option<String>)> {
    let mut o = FieldOpts::default();
    let mut serde_rename = None;
    for attr in &field.attrs {
        if attr.path().is_ident("go") {
            attr.parse_nested_meta(|m| {
                if m.path.is_ident("name") {
                    o.name = Some(m.value()?.parse::<LitStr>()?.value());
                } else if m.path.is_ident("skip") {
                    o.skip = true;
                } else if m.path.is_ident("embed") {
                    o.embed = true;
                } else {
                    return Err(m.error("expected `name = \"...\"`, `skip` or `embed`"));
                }
                Ok(())
            })?;
        } else if attr.path().is_ident("serde") {
            // Only `rename = "..."` matters here; other serde options are skipped over.
            let _ = attr.parse_nested_meta(|m| {
                if m.path.is_ident("rename") {
                    if let Ok(v) = m.value() {
                        if let Ok(l) = v.parse::<LitStr>() {
                            serde_rename = Some(l.value());
                        }
                    }
                } else if m.input.peek(syn::Token![=]) {
                    let v = m.value()?;
                    let _: syn::Expr = v.parse()?;
                } else if m.input.peek(syn::token::Paren) {
                    let content;
                    syn::parenthesized!(content in m.input);
                    let _: proc_macro2::TokenStream = content.parse()?;
                }
                Ok(())
            });
        }
    }
    Ok((o, serde_rename))
}

fn upper_first(s: &str) -> String {
    let mut cs = s.chars();
    match cs.next() {
        Some(c) => c.to_uppercase().chain(cs).collect(),
        None => String::new(),
    }
}

fn upper_camel(ident: &str) -> String {
    ident
        .trim_start_matches("r#")
        .split('_')
        .filter(|p| !p.is_empty())
        .map(upper_first)
        .collect()
}

fn expand(input: &DeriveInput) -> syn::Result<proc_macro2::TokenStream> {
    let opts = type_opts(input)?;
    let ident = &input.ident;
    let go_type = opts.go_type.unwrap_or_else(|| ident.to_string());
    let Data::Struct(data) = &input.data else {
        return Err(syn::Error::new_spanned(
            ident,
            "ToTemplate can only be derived for structs",
        ));
    };
    let Fields::Named(fields) = &data.fields else {
        return Err(syn::Error::new_spanned(
            ident,
            "ToTemplate needs named fields",
        ));
    };
    let mut steps = Vec::new();
    for f in &fields.named {
        let (fo, rename) = field_opts(f)?;
        if fo.skip {
            continue;
        }
        let Some(fid) = &f.ident else { continue };
        if fo.embed {
            steps.push(quote! {
                let s = s.embed_shared(&::gotmpl::ToTemplate::to_template(&self.#fid));
            });
            continue;
        }
        let name = fo
            .name
            .or_else(|| rename.as_deref().map(upper_first))
            .unwrap_or_else(|| upper_camel(&fid.to_string()));
        steps.push(quote! {
            let s = s.field(#name, ::gotmpl::ToTemplate::to_template(&self.#fid));
        });
    }
    // With `methods` or `lazy` the value keeps one copy of the Rust value,
    // which both builds the JSON on demand and answers method calls.
    let start = if opts.methods || opts.lazy {
        quote! {
            let me = ::std::sync::Arc::new(::std::clone::Clone::clone(self));
            let json_of = ::std::sync::Arc::clone(&me);
            let s = ::gotmpl::GoStruct::lazy(#go_type, move || {
                ::gotmpl::serde_json::to_value(&*json_of)
                    .unwrap_or(::gotmpl::serde_json::Value::Null)
            });
        }
    } else {
        quote! {
            let json = ::gotmpl::serde_json::to_value(self)
                .unwrap_or(::gotmpl::serde_json::Value::Null);
            let s = ::gotmpl::GoStruct::new(#go_type, json);
        }
    };
    let methods = if opts.methods {
        quote! {
            let s = s.methods(me);
        }
    } else {
        quote! {}
    };
    let (impl_g, ty_g, where_g) = input.generics.split_for_impl();
    Ok(quote! {
        impl #impl_g ::gotmpl::ToTemplate for #ident #ty_g #where_g {
            fn to_template(&self) -> ::gotmpl::GoValue {
                #start
                #(#steps)*
                #methods
                ::gotmpl::GoValue::from_struct(s)
            }
        }
    })
}
