//! Arbitrary query strings never panic the query path (parse, plan, search, snippets).

use proptest::prelude::*;
use std::path::Path;
use std::sync::OnceLock;
use tipdex::{Engine, Kind, SearchRequest};

fn engine() -> &'static Engine {
    static ENGINE: OnceLock<(tempfile::TempDir, Engine)> = OnceLock::new();
    &ENGINE
        .get_or_init(|| {
            let dir = tempfile::tempdir().unwrap();
            let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus");
            let loaded = tipdex::corpus::load(&corpus).unwrap();
            let root = dir.path().join("index");
            tipdex::index::build(&loaded.sections, &root, &Default::default()).unwrap();
            let engine = Engine::open(&root).unwrap();
            (dir, engine)
        })
        .1
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(300))]

    #[test]
    fn any_string_is_answered(q in "(?s).{0,120}") {
        let r = engine().search(&SearchRequest::new(q)).unwrap();
        prop_assert!(r.hits.len() <= 10);
    }

    #[test]
    fn query_syntax_soup_is_answered(
        parts in proptest::collection::vec(
            prop_oneof![
                Just("\"".to_string()), Just("-".to_string()), Just("OR".to_string()),
                Just("NOT".to_string()), Just(":".to_string()), Just("title:".to_string()),
                Just("symbol:".to_string()), Just("kind:report".to_string()), Just("A/HRC/".to_string()),
                Just("(".to_string()), Just("é".to_string()), Just("🦀".to_string()),
                "[a-zA-Z]{1,12}", "[0-9/.]{1,8}",
            ],
            0..12,
        ),
        limit in 0usize..30,
        offset in 0usize..60,
        explain in any::<bool>(),
        facets in any::<bool>(),
        sort in proptest::option::of(any::<bool>()),
        typing in any::<bool>(),
    ) {
        let request = SearchRequest {
            query: parts.join(" "),
            limit,
            offset,
            filter: Some(tipdex::search::filter::Filter::kinds(&[Kind::Report])),
            explain,
            facets,
            result_facets: facets,
            sort: sort.map(|descending| tipdex::search::Sort {
                field: tipdex::search::SortField::Year,
                descending,
            }),
            typing,
            snippets: true,
        };
        if explain && limit > tipdex::search::MAX_EXPLAIN_LIMIT {
            // Explanations cost milliseconds a hit: only small pages get them.
            let e = engine().search(&request).unwrap_err();
            prop_assert!(matches!(e, tipdex::Error::InvalidRequest { .. }), "{e}");
            return Ok(());
        }
        let r = engine().search(&request).unwrap();
        prop_assert!(r.hits.len() <= limit);
        for (i, hit) in r.hits.iter().enumerate() {
            prop_assert_eq!(hit.rank, offset + i + 1);
        }
    }
}
