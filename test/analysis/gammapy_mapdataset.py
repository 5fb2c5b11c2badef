"""gammapy 1.0's stacked map dataset for a geometry (MapDatasetMaker with its default
selection: counts, exposure, background, psf, edisp; SafeMaskMaker offset-max; stacked
into an empty MapDataset), timed; compared with hearc's file when given, and, with
"fit", a point source with a power law fitted on both datasets.
Argument: one JSON object (store, obs, energy, energy_true, center, binsz, width, frame,
proj, offset_max, hearc?, fit?). Prints one JSON object."""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from gammapy.data import DataStore
from gammapy.datasets import MapDataset
from gammapy.makers import MapDatasetMaker, SafeMaskMaker
from gammapy.maps import MapAxis, WcsGeom

a = json.loads(sys.argv[1])
start = time.perf_counter()
store = DataStore.from_dir(a["store"])
observations = store.get_observations(a["obs"], required_irf=["aeff", "bkg"])
e, et = a["energy"], a["energy_true"]
axis = MapAxis.from_energy_bounds(e[0], e[1], int(e[2]), unit="TeV")
axis_true = MapAxis.from_energy_bounds(et[0], et[1], int(et[2]), unit="TeV", name="energy_true")
geom = WcsGeom.create(
    skydir=SkyCoord(a["center"][0], a["center"][1], unit="deg", frame="icrs"),
    binsz=a["binsz"],
    width=tuple(a["width"]),
    frame=a["frame"],
    proj=a["proj"],
    axes=[axis],
)
stacked = MapDataset.create(geom=geom, energy_axis_true=axis_true, name="stacked")
maker = MapDatasetMaker()
safe = SafeMaskMaker(methods=["offset-max"], offset_max=a["offset_max"] * u.deg)
for observation in observations:
    dataset = maker.run(stacked.copy(name=str(observation.obs_id)), observation)
    stacked.stack(safe.run(dataset, observation))
out = {"seconds": time.perf_counter() - start}

if a.get("hearc"):
    ours = MapDataset.read(a["hearc"])

    def relative(name):
        x = getattr(ours, name).data.astype(float)
        y = getattr(stacked, name).data.astype(float)
        if x.shape != y.shape:
            return {"shape": [list(x.shape), list(y.shape)]}
        big = np.abs(y) > 1e-3 * np.abs(y).max() if np.abs(y).max() > 0 else np.zeros(y.shape, bool)
        small_diff = float(np.abs(x[~big] - y[~big]).max()) if (~big).any() else 0.0
        rel = float(np.abs(x[big] / y[big] - 1).max()) if big.any() else 0.0
        return {"max_relative": rel, "max_abs_small": small_diff, "sum": [float(x.sum()), float(y.sum())]}

    def relative_map(mine, theirs, same=None):
        x = mine.data.astype(float)
        y = theirs.data.astype(float)
        if x.shape != y.shape:
            return {"shape": [list(x.shape), list(y.shape)]}
        if same is not None:
            x, y = x[..., same], y[..., same]
        top = np.abs(y).max()
        big = np.abs(y) > 1e-3 * top if top > 0 else np.zeros(y.shape, bool)
        return {
            "max_relative": float(np.abs(x[big] / y[big] - 1).max()) if big.any() else 0.0,
            "max_abs_small": float(np.abs(x[~big] - y[~big]).max()) if (~big).any() else 0.0,
            "sum": [float(x.sum()), float(y.sum())],
        }

    out["counts_equal"] = bool(np.array_equal(ours.counts.data, stacked.counts.data))
    out["counts_sum"] = [float(ours.counts.data.sum()), float(stacked.counts.data.sum())]
    out["mask_equal"] = bool(np.array_equal(ours.mask_safe.data.astype(bool), stacked.mask_safe.data))
    out["exposure"] = relative("exposure")
    out["background"] = relative("background")
    out["geom_equal"] = ours.counts.geom == stacked.counts.geom
    out["has_irf_maps"] = [ours.edisp is not None, ours.psf is not None]
    # A coarse IRF pixel takes a run's safe mask at its centre; where that centre falls
    # exactly between two fine pixels, wcslib's rounding picks one (coarse_pixels_apart
    # counts the pixels whose runs differ for that reason); the maps are compared elsewhere.
    def runs_alike(mine, theirs):
        x = mine.exposure_map.data.astype(float)
        y = theirs.exposure_map.data.astype(float)
        return np.all(np.abs(x - y) <= 1e-4 * np.abs(y).max(), axis=(0, 1))

    if ours.edisp is not None and stacked.edisp is not None:
        same = runs_alike(ours.edisp, stacked.edisp)
        out["coarse_pixels"] = int(same.size)
        out["coarse_pixels_apart"] = int((~same).sum())
        out["edisp"] = relative_map(ours.edisp.edisp_map, stacked.edisp.edisp_map, same)
        out["edisp_exposure"] = relative_map(ours.edisp.exposure_map, stacked.edisp.exposure_map, same)
    if ours.psf is not None and stacked.psf is not None:
        same = runs_alike(ours.psf, stacked.psf)
        out["psf"] = relative_map(ours.psf.psf_map, stacked.psf.psf_map, same)
        out["psf_exposure"] = relative_map(ours.psf.exposure_map, stacked.psf.exposure_map, same)
    out["gti_equal"] = bool(
        ours.gti is not None
        and len(ours.gti.table) == len(stacked.gti.table)
        and np.allclose((ours.gti.time_start - stacked.gti.time_start).to_value("s"), 0, atol=1e-3)
        and np.allclose((ours.gti.time_stop - stacked.gti.time_stop).to_value("s"), 0, atol=1e-3)
    )
    if a.get("fit"):
        from gammapy.modeling import Fit
        from gammapy.modeling.models import PointSpatialModel, PowerLawSpectralModel, SkyModel

        def fit(dataset):
            model = SkyModel(
                spatial_model=PointSpatialModel(
                    lon_0=a["center"][0] * u.deg, lat_0=a["center"][1] * u.deg, frame="icrs"
                ),
                spectral_model=PowerLawSpectralModel(
                    index=2.5, amplitude="3e-11 cm-2 s-1 TeV-1", reference="1 TeV"
                ),
                name="source",
            )
            dataset.models = [model]
            result = Fit().run([dataset])
            index = model.spectral_model.parameters["index"]
            return {"success": bool(result.success), "index": index.value, "error": index.error}

        out["fit"] = {"hearc": fit(ours), "gammapy": fit(stacked)}
    out["read_name"] = ours.name
print(json.dumps(out))
