//! The code against the AWS service model (`service-2.json`): for every operation, method, URI,
//! success code, and every member's name and location, inputs and outputs alike. Drift on either
//! side fails here.

use std::collections::{BTreeMap, BTreeSet};

use nova_act_core::Operation;
use nova_act_core::model::*;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Value, json};

mod support;
use support::{model, sample};

/// The names of a JSON object's members.
fn keys(object: &Value) -> BTreeSet<&str> {
    object
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

/// Members of `shape` travelling in `location` (`uri`, `querystring`, `header`), by wire name.
fn located(model: &Value, shape: &str, location: &str) -> BTreeSet<String> {
    model["shapes"][shape]["members"]
        .as_object()
        .unwrap()
        .values()
        .filter(|m| m["location"].as_str() == Some(location))
        .map(|m| m["locationName"].as_str().unwrap().to_owned())
        .collect()
}

/// Deserializes `expected` into `T` and back; the round trip must give the same JSON.
fn round_trip<T: Serialize + DeserializeOwned>(what: &str, expected: &Value) {
    let typed: T = serde_json::from_value(expected.clone()).unwrap_or_else(|err| {
        panic!("{what}: the model's JSON does not fit our type: {err}\n{expected:#}")
    });
    let back = serde_json::to_value(&typed).unwrap();
    assert_eq!(&back, expected, "{what}: our type drops or renames members");
}

/// `shape` with every member present, those of the URI and the query string too (by their
/// member names, as our inputs read them back).
fn every_member(model: &Value, shape: &str) -> Value {
    let mut value = sample(model, shape);
    for (name, member) in model["shapes"][shape]["members"].as_object().unwrap() {
        if member.get("location").is_some() {
            value[name] = sample(model, member["shape"].as_str().unwrap());
        }
    }
    value
}

/// Checks one operation against the model, with an input that has every member set.
fn check<O: Operation + DeserializeOwned>(model: &Value, seen: &mut BTreeMap<String, ()>)
where
    O::Output: Serialize,
{
    let op = &model["operations"][O::NAME];
    assert!(op.is_object(), "{} is not in the service model", O::NAME);
    seen.insert(O::NAME.to_owned(), ());
    assert_eq!(
        O::METHOD,
        op["http"]["method"].as_str().unwrap(),
        "{} method",
        O::NAME
    );
    assert_eq!(
        O::URI,
        op["http"]["requestUri"].as_str().unwrap(),
        "{} URI",
        O::NAME
    );
    assert_eq!(
        u64::from(O::SUCCESS),
        op["http"]["responseCode"].as_u64().unwrap(),
        "{} success code",
        O::NAME
    );
    let input_shape = op["input"]["shape"].as_str().unwrap();
    let input: O = serde_json::from_value(every_member(model, input_shape))
        .unwrap_or_else(|err| panic!("{}: the model's input does not fit: {err}", O::NAME));
    let labels: BTreeSet<String> = input
        .labels()
        .iter()
        .map(|(k, _)| (*k).to_owned())
        .collect();
    assert_eq!(
        labels,
        located(model, input_shape, "uri"),
        "{} path members",
        O::NAME
    );
    for label in &labels {
        assert!(
            O::URI.contains(&format!("{{{label}}}")),
            "{} URI lacks {label}",
            O::NAME
        );
    }
    let query: BTreeSet<String> = input.query().iter().map(|(k, _)| (*k).to_owned()).collect();
    assert_eq!(
        query,
        located(model, input_shape, "querystring"),
        "{} query members",
        O::NAME
    );
    assert!(located(model, input_shape, "header").is_empty());

    let body = sample(model, input_shape);
    if O::HAS_BODY {
        round_trip::<O>(&format!("{} input body", O::NAME), &body);
    } else {
        assert_eq!(
            body,
            json!({}),
            "{} has body members but sends no body",
            O::NAME
        );
    }
    let output_shape = op["output"]["shape"].as_str().unwrap();
    round_trip::<O::Output>(&format!("{} output", O::NAME), &sample(model, output_shape));
}

#[test]
fn every_operation_matches_the_service_model() {
    let model = model();
    let mut seen = BTreeMap::new();
    // Every operation of the one list, checked against the model's.
    macro_rules! check_each {
        ($($(#[$doc:meta])* $method:ident => $input:ty;)+) => {
            $(check::<$input>(&model, &mut seen);)+
        };
    }
    nova_act_core::with_operations!(check_each);

    let in_model = keys(&model["operations"]);
    let in_code: BTreeSet<&str> = seen.keys().map(String::as_str).collect();
    assert_eq!(
        in_code, in_model,
        "operations in the code and in the model differ"
    );
    // The table the IAM tiers and the emulator read lists each declaration once, as declared.
    let table: BTreeSet<&str> = nova_act_core::OPERATIONS.iter().map(|op| op.name).collect();
    assert_eq!(table, in_model, "OPERATIONS and the model differ");
    for op in nova_act_core::OPERATIONS {
        let model_op = &model["operations"][op.name]["http"];
        assert_eq!(
            op.method,
            model_op["method"].as_str().unwrap(),
            "{}",
            op.name
        );
        assert_eq!(
            op.uri,
            model_op["requestUri"].as_str().unwrap(),
            "{}",
            op.name
        );
        let labels = op.uri.matches('{').count();
        let expected = match op.resource {
            nova_act_core::Resource::Run => 2..=4,
            nova_act_core::Resource::Definition => 0..=1,
            nova_act_core::Resource::Any => 0..=0,
        };
        assert!(
            expected.contains(&labels),
            "{}: a {:?} resource with {labels} URI labels",
            op.name,
            op.resource
        );
    }
}

#[test]
fn enums_match_the_service_model() {
    let model = model();
    let values = |shape: &str| -> Vec<String> {
        model["shapes"][shape]["enum"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(WorkflowRunStatus::KNOWN, values("WorkflowRunStatus"));
    assert_eq!(ActStatus::KNOWN, values("ActStatus"));
    assert_eq!(
        WorkflowDefinitionStatus::KNOWN,
        values("WorkflowDefinitionStatus")
    );
    assert_eq!(ModelStatus::KNOWN, values("ModelStatus"));
    assert_eq!(SortOrder::KNOWN, values("SortOrder"));
    assert_eq!(
        ValidationExceptionReason::KNOWN,
        values("ValidationExceptionReason")
    );
    assert_eq!(
        InternalServerExceptionReason::KNOWN,
        values("InternalServerExceptionReason")
    );
    assert_eq!(TraceLocationType::KNOWN, values("TraceLocationType"));
}

#[test]
fn paginated_operations_match_the_paginators_file() {
    let path = support::reference("paginators-1.json");
    let paginators: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let names = keys(&paginators["pagination"]);
    // Client::workflow_definitions, workflow_runs, sessions and acts.
    let streamed = BTreeSet::from([
        "ListActs",
        "ListSessions",
        "ListWorkflowDefinitions",
        "ListWorkflowRuns",
    ]);
    assert_eq!(names, streamed);
    for (name, spec) in paginators["pagination"].as_object().unwrap() {
        assert_eq!(spec["input_token"], "nextToken", "{name}");
        assert_eq!(spec["output_token"], "nextToken", "{name}");
        assert_eq!(spec["limit_key"], "maxResults", "{name}");
    }
}

/// The typed calls, the table and the seal are all made from one list (`with_operations!`), so
/// they cannot drift; this reads the list back and shows each call named for its operation, in
/// the table's order.
#[test]
fn one_list_makes_the_calls_and_the_table() {
    use nova_act_core::Operation;
    macro_rules! pairs {
        ($($(#[$doc:meta])* $method:ident => $input:ty;)+) => {
            vec![$((stringify!($method), <$input as Operation>::NAME)),+]
        };
    }
    let listed: Vec<(&str, &str)> = nova_act_core::with_operations!(pairs);
    let snake = |name: &str| {
        let mut out = String::new();
        for c in name.chars() {
            if c.is_ascii_uppercase() && !out.is_empty() {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        }
        out
    };
    for (method, name) in &listed {
        assert_eq!(*method, snake(name));
    }
    let table: Vec<&str> = nova_act_core::OPERATIONS.iter().map(|op| op.name).collect();
    let names: Vec<&str> = listed.iter().map(|(_, name)| *name).collect();
    assert_eq!(names, table);
}
