/**
 * The sky view: an SVG map drawn here, with no survey images (none can be fetched offline).
 * A gnomonic view around a search cone, or an all-sky Hammer-Aitoff view in Galactic
 * coordinates; a coordinate grid, the search cone and the fields of view of the
 * observations as footprints. Clicking a footprint selects it; `select` does the same
 * from outside (the results table), so the selection is linked both ways.
 */
import { svg } from './dom.js';
import { galacticOf, icrsOfGalactic, offset, type SkyPosition } from './coords.js';

const RAD = Math.PI / 180;

export interface Footprint {
  readonly id: string;
  readonly ra: number;
  readonly dec: number;
  /** Radius of the field of view, degrees. */
  readonly radius: number;
  readonly label: string;
}

export interface SkyViewOptions {
  /** Gnomonic view around this cone; none: the whole sky (Galactic Hammer-Aitoff). */
  readonly cone?: SkyPosition & { readonly radius: number };
  readonly footprints: readonly Footprint[];
  readonly onSelect?: (id: string) => void;
  readonly label: string;
}

type Projection = (p: SkyPosition) => [number, number] | undefined;

const W = 600;

function gnomonic(center: SkyPosition, halfWidthDeg: number): Projection {
  const scale = W / 2 / Math.tan(Math.min(halfWidthDeg, 60) * RAD);
  const d0 = center.dec * RAD;
  return ({ ra, dec }) => {
    const da = (ra - center.ra) * RAD;
    const d = dec * RAD;
    const cosc = Math.sin(d0) * Math.sin(d) + Math.cos(d0) * Math.cos(d) * Math.cos(da);
    if (cosc <= 0.05) return undefined;
    const x = (Math.cos(d) * Math.sin(da)) / cosc;
    const y = (Math.cos(d0) * Math.sin(d) - Math.sin(d0) * Math.cos(d) * Math.cos(da)) / cosc;
    // East is left on the sky.
    return [W / 2 - x * scale, W / 2 - y * scale];
  };
}

const AITOFF_H = W / 2;
function hammerAitoffGalactic(p: SkyPosition): [number, number] {
  const { l, b } = galacticOf(p);
  const lon = (l > 180 ? l - 360 : l) * RAD;
  const lat = b * RAD;
  const z = Math.sqrt(1 + Math.cos(lat) * Math.cos(lon / 2));
  const x = (2 * Math.SQRT2 * Math.cos(lat) * Math.sin(lon / 2)) / z;
  const y = (Math.SQRT2 * Math.sin(lat)) / z;
  const s = W / (4 * Math.SQRT2);
  return [W / 2 - x * s * 0.98, AITOFF_H / 2 - y * s * 0.98];
}

function path(points: ([number, number] | undefined)[], close: boolean, maxJump = W / 3): string {
  let d = '';
  let previous: [number, number] | undefined;
  for (const p of points) {
    if (p === undefined) {
      previous = undefined;
      continue;
    }
    const jump = previous && Math.hypot(p[0] - previous[0], p[1] - previous[1]) > maxJump;
    d += `${previous && !jump ? 'L' : 'M'}${p[0].toFixed(1)},${p[1].toFixed(1)}`;
    previous = p;
  }
  return close && d ? `${d}Z` : d;
}

const circle = (project: Projection, c: SkyPosition, r: number) =>
  path(
    Array.from({ length: 73 }, (_, i) => project(offset(c, r, i * 5))),
    true,
  );

function niceStep(span: number): number {
  for (const step of [0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30]) if (span / step <= 8) return step;
  return 30;
}

export class SkyView {
  readonly element: SVGSVGElement;
  private readonly shapes = new Map<string, SVGElement>();
  private selected: string | undefined;

  constructor(private readonly options: SkyViewOptions) {
    const allSky = options.cone === undefined;
    const height = allSky ? AITOFF_H : W;
    this.element = svg('svg', {
      viewBox: `0 0 ${W} ${height}`,
      class: 'sky',
      role: 'img',
      'aria-label': options.label,
    }) as SVGSVGElement;
    const title = svg('title');
    title.textContent = options.label;
    this.element.append(title);
    const cone = options.cone;
    const project: Projection = cone
      ? gnomonic(cone, Math.max(cone.radius * 1.6, ...this.extent(cone)))
      : hammerAitoffGalactic;
    this.element.append(svg('rect', { x: 0, y: 0, width: W, height, class: 'sky-bg' }));
    if (allSky) {
      const outline = Array.from({ length: 181 }, (_, i) => icrsOfGalactic(180.0001, 90 - i));
      const back = Array.from({ length: 181 }, (_, i) => icrsOfGalactic(179.9999, -90 + i));
      this.element.append(
        svg('path', { d: path([...outline, ...back].map(project), true, W), class: 'sky-disc' }),
      );
      this.grid(project, 'galactic', 30, 30);
    } else {
      this.grid(project, 'icrs', 0, 0);
    }
    const group = svg('g', { class: 'footprints' });
    for (const fp of options.footprints) {
      const shape = svg('path', {
        d: circle(project, fp, fp.radius),
        class: 'footprint',
        tabindex: 0,
        role: 'button',
        'data-id': fp.id,
        'aria-label': fp.label,
      });
      const tip = svg('title');
      tip.textContent = fp.label;
      shape.append(tip);
      const choose = () => {
        this.select(fp.id);
        options.onSelect?.(fp.id);
      };
      shape.addEventListener('click', choose);
      shape.addEventListener('keydown', (event) => {
        const key = (event as KeyboardEvent).key;
        if (key === 'Enter' || key === ' ') {
          event.preventDefault();
          choose();
        }
      });
      this.shapes.set(fp.id, shape);
      group.append(shape);
    }
    this.element.append(group);
    if (cone) {
      this.element.append(svg('path', { d: circle(project, cone, cone.radius), class: 'cone' }));
      const c = project(cone);
      if (c)
        this.element.append(
          svg('path', {
            d: `M${c[0] - 6},${c[1]}h12M${c[0]},${c[1] - 6}v12`,
            class: 'cone-center',
          }),
        );
    }
  }

  /** Half-widths needed to show every footprint (degrees from the centre). */
  private extent(center: SkyPosition): number[] {
    return this.options.footprints.map((fp) => {
      const dx = Math.abs(((fp.ra - center.ra + 540) % 360) - 180) * Math.cos(center.dec * RAD);
      return Math.min(40, Math.max(dx, Math.abs(fp.dec - center.dec)) + fp.radius) * 1.05;
    });
  }

  private grid(project: Projection, frame: 'icrs' | 'galactic', lonStep: number, latStep: number) {
    const group = svg('g', { class: 'grid' });
    const labels = svg('g', { class: 'grid-label' });
    const toIcrs = (lon: number, lat: number): SkyPosition =>
      frame === 'galactic' ? icrsOfGalactic(lon, lat) : { ra: lon, dec: lat };
    let lonFrom = 0;
    let lonTo = 360;
    let latFrom = -90;
    let latTo = 90;
    if (frame === 'icrs' && this.options.cone) {
      const c = this.options.cone;
      const half = Math.max(c.radius * 1.6, ...this.extent(c)) * 1.5;
      latStep = niceStep(2 * half);
      const raHalf = Math.min(
        180,
        half / Math.max(0.05, Math.cos(Math.min(89, Math.abs(c.dec) + half) * RAD)),
      );
      lonStep = niceStep(2 * raHalf);
      latFrom = Math.max(-90, Math.floor((c.dec - half) / latStep) * latStep);
      latTo = Math.min(90, Math.ceil((c.dec + half) / latStep) * latStep);
      lonFrom = Math.floor((c.ra - raHalf) / lonStep) * lonStep;
      lonTo = Math.ceil((c.ra + raHalf) / lonStep) * lonStep;
    }
    const fine = (a: number, b: number) =>
      Array.from({ length: 121 }, (_, i) => a + ((b - a) * i) / 120);
    for (let lon = lonFrom; lon <= lonTo + 1e-9; lon += lonStep) {
      const d = path(
        fine(latFrom, latTo).map((lat) => project(toIcrs(lon, lat))),
        false,
      );
      group.append(svg('path', { d }));
    }
    for (let lat = latFrom; lat <= latTo + 1e-9; lat += latStep) {
      if (Math.abs(lat) === 90) continue;
      const d = path(
        fine(lonFrom, lonTo).map((lon) => project(toIcrs(lon, lat))),
        false,
      );
      group.append(svg('path', { d }));
      if (frame === 'icrs') {
        const p = project(toIcrs(this.options.cone!.ra, lat));
        if (p && p[1] > 12 && p[1] < W - 4) labels.append(text(`${fmtAngle(lat)}°`, 4, p[1] - 3));
      } else if (lat !== 0) {
        const p = project(toIcrs(0, lat));
        if (p) labels.append(text(`b ${lat}°`, p[0] + 3, p[1] - 3));
      }
    }
    if (frame === 'icrs') {
      for (let lon = lonFrom; lon <= lonTo + 1e-9; lon += lonStep) {
        const p = project(toIcrs(lon, this.options.cone!.dec));
        if (p && p[0] > 20 && p[0] < W - 20)
          labels.append(text(`${fmtAngle(((lon % 360) + 360) % 360)}°`, p[0] + 3, W - 6));
      }
    } else {
      for (const l of [0, 60, 120, 240, 300]) {
        const p = project(toIcrs(l, 0));
        if (p) labels.append(text(`l ${l}°`, p[0] + 3, p[1] - 3));
      }
    }
    this.element.append(group, labels);
  }

  /** Highlights a footprint (undefined: none). */
  select(id: string | undefined): void {
    if (this.selected !== undefined) this.shapes.get(this.selected)?.classList.remove('selected');
    this.selected = id;
    const shape = id === undefined ? undefined : this.shapes.get(id);
    if (shape) {
      shape.classList.add('selected');
      shape.parentNode?.appendChild(shape); // on top
    }
  }
}

function fmtAngle(value: number): string {
  return Number.isInteger(value) ? String(value) : value.toFixed(1);
}

function text(content: string, x: number, y: number): SVGElement {
  const t = svg('text', { x, y });
  t.textContent = content;
  return t;
}
