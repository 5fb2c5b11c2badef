/** The preview module: quick-look counts maps (PNG and FITS), energy distributions and light curves of an event list. */
export {
  PREVIEW_PRODUCTS,
  previewProduct,
  writePreviews,
  type PreviewManifest,
  type PreviewName,
  type PreviewProduct,
} from './build.js';
export { PreviewError, readEventListInfo, type EventListInfo } from './events.js';
export { inferno } from './colormap.js';
export { encodePng, pngSize, PNG_SIGNATURE, type RgbImage } from './png.js';
export { pixelToWorld, worldToPixel, type TanGrid } from './wcs.js';
export { drawTitles, PlotFrame, type Rect } from './frame.js';
export { PLOT_AREA, PLOT_HEIGHT, PLOT_WIDTH } from './plots.js';
export { Raster, type Rgb } from './raster.js';
