//! Property tests of the Meilisearch filter-expression parser (issue 6: anything that
//! parses user input): it never panics, errors are messages, and every filter written
//! back as an expression parses to the same filter.

use proptest::prelude::*;
use tipdex::search::filter::{parse, parse_value, to_expression};
use tipdex::search::filter::{Cmp, Filter, FilterField};

fn field() -> impl Strategy<Value = FilterField> {
    prop_oneof![
        Just(FilterField::Kind),
        Just(FilterField::Year),
        Just(FilterField::Org),
        Just(FilterField::Language),
        Just(FilterField::Document)
    ]
}

fn cmp() -> impl Strategy<Value = Cmp> {
    prop_oneof![
        Just(Cmp::Eq),
        Just(Cmp::Ne),
        Just(Cmp::Gt),
        Just(Cmp::Ge),
        Just(Cmp::Lt),
        Just(Cmp::Le)
    ]
}

fn filter() -> impl Strategy<Value = Filter> {
    let leaf = prop_oneof![
        (field(), cmp(), any::<String>()).prop_map(|(f, c, v)| Filter::Compare(f, c, v)),
        (field(), prop::collection::vec(any::<String>(), 0..4)).prop_map(|(f, v)| Filter::In(f, v)),
        field().prop_map(Filter::Exists),
        (field(), any::<String>()).prop_map(|(f, v)| Filter::Contains(f, v)),
        (field(), any::<String>()).prop_map(|(f, v)| Filter::StartsWith(f, v)),
    ];
    leaf.prop_recursive(4, 24, 3, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::And),
            prop::collection::vec(inner.clone(), 2..4).prop_map(Filter::Or),
            inner.prop_map(|f| Filter::Not(Box::new(f))),
        ]
    })
}

/// Text made of the filter language's own pieces, to reach deeper than random characters.
fn filterish() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        Just("kind"),
        Just("year"),
        Just("org"),
        Just("title"),
        Just("="),
        Just("!="),
        Just(">"),
        Just(">="),
        Just("<"),
        Just("<="),
        Just("!"),
        Just("AND"),
        Just("or"),
        Just("NOT"),
        Just("IN"),
        Just("CONTAINS"),
        Just("STARTS"),
        Just("WITH"),
        Just("EXISTS"),
        Just("IS"),
        Just("NULL"),
        Just("EMPTY"),
        Just("TO"),
        Just("("),
        Just(")"),
        Just("["),
        Just("]"),
        Just(","),
        Just("\""),
        Just("'"),
        Just("\\"),
        Just("report"),
        Just("2021"),
        Just("\"Council of Europe\""),
        Just("é"),
        Just(" "),
    ];
    prop::collection::vec(piece, 0..24).prop_map(|p| p.join(" "))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn arbitrary_text_never_panics(text in any::<String>()) {
        let _ = parse(&text);
    }

    #[test]
    fn filter_shaped_text_never_panics(text in filterish()) {
        match parse(&text) {
            Ok(Some(f)) => { let _ = f.validate(); }
            Ok(None) => prop_assert!(text.trim().is_empty()),
            Err(e) => prop_assert!(!e.is_empty()),
        }
    }

    #[test]
    fn expressions_round_trip(f in filter()) {
        let text = to_expression(&f);
        prop_assert_eq!(parse(&text), Ok(Some(f)), "{}", text);
    }

    #[test]
    fn the_array_form_is_an_and_of_ors(a in filter(), b in filter(), c in filter()) {
        let value = serde_json::json!([[to_expression(&a), to_expression(&b)], to_expression(&c)]);
        prop_assert_eq!(
            parse_value(&value),
            Ok(Some(Filter::And(vec![Filter::Or(vec![a, b]), c])))
        );
    }
}
