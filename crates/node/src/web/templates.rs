//! The page templates (minijinja), embedded at compile time from `web/templates/`. Every
//! template name ends in `.html`, so minijinja's HTML auto-escaping is on for every value;
//! nothing marks server or peer data as safe (the JSON in `<script type="application/json">`
//! goes through `tojson`, which escapes `<`, `>` and `&`).

use std::sync::OnceLock;

use minijinja::value::Value;
use minijinja::{AutoEscape, Environment, Error, ErrorKind, Output, State};
use serde::Serialize;

/// (name, source) of every template.
const TEMPLATES: &[(&str, &str)] = &[
    ("base.html", include_str!("templates/base.html")),
    ("error.html", include_str!("templates/error.html")),
    ("login.html", include_str!("templates/login.html")),
    ("containers.html", include_str!("templates/containers.html")),
    ("container.html", include_str!("templates/container.html")),
    ("wizard.html", include_str!("templates/wizard.html")),
    ("gu_list.html", include_str!("templates/gu_list.html")),
    ("gu_form.html", include_str!("templates/gu_form.html")),
    ("network.html", include_str!("templates/network.html")),
    ("admin.html", include_str!("templates/admin.html")),
];

fn env() -> &'static Environment<'static> {
    static ENV: OnceLock<Environment<'static>> = OnceLock::new();
    ENV.get_or_init(|| {
        let mut env = Environment::new();
        env.set_auto_escape_callback(|_| minijinja::AutoEscape::Html);
        env.set_undefined_behavior(minijinja::UndefinedBehavior::Lenient);
        env.set_formatter(formatter);
        for (name, source) in TEMPLATES {
            if let Err(e) = env.add_template(name, source) {
                tracing::error!(template = name, error = %e, "dashboard template does not compile");
            }
        }
        env
    })
}

/// HTML-escapes `& < > " '` (the characters that matter in text and quoted attributes).
pub fn escape_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// minijinja's escaping formatter, except that strings are escaped by [`escape_html`]
/// (minijinja also escapes `/`, which makes every URL in the HTML unreadable).
fn formatter(out: &mut Output, state: &State, value: &Value) -> Result<(), Error> {
    match value.as_str() {
        Some(s) if !value.is_safe() && state.auto_escape() != AutoEscape::None => out
            .write_str(&escape_html(s))
            .map_err(|_| Error::new(ErrorKind::WriteFailure, "writing the page failed")),
        _ => minijinja::escape_formatter(out, state, value),
    }
}

/// Renders a template with a context.
pub fn render(name: &str, context: &impl Serialize) -> Result<String, minijinja::Error> {
    env()
        .get_template(name)?
        .render(minijinja::Value::from_serialize(context))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_template_compiles_and_escapes() {
        for (name, _) in TEMPLATES {
            assert!(env().get_template(name).is_ok(), "{name}");
        }
        let html = render(
            "error.html",
            &serde_json::json!({"message": "<script>x</script>", "t": {}}),
        )
        .unwrap();
        assert!(html.contains("&lt;script&gt;x&lt;/script&gt;"));
        assert_eq!(
            escape_html("<a href='x'>\"&"),
            "&lt;a href=&#39;x&#39;&gt;&quot;&amp;"
        );
        assert!(!html.contains("<script>x"));
    }
}
