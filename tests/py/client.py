"""The official Meilisearch Python client (PyPI `meilisearch`), unchanged, against
`tipdex serve` (issue 18): search, filters (quoted attribute names), facets, sort,
multi-search, settings, stats, a document, a refused write, an unknown index.

    python3 tests/py/client.py http://127.0.0.1:PORT

Prints `ok - NAME` per check and the client's version; exits 1 on any failure.
"""

import sys
import traceback

import meilisearch
from meilisearch.errors import MeilisearchApiError

base = sys.argv[1]
client = meilisearch.Client(base)
index = client.index("sections")
failed = False


def check(name, fn):
    global failed
    try:
        fn()
        print(f"ok - {name}")
    except Exception:  # noqa: BLE001 - every failure is reported, then the run fails
        failed = True
        print(f"not ok - {name}")
        traceback.print_exc()


def search():
    r = index.search("trafficking")
    assert r["hits"], r
    assert r["estimatedTotalHits"] >= len(r["hits"]) > 0, r


def filters():
    r = index.search("children", {"filter": '"kind" = "report" AND year >= 2021', "limit": 50})
    assert r["hits"], r
    assert all(h["kind"] == "report" and h["year"] >= 2021 for h in r["hits"]), r["hits"]
    r = index.search("", {"filter": [["kind = mandate", "kind = organization"]], "limit": 100})
    assert {h["kind"] for h in r["hits"]} == {"mandate", "organization"}, r["hits"]


def facets():
    r = index.search("children", {"facets": ["kind", "year"]})
    kinds = r["facetDistribution"]["kind"]
    assert kinds.get("report", 0) > 0, r["facetDistribution"]
    assert sum(kinds.values()) == r["estimatedTotalHits"], (kinds, r["estimatedTotalHits"])


def sort():
    for rule, reverse in (("year:desc", True), ("year:asc", False)):
        r = index.search("report", {"sort": [rule], "limit": 40})
        years = [h["year"] for h in r["hits"] if h.get("year") is not None]
        assert len(years) >= 5 and years == sorted(years, reverse=reverse), (rule, years)
    try:
        index.search("report", {"sort": ["title:asc"]})
        raise AssertionError("an unsortable attribute was accepted")
    except MeilisearchApiError as e:
        assert e.code == "invalid_search_sort", e


def multi_search():
    r = client.multi_search(
        [
            {"indexUid": "sections", "q": "GRETA"},
            {"indexUid": "sections", "q": "UNODC", "limit": 1},
        ]
    )
    results = r["results"]
    assert len(results) == 2, r
    assert results[0]["hits"] and len(results[1]["hits"]) == 1, r


def settings():
    s = index.get_settings()
    assert "kind" in s["filterableAttributes"], s
    assert index.get_sortable_attributes() == ["year"]
    assert "year" in index.get_filterable_attributes()


def stats():
    st = index.get_stats()
    assert st.number_of_documents > 0, st
    assert st.is_indexing is False, st


def document():
    hit = index.search("UNODC", {"limit": 1})["hits"][0]
    doc = index.get_document(hit["id"])
    assert doc.id == hit["id"] and doc.title == hit["title"], doc


def refused_write():
    try:
        index.add_documents([{"id": "x", "title": "t", "body": "b"}])
        raise AssertionError("a write was accepted")
    except MeilisearchApiError as e:
        assert e.code == "invalid_api_key", e
        assert "read-only" in e.message, e


def unknown_index():
    try:
        client.index("nope").search("x")
        raise AssertionError("an unknown index answered")
    except MeilisearchApiError as e:
        assert e.code == "index_not_found", e


for name, fn in [
    ("search", search),
    ("filters", filters),
    ("facets", facets),
    ("sort", sort),
    ("multi-search", multi_search),
    ("settings", settings),
    ("stats", stats),
    ("document", document),
    ("refused write", refused_write),
    ("unknown index", unknown_index),
]:
    check(name, fn)

from importlib.metadata import version  # noqa: E402

print(f"meilisearch (Python client) {version('meilisearch')}")
sys.exit(1 if failed else 0)
