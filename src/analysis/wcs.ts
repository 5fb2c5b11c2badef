/**
 * The sky grid of a map dataset, as gammapy's WcsGeom.create makes it and wcslib
 * (astropy.wcs) computes it: CAR or TAN, the reference pixel in the middle, CDELT1
 * negative, LONPOLE/LATPOLE from wcslib's defaults (so that a CAR grid away from the
 * equator is the oblique one gammapy's files describe). FITS WCS Paper II, §2 and §5.
 */
import { DEG, type Frame, icrsTo, positionAngle, separation, toIcrs } from './sky.js';

export type Projection = 'CAR' | 'TAN';

export interface SkyGridSpec {
  /** Centre in the grid's frame, deg. */
  readonly lon: number;
  readonly lat: number;
  readonly width: readonly [number, number];
  readonly binsz: number;
  readonly proj: Projection;
  readonly frame: Frame;
}

/** numpy's rint: halves go to the even neighbour. */
function rint(x: number): number {
  const r = Math.round(x);
  return Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const atan2d = (y: number, x: number): number => Math.atan2(y, x) / DEG;

export class SkyGrid {
  readonly nx: number;
  readonly ny: number;
  readonly crpix1: number;
  readonly crpix2: number;
  /** Celestial coordinates of the native pole and the native longitude of the celestial pole. */
  readonly lonPole: number;
  readonly latPole: number;
  private readonly alphaP: number;
  private readonly deltaP: number;
  private readonly phiP: number;
  private readonly theta0: number;

  constructor(readonly spec: SkyGridSpec) {
    this.nx = rint(spec.width[0] / spec.binsz);
    this.ny = rint(spec.width[1] / spec.binsz);
    this.crpix1 = (this.nx + 1) / 2;
    this.crpix2 = (this.ny + 1) / 2;
    const { lon: lng0, lat: lat0 } = spec;
    this.theta0 = spec.proj === 'TAN' ? 90 : 0;
    const phi0 = 0;
    const phip = lat0 >= this.theta0 ? 0 : 180;
    this.phiP = phip;
    this.lonPole = phip;
    if (this.theta0 === 90) {
      this.alphaP = lng0;
      this.deltaP = lat0;
    } else {
      // wcslib celset: the two solutions for the native pole's latitude, the one nearer LATPOLE=90.
      const slat0 = Math.sin(lat0 * DEG);
      const clat0 = Math.cos(lat0 * DEG);
      const sthe0 = Math.sin(this.theta0 * DEG);
      const cthe0 = Math.cos(this.theta0 * DEG);
      let u: number;
      let v: number;
      let sphip = 0;
      if (phip === phi0) {
        u = this.theta0;
        v = 90 - lat0;
      } else {
        sphip = Math.sin((phip - phi0) * DEG);
        const x = cthe0 * Math.cos((phip - phi0) * DEG);
        const y = sthe0;
        const z = Math.hypot(x, y);
        u = atan2d(y, x);
        v = Math.acos(Math.max(-1, Math.min(1, slat0 / z))) / DEG;
      }
      let latp: number;
      if (Math.abs(v) < 1e-10) latp = u;
      else {
        let latp1 = u + v;
        if (latp1 > 180) latp1 -= 360;
        else if (latp1 < -180) latp1 += 360;
        let latp2 = u - v;
        if (latp2 > 180) latp2 -= 360;
        else if (latp2 < -180) latp2 += 360;
        const ok1 = Math.abs(latp1) <= 90 + 1e-10;
        const ok2 = Math.abs(latp2) <= 90 + 1e-10;
        latp =
          ok1 && ok2
            ? Math.abs(latp1 - 90) < Math.abs(latp2 - 90)
              ? latp1
              : latp2
            : ok1
              ? latp1
              : latp2;
        latp = Math.max(-90, Math.min(90, latp));
      }
      const z = Math.cos(latp * DEG) * clat0;
      let lngp: number;
      if (Math.abs(z) < 1e-10) {
        if (Math.abs(clat0) < 1e-10) lngp = lng0;
        else if (latp > 0) lngp = lng0 + phip - phi0 - 180;
        else lngp = lng0 - phip + phi0;
      } else {
        const x = (sthe0 - Math.sin(latp * DEG) * slat0) / z;
        const y = (sphip * cthe0) / clat0;
        lngp = lng0 - atan2d(y, x);
      }
      this.alphaP = lngp;
      this.deltaP = latp;
    }
    this.latPole = this.deltaP;
  }

  get pixelCount(): number {
    return this.nx * this.ny;
  }

  /** Frame coordinates (deg) of a pixel position (0-based, centres at integers). */
  pixToWorld(px: number, py: number): [number, number] {
    const x = -this.spec.binsz * (px + 1 - this.crpix1);
    const y = this.spec.binsz * (py + 1 - this.crpix2);
    let phi: number;
    let theta: number;
    if (this.spec.proj === 'CAR') {
      phi = x;
      theta = y;
    } else {
      const r = Math.hypot(x, y);
      phi = r === 0 ? 0 : atan2d(x, -y);
      theta = atan2d(180 / Math.PI, r);
    }
    const st = Math.sin(theta * DEG);
    const ct = Math.cos(theta * DEG);
    const dphi = (phi - this.phiP) * DEG;
    const sdp = Math.sin(this.deltaP * DEG);
    const cdp = Math.cos(this.deltaP * DEG);
    const lon = this.alphaP + atan2d(-ct * Math.sin(dphi), st * cdp - ct * sdp * Math.cos(dphi));
    const lat = Math.asin(Math.max(-1, Math.min(1, st * sdp + ct * cdp * Math.cos(dphi)))) / DEG;
    return [((lon % 360) + 360) % 360, lat];
  }

  /** Pixel position (0-based) of frame coordinates (deg); NaN where the projection has none. */
  worldToPix(lon: number, lat: number): [number, number] {
    const sd = Math.sin(lat * DEG);
    const cd = Math.cos(lat * DEG);
    const da = (lon - this.alphaP) * DEG;
    const sdp = Math.sin(this.deltaP * DEG);
    const cdp = Math.cos(this.deltaP * DEG);
    let phi = this.phiP + atan2d(-cd * Math.sin(da), sd * cdp - cd * sdp * Math.cos(da));
    phi = phi % 360;
    if (phi < -180) phi += 360;
    else if (phi > 180) phi -= 360;
    const theta = Math.asin(Math.max(-1, Math.min(1, sd * sdp + cd * cdp * Math.cos(da)))) / DEG;
    let x: number;
    let y: number;
    if (this.spec.proj === 'CAR') {
      x = phi;
      y = theta;
    } else {
      if (!(theta > 0)) return [NaN, NaN];
      const r = 180 / Math.PI / Math.tan(theta * DEG);
      x = r * Math.sin(phi * DEG);
      y = -r * Math.cos(phi * DEG);
    }
    return [this.crpix1 - 1 - x / this.spec.binsz, this.crpix2 - 1 + y / this.spec.binsz];
  }

  /** The pixel (index ix + nx·iy) an ICRS direction falls in, or -1 outside the grid. */
  pixelOfIcrs(ra: number, dec: number): number {
    const [lon, lat] = icrsTo(this.spec.frame, ra, dec);
    const [px, py] = this.worldToPix(lon, lat);
    const ix = Math.floor(px + 0.5);
    const iy = Math.floor(py + 0.5);
    if (!(ix >= 0 && ix < this.nx && iy >= 0 && iy < this.ny)) return -1;
    return ix + this.nx * iy;
  }

  /** ICRS coordinates of every pixel centre: [ra0, dec0, ra1, dec1, ...] in pixel order. */
  icrsCentres(): Float64Array {
    const out = new Float64Array(2 * this.pixelCount);
    for (let iy = 0; iy < this.ny; iy++) {
      for (let ix = 0; ix < this.nx; ix++) {
        const [lon, lat] = this.pixToWorld(ix, iy);
        const [ra, dec] = toIcrs(this.spec.frame, lon, lat);
        const k = 2 * (ix + this.nx * iy);
        out[k] = ra;
        out[k + 1] = dec;
      }
    }
    return out;
  }

  /** Solid angle of each pixel (sr), as gammapy's WcsGeom.solid_angle: two planar triangles on the corners. */
  solidAngles(): Float64Array {
    const { nx, ny } = this;
    const corners = new Float64Array(2 * (nx + 1) * (ny + 1));
    for (let j = 0; j <= ny; j++) {
      for (let i = 0; i <= nx; i++) {
        const [lon, lat] = this.pixToWorld(i - 0.5, j - 0.5);
        const k = 2 * (i + (nx + 1) * j);
        corners[k] = lon;
        corners[k + 1] = lat;
      }
    }
    const at = (i: number, j: number): [number, number] => {
      const k = 2 * (i + (nx + 1) * j);
      return [corners[k]!, corners[k + 1]!];
    };
    const out = new Float64Array(nx * ny);
    for (let j = 0; j < ny; j++) {
      for (let i = 0; i < nx; i++) {
        // gammapy's names: the first index of its coordinate arrays is latitude (rows).
        const lowLeft = at(i, j);
        const lowRight = at(i, j + 1);
        const upLeft = at(i + 1, j);
        const upRight = at(i + 1, j + 1);
        const low = separation(...lowLeft, ...lowRight) * DEG;
        const left = separation(...lowLeft, ...upLeft) * DEG;
        const up = separation(...upLeft, ...upRight) * DEG;
        const right = separation(...lowRight, ...upRight) * DEG;
        const angleLowRight =
          positionAngle(...lowRight, ...upRight) - positionAngle(...lowRight, ...lowLeft);
        const angleUpLeft =
          positionAngle(...upLeft, ...upRight) - positionAngle(...lowLeft, ...upLeft);
        const area =
          0.5 * low * right * Math.sin(angleLowRight) + 0.5 * up * left * Math.sin(angleUpLeft);
        out[i + nx * j] = Math.abs(area);
      }
    }
    return out;
  }

  /** WCS cards of the grid (as astropy writes them for gammapy). */
  wcsCards(): { keyword: string; value: string | number; comment?: string }[] {
    const { proj, frame, lon, lat, binsz } = this.spec;
    const [c1, c2] = frame === 'icrs' ? ['RA--', 'DEC-'] : ['GLON', 'GLAT'];
    const cards: { keyword: string; value: string | number; comment?: string }[] = [
      { keyword: 'WCSAXES', value: 2, comment: 'Number of coordinate axes' },
      { keyword: 'CRPIX1', value: this.crpix1, comment: 'Pixel coordinate of reference point' },
      { keyword: 'CRPIX2', value: this.crpix2, comment: 'Pixel coordinate of reference point' },
      {
        keyword: 'CDELT1',
        value: -binsz,
        comment: '[deg] Coordinate increment at reference point',
      },
      { keyword: 'CDELT2', value: binsz, comment: '[deg] Coordinate increment at reference point' },
      { keyword: 'CUNIT1', value: 'deg' },
      { keyword: 'CUNIT2', value: 'deg' },
      { keyword: 'CTYPE1', value: `${c1}-${proj}` },
      { keyword: 'CTYPE2', value: `${c2}-${proj}` },
      { keyword: 'CRVAL1', value: lon, comment: '[deg] Coordinate value at reference point' },
      { keyword: 'CRVAL2', value: lat, comment: '[deg] Coordinate value at reference point' },
      {
        keyword: 'LONPOLE',
        value: this.lonPole,
        comment: '[deg] Native longitude of celestial pole',
      },
      {
        keyword: 'LATPOLE',
        value: this.latPole,
        comment: '[deg] Native latitude of celestial pole',
      },
    ];
    if (frame === 'icrs') cards.push({ keyword: 'RADESYS', value: 'ICRS' });
    return cards;
  }
}
