//! ServiceStack's JSV text format, for legacy clients of the login callback: `{key:value,…}`
//! and `[a,b]`, with strings left unquoted unless they need it.
//!
//! A string (value or key) is written in double quotes, with each inner `"` doubled, when it
//! holds any of `"` `:` `,` `{` `}` `[` `]` or a line break (ServiceStack.Text's
//! `JsWriter.EscapeChars`); the empty string is written `""` so that it differs from a
//! missing value. Whitespace needs no quotes: JSV is whitespace-significant.
//! Object members that are `null` are left out, as ServiceStack.Text does by default.

use serde_json::Value;

/// The media type of a JSV answer.
pub const CONTENT_TYPE: &str = "text/jsv; charset=utf-8";

/// `value` in JSV.
pub fn to_string(value: &Value) -> String {
    let mut out = String::new();
    write(&mut out, value);
    out
}

fn write(out: &mut String, value: &Value) {
    match value {
        Value::Null => {}
        Value::Bool(flag) => out.push_str(if *flag { "true" } else { "false" }),
        Value::Number(number) => out.push_str(&number.to_string()),
        Value::String(text) => write_str(out, text),
        Value::Array(items) => {
            out.push('[');
            for (index, item) in items.iter().enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write(out, item);
            }
            out.push(']');
        }
        Value::Object(members) => {
            out.push('{');
            let present = members.iter().filter(|(_, value)| !value.is_null());
            for (index, (key, value)) in present.enumerate() {
                if index > 0 {
                    out.push(',');
                }
                write_str(out, key);
                out.push(':');
                write(out, value);
            }
            out.push('}');
        }
    }
}

fn write_str(out: &mut String, text: &str) {
    let needs_quotes =
        text.is_empty() || text.contains(['"', ':', ',', '{', '}', '[', ']', '\r', '\n']);
    if needs_quotes {
        out.push('"');
        out.push_str(&text.replace('"', "\"\""));
        out.push('"');
    } else {
        out.push_str(text);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::to_string;

    #[test]
    fn writes_objects_arrays_and_scalars() {
        let value = json!({"a": 1, "b": true, "c": [1, "x"], "d": null, "e": {"f": 2.5}});
        assert_eq!(to_string(&value), "{a:1,b:true,c:[1,x],e:{f:2.5}}");
    }

    #[test]
    fn quotes_only_strings_that_need_it() {
        let cases = [
            ("plain text", "plain text"),
            ("", "\"\""),
            (" lead", " lead"),
            ("trail ", "trail "),
            ("a,b", "\"a,b\""),
            ("2026-12-02T12:00:00Z", "\"2026-12-02T12:00:00Z\""),
            ("{x}", "\"{x}\""),
            ("[x]", "\"[x]\""),
            ("say \"hi\"", "\"say \"\"hi\"\"\""),
            ("line\nbreak", "\"line\nbreak\""),
            ("Ada Lovelace", "Ada Lovelace"),
        ];
        for (text, expected) in cases {
            assert_eq!(to_string(&json!(text)), expected, "{text:?}");
        }
        assert_eq!(to_string(&json!({"a b": "c"})), "{a b:c}");
        assert_eq!(to_string(&json!({"k:1": "v"})), "{\"k:1\":v}");
    }
}
