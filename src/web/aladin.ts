/**
 * The sky view with Aladin Lite (CDS, npm aladin-lite, bundled: loaded on demand, never
 * from another host): hearc's own counts HiPS as the survey, the coverage MOC, a
 * coordinate grid, the search cone and the fields of view as footprints, with the
 * selection linked both ways. Aladin Lite asks CDS for HiPS lists, default surveys and
 * usage logs unless told otherwise: every survey here is an absolute URL on this server
 * (a relative one is looked up in the CDS MocServer), the HiPS list is empty, logging
 * and SAMP are off. Without WebGL 2 (or if Aladin cannot start) the SVG view stands in.
 */
import { h } from './dom.js';
import { type Footprint, SkyView, type SkyViewOptions } from './sky.js';

/** A MOC drawn over the survey (coverage, an alert's credible region). */
export interface MocLayer {
  /** The MOC (FITS), relative to the page. */
  readonly url: string;
  readonly name: string;
  readonly color: string;
  readonly opacity: number;
}

export interface AladinViewOptions extends SkyViewOptions {
  /** The HiPS to show, relative to the page (e.g. 'hips/service'). */
  readonly hips: string;
  /** A coverage MOC (FITS) to draw, relative to the page. */
  readonly moc?: string;
  /** More MOCs, drawn in this order over the coverage. */
  readonly mocs?: readonly MocLayer[];
  /** Where to look (default: around the cone, or the whole sky). */
  readonly view?: { readonly ra: number; readonly dec: number; readonly fov: number };
}

/** What the pages need of a sky view, whichever draws it. */
export interface SkyDisplay {
  readonly element: HTMLElement | SVGSVGElement;
  select(id: string | undefined): void;
}

// The parts of Aladin Lite's API used here (it ships no types).
interface Shape {
  hearcId?: string;
  select(): void;
  deselect(): void;
  isSelected?: boolean;
}
interface Overlay {
  add(shape: Shape): void;
  addFootprints?(shapes: Shape[]): void;
}
interface AladinInstance {
  addOverlay(overlay: Overlay): void;
  addMOC(moc: unknown): void;
  on(event: string, callback: (object: unknown) => void): void;
  gotoRaDec(ra: number, dec: number): void;
  world2pix(ra: number, dec: number): [number, number] | undefined;
  view: { requestRedraw(): void };
}
interface AladinModule {
  init: Promise<void>;
  aladin(element: HTMLElement, options: Record<string, unknown>): AladinInstance;
  graphicOverlay(options: Record<string, unknown>): Overlay;
  circle(ra: number, dec: number, radius: number, options?: Record<string, unknown>): Shape;
  MOCFromURL(url: string, options: Record<string, unknown>): unknown;
}

const FOOTPRINT = '#5ad1ff';
const SELECTED = '#ffd166';

function hasWebGl2(): boolean {
  try {
    return document.createElement('canvas').getContext('webgl2') !== null;
  } catch {
    return false;
  }
}

const absolute = (relative: string): string => new URL(relative, document.baseURI).href;

/** The view in which the footprints, or the cone, fit. */
function initialView(options: AladinViewOptions): { ra: number; dec: number; fov: number } {
  if (options.view) return options.view;
  const cone = options.cone;
  if (cone) {
    const reach = options.footprints.map((fp: Footprint) => {
      const dx =
        Math.abs(((fp.ra - cone.ra + 540) % 360) - 180) * Math.cos((cone.dec * Math.PI) / 180);
      return Math.max(dx, Math.abs(fp.dec - cone.dec)) + fp.radius;
    });
    return {
      ra: cone.ra,
      dec: cone.dec,
      fov: Math.min(120, 2.4 * Math.max(cone.radius, ...reach)),
    };
  }
  return { ra: 266.4, dec: -28.9, fov: 360 };
}

/**
 * A sky view: Aladin Lite when the browser can run it, else the SVG drawing. The
 * element is there at once; Aladin starts behind it (`data-ready` says when).
 */
export function createSkyView(options: AladinViewOptions): SkyDisplay {
  const holder = h('div', {
    class: options.cone || options.view ? 'aladin-sky' : 'aladin-sky all-sky',
    role: 'application',
    'aria-label': options.label,
  });
  let selected: string | undefined;
  let show: ((id: string | undefined) => void) | undefined;
  const fallBack = (reason: string): void => {
    const svgView = new SkyView(options);
    svgView.select(selected);
    show = (id) => svgView.select(id);
    holder.className = 'sky-fallback';
    holder.dataset.fallback = reason;
    holder.replaceChildren(svgView.element);
  };
  if (!hasWebGl2()) fallBack('no WebGL 2');
  else {
    void startAladin(holder, options, {
      selected: () => selected,
      onReady: (select) => (show = select),
      onSelect: (id) => {
        selected = id;
        holder.dataset.selected = id ?? '';
        options.onSelect?.(id!);
      },
    }).catch((error: unknown) =>
      fallBack(
        `Aladin Lite did not start: ${error instanceof Error ? error.message : String(error)}`,
      ),
    );
  }
  return {
    element: holder,
    select(id) {
      selected = id;
      holder.dataset.selected = id ?? '';
      show?.(id);
    },
  };
}

async function startAladin(
  holder: HTMLElement,
  options: AladinViewOptions,
  link: {
    selected: () => string | undefined;
    onReady: (select: (id: string | undefined) => void) => void;
    onSelect: (id: string | undefined) => void;
  },
): Promise<void> {
  const A = (await import('aladin-lite')).default as unknown as AladinModule;
  await A.init;
  const view = initialView(options);
  const wide = view.fov >= 150;
  const aladin = A.aladin(holder, {
    survey: absolute(options.hips),
    hipsList: [],
    log: false,
    samp: false,
    target: `${view.ra} ${view.dec}`,
    fov: view.fov,
    projection: wide ? 'AIT' : 'SIN',
    cooFrame: options.cone || options.view ? 'ICRS' : 'galactic',
    showCooGrid: true,
    gridOptions: { color: 'rgb(120, 140, 200)', opacity: 0.5, showLabels: true, labelSize: 12 },
    backgroundColor: 'rgb(12, 19, 48)',
    showReticle: false,
    showLayersControl: false,
    showProjectionControl: false,
    showFullscreenControl: false,
    showCooGridControl: false,
    showSettingsControl: false,
    showShareControl: false,
    showSimbadPointerControl: false,
    showContextMenu: false,
    showStatusBar: false,
    showFrame: false,
    showZoomControl: true,
    showCooLocation: true,
    showFov: true,
  });
  const mocs: MocLayer[] = [
    ...(options.moc
      ? [{ url: options.moc, name: 'Coverage', color: '#9fb4ff', opacity: 0.12 }]
      : []),
    ...(options.mocs ?? []),
  ];
  for (const moc of mocs) {
    aladin.addMOC(
      A.MOCFromURL(absolute(moc.url), {
        color: moc.color,
        opacity: moc.opacity,
        lineWidth: 1.5,
        perimeter: true,
        fill: true,
        name: moc.name,
      }),
    );
  }
  if (options.cone) {
    const cones = A.graphicOverlay({
      color: '#e6ecff',
      lineWidth: 1.5,
      lineDash: [6, 5],
      name: 'Search cone',
    });
    aladin.addOverlay(cones);
    cones.add(A.circle(options.cone.ra, options.cone.dec, options.cone.radius));
  }
  const overlay = A.graphicOverlay({ color: FOOTPRINT, lineWidth: 2, name: 'Fields of view' });
  aladin.addOverlay(overlay);
  const shapes = new Map<string, Shape>();
  for (const fp of options.footprints) {
    const shape = A.circle(fp.ra, fp.dec, fp.radius, {
      color: FOOTPRINT,
      selectionColor: SELECTED,
      hoverColor: '#ffffff',
    });
    shape.hearcId = fp.id;
    shapes.set(fp.id, shape);
    overlay.add(shape);
  }
  const show = (id: string | undefined): void => {
    for (const [key, shape] of shapes) {
      if (key === id) shape.select();
      else shape.deselect();
    }
    aladin.view.requestRedraw();
  };
  aladin.on('objectClicked', (object) => {
    const id = (object as Shape | null)?.hearcId;
    if (id !== undefined) link.onSelect(id);
  });
  show(link.selected());
  link.onReady(show);
  // For tests and people's scripts: where to click a footprint (its edge), what is selected.
  const byId = new Map(options.footprints.map((fp) => [fp.id, fp]));
  Object.assign(holder, {
    hearcSky: {
      edgeOf: (id: string) => {
        const fp = byId.get(id);
        return fp && aladin.world2pix(fp.ra, Math.min(90, fp.dec + fp.radius));
      },
      selected: () => [...shapes].filter(([, s]) => s.isSelected === true).map(([id]) => id),
    },
  });
  holder.dataset.footprints = String(shapes.size);
  holder.dataset.ready = 'true';
}
