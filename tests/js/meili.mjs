// The real Meilisearch JS client against `tipdex serve`: node tests/js/meili.mjs http://127.0.0.1:PORT
// Exits non-zero, naming the failed check, when tipdex does not answer as Meilisearch would.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Meilisearch, MeilisearchApiError } from 'meilisearch';

const host = process.argv[2];
if (!host) {
  console.error('usage: node meili.mjs http://HOST:PORT');
  process.exit(2);
}
const { version } = JSON.parse(readFileSync(new URL('./node_modules/meilisearch/package.json', import.meta.url), 'utf8'));
console.log(`# meilisearch (JavaScript client) ${version}`);
const client = new Meilisearch({ host });
const index = client.index('sections');

async function check(name, fn) {
  try {
    await fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    console.error(`not ok - ${name}`);
    console.error(e);
    process.exitCode = 1;
  }
}

await check('health', async () => {
  assert.deepEqual(await client.health(), { status: 'available' });
  assert.equal(await client.isHealthy(), true);
});

await check('search with filter, facets, highlighting and match positions', async () => {
  const r = await index.search('GRETA', {
    filter: 'kind = organization',
    facets: ['kind', 'year'],
    attributesToHighlight: ['*'],
    showMatchesPosition: true,
  });
  assert.equal(r.query, 'GRETA');
  assert.equal(r.limit, 20);
  assert.equal(r.offset, 0);
  assert.equal(typeof r.processingTimeMs, 'number');
  assert.ok(r.estimatedTotalHits >= 1);
  assert.ok(r.hits.length >= 1);
  const hit = r.hits[0];
  assert.equal(hit.id, 'organization-council-of-europe');
  assert.equal(hit.kind, 'organization');
  assert.ok(hit._formatted.body.includes('<em>GRETA</em>'), hit._formatted.body);
  assert.ok(Array.isArray(hit._matchesPosition.body));
  const { start, length } = hit._matchesPosition.body.at(-1);
  assert.equal(Buffer.from(hit.body).subarray(start, start + length).toString(), 'GRETA');
  assert.deepEqual(r.facetDistribution.kind, { organization: r.estimatedTotalHits });
  assert.ok('year' in r.facetDistribution);
  for (const h of r.hits) assert.equal(h.kind, 'organization');
});

await check('array filters, custom tags, cropping, pagination', async () => {
  const r = await index.search('trafficking', {
    filter: [['kind = report', 'kind = mandate'], 'year >= 2020'],
    attributesToHighlight: ['title'],
    highlightPreTag: '<b>',
    highlightPostTag: '</b>',
    attributesToCrop: ['body'],
    cropLength: 6,
    hitsPerPage: 2,
    page: 1,
  });
  assert.equal(r.hitsPerPage, 2);
  assert.equal(r.page, 1);
  assert.ok(r.totalHits >= r.hits.length);
  assert.equal(r.totalPages, Math.ceil(r.totalHits / 2));
  assert.ok(r.hits.length > 0 && r.hits.length <= 2);
  for (const h of r.hits) {
    assert.ok(['report', 'mandate'].includes(h.kind), h.kind);
    assert.ok(h.year >= 2020);
    assert.ok(h._formatted.body.split(/\s+/).length <= 8, h._formatted.body);
  }
});

await check('GET search', async () => {
  const r = await index.searchGet('UNODC', { limit: 2, filter: 'kind = organization' });
  assert.ok(r.hits.length >= 1 && r.hits.length <= 2);
  assert.equal(r.hits[0].kind, 'organization');
});

await check('multiSearch', async () => {
  const r = await client.multiSearch({
    queries: [
      { indexUid: 'sections', q: 'GRETA', limit: 1 },
      { indexUid: 'sections', q: 'Mullally', filter: 'kind = mandate' },
    ],
  });
  assert.equal(r.results.length, 2);
  assert.equal(r.results[0].indexUid, 'sections');
  assert.equal(r.results[0].hits.length, 1);
  assert.equal(r.results[1].hits[0].kind, 'mandate');
});

await check('index info, document and version', async () => {
  const info = await client.getIndex('sections');
  assert.equal(info.uid, 'sections');
  assert.equal(info.primaryKey, 'id');
  const doc = await index.getDocument('organization-council-of-europe');
  assert.equal(doc.title, 'Council of Europe');
  const v = await client.getVersion();
  assert.equal(typeof v.pkgVersion, 'string');
});

await check('documents, settings, stats, sort and CONTAINS', async () => {
  const page = await index.getDocuments({ limit: 3, offset: 1, fields: ['id', 'kind'] });
  assert.equal(page.results.length, 3);
  assert.deepEqual(Object.keys(page.results[0]), ['id', 'kind']);
  assert.equal(page.offset, 1);
  const stats = await index.getStats();
  assert.equal(page.total, stats.numberOfDocuments);
  const settings = await index.getSettings();
  assert.deepEqual(settings.sortableAttributes, ['year']);
  const newest = await index.search('report', { sort: ['year:desc'], filter: 'kind = report', limit: 50 });
  const years = newest.hits.map((h) => h.year).filter((y) => y != null);
  assert.deepEqual(years, [...years].sort((a, b) => b - a));
  const europe = await index.search('', { filter: 'org CONTAINS "europe"', limit: 100 });
  assert.ok(europe.hits.length > 0);
  assert.ok(europe.hits.every((h) => h.org.toLowerCase().includes('europe')), JSON.stringify(europe.hits.map((h) => h.org)));
  await assert.rejects(client.getKeys(), (e) => {
    assert.equal(e.response.status, 401);
    assert.equal(e.cause.code, 'missing_master_key');
    return true;
  });
});

await check('unknown index', async () => {
  await assert.rejects(client.index('movies').search('x'), (e) => {
    assert.ok(e instanceof MeilisearchApiError, String(e));
    assert.equal(e.response.status, 404);
    assert.equal(e.cause.code, 'index_not_found');
    assert.equal(e.cause.type, 'invalid_request');
    assert.equal(e.cause.link, 'https://docs.meilisearch.com/errors#index_not_found');
    return true;
  });
});

await check('bad filter', async () => {
  await assert.rejects(index.search('x', { filter: 'kind = ' }), (e) => {
    assert.equal(e.response.status, 400);
    assert.equal(e.cause.code, 'invalid_search_filter');
    return true;
  });
});
