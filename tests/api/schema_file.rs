//! `schema.graphql` is the contract: it must equal what the code generates.
//! Refresh it with `cargo run -- schema > schema.graphql` (or `UPDATE_SCHEMA=1 cargo test`).

#[test]
fn schema_graphql_is_up_to_date() {
    let generated = vipps_identity::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    if std::env::var_os("UPDATE_SCHEMA").is_some() {
        std::fs::write(path, &generated).expect("write schema.graphql");
    }
    let committed = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        committed == generated,
        "schema.graphql is stale: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

mod served {
    //! What introspection serves, in one comparable shape, next to the same shape read
    //! from `schema.graphql`.

    use async_graphql::Positioned;
    use async_graphql::parser::types::{InputValueDefinition, TypeKind, TypeSystemDefinition};
    use serde_json::{Map, Value, json};

    use crate::helpers::{Auth, TestApp};

    const QUERY: &str = r#"
      query Introspection {
        __schema {
          description
          queryType { name }
          mutationType { name }
          subscriptionType { name }
          types { ...FullType }
          directives { name description locations isRepeatable args { ...InputValue } }
        }
      }
      fragment FullType on __Type {
        kind name description specifiedByURL
        fields(includeDeprecated: true) {
          name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason
        }
        inputFields { ...InputValue }
        interfaces { name }
        enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
        possibleTypes { name }
      }
      fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
      fragment TypeRef on __Type {
        kind name ofType { kind name ofType { kind name ofType { kind name ofType { kind name } } } }
      }
    "#;

    /// Types every GraphQL schema has; the SDL leaves them out.
    const BUILT_IN: [&str; 5] = ["String", "Int", "Float", "Boolean", "ID"];
    /// Directives the specification defines for every schema; SDL printers leave them out
    /// or print them without their argument descriptions.
    const BUILT_IN_DIRECTIVES: [&str; 5] =
        ["include", "skip", "deprecated", "specifiedBy", "oneOf"];

    fn type_ref(value: &Value) -> String {
        match value["kind"].as_str() {
            Some("NON_NULL") => format!("{}!", type_ref(&value["ofType"])),
            Some("LIST") => format!("[{}]", type_ref(&value["ofType"])),
            _ => value["name"].as_str().unwrap_or_default().to_owned(),
        }
    }

    fn input_values(values: &Value) -> Value {
        values
            .as_array()
            .map(|values| {
                values
                    .iter()
                    .map(|v| {
                        json!({
                            "name": v["name"],
                            "description": v["description"],
                            "type": type_ref(&v["type"]),
                            "defaultValue": v["defaultValue"],
                        })
                    })
                    .collect()
            })
            .unwrap_or(Value::Null)
    }

    fn names(values: &Value) -> Value {
        values
            .as_array()
            .map(|values| values.iter().map(|v| v["name"].clone()).collect())
            .unwrap_or(Value::Null)
    }

    /// The introspection answer, reduced to the shape [`from_sdl`] makes.
    pub fn from_introspection(schema: &Value) -> Value {
        let mut types = Map::new();
        for ty in schema["types"].as_array().into_iter().flatten() {
            let name = ty["name"].as_str().unwrap_or_default();
            if name.starts_with("__") || BUILT_IN.contains(&name) {
                continue;
            }
            let fields = ty["fields"].as_array().map(|fields| {
                fields
                    .iter()
                    .map(|f| {
                        json!({
                            "name": f["name"],
                            "description": f["description"],
                            "args": input_values(&f["args"]),
                            "type": type_ref(&f["type"]),
                            "deprecationReason": f["deprecationReason"],
                        })
                    })
                    .collect::<Vec<_>>()
            });
            let enum_values = ty["enumValues"].as_array().map(|values| {
                values
                    .iter()
                    .map(|v| {
                        json!({
                            "name": v["name"],
                            "description": v["description"],
                            "deprecationReason": v["deprecationReason"],
                        })
                    })
                    .collect::<Vec<_>>()
            });
            types.insert(
                name.to_owned(),
                json!({
                    "kind": ty["kind"],
                    "description": ty["description"],
                    "specifiedByURL": ty["specifiedByURL"],
                    "fields": fields,
                    "inputFields": input_values(&ty["inputFields"]),
                    "interfaces": names(&ty["interfaces"]),
                    "enumValues": enum_values,
                    "possibleTypes": names(&ty["possibleTypes"]),
                }),
            );
        }
        let mut directives = Map::new();
        for directive in schema["directives"].as_array().into_iter().flatten() {
            if BUILT_IN_DIRECTIVES.contains(&directive["name"].as_str().unwrap_or_default()) {
                continue;
            }
            directives.insert(
                directive["name"].as_str().unwrap_or_default().to_owned(),
                json!({
                    "description": directive["description"],
                    "locations": directive["locations"],
                    "isRepeatable": directive["isRepeatable"],
                    "args": input_values(&directive["args"]),
                }),
            );
        }
        json!({
            "description": schema["description"],
            "queryType": schema["queryType"]["name"],
            "mutationType": schema["mutationType"]["name"],
            "subscriptionType": schema["subscriptionType"]["name"],
            "types": types,
            "directives": directives,
        })
    }

    fn description(description: Option<&Positioned<String>>) -> Value {
        description.map_or(Value::Null, |d| Value::from(d.node.as_str()))
    }

    /// The reason of a `@deprecated` among `directives`, or null.
    fn deprecation(
        directives: &[Positioned<async_graphql::parser::types::ConstDirective>],
    ) -> Value {
        directives
            .iter()
            .find(|d| d.node.name.node == "deprecated")
            .map_or(Value::Null, |d| {
                d.node
                    .get_argument("reason")
                    .and_then(|r| match &r.node {
                        async_graphql::Value::String(reason) => Some(Value::from(reason.as_str())),
                        _ => None,
                    })
                    .unwrap_or_else(|| Value::from("No longer supported"))
            })
    }

    fn sdl_inputs(values: &[Positioned<InputValueDefinition>]) -> Value {
        values
            .iter()
            .map(|v| {
                json!({
                    "name": v.node.name.node.as_str(),
                    "description": description(v.node.description.as_ref()),
                    "type": v.node.ty.node.to_string(),
                    "defaultValue": v.node.default_value.as_ref().map(|d| d.node.to_string()),
                })
            })
            .collect()
    }

    /// `schema.graphql`, in the shape [`from_introspection`] makes.
    pub fn from_sdl(sdl: &str) -> Value {
        let document = async_graphql::parser::parse_schema(sdl).expect("schema.graphql parses");
        let mut shape = json!({
            "description": null,
            "queryType": null,
            "mutationType": null,
            "subscriptionType": null,
        });
        let mut types = Map::new();
        let mut directives = Map::new();
        for definition in document.definitions {
            match definition {
                TypeSystemDefinition::Schema(schema) => {
                    let schema = schema.node;
                    let name = |n: Option<Positioned<async_graphql::Name>>| {
                        n.map_or(Value::Null, |n| Value::from(n.node.as_str()))
                    };
                    shape["queryType"] = name(schema.query);
                    shape["mutationType"] = name(schema.mutation);
                    shape["subscriptionType"] = name(schema.subscription);
                }
                TypeSystemDefinition::Directive(directive) => {
                    let directive = directive.node;
                    if BUILT_IN_DIRECTIVES.contains(&directive.name.node.as_str()) {
                        continue;
                    }
                    directives.insert(
                        directive.name.node.to_string(),
                        json!({
                            "description": description(directive.description.as_ref()),
                            "locations": directive
                                .locations
                                .iter()
                                .map(|l| format!("{:?}", l.node).to_uppercase_snake())
                                .collect::<Vec<_>>(),
                            "isRepeatable": directive.is_repeatable,
                            "args": sdl_inputs(&directive.arguments),
                        }),
                    );
                }
                TypeSystemDefinition::Type(ty) => {
                    let ty = ty.node;
                    let specified_by = ty
                        .directives
                        .iter()
                        .find(|d| d.node.name.node == "specifiedBy")
                        .and_then(|d| d.node.get_argument("url"))
                        .map_or(Value::Null, |url| match &url.node {
                            async_graphql::Value::String(url) => Value::from(url.as_str()),
                            _ => Value::Null,
                        });
                    let (kind, fields, input_fields, interfaces, enum_values, possible) =
                        match &ty.kind {
                            TypeKind::Scalar => ("SCALAR", None, None, None, None, None),
                            TypeKind::Object(object) => (
                                "OBJECT",
                                Some(&object.fields),
                                None,
                                Some(&object.implements),
                                None,
                                None,
                            ),
                            TypeKind::Interface(interface) => (
                                "INTERFACE",
                                Some(&interface.fields),
                                None,
                                Some(&interface.implements),
                                None,
                                None,
                            ),
                            TypeKind::Union(union) => {
                                ("UNION", None, None, None, None, Some(&union.members))
                            }
                            TypeKind::Enum(values) => {
                                ("ENUM", None, None, None, Some(&values.values), None)
                            }
                            TypeKind::InputObject(input) => {
                                ("INPUT_OBJECT", None, Some(&input.fields), None, None, None)
                            }
                        };
                    let names = |names: Option<&Vec<Positioned<async_graphql::Name>>>| {
                        names.map_or(Value::Null, |names| {
                            names.iter().map(|n| Value::from(n.node.as_str())).collect()
                        })
                    };
                    types.insert(
                        ty.name.node.to_string(),
                        json!({
                            "kind": kind,
                            "description": description(ty.description.as_ref()),
                            "specifiedByURL": specified_by,
                            "fields": fields.map(|fields| fields.iter().map(|f| json!({
                                "name": f.node.name.node.as_str(),
                                "description": description(f.node.description.as_ref()),
                                "args": sdl_inputs(&f.node.arguments),
                                "type": f.node.ty.node.to_string(),
                                "deprecationReason": deprecation(&f.node.directives),
                            })).collect::<Vec<_>>()),
                            "inputFields": input_fields.map_or(Value::Null, |f| sdl_inputs(f)),
                            "interfaces": match kind {
                                "OBJECT" | "INTERFACE" => names(interfaces),
                                _ => Value::Null,
                            },
                            "enumValues": enum_values.map(|values| values.iter().map(|v| json!({
                                "name": v.node.value.node.as_str(),
                                "description": description(v.node.description.as_ref()),
                                "deprecationReason": deprecation(&v.node.directives),
                            })).collect::<Vec<_>>()),
                            "possibleTypes": names(possible),
                        }),
                    );
                }
            }
        }
        shape["types"] = Value::Object(types);
        shape["directives"] = Value::Object(directives);
        shape
    }

    /// `FragmentSpread` → `FRAGMENT_SPREAD`.
    trait UpperSnake {
        fn to_uppercase_snake(&self) -> String;
    }

    impl UpperSnake for String {
        fn to_uppercase_snake(&self) -> String {
            let mut out = String::new();
            for (i, c) in self.chars().enumerate() {
                if c.is_ascii_uppercase() && i > 0 {
                    out.push('_');
                }
                out.push(c.to_ascii_uppercase());
            }
            out
        }
    }

    #[tokio::test(flavor = "multi_thread")]
    async fn introspection_serves_exactly_schema_graphql() {
        let app = TestApp::spawn().await;
        let answer = app.graphql(Auth::None, QUERY, json!({})).await;
        assert!(answer["errors"].is_null(), "{answer}");
        let served = from_introspection(&answer["data"]["__schema"]);
        let file = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql"))
            .expect("schema.graphql");
        let committed = from_sdl(&file);
        assert_eq!(
            served["description"],
            Value::Null,
            "a stray schema description"
        );
        let aliased = app
            .graphql(
                Auth::None,
                "query A { s: __schema { d: description ...F } } \
                 fragment F on __Schema { description }",
                json!({}),
            )
            .await;
        assert_eq!(
            aliased,
            json!({ "data": { "s": { "d": null, "description": null } } })
        );
        assert_eq!(
            served["types"]["DateTime"]["specifiedByURL"],
            "https://datatracker.ietf.org/doc/html/rfc3339"
        );
        for key in [
            "description",
            "queryType",
            "mutationType",
            "subscriptionType",
            "directives",
        ] {
            assert_eq!(served[key], committed[key], "{key}");
        }
        let (served, committed) = (&served["types"], &committed["types"]);
        let names = |types: &Value| {
            types
                .as_object()
                .map(|t| t.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default()
        };
        assert_eq!(names(served), names(committed), "type names");
        for name in names(served) {
            assert_eq!(served[&name], committed[&name], "type {name}");
        }
    }
}
