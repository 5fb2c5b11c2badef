"""gammapy 1.0's 1D analysis of an ON region: SpectrumDatasetMaker(selection counts,
exposure, edisp, background; containment_correction=False) + SafeMaskMaker(offset-max,
aeff-default), stacked; with "background": "reflected", no BKG IRF but
ReflectedRegionsBackgroundMaker (ReflectedRegionsFinder defaults around a circle of
"radius"; for point-like IRFs, "radius" null, a PointSkyRegion cut by RAD_MAX and
WobbleRegionsFinder with "n_off" regions) before the safe mask, the exposure corrected
for the PSF containment around a circle, the runs stacked by
stack_reduce and their ON/OFF counts and alpha given too; a PowerLawSpectralModel (reference 1 TeV) fitted with Fit, and
FluxPointsEstimator in the ENERGY bins; timed; and hearc's flux points read back with
FluxPoints.read when given. With "lightcurve" ({energy: [emin, emax], time_edges?: MJD
UTC, hearc?: path}), also LightCurveEstimator with the fitted shape on the per-run
datasets (or on the runs cut by Observations.select_time to the time bins), and hearc's
light curve read back with FluxPoints.read(format="lightcurve"). Times: "seconds" to the
flux points, "fit_seconds" to the stacked fit, "lightcurve_seconds" of the estimator alone.
Argument: one JSON object (store, obs, energy, energy_true, center, radius, offset_max,
model, background?, n_off?, hearc_fluxpoints?, lightcurve?). Prints one JSON object."""
import json
import sys
import time
import warnings

warnings.simplefilter("ignore")
import numpy as np
import astropy.units as u
from astropy.coordinates import SkyCoord
from regions import CircleSkyRegion, PointSkyRegion
from gammapy.data import DataStore
from gammapy.datasets import Datasets, SpectrumDataset
from astropy.time import Time
from gammapy.estimators import FluxPoints, FluxPointsEstimator, LightCurveEstimator
from gammapy.makers import (
    ReflectedRegionsBackgroundMaker,
    SafeMaskMaker,
    SpectrumDatasetMaker,
    WobbleRegionsFinder,
)
from gammapy.maps import MapAxis, RegionGeom
from gammapy.modeling import Fit
from gammapy.modeling.models import LogParabolaSpectralModel, PowerLawSpectralModel, SkyModel

a = json.loads(sys.argv[1])
start = time.perf_counter()
store = DataStore.from_dir(a["store"])
reflected = a.get("background") == "reflected"
pointlike = reflected and a.get("radius") is None
observations = store.get_observations(
    a["obs"],
    required_irf="point-like" if pointlike else ["aeff", "edisp"] + (["psf"] if reflected else ["bkg"]),
)
e, et = a["energy"], a["energy_true"]
axis = MapAxis.from_energy_bounds(e[0], e[1], int(e[2]), unit="TeV")
axis_true = MapAxis.from_energy_bounds(et[0], et[1], int(et[2]), unit="TeV", name="energy_true")
center = SkyCoord(a["center"][0], a["center"][1], unit="deg", frame="icrs")
if pointlike:
    region = PointSkyRegion(center)
    background = ReflectedRegionsBackgroundMaker(
        region_finder=WobbleRegionsFinder(n_off_regions=a.get("n_off", 3))
    )
else:
    region = CircleSkyRegion(center=center, radius=a["radius"] * u.deg)
    background = ReflectedRegionsBackgroundMaker()
geom = RegionGeom.create(region=region, axes=[axis])
empty = SpectrumDataset.create(geom=geom, energy_axis_true=axis_true, name="stacked")
maker = SpectrumDatasetMaker(
    selection=["counts", "exposure", "edisp"] + ([] if reflected else ["background"]),
    containment_correction=reflected and not pointlike,
)
safe = SafeMaskMaker(methods=["offset-max", "aeff-default"], offset_max=a["offset_max"] * u.deg)


def reduced(observation, name):
    dataset = maker.run(empty.copy(name=name), observation)
    if reflected:
        dataset = background.run(dataset, observation)
    return safe.run(dataset, observation)


runs = Datasets([reduced(o, str(o.obs_id)) for o in observations])
stacked = runs.stack_reduce(name="stacked")
if a.get("model") == "logparabola":
    spectral = LogParabolaSpectralModel(
        alpha=2, beta=0, amplitude="1e-12 cm-2 s-1 TeV-1", reference="1 TeV"
    )
else:
    spectral = PowerLawSpectralModel(index=2, amplitude="1e-12 cm-2 s-1 TeV-1", reference="1 TeV")
stacked.models = [SkyModel(spectral_model=spectral, name="source")]
result = Fit().run([stacked])
fitted = time.perf_counter() - start
estimator = FluxPointsEstimator(energy_edges=axis.edges, source="source", selection_optional=["ul"])
points = estimator.run([stacked])
out = {"seconds": time.perf_counter() - start, "fit_seconds": fitted}
out["counts"] = stacked.counts.data.ravel().tolist()
out["background"] = stacked.background.data.ravel().tolist()
out["exposure"] = stacked.exposure.data.ravel().tolist()
out["mask"] = stacked.mask_safe.data.ravel().astype(int).tolist()
if reflected:
    out["counts_off"] = stacked.counts_off.data.ravel().tolist()
    out["alpha"] = stacked.alpha.data.ravel().tolist()
    out["runs"] = [
        {
            "obs_id": int(o.obs_id),
            "counts": d.counts.data.ravel().tolist(),
            "counts_off": d.counts_off.data.ravel().tolist(),
            "alpha": d.alpha.data.ravel().tolist(),
        }
        for o, d in zip(observations, runs)
    ]
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
    # Whether gammapy's fit of each bin converged (it gives NaN where it did not).
    "success": [
        bool(ok) and bool(np.isfinite(d))
        for ok, d in zip(
            table["success"] if "success" in table.colnames else [True] * len(table),
            table["dnde"].quantity.value,
        )
    ],
}
if a.get("hearc_fluxpoints"):
    ours = FluxPoints.read(a["hearc_fluxpoints"])
    t = ours.to_table(sed_type="dnde")
    out["read"] = {
        "sed_type": ours.sed_type_init,
        "e_ref": t["e_ref"].quantity.to_value("TeV").tolist(),
        "dnde": t["dnde"].quantity.to_value("cm-2 s-1 TeV-1").tolist(),
    }
lc = a.get("lightcurve")
if lc:
    edges = lc.get("time_edges")
    if edges:
        intervals = [
            Time([t0, t1], format="mjd", scale="utc") for t0, t1 in zip(edges[:-1], edges[1:])
        ]
        parts = observations.select_time(intervals)
        per_run = Datasets([reduced(o, f"part{i}") for i, o in enumerate(parts)])
    else:
        intervals = None
        per_run = Datasets([reduced(o, str(o.obs_id)) for o in observations])
    per_run.models = [SkyModel(spectral_model=spectral.copy(), name="source")]
    estimating = time.perf_counter()
    curve = LightCurveEstimator(
        energy_edges=lc["energy"] * u.TeV,
        time_intervals=intervals,
        source="source",
        selection_optional=["ul"],
    ).run(per_run)
    out["lightcurve_seconds"] = time.perf_counter() - estimating
    t = curve.to_table(sed_type="flux", format="lightcurve")
    times = curve.geom.axes["time"]
    out["lightcurve"] = {
        "time_min": times.time_min.utc.mjd.tolist(),
        "time_max": times.time_max.utc.mjd.tolist(),
        "e_min": t["e_min"].quantity[:, 0].to_value("TeV").tolist(),
        "e_max": t["e_max"].quantity[:, 0].to_value("TeV").tolist(),
        "flux": t["flux"].quantity[:, 0].to_value("cm-2 s-1").tolist(),
        "flux_err": t["flux_err"].quantity[:, 0].to_value("cm-2 s-1").tolist(),
        "flux_ul": t["flux_ul"].quantity[:, 0].to_value("cm-2 s-1").tolist(),
        "ts": t["ts"][:, 0].tolist(),
    }
    if lc.get("hearc"):
        ours = FluxPoints.read(lc["hearc"], format="lightcurve")
        t = ours.to_table(sed_type="flux", format="lightcurve")
        out["lightcurve_read"] = {
            "sed_type": ours.sed_type_init,
            "time_min": ours.geom.axes["time"].time_min.utc.mjd.tolist(),
            "flux": t["flux"].quantity[:, 0].to_value("cm-2 s-1").tolist(),
        }
print(json.dumps(out))
