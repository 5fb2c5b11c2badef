"""gammapy 1.0's stacked map dataset for a geometry (MapDatasetMaker + SafeMaskMaker
offset-max, stacked into an empty MapDataset), timed; compared with hearc's file when given.
Argument: one JSON object (store, obs, energy, energy_true, center, binsz, width, frame,
proj, offset_max, hearc?). Prints one JSON object."""
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
maker = MapDatasetMaker(selection=["counts", "exposure", "background"])
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

    out["counts_equal"] = bool(np.array_equal(ours.counts.data, stacked.counts.data))
    out["counts_sum"] = [float(ours.counts.data.sum()), float(stacked.counts.data.sum())]
    out["mask_equal"] = bool(np.array_equal(ours.mask_safe.data.astype(bool), stacked.mask_safe.data))
    out["exposure"] = relative("exposure")
    out["background"] = relative("background")
    out["geom_equal"] = ours.counts.geom == stacked.counts.geom
    out["read_name"] = ours.name
print(json.dumps(out))
