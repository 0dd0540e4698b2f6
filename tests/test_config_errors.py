"""Every mistake a user can make in a TOML file, in one table: (file kind, file, edits, the line).

Each row edits one committed file (the scenario examples/tiny.toml, an experiment preset, a
stand-in beam preset b.toml, the figure file fig4.toml, a BaBar recast file) in a private copy of
scenarios/ and loads it with dipscan's reader for that kind. The error is one line, compared in
full: the file, the key path, the value found, what is allowed and, for a mistyped key, "did you
mean". `{home}` stands for the copy's scenarios/ folder.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from test_production_beams import BASE as BEAM  # the stand-in beam preset b.toml

from dipscan.config.babar_recast import load_babar_recast
from dipscan.config.figure import load_figure
from dipscan.config.presets import load_experiment_preset
from dipscan.config.scenario import load_scenario
from dipscan.errors import ScenarioError
from dipscan.production.beams import load_beam

ROOT = Path(__file__).resolve().parents[1]

HARD = """\
[[production]]
name = "hard"
pythia = ["HardQCD:all = on"]
n_events = 10
raw_multiplicity = "cross-section"
[[production.meson]]
pdgid = 111
name = "pi0"
multiplicity = 1.0
source = "x"
"""
SCENARIOS = sorted(path.stem for path in (ROOT / "scenarios").glob("*.toml"))
NA62_ENTRY = '[[experiment]]\npreset = "na62"\n'
ERRORS = [
    # ---------------------------------------------------------------- scenario files
    pytest.param("scenario", "tiny.toml", [("points = 4", "pionts = 4")],
                 "{home}/examples/tiny.toml: grid.mass.pionts: found unknown key 'pionts'; allowed: keys min, max, points, spacing (did you mean 'points'?)", id="typo_with_did_you_mean"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[outputs]")],
                 "{home}/examples/tiny.toml: outputs: found unknown key 'outputs'; allowed: keys scenario, model, grid, sampling, experiment, output, overlays, uncertainties, plot (did you mean 'output'?)", id="typo_of_a_table"),
    pytest.param("scenario", "tiny.toml", [('kind = "dark_dipole"', 'kind = "axion"')],
                 "{home}/examples/tiny.toml: model.kind: found 'axion'; allowed: one of: 'dark_dipole', 'dark_dipole_fixed_splitting', 'neutrino_dipole'", id="unknown_model_kind"),
    pytest.param("scenario", "tiny.toml", [('kind = "dark_dipole"', 'kind = "dark_dipol"')],
                 "{home}/examples/tiny.toml: model.kind: found 'dark_dipol'; allowed: one of: 'dark_dipole', 'dark_dipole_fixed_splitting', 'neutrino_dipole' (did you mean 'dark_dipole'?)", id="model_kind_typo_with_did_you_mean"),
    pytest.param("scenario", "tiny.toml", [('[[experiment]]\npreset = "na62"\n', '[[experiment]]\npreset = "na62"\nlinestyle = "dash"\n')],
                 "{home}/examples/tiny.toml: experiment[0].linestyle: found 'dash'; allowed: one of: 'solid', 'dashed', 'dotted', 'dashdot' (did you mean 'dashed'?)", id="choice_typo_with_did_you_mean"),
    pytest.param("scenario", "tiny_nu.toml", [('flavour = "mu"', 'flavour = "muon"')],
                 "{home}/examples/tiny_nu.toml: model.flavour: found 'muon'; allowed: one of: 'e', 'mu', 'tau'", id="choice_of_a_model_parameter"),
    pytest.param("scenario", "tiny.toml", [('kind = "dark_dipole"\n', "")],
                 "{home}/examples/tiny.toml: model.kind: found nothing (the key is missing); allowed: one of: 'dark_dipole', 'dark_dipole_fixed_splitting', 'neutrino_dipole'", id="missing_model_kind"),
    pytest.param("scenario", "tiny.toml", [("\ndelta = 0.1\n", "\ndelta = 0.1\nflavour = 'e'\n")],
                 "{home}/examples/tiny.toml: model.flavour: found unknown key 'flavour'; allowed: keys for kind 'dark_dipole': kind, delta", id="key_of_another_model_kind"),
    pytest.param("scenario", "tiny.toml", [("\ndelta = 0.1\n", "\n")],
                 '{home}/examples/tiny.toml: model.delta: found nothing (the key is missing); allowed: a finite number > 0', id="missing_key"),
    pytest.param("scenario", "tiny.toml", [("\ndelta = 0.1\n", "\ndelta = true\n")],
                 '{home}/examples/tiny.toml: model.delta: found True; allowed: a finite number > 0', id="bool_is_not_a_number"),
    pytest.param("scenario", "tiny.toml", [("max = 1.0", 'max = "1"')],
                 "{home}/examples/tiny.toml: grid.mass.max: found '1'; allowed: a finite number > 0.05", id="wrong_type_string_for_number"),
    pytest.param("scenario", "tiny.toml", [("points = 4", "points = 4.0")],
                 '{home}/examples/tiny.toml: grid.mass.points: found 4.0; allowed: an integer >= 2 and <= 10000', id="wrong_type_float_for_integer"),
    pytest.param("scenario", "tiny.toml", [("seed = 7", "seed = false")],
                 '{home}/examples/tiny.toml: scenario.seed: found False; allowed: an integer >= 0', id="bool_is_not_an_integer"),
    pytest.param("scenario", "tiny.toml", [("min = 1e-6", "min = nan")],
                 '{home}/examples/tiny.toml: grid.coupling.min: found nan; allowed: a finite number > 0', id="nan_is_not_a_number"),
    pytest.param("scenario", "tiny.toml", [("min = 0.05", "min = -0.5")],
                 '{home}/examples/tiny.toml: grid.mass.min: found -0.5; allowed: a finite number > 0', id="out_of_bounds"),
    pytest.param("scenario", "tiny.toml", [("points = 4", "points = 10001")],
                 '{home}/examples/tiny.toml: grid.mass.points: found 10001; allowed: an integer >= 2 and <= 10000', id="too_many_grid_points"),
    pytest.param("scenario", "tiny.toml", [("llp_samples_max = 2000", "llp_samples_max = 10")],
                 '{home}/examples/tiny.toml: sampling.llp_samples_max: found 10; allowed: an integer >= 1000 and <= 1e+08', id="samples_cap_too_small"),
    pytest.param("scenario", "tiny.toml", [("max = 1e-2", "max = 1e-7")],
                 '{home}/examples/tiny.toml: grid.coupling.max: found 1e-07; allowed: a finite number > 1e-06', id="max_below_min"),
    pytest.param("scenario", "tiny.toml", [("points = 4", 'points = 4\nspacing = "logarithmic"')],
                 "{home}/examples/tiny.toml: grid.mass.spacing: found 'logarithmic'; allowed: one of: 'log', 'linear'", id="unknown_choice"),
    pytest.param("scenario", "tiny.toml", [("[grid.coupling]\nmin = 1e-6\nmax = 1e-2\npoints = 5\n", "")],
                 '{home}/examples/tiny.toml: grid.coupling: found nothing (the key is missing); allowed: a table [grid.coupling] with keys min, max, points, spacing', id="missing_table"),
    pytest.param("scenario", "tiny.toml", [("[[experiment]]", "[experiment]")],
                 '{home}/examples/tiny.toml: experiment: found a single table [experiment]; allowed: one or more [[experiment]] tables (double brackets), each with preset = "NAME"', id="experiment_as_a_single_table"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, "")],
                 '{home}/examples/tiny.toml: experiment: found nothing (the key is missing); allowed: one or more [[experiment]] tables (double brackets), each with preset = "NAME"', id="no_experiment"),
    pytest.param("scenario", "tiny.toml", [('preset = "na62"', 'preset = "na63"')],
                 "{home}/examples/tiny.toml: experiment[0].preset: found 'na63'; allowed: a preset of scenarios/experiments/: bebc, charm2, dune_nd, faser2, hike, na62, nucal, ship (did you mean 'na62'?)", id="unknown_preset_with_did_you_mean"),
    pytest.param("scenario", "tiny.toml", [('preset = "na62"', 'preset = "../experiments/na62"')],
                 "{home}/examples/tiny.toml: experiment[0].preset: found '../experiments/na62'; allowed: a preset of scenarios/experiments/: bebc, charm2, dune_nd, faser2, hike, na62, nucal, ship", id="preset_name_cannot_leave_the_folder"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, '[[experiment]]\npreset = "faser2"\npot = 1e18\n')],
                 "{home}/examples/tiny.toml: experiment[0].pot: found 1e+18; allowed: no 'pot' for the collider preset 'faser2': use luminosity_invfb", id="override_pot_on_collider_preset"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, NA62_ENTRY + "photon_threshold_GeV = -1.0\n")],
                 '{home}/examples/tiny.toml: experiment[0].photon_threshold_GeV: found -1.0; allowed: a finite number >= 0', id="override_threshold_negative"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, '[[experiment]]\npreset = "charm2"\nphoton_threshold_GeV = 30\n')],
                 '{home}/examples/tiny.toml: experiment[0].photon_threshold_GeV: found 30.0; allowed: a finite number >= 0 and < 24', id="override_threshold_above_window"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, NA62_ENTRY + 'geometry_mode = "exact"\n')],
                 "{home}/examples/tiny.toml: experiment[0].geometry_mode: found 'exact'; allowed: one of: 'paper', 'photon', 'volume'", id="override_geometry_mode_unknown"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, NA62_ENTRY + "pots = 1e17\n")],
                 "{home}/examples/tiny.toml: experiment[0].pots: found unknown key 'pots'; allowed: keys preset, label, pot, luminosity_invfb, photon_threshold_GeV, geometry_mode, color, linestyle (did you mean 'pot'?)", id="override_unknown_key"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, NA62_ENTRY + 'color = "not-a-colour"\n')],
                 "{home}/examples/tiny.toml: experiment[0].color: found 'not-a-colour'; allowed: a matplotlib colour: a name ('black', 'tab:blue'), 'C0'..'C9' or '#rrggbb'", id="override_bad_colour"),
    pytest.param("scenario", "tiny.toml", [(NA62_ENTRY, NA62_ENTRY * 2)],
                 "{home}/examples/tiny.toml: experiment[1].label: found 'NA62 1e18 POT'; allowed: a label not used by experiment[0]: labels key the outputs; set `label` on one of them", id="duplicate_labels"),
    pytest.param("scenario", "tiny.toml", [('"parquet", "csv"', '"parquet", "svg"')],
                 "{home}/examples/tiny.toml: output.formats[1]: found 'svg'; allowed: a non-empty array of distinct values from: 'parquet', 'csv', 'png', 'pdf'", id="bad_format"),
    pytest.param("scenario", "tiny.toml", [('"parquet", "csv"', '"csv", "csv"')],
                 "{home}/examples/tiny.toml: output.formats[1]: found 'csv'; allowed: a non-empty array of distinct values from: 'parquet', 'csv', 'png', 'pdf'", id="repeated_format"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[output]\nn_events = 0")],
                 '{home}/examples/tiny.toml: output.n_events: found 0.0; allowed: a finite number > 0', id="contour_level_positive"),
    pytest.param("scenario", "tiny.toml", [("points = 4", "pionts = 4"), ("\ndelta = 0.1\n", "\ndelta = -1\n")],
                 '{home}/examples/tiny.toml: model.delta: found -1.0; allowed: a finite number > 0', id="two_mistakes_the_first_in_the_file"),
    pytest.param("scenario", "tiny.toml", [("min = 0.05", "min = -1"), ("points = 4", "points = 1")],
                 '{home}/examples/tiny.toml: grid.mass.min: found -1.0; allowed: a finite number > 0', id="two_mistakes_in_one_table"),
    pytest.param("scenario", "tiny.toml", [("points = 4", "points = = 4")],
                 '{home}/examples/tiny.toml: line 15, column 10: found a TOML syntax error (Invalid value); allowed: valid TOML 1.0 (https://toml.io)', id="toml_syntax_error"),
    pytest.param("scenario", "tiny.toml", [('title = "tiny', 'title = "t\u00e9ny')],
                 '{home}/examples/tiny.toml: byte 223: found a byte that is not UTF-8; allowed: UTF-8 text', id="not_utf8"),
    pytest.param("scenario", "nope.toml", None,
                 '{home}/examples/nope.toml: found no such file; allowed: an existing .toml file', id="missing_file"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[overlays]\nliterature = true\n\n[output]")],
                 "{home}/examples/tiny.toml: overlays.literature: found True; allowed: false: the literature overlay belongs to model kind 'neutrino_dipole'", id="overlay_of_another_model"),
    pytest.param("scenario", "tiny.toml", [("[output]", '[overlays]\nbabar = "yes"\n\n[output]')],
                 "{home}/examples/tiny.toml: overlays.babar: found 'yes'; allowed: true, false, or recast names of scenarios/limits/: babar, babar_ups3s", id="unknown_recast_name"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[overlays]\nlep = true\n\n[output]")],
                 "{home}/examples/tiny.toml: overlays.lep: found unknown key 'lep'; allowed: keys babar, relic, literature, curve", id="unknown_overlay"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot]\nlegnd = 'best'\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.legnd: found unknown key 'legnd'; allowed: keys title, mass_range_GeV, coupling_range_GeVinv, legend, overlays, curve (did you mean 'legend'?)", id="plot_typo"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot]\nlegend = 'top'\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.legend: found 'top'; allowed: one of: 'outside', 'none', 'best', 'upper right', 'upper left', 'lower left', 'lower right', 'right', 'center left', 'center right', 'lower center', 'upper center', 'center'", id="plot_legend_place"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot]\nmass_range_GeV = [0.5, 0.1]\n\n[output]")],
                 '{home}/examples/tiny.toml: plot.mass_range_GeV: found [0.5, 0.1]; allowed: an array of two numbers [low, high] with 0 < low < high', id="plot_range_reversed"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot]\ncoupling_range_GeVinv = [1e-7]\n\n[output]")],
                 '{home}/examples/tiny.toml: plot.coupling_range_GeVinv: found [1e-07]; allowed: an array of two numbers [low, high] with 0 < low < high', id="plot_range_of_one_number"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot]\noverlays = ['babar']\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.overlays[0]: found 'babar'; allowed: an array of distinct names from: none (this scenario has no overlays)", id="plot_overlay_not_computed"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot.curve.'SHiP']\ncolor = 'red'\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.curve.'SHiP': found unknown curve 'SHiP'; allowed: a curve label of this scenario: 'NA62 1e18 POT'", id="plot_unknown_curve"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot.curve.'NA62 1e18 POT']\nvisible = 'no'\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.curve.NA62 1e18 POT.visible: found 'no'; allowed: true or false", id="plot_curve_not_a_bool"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot.curve.'NA62 1e18 POT']\ncolor = 'notacolour'\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.curve.NA62 1e18 POT.color: found 'notacolour'; allowed: a matplotlib colour: a name ('black', 'tab:blue'), 'C0'..'C9' or '#rrggbb'", id="plot_curve_colour"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[plot.curve.'NA62 1e18 POT']\nwidth = 2\n\n[output]")],
                 "{home}/examples/tiny.toml: plot.curve.NA62 1e18 POT.width: found unknown key 'width'; allowed: keys color, linestyle, visible, label", id="plot_curve_unknown_key"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[uncertainties.normalisation]\nomegaa = 0.4\n\n[output]")],
                 "{home}/examples/tiny.toml: uncertainties.normalisation.omegaa: found unknown key 'omegaa'; allowed: keys a meson of the scenario's beams: bpm, dpm, dspm, eta, etaprime, jpsi, kpm, omega, phi, pi0, rho0, upsilon (did you mean 'omega'?)", id="uncertainty_of_an_unknown_species"),
    pytest.param("scenario", "tiny.toml", [("[output]", "[uncertainties]\nenable = false\n\n[output]")],
                 "{home}/examples/tiny.toml: uncertainties.enable: found unknown key 'enable'; allowed: keys enabled, mc_statistics, a_exponent_sigma, normalisation (did you mean 'enabled'?)", id="uncertainties_typo"),
    # ---------------------------------------------------------------- experiment presets
    pytest.param("experiment", "na62.toml", [('beam = "sps400"', 'beam = "sps401"')],
                 "{home}/experiments/na62.toml: beam: found 'sps401'; allowed: a beam preset of scenarios/beams/: lbnf120, lhc14, sps400, sps450, u70", id="preset_unknown_beam"),
    pytest.param("experiment", "bebc.toml", [("efficiency = 1.0", "eficiency = 1.0")],
                 "{home}/experiments/bebc.toml: selection.eficiency: found unknown key 'eficiency'; allowed: keys photon_threshold_GeV, photon_max_GeV, efficiency (did you mean 'efficiency'?)", id="preset_typo_with_did_you_mean"),
    pytest.param("experiment", "bebc.toml", [("height_m = 2.52\n", "")],
                 '{home}/experiments/bebc.toml: geometry.height_m: found nothing (the key is missing); allowed: a finite number > 0', id="preset_shape_key_missing"),
    pytest.param("experiment", "nucal.toml", [("radius_m = 1.3", "radius_m = 1.3\nwidth_m = 2.0")],
                 "{home}/experiments/nucal.toml: geometry.width_m: found key 'width_m' of shape 'box'; allowed: for shape 'cylinder' the keys radius_m (theta_max_rad is allowed with every shape, for mode 'paper')", id="preset_key_of_another_shape"),
    pytest.param("experiment", "na62.toml", [("l_end_m = 217.0", "l_end_m = 70.0")],
                 '{home}/experiments/na62.toml: geometry.l_end_m: found 70.0; allowed: a finite number > 79', id="preset_end_before_start"),
    pytest.param("experiment", "ship.toml", [("theta_max_rad = 2.8e-2", "theta_max_rad = 2.0")],
                 '{home}/experiments/ship.toml: geometry.theta_max_rad: found 2.0; allowed: a finite number > 0 and < 1.5708', id="preset_angle_out_of_bounds"),
    pytest.param("experiment", "nucal.toml", [('shape = "cylinder"', 'shape = "sphere"')],
                 "{home}/experiments/nucal.toml: geometry.shape: found 'sphere'; allowed: one of: 'cone', 'cylinder', 'box', 'frustum'", id="preset_unknown_shape"),
    pytest.param("experiment", "faser2.toml", [("calorimeter_radius_m = 1.0\n", "")],
                 '{home}/experiments/faser2.toml: geometry.calorimeter_radius_m: found nothing (the key is missing); allowed: calorimeter_z_m and calorimeter_radius_m together, or neither', id="preset_calorimeter_keys_together"),
    pytest.param("experiment", "na62.toml", [("pot = 1e18", "pot = 1e18\nluminosity_invfb = 3000")],
                 "{home}/experiments/na62.toml: exposure.luminosity_invfb: found unknown key 'luminosity_invfb'; allowed: keys for kind 'pot': kind, pot, pot_per_year, years", id="preset_key_of_another_exposure_kind"),
    pytest.param("experiment", "hike.toml", [("pot = 5e19", "pot = inf")],
                 '{home}/experiments/hike.toml: exposure.pot: found inf; allowed: a finite number > 0', id="preset_infinite_pot"),
    pytest.param("experiment", "hike.toml", [("pot = 5e19", "pot = 5e19\npot_per_year = 1e19")],
                 '{home}/experiments/hike.toml: exposure.pot_per_year: found 1e+19; allowed: either pot, or pot_per_year and years, not both', id="preset_pot_twice"),
    pytest.param("experiment", "hike.toml", [('kind = "pot"', 'kind = "pots"')],
                 "{home}/experiments/hike.toml: exposure.kind: found 'pots'; allowed: one of: 'pot', 'collider' (did you mean 'pot'?)", id="preset_unknown_exposure_kind"),
    pytest.param("experiment", "nucal.toml", [("efficiency = 0.7", "efficiency = 1.5")],
                 '{home}/experiments/nucal.toml: selection.efficiency: found 1.5; allowed: a finite number > 0 and <= 1', id="preset_efficiency_above_one"),
    pytest.param("experiment", "charm2.toml", [("photon_max_GeV = 24.0", "photon_max_GeV = 2.0")],
                 '{home}/experiments/charm2.toml: selection.photon_max_GeV: found 2.0; allowed: a number > 3', id="preset_window_reversed"),
    pytest.param("experiment", "bebc.toml", [('method = "poisson"', 'method = "cls"')],
                 "{home}/experiments/bebc.toml: statistics.method: found 'cls'; allowed: one of: 'poisson', 'poisson_no_subtraction', 'gaussian', 'feldman_cousins'", id="preset_unknown_limit_method"),
    pytest.param("experiment", "nucal.toml", [("observed = 5", "observed = 5.5")],
                 '{home}/experiments/nucal.toml: statistics.observed: found 5.5; allowed: an integer >= 0', id="preset_observed_is_an_integer"),
    pytest.param("experiment", "na62.toml", [("[selection]", "[selections]")],
                 "{home}/experiments/na62.toml: selections: found unknown key 'selections'; allowed: keys name, description, beam, target, target_mass_number, color, linestyle, exposure, selection, geometry, statistics, approximations (did you mean 'selection'?)", id="preset_typo_of_a_table"),
    # ---------------------------------------------------------------- beam presets
    pytest.param("beam", "b.toml", [('frame = "fixed-target"', 'frame = "orbit"')],
                 "{home}/beams/b.toml: kinematics.frame: found 'orbit'; allowed: one of: 'fixed-target', 'collider'", id="beam_unknown_frame"),
    pytest.param("beam", "b.toml", [("beam_energy_GeV = 400.0", "beam_energy_GeV = -1.0")],
                 '{home}/beams/b.toml: kinematics.beam_energy_GeV: found -1.0; allowed: a positive beam energy in GeV', id="beam_energy_negative"),
    pytest.param("beam", "b.toml", [("beam_energy_GeV = 400.0", "ecm_GeV = 27.4")],
                 '{home}/beams/b.toml: kinematics.beam_energy_GeV: found nothing (the key is missing); allowed: a positive beam energy in GeV', id="beam_key_of_the_other_frame"),
    pytest.param("beam", "b.toml", [("shard_events = 10", "shard_events = 0")],
                 '{home}/beams/b.toml: generation.shard_events: found 0; allowed: an integer >= 1', id="beam_empty_shards"),
    pytest.param("beam", "b.toml", [("seed = 1", "seed = 1\nworkers = 3")],
                 "{home}/beams/b.toml: generation.workers: found unknown key 'workers'; allowed: keys seed, shard_events, symmetrise", id="beam_unknown_key"),
    pytest.param("beam", "b.toml", [("shard_events = 10", "shard_events = 10\nsymmetrise = true")],
                 '{home}/beams/b.toml: generation.symmetrise: found True; allowed: true only for a collider with identical beams (the event is symmetric under z -> -z)', id="beam_symmetrise_on_a_fixed_target"),
    pytest.param("beam", "b.toml", [('feed_down = "inclusive"', 'feed_down = "prompt"')],
                 '{home}/beams/b.toml: normalisation.feed_down: found \'prompt\'; allowed: "inclusive"', id="beam_feed_down"),
    pytest.param("beam", "b.toml", [('feed_down = "inclusive"', 'feed_down = "inclusive"\nper = "proton"')],
                 '{home}/beams/b.toml: normalisation.per: found \'proton\'; allowed: "p-p collision" or "inelastic p-p collision"', id="beam_collision_definition"),
    pytest.param("beam", "b.toml", [('pythia = ["SoftQCD:all = on"]', 'pythia = ["Random:seed = 3"]')],
                 "{home}/beams/b.toml: production[0].pythia[0]: found 'Random:seed = 3'; allowed: no Beams:, Random:, Print:, Next: or Main: settings (dipscan sets them from [kinematics] and [generation])", id="beam_reserved_setting"),
    pytest.param("beam", "b.toml", [('pythia = ["SoftQCD:all = on"]', 'pythia = ["SoftQCD:all on"]')],
                 '{home}/beams/b.toml: production[0].pythia[0]: found \'SoftQCD:all on\'; allowed: a PYTHIA8 setting "Key:name = value"', id="beam_setting_without_value"),
    pytest.param("beam", "b.toml", [("n_events = 100", 'n_events = "many"')],
                 "{home}/beams/b.toml: production[0].n_events: found 'many'; allowed: an integer >= 1", id="beam_events_not_a_number"),
    pytest.param("beam", "b.toml", [('raw_multiplicity = "per-event"', 'raw_multiplicity = "per-pot"')],
                 '{home}/beams/b.toml: production[0].raw_multiplicity: found \'per-pot\'; allowed: "per-event" or "cross-section"', id="beam_raw_multiplicity"),
    pytest.param("beam", "b.toml", [("multiplicity = 4.3", "multiplicity = -4.3")],
                 '{home}/beams/b.toml: production[0].meson[0].multiplicity: found -4.3; allowed: a positive finite number per collision, {particle = x, antiparticle = y} or "pythia"', id="beam_negative_multiplicity"),
    pytest.param("beam", "b.toml", [("multiplicity = 4.3", "multiplicity = { particle = 1, antiparticle = 2 }")],
                 "{home}/beams/b.toml: production[0].meson[0].multiplicity: found {'particle': 1.0, 'antiparticle': 2.0}; allowed: a single number: pi0 is its own antiparticle", id="beam_split_of_a_self_conjugate_meson"),
    pytest.param("beam", "b.toml", [("pdgid = 111", "pdgid = -211")],
                 '{home}/beams/b.toml: production[0].meson[0].pdgid: found -211; allowed: a positive PDG id (antiparticles are recorded with their particle)', id="beam_negative_pdg_id"),
    pytest.param("beam", "b.toml", [("pdgid = 111", "pdgid = 9999999")],
                 "{home}/beams/b.toml: production[0].meson[0].pdgid: found 9999999; allowed: the PDG id of a known meson", id="beam_unknown_pdg_id"),
    pytest.param("beam", "b.toml", [('name = "pi0"', 'name = "Pi 0"')],
                 "{home}/beams/b.toml: production[0].meson[0].name: found 'Pi 0'; allowed: lower-case letters, digits and _ (it names the table file)", id="beam_table_name"),
    pytest.param("beam", "b.toml", [('source = "Table 1"\n', "")],
                 '{home}/beams/b.toml: production[0].meson[0].source: found nothing (the key is missing); allowed: a string', id="beam_source_missing"),
    pytest.param("beam", "b.toml", [("theta_max_rad = inf", "theta_max_rad = 1.0")],
                 '{home}/beams/b.toml: production[0].meson[0].prescale[1].theta_max_rad: found 1.0; allowed: the last bin must reach pi (write inf)', id="beam_prescale_short_of_pi"),
    pytest.param("beam", "b.toml", [("theta_max_rad = inf", "theta_max_rad = 0.01")],
                 '{home}/beams/b.toml: production[0].meson[0].prescale[1].theta_max_rad: found 0.01; allowed: an angle above the previous edge 0.03', id="beam_prescale_not_increasing"),
    pytest.param("beam", "b.toml", [("factor = 2", "factor = 0.5")],
                 '{home}/beams/b.toml: production[0].meson[0].prescale[0].factor: found 0.5; allowed: a finite prescale factor >= 1', id="beam_prescale_factor_below_one"),
    pytest.param("beam", "b.toml", [('name = "b"', 'name = "c"')],
                 '{home}/beams/b.toml: name: found \'c\'; allowed: the file name without extension, "b"', id="beam_name_is_not_the_file_name"),
    pytest.param("beam", "b.toml", [("factor = 10 }]\n", "factor = 10 }]\n" + HARD)],
                 "{home}/beams/b.toml: production[1].meson[0].pdgid: found 111; allowed: a species not already taken from production 'soft'", id="beam_species_twice"),
    pytest.param("beam", "b.toml", [("[generation]", "[generation]\nseed = 2")],
                 '{home}/beams/b.toml: line 8, column 9: found a TOML syntax error (Cannot overwrite a value); allowed: valid TOML 1.0 (https://toml.io)', id="beam_toml_key_twice"),
    # ---------------------------------------------------------------- figure files
    pytest.param("figure", "fig4.toml", [("scenario = \"fig4_e\"", "scenaro = \"fig4_e\"")],
                 "{home}/figures/fig4.toml: panel[0].scenaro: found unknown key 'scenaro'; allowed: keys scenario, title (did you mean 'scenario'?)", id="figure_typo_with_did_you_mean"),
    pytest.param("figure", "fig4.toml", [("columns = 3", "columns = 0")],
                 '{home}/figures/fig4.toml: figure.columns: found 0; allowed: an integer >= 1', id="figure_columns"),
    pytest.param("figure", "fig4.toml", [("share_mass = true", "share_mass = 1")],
                 '{home}/figures/fig4.toml: figure.share_mass: found 1; allowed: true or false', id="figure_not_a_bool"),
    pytest.param("figure", "fig4.toml", [('scenario = "fig4_e"', 'scenario = "fig4_x"')],
                 "{home}/figures/fig4.toml: panel[0].scenario: found 'fig4_x'; allowed: the name of a scenario of {home}: " + ", ".join(SCENARIOS), id="figure_unknown_scenario"),
    pytest.param("figure", "fig4.toml", [("[[panel]]", "[[panels]]")],
                 "{home}/figures/fig4.toml: panels: found unknown key 'panels'; allowed: keys figure, panel (did you mean 'panel'?)", id="figure_missing_panels"),
    pytest.param("figure", "fig4.toml", [('scenario = "fig4_e"', 'scenario = "../fig4_e"')],
                 "{home}/figures/fig4.toml: panel[0].scenario: found '../fig4_e'; allowed: the name of a scenario of {home}: " + ", ".join(SCENARIOS), id="figure_scenario_cannot_leave_the_folder"),
    # ---------------------------------------------------------------- BaBar recast files
    pytest.param("recast", "babar.toml", [('\norigin = "added"', '\norigin = "guess"')],
                 "{home}/limits/babar.toml: choice.leading_cos_range.origin: found 'guess'; allowed: one of: 'paper', 'added'", id="recast_unknown_origin"),
    pytest.param("recast", "babar.toml", [("value = [-0.31, 0.6]", "value = [0.6, -0.31]")],
                 '{home}/limits/babar.toml: choice.leading_cos_range.value: found [0.6, -0.31]; allowed: [low, high] with -1 < low < high < 1 (the ISR photon rate diverges along the beams)', id="recast_range_reversed"),
    pytest.param("recast", "babar.toml", [("value = [-0.31, 0.6]", "value = 0.6")],
                 '{home}/limits/babar.toml: choice.leading_cos_range.value: found 0.6; allowed: [low, high] with -1 < low < high < 1 (the ISR photon rate diverges along the beams)', id="recast_range_not_a_pair"),
    pytest.param("recast", "babar.toml", [("value = 60.0", "value = -60.0")],
                 '{home}/limits/babar.toml: choice.luminosity_invfb.value: found -60.0; allowed: a finite number > 0', id="recast_negative_luminosity"),
    pytest.param("recast", "babar.toml", [('reason = "the BaBar single-photon trigger"\n', "")],
                 '{home}/limits/babar.toml: choice.leading_min_energy_GeV.reason: found nothing (the key is missing); allowed: every choice states its source and its reason', id="recast_reason_missing"),
    pytest.param("recast", "babar.toml", [("[choice.decay_radius_m]", "[choice.decay_radius]")],
                 "{home}/limits/babar.toml: choice.decay_radius: found unknown key 'decay_radius'; allowed: keys sqrt_s_GeV, luminosity_invfb, required_events, leading_min_energy_GeV, leading_cos_range, subleading_min_energy_GeV, subleading_cos_range, missing_energy_min_GeV, decay_radius_m (did you mean 'decay_radius_m'?)", id="recast_choice_typo"),
    pytest.param("recast", "babar_ups3s.toml", [('base = "babar"', 'base = "babr"')],
                 "{home}/limits/babar_ups3s.toml: base: found 'babr'; allowed: a recast name of scenarios/limits/: babar, babar_ups3s", id="recast_unknown_base"),
]

FOLDER = {"scenario": "examples", "experiment": "experiments", "beam": "beams", "figure": "figures",
          "recast": "limits"}
LOAD = {"scenario": load_scenario, "experiment": lambda path: load_experiment_preset(path.stem),
        "beam": lambda path: load_beam(path.stem), "figure": load_figure,
        "recast": lambda path: load_babar_recast(path.stem)}


@pytest.mark.parametrize(("kind", "name", "edits", "line"), ERRORS)
def test_config_error(make_home, kind, name, edits, line):
    home = make_home(".") / "scenarios"
    path = home / FOLDER[kind] / name
    if kind == "beam":
        path.write_text(BEAM)
    if edits is not None:
        text = path.read_text()
        for old, new in edits:
            assert old in text, old  # the edit must really change the file
            text = text.replace(old, new, 1)
        # one row writes Latin-1, to check the non-UTF-8 message
        path.write_bytes(text.encode("latin-1" if "\u00e9" in text else "utf-8"))
    with pytest.raises(ScenarioError) as info:
        LOAD[kind](path)
    message = str(info.value)
    assert message == line.replace("{home}", str(home))
    assert "\n" not in message and info.value.file in message
