/** A sortable, paged results table; rows selectable, the selection reported and settable. */
import { h } from './dom.js';

export interface TableColumn<R> {
  readonly key: string;
  readonly label: string;
  readonly numeric?: boolean;
  readonly value: (row: R) => string | number | null;
  readonly cell?: (row: R) => Node | string;
}

export interface TableState {
  sort: string;
  descending: boolean;
  page: number;
}

export interface ResultsTableOptions<R> {
  readonly columns: readonly TableColumn<R>[];
  readonly rows: readonly R[];
  readonly id: (row: R) => string;
  readonly pageSize: number;
  readonly state: TableState;
  readonly caption: string;
  /** The sort or page changed (to keep it in the URL). */
  readonly onState: (state: TableState) => void;
  readonly onSelect: (id: string) => void;
}

/** Keeps a table's sort and page in the URL (sort, order=desc, page), without a new history entry. */
export function keepTableState(next: TableState): void {
  const url = new URL(location.href);
  url.searchParams.set('sort', next.sort);
  if (next.descending) url.searchParams.set('order', 'desc');
  else url.searchParams.delete('order');
  if (next.page > 1) url.searchParams.set('page', String(next.page));
  else url.searchParams.delete('page');
  history.replaceState(null, '', url);
}

export class ResultsTable<R> {
  readonly element: HTMLElement;
  private selected: string | undefined;

  constructor(private readonly options: ResultsTableOptions<R>) {
    this.element = h('div', { class: 'results-table' });
    this.draw();
  }

  private sorted(): R[] {
    const { columns, rows, state } = this.options;
    const column = columns.find((c) => c.key === state.sort);
    if (!column) return [...rows];
    const sign = state.descending ? -1 : 1;
    return [...rows].sort((a, b) => {
      const x = column.value(a);
      const y = column.value(b);
      if (x === y) return 0;
      if (x === null) return 1;
      if (y === null) return -1;
      return (x < y ? -1 : 1) * sign;
    });
  }

  private draw(): void {
    const { columns, pageSize, state } = this.options;
    const rows = this.sorted();
    const pages = Math.max(1, Math.ceil(rows.length / pageSize));
    state.page = Math.min(Math.max(1, state.page), pages);
    const shown = rows.slice((state.page - 1) * pageSize, state.page * pageSize);
    const head = h(
      'tr',
      {},
      columns.map((c) => {
        const sort =
          c.key === state.sort ? (state.descending ? 'descending' : 'ascending') : 'none';
        return h(
          'th',
          { scope: 'col', class: c.numeric ? 'num' : undefined, 'aria-sort': sort },
          h(
            'button',
            {
              type: 'button',
              class: 'sort',
              onclick: () => {
                if (state.sort === c.key) state.descending = !state.descending;
                else Object.assign(state, { sort: c.key, descending: false });
                state.page = 1;
                this.changed();
              },
            },
            c.label,
          ),
        );
      }),
    );
    const body = h(
      'tbody',
      {},
      shown.map((row) => {
        const id = this.options.id(row);
        const tr = h(
          'tr',
          { 'data-id': id, class: id === this.selected ? 'selected' : undefined },
          columns.map((c) =>
            h(
              'td',
              { class: c.numeric ? 'num' : undefined },
              c.cell ? c.cell(row) : String(c.value(row) ?? '–'),
            ),
          ),
        );
        tr.addEventListener('click', (event) => {
          if ((event.target as Element).closest('a')) return;
          this.select(id);
          this.options.onSelect(id);
        });
        return tr;
      }),
    );
    const pager =
      pages > 1
        ? h(
            'nav',
            { class: 'pager', 'aria-label': 'Result pages' },
            h(
              'button',
              {
                type: 'button',
                class: 'btn small',
                disabled: state.page <= 1,
                onclick: () => this.goTo(state.page - 1),
              },
              '← Previous',
            ),
            h('span', {}, `Page ${state.page} of ${pages}`),
            h(
              'button',
              {
                type: 'button',
                class: 'btn small',
                disabled: state.page >= pages,
                onclick: () => this.goTo(state.page + 1),
              },
              'Next →',
            ),
          )
        : null;
    this.element.replaceChildren(
      h(
        'div',
        { class: 'table-wrap' },
        h(
          'table',
          { class: 'data' },
          h('caption', { class: 'visually-hidden' }, this.options.caption),
          h('thead', {}, head),
          body,
        ),
      ),
      pager ?? '',
    );
  }

  private goTo(page: number): void {
    this.options.state.page = page;
    this.changed();
  }

  private changed(): void {
    this.draw();
    this.options.onState({ ...this.options.state });
  }

  /** Selects a row (from the map): shows its page and highlights it. */
  select(id: string | undefined): void {
    this.selected = id;
    if (id !== undefined) {
      const index = this.sorted().findIndex((r) => this.options.id(r) === id);
      const page = Math.floor(index / this.options.pageSize) + 1;
      if (index >= 0 && page !== this.options.state.page) {
        this.options.state.page = page;
        this.draw();
        this.options.onState({ ...this.options.state });
      }
    }
    for (const tr of this.element.querySelectorAll('tbody tr')) {
      tr.classList.toggle('selected', tr.getAttribute('data-id') === id);
    }
    this.element.querySelector('tr.selected')?.scrollIntoView({ block: 'nearest' });
  }
}
