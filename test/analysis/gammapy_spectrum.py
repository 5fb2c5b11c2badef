"""gammapy 1.0's 1D analysis of an ON region: SpectrumDatasetMaker(selection counts,
exposure, edisp, background; containment_correction=False) + SafeMaskMaker(offset-max,
aeff-default), stacked, a PowerLawSpectralModel (reference 1 TeV) fitted with Fit, and
FluxPointsEstimator in the ENERGY bins; timed; and hearc's flux points read back with
FluxPoints.read when given.
Argument: one JSON object (store, obs, energy, energy_true, center, radius, offset_max,
model, hearc_fluxpoints?). Prints one JSON object."""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion
from gammapy.data import DataStore
from gammapy.datasets import Datasets, SpectrumDataset
from gammapy.estimators import FluxPoints, FluxPointsEstimator
from gammapy.makers import SafeMaskMaker, SpectrumDatasetMaker
from gammapy.maps import MapAxis, RegionGeom
from gammapy.modeling import Fit
from gammapy.modeling.models import LogParabolaSpectralModel, PowerLawSpectralModel, SkyModel

a = json.loads(sys.argv[1])
start = time.perf_counter()
store = DataStore.from_dir(a["store"])
observations = store.get_observations(a["obs"], required_irf=["aeff", "edisp", "bkg"])
e, et = a["energy"], a["energy_true"]
axis = MapAxis.from_energy_bounds(e[0], e[1], int(e[2]), unit="TeV")
axis_true = MapAxis.from_energy_bounds(et[0], et[1], int(et[2]), unit="TeV", name="energy_true")
region = CircleSkyRegion(
    center=SkyCoord(a["center"][0], a["center"][1], unit="deg", frame="icrs"),
    radius=a["radius"] * u.deg,
)
geom = RegionGeom.create(region=region, axes=[axis])
empty = SpectrumDataset.create(geom=geom, energy_axis_true=axis_true, name="stacked")
maker = SpectrumDatasetMaker(
    selection=["counts", "exposure", "edisp", "background"], containment_correction=False
)
safe = SafeMaskMaker(methods=["offset-max", "aeff-default"], offset_max=a["offset_max"] * u.deg)
stacked = empty.copy(name="stacked")
for observation in observations:
    dataset = maker.run(empty.copy(name=str(observation.obs_id)), observation)
    stacked.stack(safe.run(dataset, observation))
if a.get("model") == "logparabola":
    spectral = LogParabolaSpectralModel(
        alpha=2, beta=0, amplitude="1e-12 cm-2 s-1 TeV-1", reference="1 TeV"
    )
else:
    spectral = PowerLawSpectralModel(index=2, amplitude="1e-12 cm-2 s-1 TeV-1", reference="1 TeV")
stacked.models = [SkyModel(spectral_model=spectral, name="source")]
result = Fit().run([stacked])
estimator = FluxPointsEstimator(energy_edges=axis.edges, source="source", selection_optional=["ul"])
points = estimator.run([stacked])
out = {"seconds": time.perf_counter() - start}
out["counts"] = stacked.counts.data.ravel().tolist()
out["background"] = stacked.background.data.ravel().tolist()
out["exposure"] = stacked.exposure.data.ravel().tolist()
out["mask"] = stacked.mask_safe.data.ravel().astype(int).tolist()
out["success"] = bool(result.success)
out["stat"] = float(result.total_stat)
out["parameters"] = {
    p.name: {"value": float(p.value), "error": float(p.error)} for p in spectral.parameters
}
table = points.to_table(sed_type="dnde")
out["points"] = {
    "e_ref": table["e_ref"].quantity.to_value("TeV").tolist(),
    "dnde": np.nan_to_num(table["dnde"].quantity.to_value("cm-2 s-1 TeV-1"), nan=0).tolist(),
    "dnde_err": np.nan_to_num(table["dnde_err"].quantity.to_value("cm-2 s-1 TeV-1"), nan=0).tolist(),
    "ts": np.nan_to_num(np.array(table["ts"], dtype=float), nan=-1).tolist(),
}
if a.get("hearc_fluxpoints"):
    ours = FluxPoints.read(a["hearc_fluxpoints"])
    t = ours.to_table(sed_type="dnde")
    out["read"] = {
        "sed_type": ours.sed_type_init,
        "e_ref": t["e_ref"].quantity.to_value("TeV").tolist(),
        "dnde": t["dnde"].quantity.to_value("cm-2 s-1 TeV-1").tolist(),
    }
print(json.dumps(out))
