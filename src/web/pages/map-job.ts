/**
 * "Make a map dataset of this selection": a small form under the search results that
 * starts an async job at /analysis/async with the search as its QUERY (the rows'
 * obs_publisher_did are the runs, read with the user's rights), follows its phase and
 * progress, and offers the gammapy MapDataset FITS file and the counts preview when done.
 */
import { authHeaders, createJob, download, imageUrl } from '../api.js';
import { errorBox, h } from '../dom.js';

const UWS = 'http://www.ivoa.net/xml/UWS/v1.0';
const POLL_MS = 1000;

interface JobState {
  readonly phase: string;
  readonly message?: string;
  /** The status line the job reports while it runs ("2 of 4 runs reduced"). */
  readonly status?: string;
}

async function jobState(url: string): Promise<JobState> {
  const response = await fetch(url, { headers: authHeaders() });
  if (!response.ok) throw new Error(`the job cannot be read: HTTP ${response.status}`);
  const doc = new DOMParser().parseFromString(await response.text(), 'application/xml');
  const text = (ns: string, name: string) =>
    doc.getElementsByTagNameNS(ns, name)[0]?.textContent?.trim() || undefined;
  const message = text(UWS, 'message');
  const status = doc.getElementsByTagName('status')[0]?.textContent?.trim() || undefined;
  return {
    phase: text(UWS, 'phase') ?? '?',
    ...(message ? { message } : {}),
    ...(status ? { status } : {}),
  };
}

/** The form and the job's progress; `query` selects obs_publisher_did, `center` is 'ra dec'. */
export function mapDatasetPanel(query: string, center: string, runs: number): HTMLElement {
  const input = (name: string, label: string, value: string, hint: string) =>
    h(
      'label',
      { class: 'field' },
      h('span', {}, label),
      h('input', { name, value, required: true, title: hint }),
    );
  const status = h('div', { class: 'map-job-status', role: 'status', 'aria-live': 'polite' });
  const button = h('button', { type: 'submit', class: 'btn' }, 'Make a map dataset');
  const form = h(
    'form',
    { class: 'cutout map-job', 'aria-label': 'Map dataset of this selection' },
    h(
      'p',
      { class: 'small' },
      `Reduce the ${runs} observation${runs === 1 ? '' : 's'} found into one stacked map dataset (gammapy MapDataset) on the server.`,
    ),
    input('CENTER', 'Centre (ra dec, deg)', center, 'ICRS, degrees'),
    input('WIDTH', 'Width (deg)', '4', 'Width of the map, degrees'),
    input('BINSZ', 'Pixel (deg)', '0.02', 'Pixel size, degrees'),
    input('ENERGY', 'Energy (TeV): min max bins', '1 10 5', 'Reconstructed energy, log bins'),
    button,
    status,
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    const body = new URLSearchParams();
    for (const [name, value] of new FormData(form)) body.set(name, String(value));
    body.set('QUERY', query);
    try {
      status.replaceChildren(h('p', { class: 'muted' }, 'Starting the job…'));
      const url = await createJob('analysis/async', body);
      await follow(url, status);
    } catch (error) {
      status.replaceChildren(errorBox(error instanceof Error ? error.message : String(error)));
    } finally {
      button.disabled = false;
    }
  });
  return h(
    'details',
    { class: 'map-job-panel' },
    h('summary', {}, 'Make a map dataset of this selection'),
    form,
  );
}

/** Polls the job until it ends, then shows its results or its error. */
async function follow(url: string, status: HTMLElement): Promise<void> {
  for (;;) {
    const state = await jobState(url);
    if (state.phase === 'COMPLETED') break;
    if (state.phase === 'ERROR' || state.phase === 'ABORTED') {
      throw new Error(`The job ended in ${state.phase}: ${state.message ?? 'no message'}`);
    }
    status.replaceChildren(
      h(
        'p',
        { class: 'muted' },
        `Job ${state.phase.toLowerCase()}${state.status ? `: ${state.status}` : '…'}`,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
  }
  const fits = `${url}/results/mapdataset`;
  const preview = h('img', { alt: 'Counts of the map dataset', class: 'map-job-preview' });
  status.replaceChildren(
    h(
      'p',
      {},
      'Map dataset ready. ',
      h('a', { href: url }, 'The job'),
      ' keeps it until it is destroyed.',
    ),
    h(
      'button',
      {
        type: 'button',
        class: 'btn primary',
        onclick: () => void download(fits, 'mapdataset.fits'),
      },
      'Download mapdataset.fits',
    ),
    preview,
  );
  preview.src = await imageUrl(`${url}/results/preview`);
}
