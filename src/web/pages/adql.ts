/**
 * `/adql`: write ADQL (highlighted), pick one of the service's examples or a table's
 * column, run it (sync, with a row limit, or as an async job), see errors at their
 * line and column, read the results and download them in every TAP format.
 */
import {
  authHeaders,
  type Column,
  createJob,
  download,
  examples,
  serviceUrl,
  service,
  session,
  tap,
  tapParams,
  TapQueryError,
  tapRecords,
} from '../api.js';
import { dataTable, errorBox, fmt, h } from '../dom.js';
import { highlight, offsetOf } from '../highlight.js';
import { ResultsTable } from '../table.js';

const FORMATS: [string, string, string][] = [
  ['VOTable', 'votable', 'vot'],
  ['VOTable (TABLEDATA)', 'votable/td', 'vot'],
  ['CSV', 'csv', 'csv'],
  ['TSV', 'tsv', 'tsv'],
  ['FITS', 'fits', 'fits'],
  ['JSON', 'json', 'json'],
];
const DEFAULT_QUERY =
  'SELECT TOP 10 obs_id, target_name, s_ra, s_dec, t_min, t_exptime\nFROM ivoa.obscore\nORDER BY t_min';
const JOBS_KEY = 'hearc.jobs';

export async function render(main: HTMLElement, params: URLSearchParams): Promise<void> {
  const s = await service();
  document.title = `ADQL — ${s.shortName}`;
  const textarea = h('textarea', {
    id: 'adql-query',
    class: 'code',
    spellcheck: 'false',
    autocapitalize: 'off',
    autocomplete: 'off',
    'aria-describedby': 'adql-help',
  });
  textarea.value = params.get('query') ?? DEFAULT_QUERY;
  const overlay = h('pre', { 'aria-hidden': 'true' });
  let errorAt: number | undefined;
  const paint = () => {
    overlay.replaceChildren(...highlight(textarea.value, errorAt));
    overlay.scrollTop = textarea.scrollTop;
  };
  textarea.addEventListener('input', () => {
    errorAt = undefined;
    paint();
  });
  textarea.addEventListener('scroll', () => (overlay.scrollTop = textarea.scrollTop));
  const maxrec = h('input', {
    id: 'adql-maxrec',
    type: 'number',
    min: 1,
    max: s.limits.hardMaxrec,
    value: params.get('maxrec') ?? '1000',
    inputmode: 'numeric',
  });
  const runButton = h('button', { type: 'submit', class: 'btn primary' }, 'Run');
  const asyncButton = h('button', { type: 'button', class: 'btn' }, 'Run as async job');
  const output = h('section', { class: 'adql-output', 'aria-live': 'polite' });
  const jobsPanel = h(
    'section',
    { class: 'card', 'aria-labelledby': 'jobs-title' },
    h('h2', { id: 'jobs-title' }, 'Async jobs'),
    h('div', { class: 'jobs' }),
  );
  const form = h(
    'form',
    { class: 'card', 'aria-labelledby': 'adql-title' },
    h('label', { for: 'adql-query', class: 'visually-hidden' }, 'ADQL query'),
    h('div', { class: 'editor' }, overlay, textarea),
    h(
      'div',
      { class: 'toolbar' },
      h('div', { class: 'field' }, h('label', { for: 'adql-maxrec' }, 'Row limit'), maxrec),
      runButton,
      asyncButton,
      h(
        'span',
        { id: 'adql-help', class: 'hint' },
        'Ctrl+Enter runs the query. Tables: ivoa.obscore, ivoa.obscore_hea, hearc.irf, TAP_SCHEMA.*',
      ),
    ),
  );
  const examplesList = h('ul', { class: 'examples' });
  const tablesList = h('div', { class: 'tables small' });
  main.append(
    h('h1', { id: 'adql-title' }, 'ADQL console'),
    h(
      'div',
      { class: 'adql-layout' },
      h('div', {}, form, output, jobsPanel),
      h(
        'aside',
        {},
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'examples-title' },
          h('h2', { id: 'examples-title' }, 'Examples'),
          examplesList,
        ),
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'tables-title' },
          h('h2', { id: 'tables-title' }, 'Tables'),
          tablesList,
        ),
      ),
    ),
  );
  paint();

  const run = async () => {
    const query = textarea.value;
    const limit = Math.max(1, Number(maxrec.value) || 1000);
    const url = new URL(location.href);
    url.searchParams.set('query', query);
    url.searchParams.set('maxrec', String(limit));
    history.replaceState(null, '', url);
    errorAt = undefined;
    paint();
    runButton.disabled = true;
    output.setAttribute('aria-busy', 'true');
    output.replaceChildren(h('p', { class: 'muted' }, 'Running…'));
    try {
      const result = await tap(query, limit);
      showResult(output, query, limit, result.columns, result.rows, result.overflow);
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      if (e instanceof TapQueryError && e.line !== undefined && e.column !== undefined) {
        errorAt = offsetOf(query, e.line, e.column);
        paint();
        textarea.focus();
        textarea.setSelectionRange(errorAt, errorAt);
        output.replaceChildren(
          errorBox(
            `Line ${e.line}, column ${e.column}: ${e.message.replace(/\s*\(line \d+, column \d+\)$/, '')}`,
          ),
        );
      } else output.replaceChildren(errorBox(e.message));
    } finally {
      runButton.disabled = false;
      output.setAttribute('aria-busy', 'false');
    }
  };
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void run();
  });
  textarea.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      void run();
    }
  });
  asyncButton.addEventListener('click', async () => {
    asyncButton.disabled = true;
    try {
      await submitJob(textarea.value, Math.max(1, Number(maxrec.value) || 1000));
      await showJobs(jobsPanel);
    } catch (error) {
      output.replaceChildren(errorBox(error instanceof Error ? error.message : String(error)));
    } finally {
      asyncButton.disabled = false;
    }
  });

  const insert = (text: string) => {
    const { selectionStart, selectionEnd, value } = textarea;
    textarea.value = value.slice(0, selectionStart) + text + value.slice(selectionEnd);
    textarea.focus();
    textarea.setSelectionRange(selectionStart + text.length, selectionStart + text.length);
    paint();
  };
  examples()
    .then((list) => {
      examplesList.replaceChildren(
        ...list.map((e) =>
          h(
            'li',
            {},
            h(
              'button',
              {
                type: 'button',
                title: e.description,
                onclick: () => {
                  textarea.value = e.query;
                  errorAt = undefined;
                  paint();
                  textarea.focus();
                },
              },
              e.name,
              h('small', {}, e.description),
            ),
          ),
        ),
      );
    })
    .catch((error: unknown) => examplesList.replaceWith(errorBox(String(error))));
  tapRecords(
    'SELECT table_name, column_name, unit, description FROM TAP_SCHEMA.columns ORDER BY table_name, column_index',
  )
    .then((columns) => {
      const byTable = new Map<string, Record<string, unknown>[]>();
      for (const c of columns) {
        const name = String(c.table_name);
        if (!byTable.has(name)) byTable.set(name, []);
        byTable.get(name)!.push(c);
      }
      tablesList.replaceChildren(
        ...[...byTable]
          .filter(([name]) => !name.toLowerCase().startsWith('tap_schema'))
          .map(([name, cols]) =>
            h(
              'details',
              {},
              h('summary', {}, h('code', {}, name)),
              h(
                'ul',
                { class: 'columns' },
                cols.map((c) =>
                  h(
                    'li',
                    {},
                    h(
                      'button',
                      {
                        type: 'button',
                        class: 'column',
                        title: `${String(c.description ?? '')}${c.unit ? ` [${String(c.unit)}]` : ''}`,
                        onclick: () => insert(String(c.column_name)),
                      },
                      String(c.column_name),
                    ),
                  ),
                ),
              ),
            ),
          ),
        h('p', { class: 'hint' }, 'Select a column to insert its name.'),
      );
    })
    .catch(() =>
      tablesList.replaceChildren(h('p', { class: 'muted' }, 'TAP_SCHEMA cannot be read.')),
    );
  void showJobs(jobsPanel);
  if (params.has('query')) await run();
}

function showResult(
  output: HTMLElement,
  query: string,
  limit: number,
  columns: Column[],
  rows: unknown[][],
  overflow: boolean,
): void {
  const formatted = (v: unknown): string | number | null =>
    v === null || v === undefined
      ? null
      : typeof v === 'number'
        ? v
        : typeof v === 'object'
          ? JSON.stringify(v)
          : String(v);
  const table = new ResultsTable<unknown[]>({
    columns: columns.map((c, i) => ({
      key: c.name,
      label: c.unit ? `${c.name} [${c.unit}]` : c.name,
      numeric: ['double', 'float', 'int', 'long', 'short'].includes(c.datatype),
      value: (row) => formatted(row[i]),
      cell: (row) =>
        typeof row[i] === 'number' ? fmt(row[i], 6) : String(formatted(row[i]) ?? ''),
    })),
    rows,
    id: (row) => String(rows.indexOf(row)),
    pageSize: 50,
    state: { sort: '', descending: false, page: 1 },
    caption: 'Query result',
    onState: () => undefined,
    onSelect: () => undefined,
  });
  const downloads = h(
    'div',
    { class: 'downloads' },
    h('span', { class: 'small muted' }, 'Download:'),
    FORMATS.map(([label, format, ext]) => {
      const url = `${serviceUrl('tap/sync')}?${tapParams(query, format, limit)}`;
      const button = h(
        'button',
        { type: 'button', class: 'btn small', 'data-format': format },
        label,
      );
      button.addEventListener('click', () => {
        download(url, `result.${ext}`).catch((error: unknown) =>
          output.append(errorBox(String(error))),
        );
      });
      return button;
    }),
  );
  output.replaceChildren(
    h(
      'section',
      { class: 'card' },
      h(
        'div',
        { class: 'results-head' },
        h(
          'h2',
          { id: 'result-count' },
          `${rows.length} row${rows.length === 1 ? '' : 's'}${overflow ? ` (limit ${limit} reached)` : ''}`,
        ),
        downloads,
      ),
      overflow
        ? h(
            'p',
            { class: 'note' },
            `The query has more rows than the limit of ${limit}: raise it, or run the query as an async job.`,
          )
        : '',
      rows.length > 0 ? table.element : h('p', { class: 'muted' }, 'The query returned no rows.'),
    ),
  );
}

// Async jobs: the job list of a signed-in user comes from the service; anonymous jobs are
// reachable only by their URL, so the page remembers the ones it made (this tab only).
function rememberedJobs(): string[] {
  return JSON.parse(sessionStorage.getItem(JOBS_KEY) ?? '[]') as string[];
}

async function submitJob(query: string, maxrec: number): Promise<void> {
  const url = await createJob('tap/async', tapParams(query, 'votable', maxrec));
  sessionStorage.setItem(JOBS_KEY, JSON.stringify([url, ...rememberedJobs()].slice(0, 20)));
}

interface JobView {
  url: string;
  id: string;
  phase: string;
  query: string;
  start: string | null;
  end: string | null;
  result: string | null;
}

const UWS = 'http://www.ivoa.net/xml/UWS/v1.0';
const XLINK = 'http://www.w3.org/1999/xlink';

async function readJob(url: string): Promise<JobView | undefined> {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) return undefined;
  const doc = new DOMParser().parseFromString(await response.text(), 'application/xml');
  const text = (name: string) =>
    doc.getElementsByTagNameNS(UWS, name)[0]?.textContent?.trim() || null;
  const query =
    [...doc.getElementsByTagNameNS(UWS, 'parameter')].find(
      (p) => p.getAttribute('id')?.toUpperCase() === 'QUERY',
    )?.textContent ?? '';
  const result =
    doc.getElementsByTagNameNS(UWS, 'result')[0]?.getAttributeNS(XLINK, 'href') ?? null;
  return {
    url,
    id: text('jobId') ?? url.split('/').pop() ?? '',
    phase: text('phase') ?? '?',
    query,
    start: text('startTime'),
    end: text('endTime'),
    result,
  };
}

async function listedJobs(): Promise<string[]> {
  if (!session.token()) return [];
  const response = await fetch(serviceUrl('tap/async'), { headers: authHeaders() });
  if (!response.ok) return [];
  const doc = new DOMParser().parseFromString(await response.text(), 'application/xml');
  return [...doc.getElementsByTagNameNS(UWS, 'jobref')].map(
    (j) => j.getAttributeNS(XLINK, 'href') ?? serviceUrl(`tap/async/${j.getAttribute('id')}`),
  );
}

let polling: number | undefined;
async function showJobs(panel: HTMLElement): Promise<void> {
  const box = panel.querySelector('.jobs')!;
  const urls = [...new Set([...rememberedJobs(), ...(await listedJobs())])];
  const jobs = (await Promise.all(urls.map(readJob))).filter((j): j is JobView => j !== undefined);
  if (jobs.length === 0) {
    box.replaceChildren(
      h(
        'p',
        { class: 'muted small' },
        'No job yet. "Run as async job" starts one; it keeps running if you leave the page.',
      ),
    );
    return;
  }
  const duration = (j: JobView) =>
    j.start && j.end
      ? `${((Date.parse(j.end) - Date.parse(j.start)) / 1000).toFixed(1)} s`
      : j.start
        ? 'running'
        : '–';
  box.replaceChildren(
    dataTable(
      ['Job', 'Phase', 'Query', 'Duration', ''],
      jobs.map((j) =>
        h(
          'tr',
          { 'data-job': j.id },
          h('td', {}, h('a', { href: j.url }, j.id)),
          h('td', {}, h('span', { class: `badge phase-${j.phase.toLowerCase()}` }, j.phase)),
          h(
            'td',
            { class: 'query-cell' },
            h('code', {}, j.query.length > 60 ? `${j.query.slice(0, 60)}…` : j.query),
          ),
          h('td', {}, duration(j)),
          h(
            'td',
            {},
            j.result
              ? h(
                  'button',
                  {
                    type: 'button',
                    class: 'btn small',
                    onclick: () => void download(j.result!, `${j.id}.vot`),
                  },
                  'Result',
                )
              : null,
            ' ',
            h(
              'button',
              {
                type: 'button',
                class: 'btn small',
                onclick: async () => {
                  await fetch(j.url, { method: 'DELETE', headers: authHeaders() });
                  sessionStorage.setItem(
                    JOBS_KEY,
                    JSON.stringify(rememberedJobs().filter((u) => u !== j.url)),
                  );
                  await showJobs(panel);
                },
              },
              'Delete',
            ),
          ),
        ),
      ),
    ),
  );
  if (polling !== undefined) clearTimeout(polling);
  if (jobs.some((j) => ['PENDING', 'QUEUED', 'EXECUTING'].includes(j.phase)) && panel.isConnected) {
    polling = window.setTimeout(() => void showJobs(panel), 1000);
  }
}
