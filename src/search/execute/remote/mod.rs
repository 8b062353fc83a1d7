//! Running a plan on a Quickwit cluster: the same trees as the local index, translated
//! to Quickwit's query DSL ([`dsl`]), with kind priors and result order applied here.

mod dsl;

use super::{kinds_present, uniform_weights, Executor, Found, Pass, Prepared, Rank, SortKey};
use crate::corpus::{Kind, Section};
use crate::error::{Error, Result};
use crate::index::BuildInfo;
use crate::quickwit::{Client, Target};
use crate::schema::kind_code;
use crate::search::budget::Budget;
use crate::search::plan::{Order, Plan};
use crate::search::request::Facets;
use crate::search::tree::Node;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::time::Duration;
use tantivy::schema::Schema;
use tantivy::Searcher;

/// Time allowed for one request to the cluster.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);
/// Candidates fetched beyond the page when kind priors may reorder them.
const REWEIGHT_CANDIDATES: usize = 200;

/// One generation's index on a Quickwit cluster.
#[derive(Debug, Clone)]
pub(crate) struct Remote {
    client: Client,
    index_id: String,
    schema: Schema,
}

/// A hit from the cluster: tweaked score, the section, its corpus position.
pub type RemoteHit = (f32, Section, u64);

impl Remote {
    /// Connects to the index holding `generation` on `target`.
    pub fn connect(target: &Target, generation: &str, schema: Schema) -> Result<Remote> {
        let client = Client::new(target.clone(), REQUEST_TIMEOUT);
        let index_id = target.index_id(generation);
        let known = client.indexes(&index_id)?;
        if !known.contains(&index_id) {
            return Err(Error::Backend(format!(
                "Quickwit at {} has no index `{index_id}` for generation {generation}; \
                 build it with `tipdex index --backend quickwit={target}`",
                target.url
            )));
        }
        Ok(Remote {
            client,
            index_id,
            schema,
        })
    }

    /// The Quickwit index searched.
    pub fn index_id(&self) -> &str {
        &self.index_id
    }

    /// The query sent for `node`, exclusions applied.
    fn dsl(&self, node: &Node, plan: &Plan) -> Value {
        let query = dsl::to_dsl(node, &self.schema);
        if plan.excluded.is_empty() {
            return query;
        }
        let excluded: Vec<Value> = plan
            .excluded
            .iter()
            .map(|e| dsl::to_dsl(e, &self.schema))
            .collect();
        json!({ "bool": { "must": [query], "must_not": excluded } })
    }

    /// The best `want` hits for `node`, kind priors and order applied, and the match count.
    pub fn collect(
        &self,
        node: &Node,
        plan: &Plan,
        want: usize,
        uniform_weights: bool,
    ) -> Result<(Vec<RemoteHit>, usize)> {
        let query = self.dsl(node, plan);
        let fetch = if want == 0 || (uniform_weights && plan.order == Order::Relevance) {
            want
        } else {
            want.max(REWEIGHT_CANDIDATES)
        };
        // Newest first: Quickwit sorts by year, so the candidates are the newest ones.
        let by = (plan.order == Order::Newest).then_some("year");
        let found = self
            .client
            .search(&self.index_id, &query, fetch, None, by)?;
        let sort = SortKey::of(plan);
        let mut hits: Vec<(Rank, f32, Section, u64)> = Vec::with_capacity(found.hits.len());
        for (score, source) in found.hits {
            let section = self.section_of(&source)?;
            let ord = source["ord"].as_u64().unwrap_or(0);
            let code = kind_code(section.kind);
            let tweaked = sort.weighted(score, code);
            let rank = sort.rank(score, code, section.year, ord);
            hits.push((rank, tweaked, section, ord));
        }
        hits.sort_by_key(|hit| std::cmp::Reverse(hit.0));
        hits.truncate(want);
        let hits = hits
            .into_iter()
            .map(|(_, score, section, ord)| (score, section, ord))
            .collect();
        Ok((hits, found.total))
    }

    /// Counts per kind, year and organization of the sections `node` matches.
    pub fn facets(&self, node: &Node, plan: &Plan) -> Result<Facets> {
        let aggs = json!({
            "kind": { "terms": { "field": "kind_code", "size": 16 } },
            "year": { "terms": { "field": "year", "size": 10000 } },
            "org": { "terms": { "field": "org_facet", "size": 10000 } },
        });
        let found =
            self.client
                .search(&self.index_id, &self.dsl(node, plan), 0, Some(aggs), None)?;
        let aggregations = found.aggregations.unwrap_or(Value::Null);
        let buckets = |name: &str| -> Vec<(String, u64)> {
            aggregations[name]["buckets"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|b| {
                    let key = match &b["key"] {
                        Value::String(s) => s.clone(),
                        // Quickwit gives numeric keys as floats (2021.0).
                        Value::Number(n) => (n.as_f64().unwrap_or_default() as i64).to_string(),
                        other => other.to_string(),
                    };
                    (key, b["doc_count"].as_u64().unwrap_or(0))
                })
                .collect()
        };
        let by_code: BTreeMap<String, u64> = buckets("kind").into_iter().collect();
        let kind = Kind::ALL
            .iter()
            .filter_map(|k| {
                let n = *by_code.get(&kind_code(*k).to_string())?;
                (n > 0).then(|| (k.as_str().to_string(), n))
            })
            .collect();
        Ok(Facets {
            kind,
            year: buckets("year").into_iter().collect(),
            org: buckets("org").into_iter().collect(),
        })
    }

    /// The section with this id.
    pub fn get(&self, id: &str) -> Result<Option<Section>> {
        let query = json!({ "term": { "id": { "value": id } } });
        let found = self.client.search(&self.index_id, &query, 1, None, None)?;
        match found.hits.first() {
            Some((_, source)) => Ok(Some(self.section_of(source)?)),
            None => Ok(None),
        }
    }

    fn section_of(&self, source: &Value) -> Result<Section> {
        let json = source["doc"][0]
            .as_str()
            .or_else(|| source["doc"].as_str())
            .ok_or_else(|| {
                Error::Backend(format!(
                    "index `{}` returned a hit without its section",
                    self.index_id
                ))
            })?;
        crate::stored::decode(json.to_string()).map_err(|e| {
            Error::Backend(format!(
                "index `{}` returned a damaged section: {e}",
                self.index_id
            ))
        })
    }
}

/// A Quickwit cluster as an executor.
pub(crate) struct RemoteExecutor {
    remote: Remote,
    /// Kinds the generation has sections of, by kind code.
    present: [bool; Kind::COUNT],
}

impl RemoteExecutor {
    /// The executor for the index of `generation` on `target`.
    pub(crate) fn connect(
        target: &Target,
        generation: &str,
        schema: tantivy::schema::Schema,
        info: &BuildInfo,
    ) -> Result<RemoteExecutor> {
        Ok(RemoteExecutor {
            remote: Remote::connect(target, generation, schema)?,
            present: kinds_present(info),
        })
    }
}

impl Executor for RemoteExecutor {
    fn prepare<'a>(&'a self, plan: &'a Plan, _: &'a Searcher) -> Box<dyn Prepared + 'a> {
        Box::new(RemoteSearch {
            executor: self,
            plan,
        })
    }

    fn get(&self, _: &Searcher, id: &str) -> Result<Option<Section>> {
        self.remote.get(id)
    }

    fn describe(&self) -> Option<String> {
        Some(format!(
            "executed by Quickwit (index `{}`)",
            self.remote.index_id()
        ))
    }
}

/// One plan for the cluster.
struct RemoteSearch<'a> {
    executor: &'a RemoteExecutor,
    plan: &'a Plan,
}

impl RemoteSearch<'_> {
    fn node(&self, pass: Pass) -> &Node {
        match (&self.plan.disjunctive, pass) {
            (Some(node), Pass::Partial) => node,
            _ => &self.plan.conjunctive,
        }
    }
}

impl Prepared for RemoteSearch<'_> {
    fn pass(&self, pass: Pass, want: usize, budget: &Budget) -> Result<(Vec<(f32, Found)>, usize)> {
        budget.check()?;
        let uniform = uniform_weights(self.plan, &self.executor.present);
        let (hits, total) =
            self.executor
                .remote
                .collect(self.node(pass), self.plan, want, uniform)?;
        let hits = hits
            .into_iter()
            .map(|(score, section, ord)| (score, Found::Remote(Box::new(section), ord)))
            .collect();
        Ok((hits, total))
    }

    fn section(&self, found: Found) -> Result<Section> {
        match found {
            Found::Remote(section, _) => Ok(*section),
            Found::Local(_) => Err(Error::Backend(
                "a hit of the local index in a search run on Quickwit".into(),
            )),
        }
    }

    fn explain(&self, _: &Found, _: Pass) -> Option<serde_json::Value> {
        None
    }

    fn unfiltered_facets(&self, budget: &Budget) -> Result<Facets> {
        budget.check()?;
        self.executor
            .remote
            .facets(&self.plan.unfiltered, self.plan)
    }

    fn result_facets(&self, want: usize, budget: &Budget) -> Result<Facets> {
        budget.check()?;
        let remote = &self.executor.remote;
        let (_, count) = remote.collect(&self.plan.conjunctive, self.plan, 0, true)?;
        match &self.plan.disjunctive {
            Some(disjunctive) if super::needs_partial_matches(count, want) => {
                remote.facets(disjunctive, self.plan)
            }
            _ => remote.facets(&self.plan.conjunctive, self.plan),
        }
    }

    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    fn matching(&self, _: &Node, _: &[Found], _: &Budget) -> Result<Option<Vec<bool>>> {
        Ok(None)
    }

    fn count(&self, node: &Node, budget: &Budget) -> Result<usize> {
        budget.check()?;
        Ok(self.executor.remote.collect(node, self.plan, 0, true)?.1)
    }
}
