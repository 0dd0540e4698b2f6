"""Beam presets: validation with key paths, configuration hashes, the committed presets."""

import math

import pytest

from dipscan.errors import ScenarioError
from dipscan.io.paths import default_tables_dir, project_root
from dipscan.physics.constants import PROTON_MASS_GeV
from dipscan.production.beams import list_beams, load_beam

BASE = """
name = "b"
[kinematics]
frame = "fixed-target"
beam_energy_GeV = 400.0
[generation]
seed = 1
shard_events = 10
[normalisation]
feed_down = "inclusive"
[[production]]
name = "soft"
pythia = ["SoftQCD:all = on"]
n_events = 100
raw_multiplicity = "per-event"
[[production.meson]]
pdgid = 111
name = "pi0"
multiplicity = 4.3
source = "Table 1"
prescale = [{ theta_max_rad = 0.03, factor = 2 }, { theta_max_rad = inf, factor = 10 }]
"""


@pytest.fixture
def home(tmp_path, monkeypatch):
    (tmp_path / "scenarios" / "beams").mkdir(parents=True)
    monkeypatch.setenv("DIPSCAN_HOME", str(tmp_path))
    return tmp_path


def _write(home, text, name="b"):
    (home / "scenarios" / "beams" / f"{name}.toml").write_text(text)


def test_home_follows_the_environment(home):
    assert project_root() == home
    assert default_tables_dir() == home / "tables"


def test_valid_preset(home):
    _write(home, BASE)
    b = load_beam("b")
    assert list_beams() == ["b"]
    assert b.species == (111,)
    # fixed target: sqrt(s) = sqrt(2 m^2 + 2 m E)
    m = PROTON_MASS_GeV
    assert b.sqrt_s_GeV == pytest.approx(math.sqrt(2 * m * m + 2 * m * 400.0))
    assert "Beams:frameType = 2" in b.beam_settings() and "Beams:eB = 0." in b.beam_settings()


def test_unknown_beam_lists_the_presets(home):
    _write(home, BASE)
    with pytest.raises(
        ScenarioError, match=r"nope\.toml: found 'nope'; allowed: a beam preset in .*: b$"
    ):
        load_beam("nope")


def test_hashes_follow_the_configuration(home):
    _write(home, BASE)
    ref = load_beam("b")
    h0, k0 = ref.config_hash(), ref.productions[0].shard_key(ref)
    assert load_beam("b").config_hash() == h0  # unchanged preset, same hash

    def variant(old, new):
        _write(home, BASE.replace(old, new, 1))
        b = load_beam("b")
        return b.config_hash(), b.productions[0].shard_key(b)

    # a PYTHIA setting, the seed, the shard size or a prescale change the events: both hashes move
    for old, new in [
        ('["SoftQCD:all = on"]', '["SoftQCD:all = on", "PhaseSpace:pTHatMin = 0.5"]'),
        ("seed = 1", "seed = 2"),
        ("shard_events = 10", "shard_events = 20"),
        ("factor = 2", "factor = 3"),
        ("beam_energy_GeV = 400.0", "beam_energy_GeV = 450.0"),
    ]:
        h, k = variant(old, new)
        assert h != h0 and k != k0, (old, new)
    # the normalisation and the number of events change the tables, not the shards
    for old, new in [
        ("multiplicity = 4.3", "multiplicity = 4.4"),
        ("n_events = 100", "n_events = 200"),
    ]:
        h, k = variant(old, new)
        assert h != h0 and k == k0, (old, new)
    # comments and the description change nothing
    h, k = variant('name = "b"', 'name = "b"\ndescription = "another text"  # comment')
    assert (h, k) == (h0, k0)
    assert ref.config_hash({"soft": 200}) == variant("n_events = 100", "n_events = 200")[0]


def test_a_preset_is_parsed_once_per_content_and_again_when_edited(home):
    _write(home, BASE)
    assert load_beam("b") is load_beam("b")  # a run asks several times: parsed once
    _write(home, BASE.replace("seed = 1", "seed = 2"))  # same size, at once: still seen
    assert load_beam("b").seed == 2
    _write(home, BASE.replace("seed = 1", "seed = x"))
    with pytest.raises(ScenarioError, match="TOML syntax"):
        load_beam("b")


def test_committed_sps400_preset_uses_table_1(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    b = load_beam("sps400")
    assert b.frame == "fixed-target" and b.beam_energy_GeV == 400.0
    # arXiv:2406.17599, Table 1 (multiplicities per p-p collision)
    table1 = {
        111: 4.3,
        221: 0.49,
        331: 0.055,
        113: 0.58,
        223: 0.57,
        333: 0.021,
        443: 4.7e-6,
        553: 2.2e-9,
    }
    for pdgid, value in table1.items():
        assert b.meson(pdgid)[1].multiplicity == value
    assert "sps400" in list_beams()


def test_collider_preset(home):
    text = BASE.replace('frame = "fixed-target"', 'frame = "collider"').replace(
        "beam_energy_GeV = 400.0", "ecm_GeV = 14000.0"
    )
    _write(home, text.replace("shard_events = 10", "shard_events = 10\nsymmetrise = true"))
    b = load_beam("b")
    assert b.sqrt_s_GeV == 14000.0 and b.symmetrise
    assert "Beams:frameType = 1" in b.beam_settings() and "Beams:eCM = 14000.0" in b.beam_settings()
    _write(home, text.replace("ecm_GeV = 14000.0", "beam_energy_GeV = 7000.0"))
    with pytest.raises(ScenarioError) as info:
        load_beam("b")
    assert info.value.key == "kinematics.ecm_GeV"  # a collider needs its centre-of-mass energy


def test_every_committed_preset_loads(monkeypatch):
    monkeypatch.delenv("DIPSCAN_HOME", raising=False)
    names = list_beams()
    assert {"sps400", "sps450", "u70", "lhc14"} <= set(names)
    for name in names:
        b = load_beam(name)
        assert b.species and len(set(b.species)) == len(b.species)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('source = "Table 1"', "", "production[0].meson[0].source: found nothing (the key is missing); "
                                   "allowed: a string"),
        ("seed = 1", "seed = 1\nshard_event = 3", "generation.shard_event: found unknown key 'shard_event'; "
                                                  "allowed: keys seed, shard_events, symmetrise "
                                                  "(did you mean 'shard_events'?)"),
    ],
)
def test_beam_errors_use_the_scenario_wording(home, old, new, message):
    """Missing and unknown keys read as in scenarios and experiment presets."""
    _write(home, BASE.replace(old, new, 1))
    with pytest.raises(ScenarioError) as info:
        load_beam("b")
    assert str(info.value).endswith(message)


SAMPLING = "[sampling]\nphoton_floors_GeV = [1.0, 0.5]\ntheta_accept_rad = 0.03\n[normalisation]"


def test_sampling_table_is_read_and_optional(home):
    _write(home, BASE)
    assert load_beam("b").sampling is None
    _write(home, BASE.replace("[normalisation]", SAMPLING, 1))
    sampling = load_beam("b").sampling
    assert sampling.photon_floors_GeV == (1.0, 0.5) and sampling.theta_accept_rad == 0.03


@pytest.mark.parametrize(("old", "new", "key", "allowed"), [
    ("[1.0, 0.5]", "[0.5, 1.0]", "sampling.photon_floors_GeV", "from the highest to the lowest"),
    ("[1.0, 0.5]", "[1.0, 1.0]", "sampling.photon_floors_GeV", "distinct energies"),
    ("[1.0, 0.5]", "[]", "sampling.photon_floors_GeV", "non-empty array"),
    ("[1.0, 0.5]", "[1.0, -0.5]", "sampling.photon_floors_GeV[1]", "a finite number > 0"),
    ("[1.0, 0.5]", '"1 GeV"', "sampling.photon_floors_GeV", "array of photon energies"),
    ("theta_accept_rad = 0.03", "theta_accept_rad = 0", "sampling.theta_accept_rad", "> 0 and <= 1.5708"),
    ("theta_accept_rad = 0.03", "theta_accept_rad = 0.03\nfloor = 1", "sampling.floor", "unknown key"),
])
def test_bad_sampling_table_names_file_key_and_what_is_allowed(home, old, new, key, allowed):
    _write(home, BASE.replace("[normalisation]", SAMPLING.replace(old, new, 1), 1))
    with pytest.raises(ScenarioError) as info:
        load_beam("b")
    assert info.value.key == key
    assert info.value.file.endswith("b.toml")
    assert allowed in str(info.value)
