//! JSON-schema cleanup for tool input schemas: stripping keys upstreams
//! reject, and rewriting to Gemini's OpenAPI subset (inlining `$ref`s).
//!
//! Pure: no I/O, no clock, no randomness. Bounded: `$ref` inlining has a
//! depth and a size limit, so a hostile schema cannot blow up the output.

use serde_json::{Map, Value, json};

use crate::config::quirks::SchemaDialect;

// Keyword tables as space-separated words, looked up with `has`.

/// Keywords whose value maps names to subschemas. Their keys are property
/// names, not keywords, so a property called `format` must survive.
const SCHEMA_MAPS: &str = "properties $defs definitions patternProperties dependentSchemas";
/// Keywords whose value is one subschema (`items` may also be a list).
const SCHEMA_ONE: &str = "items additionalProperties additionalItems not contains if then else \
    propertyNames unevaluatedProperties unevaluatedItems";
/// Keywords whose value is a list of subschemas.
const SCHEMA_LISTS: &str = "anyOf oneOf allOf prefixItems";
/// What Gemini's function-declaration schema accepts (its OpenAPI subset);
/// anything else is a 400 "Unknown name ...".
const GEMINI_KEYS: &str = "type format title description nullable enum maxItems minItems \
    properties required minProperties maxProperties minLength maxLength pattern example anyOf \
    propertyOrdering default items minimum maximum";

fn has(table: &str, key: &str) -> bool {
    table.split_ascii_whitespace().any(|k| k == key)
}

const MAX_REF_DEPTH: usize = 6;
/// Schema nodes that `$ref` inlining may add to one tool's schema.
const MAX_REF_NODES: usize = 20_000;

/// Schema for a tool that declares no input.
pub fn empty_object() -> Value {
    json!({"type": "object", "properties": {}})
}

/// Clean a tool's `input_schema` for the upstream: `$schema` always goes
/// (draft URLs confuse strict validators), `strip` keys go at every level,
/// and the Gemini dialect rewrites to Gemini's whitelist.
pub fn clean(schema: &Value, strip: &[String], dialect: SchemaDialect) -> Value {
    let Value::Object(_) = schema else {
        return empty_object();
    };
    let mut keys: Vec<&str> = strip.iter().map(String::as_str).collect();
    keys.push("$schema");
    let mut out = schema.clone();
    strip_keys(&mut out, &keys);
    if dialect == SchemaDialect::Gemini {
        let defs = definitions(&out);
        let mut budget = MAX_REF_NODES;
        out = Gemini {
            defs: &defs,
            budget: &mut budget,
        }
        .clean(out, 0);
    }
    match &mut out {
        // OpenAI-kind APIs reject a function schema that is not an object.
        Value::Object(m) if !m.contains_key("type") && !m.contains_key("anyOf") => {
            m.insert("type".into(), "object".into());
            out
        }
        Value::Object(_) => out,
        _ => empty_object(),
    }
}

fn strip_keys(v: &mut Value, keys: &[&str]) {
    let Value::Object(m) = v else { return };
    m.retain(|k, _| !keys.contains(&k.as_str()));
    for (k, sub) in m.iter_mut() {
        if has(SCHEMA_MAPS, k) {
            if let Value::Object(named) = sub {
                named.values_mut().for_each(|s| strip_keys(s, keys));
            }
        } else if has(SCHEMA_ONE, k) || has(SCHEMA_LISTS, k) {
            match sub {
                Value::Array(list) => list.iter_mut().for_each(|s| strip_keys(s, keys)),
                other => strip_keys(other, keys),
            }
        }
    }
}

/// `$defs` and `definitions` of the root, for local `$ref` inlining.
fn definitions(root: &Value) -> Map<String, Value> {
    let mut defs = Map::new();
    for key in ["definitions", "$defs"] {
        if let Some(Value::Object(d)) = root.get(key) {
            for (name, s) in d {
                defs.insert(format!("#/{key}/{}", escape_pointer(name)), s.clone());
            }
        }
    }
    defs
}

fn escape_pointer(name: &str) -> String {
    name.replace('~', "~0").replace('/', "~1")
}

/// Gemini rewrite state. `refs` in its methods counts the `$ref`s expanded
/// on the current path, which bounds recursive definitions.
struct Gemini<'a> {
    defs: &'a Map<String, Value>,
    budget: &'a mut usize,
}

impl Gemini<'_> {
    fn clean(&mut self, v: Value, refs: usize) -> Value {
        let mut m = match v {
            Value::Object(m) => m,
            // Boolean schemas (`items: true`) mean "anything".
            _ => return Value::Object(Map::new()),
        };
        // Gemini has no references: inline local ones, a bounded number of times.
        if let Some(Value::String(r)) = m.remove("$ref")
            && refs < MAX_REF_DEPTH
            && let Some(Value::Object(target)) = self.defs.get(&r)
            && let Some(left) = self.budget.checked_sub(nodes(target))
        {
            *self.budget = left;
            merge_absent(&mut m, target.clone());
            return self.clean(Value::Object(m), refs + 1);
        }
        if let Some(c) = m.remove("const") {
            m.entry("enum").or_insert_with(|| Value::Array(vec![c]));
        }
        if let Some(one_of) = m.remove("oneOf") {
            m.entry("anyOf").or_insert(one_of);
        }
        if let Some(Value::Array(parts)) = m.remove("allOf") {
            for part in parts {
                if let Value::Object(p) = self.clean(part, refs) {
                    merge_all_of(&mut m, p);
                }
            }
        }
        if let Some(Value::Array(types)) = m.get("type").cloned() {
            self.type_list(&mut m, &types);
        }
        if let Some(Value::Array(list)) = m.remove("anyOf") {
            self.any_of(&mut m, list, refs);
        }
        m.retain(|k, _| has(GEMINI_KEYS, k));
        if m.get("default").is_some_and(Value::is_null) {
            m.remove("default");
        }
        restrict_by_type(&mut m);
        if let Some(Value::Object(props)) = m.remove("properties") {
            let props: Map<String, Value> = props
                .into_iter()
                .map(|(k, s)| (k, self.clean(s, refs)))
                .collect();
            if let Some(Value::Array(req)) = m.get_mut("required") {
                // Gemini rejects `required` names that are not properties.
                req.retain(|n| n.as_str().is_some_and(|n| props.contains_key(n)));
            }
            m.insert("properties".into(), Value::Object(props));
        } else {
            m.remove("required");
        }
        if let Some(items) = m.remove("items") {
            // Tuple-style `items: [..]` has no Gemini form; the first is the best guess.
            let items = match items {
                Value::Array(list) => list.into_iter().next().unwrap_or(Value::Object(Map::new())),
                other => other,
            };
            m.insert("items".into(), self.clean(items, refs));
        }
        Value::Object(m)
    }

    /// `type: ["string", "null"]` → `type: string, nullable: true`;
    /// several real types → `anyOf`.
    fn type_list(&mut self, m: &mut Map<String, Value>, types: &[Value]) {
        m.remove("type");
        let names: Vec<&str> = types.iter().filter_map(Value::as_str).collect();
        if names.contains(&"null") {
            m.insert("nullable".into(), true.into());
        }
        let real: Vec<&str> = names.into_iter().filter(|t| *t != "null").collect();
        match real.as_slice() {
            [] => {}
            [one] => {
                m.insert("type".into(), (*one).into());
            }
            many => {
                if !m.contains_key("anyOf") {
                    let alts = many.iter().map(|t| json!({"type": t})).collect();
                    m.insert("anyOf".into(), Value::Array(alts));
                }
            }
        }
    }

    /// Null alternatives become `nullable`; a single remaining alternative
    /// is folded into the parent.
    fn any_of(&mut self, m: &mut Map<String, Value>, list: Vec<Value>, refs: usize) {
        let mut keep = Vec::new();
        for s in list {
            if s.get("type").and_then(Value::as_str) == Some("null") {
                m.insert("nullable".into(), true.into());
            } else {
                keep.push(self.clean(s, refs));
            }
        }
        if keep.len() == 1 && !m.contains_key("type") {
            if let Some(Value::Object(only)) = keep.pop() {
                merge_absent(m, only);
            }
        } else if !keep.is_empty() {
            // Gemini: "type and anyOf cannot be both populated".
            m.remove("type");
            m.insert("anyOf".into(), Value::Array(keep));
        }
    }
}

/// Size of a schema, to bound what `$ref` inlining adds.
fn nodes(m: &Map<String, Value>) -> usize {
    fn count(v: &Value) -> usize {
        match v {
            Value::Object(m) => 1 + m.values().map(count).sum::<usize>(),
            Value::Array(a) => 1 + a.iter().map(count).sum::<usize>(),
            _ => 1,
        }
    }
    1 + m.values().map(count).sum::<usize>()
}

/// Drop keywords Gemini only allows on other types.
fn restrict_by_type(m: &mut Map<String, Value>) {
    let ty = m.get("type").and_then(Value::as_str).map(str::to_owned);
    let strings_only = m
        .get("enum")
        .and_then(Value::as_array)
        .is_some_and(|e| e.iter().all(Value::is_string));
    match ty.as_deref() {
        Some("string") if strings_only => {}
        // An untyped enum of strings is a string enum.
        None if strings_only && m.contains_key("enum") => {
            m.insert("type".into(), "string".into());
        }
        _ => {
            m.remove("enum");
        }
    }
    let format_ok = match (ty.as_deref(), m.get("format").and_then(Value::as_str)) {
        (_, None) => true,
        (Some("string"), Some(f)) => matches!(f, "enum" | "date-time"),
        (Some("integer"), Some(f)) => matches!(f, "int32" | "int64"),
        (Some("number"), Some(f)) => matches!(f, "float" | "double"),
        _ => false,
    };
    if !format_ok {
        m.remove("format");
    }
    if ty.as_deref().is_some_and(|t| t != "object") {
        for k in ["properties", "required", "minProperties", "maxProperties"] {
            m.remove(k);
        }
    }
    if ty.as_deref().is_some_and(|t| t != "array") {
        for k in ["items", "minItems", "maxItems"] {
            m.remove(k);
        }
    }
}

/// Keys of `from` that `into` lacks.
fn merge_absent(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        into.entry(k).or_insert(v);
    }
}

/// `allOf` member into its parent: properties merge, `required` unions,
/// other keywords keep the parent's (or first member's) value.
fn merge_all_of(into: &mut Map<String, Value>, from: Map<String, Value>) {
    for (k, v) in from {
        match (k.as_str(), into.get_mut(&k), v) {
            ("properties", Some(Value::Object(a)), Value::Object(b)) => merge_absent(a, b),
            ("required", Some(Value::Array(a)), Value::Array(b)) => {
                for n in b {
                    if !a.contains(&n) {
                        a.push(n);
                    }
                }
            }
            (_, Some(_), _) => {}
            (_, None, v) => {
                into.insert(k, v);
            }
        }
    }
}
