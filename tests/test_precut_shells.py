"""Pre-cuts belong to the beam: samples are drawn in shells of reachable photon energy, so that
scenarios with different thresholds share them and an experiment's numbers do not depend on
the other experiments of its scenario."""

import math
from pathlib import Path

import numpy as np
import pytest

from dipscan.config.scenario import load_scenario
from dipscan.physics.mesons import MESONS
from dipscan.physics.models import make_model
from dipscan.production.beams import load_beam
from dipscan.production.tables import load_meson_samples
from dipscan.scan import plan
from dipscan.scan.pipeline import compute
from dipscan.scan.sampling import Parents, parents_that_can_contribute

ROOT = Path(__file__).resolve().parents[1]
TINY = ROOT / "scenarios" / "examples" / "tiny.toml"


def _with_experiments(tmp_path, *blocks: str, name: str = "tiny_x") -> Path:
    path = tmp_path / f"{name}.toml"
    head = TINY.read_text().split("[[experiment]]")[0]
    path.write_text(head + "".join(f"[[experiment]]\n{b}\n" for b in blocks))
    return path


def _specs(tmp_path, *blocks):
    return load_scenario(_with_experiments(tmp_path, *blocks)).experiments


@pytest.mark.parametrize(("thresholds", "shells"), [
    ((1.0,), [(1.0, math.inf)]),
    ((2.0,), [(1.0, math.inf)]),
    ((1.0, 0.5, 2.0), [(1.0, math.inf), (0.5, 1.0)]),
    ((0.5,), [(1.0, math.inf), (0.5, 1.0)]),
    ((0.3, 1.0), [(1.0, math.inf), (0.5, 1.0), (0.3, 0.5)]),
])
def test_shells_follow_the_beam_floors_down_to_the_loosest_threshold(tmp_path, thresholds, shells):
    declared = load_beam("sps400").sampling
    assert declared.photon_floors_GeV == (1.0, 0.5)
    specs = _specs(tmp_path, *(f'preset = "na62"\nlabel = "E{t}"\nphoton_threshold_GeV = {t}'
                               for t in thresholds))
    found, theta = plan.beam_shells("sps400", specs)
    assert found == shells
    assert theta == declared.theta_accept_rad
    for spec in specs:  # each experiment reads exactly the shells that reach its threshold
        read = [s for s in found if plan.reads_shell(spec, s)]
        assert read == [s for s in found if spec.photon_threshold_GeV < s[1]]
        assert read[0] == (1.0, math.inf)


def test_an_experiment_wider_than_the_beam_widens_the_angle_for_its_scenario(tmp_path, monkeypatch):
    import dataclasses

    specs = _specs(tmp_path, 'preset = "ship"')
    wide = dataclasses.replace(specs[0], geometry=dataclasses.replace(specs[0].geometry,
                                                                      theta_max_rad=0.2))
    assert plan.beam_shells("sps400", [wide])[1] == pytest.approx(0.2)
    assert plan.beam_shells("sps400", specs)[1] == load_beam("sps400").sampling.theta_accept_rad


def test_every_committed_preset_fits_its_beam_in_every_geometry_mode(tmp_path):
    """The declared angle covers every experiment preset in every mode, so no committed study
    widens it (and so loses sharing) by using a preset as written."""
    from dipscan.config.presets import list_presets
    from dipscan.scan.experiments import max_llp_angle_rad

    for preset in list_presets():
        for mode in ("paper", "volume", "photon"):
            spec = _specs(tmp_path, f'preset = "{preset}"\ngeometry_mode = "{mode}"')[0]
            declared = load_beam(spec.beam).sampling
            assert declared is not None, spec.beam
            assert max_llp_angle_rad(spec) <= declared.theta_accept_rad, (preset, mode)
            assert spec.photon_threshold_GeV >= declared.photon_floors_GeV[-1], preset


def test_shells_partition_the_parents_the_loosest_cut_keeps():
    """Shell by shell, the parents kept are disjoint and together exactly those of one cut at
    the loosest floor: splitting loses no parent and counts none twice."""
    model = make_model("dark_dipole", delta=0.01)
    parents = Parents.by_pdgid(load_meson_samples("sps400", [223]))[223]
    mass = 0.3
    channel = next(c for c in model.channels(mass) if c.parent_pdgid == 223)
    args = (MESONS[223].mass_GeV, model.llp_mass_GeV(mass), model.photon_energy_rest_GeV(mass))
    theta = 0.045
    seen = np.zeros(parents.p_GeV.size, dtype=int)
    for floor, ceiling in [(1.0, math.inf), (0.5, 1.0), (0.2, 0.5)]:
        unit = plan.SamplingUnit("sps400", "dark_dipole", (("delta", 0.01),), 1, 0, mass, channel,
                                 floor, ceiling, theta, 10**6)
        below = plan.shell_parents(unit, model, parents)
        keep = parents_that_can_contribute(below.p_GeV, below.theta_rad, *args, floor, theta)
        # Mark the kept parents of this shell in the full table by their (p, theta) pairs.
        kept = set(zip(below.p_GeV[keep].tolist(), below.theta_rad[keep].tolist(), strict=True))
        seen += [(p, t) in kept for p, t in zip(parents.p_GeV.tolist(), parents.theta_rad.tolist(),
                                                strict=True)]
    loosest = parents_that_can_contribute(parents.p_GeV, parents.theta_rad, *args, 0.2, theta)
    assert 0 < loosest.sum() < parents.p_GeV.size  # the cut bites, so the test can fail
    assert seen.max() == 1
    assert np.array_equal(seen.astype(bool), loosest)


def test_an_experiments_numbers_do_not_depend_on_the_others_of_its_scenario(tmp_path):
    """NA62 alone and NA62 beside a 0.5 GeV experiment and SHiP: the same events, bit for bit."""
    alone = compute(load_scenario(_with_experiments(tmp_path, 'preset = "na62"', name="alone")))
    crowded = compute(load_scenario(_with_experiments(
        tmp_path, 'preset = "na62"',
        'preset = "na62"\nlabel = "low"\nphoton_threshold_GeV = 0.5', 'preset = "ship"',
        name="crowded")))
    label = alone.scenario.experiments[0].label

    def rows(result):
        return result.events.filter(result.events["experiment"] == label).write_csv()

    assert rows(alone) == rows(crowded)
    assert crowded.sample_counts != alone.sample_counts  # the low shell was drawn as well


def test_scenarios_with_other_thresholds_share_the_top_shell(tmp_path):
    one = load_scenario(_with_experiments(tmp_path, 'preset = "na62"', name="one"))
    low = load_scenario(_with_experiments(
        tmp_path, 'preset = "na62"\nphoton_threshold_GeV = 0.5', name="low"))
    sweep = plan.plan_sweep([one, low])
    units_one, units_low = sweep.per_scenario
    assert set(units_one) < set(units_low)
    assert len(sweep.unique) == len(units_low)


def test_a_beam_without_sampling_table_is_cut_by_its_scenario(tmp_path, monkeypatch):
    import dataclasses

    from dipscan.production import beams

    specs = _specs(tmp_path, 'preset = "na62"\nphoton_threshold_GeV = 0.7')
    bare = dataclasses.replace(load_beam("sps400"), sampling=None)
    monkeypatch.setattr(beams, "load_beam", lambda name: bare)
    assert plan.beam_shells("sps400", specs) == ([(0.7, math.inf)], specs[0].geometry.theta_max_rad)


def test_flavour_blind_channels_share_their_samples_across_flavours():
    """The neutrino dipole's V and P0 channels give the same N samples for every flavour (a
    massless neutrino recoils), so their units agree; P+- channels carry the lepton."""
    from dipscan.scan.sampling import channel_rng, sample_channel

    parents = Parents.by_pdgid(load_meson_samples("sps400", [223, 321]))
    mass = 0.2
    models = {f: make_model("neutrino_dipole", flavour=f) for f in ("e", "mu")}
    for channel in models["e"].channels(mass):
        if abs(channel.parent_pdgid) not in (223, 321):
            continue
        params = {f: m.sample_params(channel) for f, m in models.items()}
        if MESONS[abs(channel.parent_pdgid)].charge:
            assert params["e"] == {"flavour": "e"} and params["mu"] == {"flavour": "mu"}
            continue
        assert params["e"] == params["mu"] == {}
        drawn = [sample_channel(m, channel, mass, parents[channel.parent_pdgid],
                                channel_rng(1, "sps400", 0, channel), 1.0, 10**6, 0.045)
                 for m in models.values()]
        assert len(drawn[0]) > 0
        for name in ("weight", "p_GeV", "theta_rad", "phi_rad"):
            assert np.array_equal(getattr(drawn[0], name), getattr(drawn[1], name))
