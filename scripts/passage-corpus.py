#!/usr/bin/env python3
"""The benchmark corpus as documents and their passages (issue 20's passage scale).

    scripts/passage-corpus.py IN.jsonl OUT.jsonl [--passages N]
    scripts/passage-corpus.py --cut PASSAGES.jsonl OUT.jsonl N

IN.jsonl: sections as `../shared/bench/make-corpus max /tmp/max.jsonl` writes them.
Every document symbol of IN becomes one document record (`kind: document`, its body the
first paragraph, as a report's summary) and each paragraph of its sections one passage
(`kind: passage`, numbered through the document, eight to a page, its section title as
heading, `document` and `citation` as tipdex writes them for an extracted PDF), in the
order the sections come. `--passages N` stops after the document that reaches N
passages (for the smaller points of a growth curve; documents are kept whole).

`--cut` copies a file this script wrote up to the document that reaches N passages.

Prints the number of documents and passages written.
"""

import json
import re
import sys
from collections import OrderedDict

PER_PAGE = 8


def slug(text):
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def paragraphs(body):
    return [p.strip() for p in body.split("\n\n") if p.strip()]


def documents(path):
    """Sections grouped by symbol, in order of first appearance."""
    grouped = OrderedDict()
    with open(path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            section = json.loads(line)
            symbol = section.get("symbol") or section["id"]
            grouped.setdefault(symbol, []).append(section)
    return grouped


def records(symbol, sections):
    """The document record, then its passages."""
    first = sections[0]
    doc_id = "doc-" + slug(symbol)
    paras = [(s["title"], p) for s in sections for p in paragraphs(s["body"])]
    if not paras:
        return []
    base = {"role": first.get("role"), "symbols": [symbol]}
    out = [
        dict(
            base,
            id=doc_id,
            kind="document",
            title=first["title"],
            body=paras[0][1],
            citation=symbol,
        )
    ]
    for n, (heading, text) in enumerate(paras, start=1):
        out.append(
            dict(
                base,
                id=f"{doc_id}-para-{n}",
                kind="passage",
                title=first["title"],
                body=text,
                heading=heading,
                path=[heading],
                paragraph=str(n),
                page=(n - 1) // PER_PAGE + 1,
                document=doc_id,
                citation=f"{symbol}, para. {n}",
            )
        )
    return out


def cut(source, target, want):
    """The documents of `source` (written by this script) until `want` passages."""
    docs = passages = 0
    with open(source, encoding="utf-8") as f, open(target, "w", encoding="utf-8") as out:
        for line in f:
            document = '"kind": "document"' in line
            if document and passages >= want:
                break
            docs += document
            passages += not document
            out.write(line)
    print(f"{docs} documents, {passages} passages -> {target}")
    return 0


def main(argv):
    if argv[:1] == ["--cut"]:
        if len(argv) != 4:
            print(__doc__, file=sys.stderr)
            return 2
        return cut(argv[1], argv[2], int(argv[3]))
    args = [a for a in argv if not a.startswith("--")]
    limit = None
    if "--passages" in argv:
        limit = int(argv[argv.index("--passages") + 1])
        args = [a for a in args if a != str(limit)]
    if len(args) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    source, target = args
    docs = passages = 0
    with open(target, "w", encoding="utf-8") as out:
        for symbol, sections in documents(source).items():
            written = records(symbol, sections)
            if not written:
                continue
            for record in written:
                out.write(json.dumps(record, ensure_ascii=False) + "\n")
            docs += 1
            passages += len(written) - 1
            if limit is not None and passages >= limit:
                break
    print(f"{docs} documents, {passages} passages -> {target}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
