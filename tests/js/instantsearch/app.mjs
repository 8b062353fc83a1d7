// The page's script, as InstantSearch's and instant-meilisearch's documentation write it.
import { instantMeiliSearch } from '@meilisearch/instant-meilisearch';

const host = new URL(location.href).searchParams.get('tipdex');
const { searchClient } = instantMeiliSearch(host, '');
const {
  configure, searchBox, stats, sortBy, clearRefinements, refinementList, hits, pagination,
} = instantsearch.widgets;

const search = instantsearch({ indexName: 'sections', searchClient });
search.addWidgets([
  configure({ hitsPerPage: 5, attributesToSnippet: ['body:12'], snippetEllipsisText: '…' }),
  searchBox({ container: '#searchbox', placeholder: 'Search the directory' }),
  stats({ container: '#stats' }),
  sortBy({
    container: '#sort',
    items: [
      { label: 'Relevance', value: 'sections' },
      { label: 'Newest first', value: 'sections:year:desc' },
      { label: 'Oldest first', value: 'sections:year:asc' },
    ],
  }),
  clearRefinements({ container: '#clear' }),
  refinementList({ container: '#kinds', attribute: 'kind' }),
  refinementList({ container: '#years', attribute: 'year', sortBy: ['name:desc'], limit: 30 }),
  hits({
    container: '#hits',
    templates: {
      item: (hit, { html, components }) => html`
        <article class="hit" data-id="${hit.id}" data-kind="${hit.kind}" data-year="${hit.year ?? ''}">
          <h3 class="title">${components.Highlight({ hit, attribute: 'title' })}</h3>
          <p class="snippet">${components.Snippet({ hit, attribute: 'body' })}</p>
        </article>`,
      empty: (results, { html }) => html`<p class="empty">No results for ${results.query}</p>`,
    },
  }),
  pagination({ container: '#pagination' }),
]);
search.start();
