"""Literature limits on the neutrino dipole, read from the installed hnlimits data files."""

import math
import shutil

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib.path import Path as MplPath  # noqa: E402

from dipscan.errors import DipscanError  # noqa: E402
from dipscan.limits import literature as lit  # noqa: E402

EXPECTED = {
    "e": {"LEP", "LSND", "SK", "Borexino+SK", "BBN", "SN1987A"},
    "mu": {"LEP", "NOMAD", "MiniBooNE", "CHARM-II", "SK", "Borexino+SK", "BBN", "SN1987A"},
    "tau": {"LEP", "DONUT", "SK", "Borexino+SK", "BBN", "SN1987A"},
}

DATA_DIR = lit.default_data_dir()
pytestmark = pytest.mark.skipif(
    DATA_DIR is None or not DATA_DIR.is_dir(), reason="hnlimits is not installed"
)


def region(flavour, name):
    regions, warnings = lit.neutrino_dipole_limits(flavour)
    assert warnings == []
    (match,) = [r for r in regions if r.name == name]
    return match


def raw_rows(relative_path):
    """The numeric rows of a data file, parsed here independently of the module."""
    rows = []
    for line in (DATA_DIR / relative_path).read_text().splitlines():
        fields = line.split("#")[0].split()
        if len(fields) == 2:
            rows.append((float(fields[0]), float(fields[1])))
    return np.array(rows)


def inside(reg, mass_GeV, coupling_GeVinv):
    path = MplPath(np.column_stack([np.log10(reg.mass_GeV), np.log10(reg.coupling_GeVinv)]))
    return path.contains_point((math.log10(mass_GeV), math.log10(coupling_GeVinv)))


def test_bohr_magneton_conversion_from_first_principles():
    alpha = 1.0 / 137.035999084  # CODATA 2018
    m_e_GeV = 0.51099895000e-3
    e = math.sqrt(4.0 * math.pi * alpha)  # Heaviside-Lorentz natural units
    mu_bohr = e / (2.0 * m_e_GeV)
    # transition moment mu = 2 d  =>  d per Bohr magneton = mu_B / 2
    assert lit.MUB_TO_GeVinv == pytest.approx(mu_bohr / 2.0, rel=1e-8)
    assert lit.MUB_TO_GeVinv == pytest.approx(148.15, abs=0.01)


def test_donut_curve_is_the_published_tau_moment_limit():
    # DONUT (hep-ex/0102026): mu(nu_tau) < 3.9e-7 mu_B at 90% CL; the d file must agree at m -> 0.
    donut = region("tau", "DONUT")
    light = donut.mass_GeV < 0.01
    assert donut.coupling_GeVinv[light].min() == pytest.approx(3.9e-7 * lit.MUB_TO_GeVinv, rel=0.02)


@pytest.mark.parametrize("flavour", lit.FLAVOURS)
def test_every_listed_region_loads_with_plausible_values(flavour):
    regions, warnings = lit.neutrino_dipole_limits(flavour)
    assert warnings == []
    assert {r.name for r in regions} == EXPECTED[flavour]
    assert lit.region_names(flavour) == [r.name for r in regions]
    for r in regions:
        assert flavour in r.flavours
        m, d = r.mass_GeV, r.coupling_GeVinv
        assert m.shape == d.shape and len(m) >= 4
        assert np.all(np.isfinite(m)) and np.all(np.isfinite(d))
        assert np.all((m >= 1e-4 * (1 - 1e-12)) & (m <= 100.0))
        assert np.all((d >= 1e-12 * (1 - 1e-12)) & (d <= 1.0 * (1 + 1e-12)))
        assert (m[0], d[0]) == (m[-1], d[-1]), f"{r.name} polygon is not closed"
        x, y = np.log10(m), np.log10(d)
        area = 0.5 * abs(np.sum(x[:-1] * y[1:] - x[1:] * y[:-1]))
        assert area > 0.05, f"{r.name} polygon is degenerate"
        assert ".dat" in r.source


def test_flavour_specific_files_stay_in_their_flavour():
    names = {fl: {r.name for r in lit.neutrino_dipole_limits(fl)[0]} for fl in lit.FLAVOURS}
    assert "LSND" not in names["mu"] | names["tau"]
    assert "DONUT" not in names["e"] | names["mu"]
    assert not {"NOMAD", "MiniBooNE", "CHARM-II"} & (names["e"] | names["tau"])
    # each flavour's SK region comes from its own file
    assert "SK_atm_de" in region("e", "SK").source
    assert "SK_atm_dtau" in region("tau", "SK").source


def test_mev_masses_are_converted_to_GeV():
    lep = region("e", "LEP")
    m_MeV, d = raw_rows("LEPgz_d.dat")[0]
    hit = np.isclose(lep.mass_GeV, m_MeV * 1e-3, rtol=1e-12) & np.isclose(lep.coupling_GeVinv, d)
    assert hit.any()
    assert not np.isclose(lep.mass_GeV, m_MeV, rtol=1e-6).any()


def test_bohr_magneton_file_is_converted():
    sn = region("mu", "SN1987A")
    rows = raw_rows("SN1987A_muB_bottom.dat")
    m_MeV, mu_over_muB = rows[np.argmin(abs(rows[:, 0] - 10.0))]  # the row near 10 MeV
    d_expected = mu_over_muB * 148.152  # from the first-principles test above
    hit = np.isclose(sn.mass_GeV, m_MeV * 1e-3, rtol=1e-12)
    assert hit.sum() == 1
    assert sn.coupling_GeVinv[hit][0] == pytest.approx(d_expected, rel=1e-4)


def test_each_closure_kind_encloses_the_excluded_side():
    lep = region("e", "LEP")  # one-sided: everything above ~2e-5 up to d = 1
    assert inside(lep, 1.0, 1e-2) and inside(lep, 0.5, 0.9) and not inside(lep, 1.0, 1e-6)
    sn = region("e", "SN1987A")  # a band: joined bottom + top files
    assert inside(sn, 0.01, 1e-9)
    assert not inside(sn, 0.01, 1e-6) and not inside(sn, 0.01, 3e-11)
    sk_e = region("e", "SK")  # capped at the top of its own curve, not closed diagonally
    assert inside(sk_e, 0.008, 5e-6) and not inside(sk_e, 0.03, 3e-5)
    sk_tau = region("tau", "SK")
    assert inside(sk_tau, 0.008, 5e-6) and not inside(sk_tau, 0.008, 2e-7)
    nomad = region("mu", "NOMAD")
    assert inside(nomad, 1.0, 1e-5)
    assert not inside(nomad, 1.0, 1e-7) and not inside(nomad, 1.0, 1e-4)
    bbn = region("e", "BBN")  # N_eff region at light masses; fast decays at 10 MeV are allowed
    assert inside(bbn, 1.5e-3, 1e-5) and not inside(bbn, 0.01, 1e-6)


def test_clipping_to_the_box_keeps_the_right_area():
    square = np.array([[-1.0, -1.0], [1.0, -1.0], [1.0, 1.0], [-1.0, 1.0]])
    clipped = lit._clip_box(square, (0.0, 2.0), (-0.5, 2.0))
    x, y = clipped[:, 0], clipped[:, 1]
    area = 0.5 * abs(np.sum(x * np.roll(y, -1) - np.roll(x, -1) * y))
    assert area == pytest.approx(1.0 * 1.5)
    assert x.min() == 0.0 and y.min() == -0.5
    # the BBN file closes far outside the box (1e-18 mu_B, 1e-7 GeV): clipped to its edges
    bbn = region("mu", "BBN")
    assert bbn.mass_GeV.min() == pytest.approx(1e-4)
    assert bbn.coupling_GeVinv.min() == pytest.approx(1e-12)


def test_missing_file_warns_and_the_rest_load(tmp_path):
    data = tmp_path / "dipole"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.pdf"))
    (data / "mu" / "MiniBooNE_dmu.dat").unlink()
    (data / "SN1987A_muB_top.dat").unlink()  # one piece of a joined contour
    regions, warnings = lit.neutrino_dipole_limits("mu", data_dir=data)
    assert {r.name for r in regions} == EXPECTED["mu"] - {"MiniBooNE", "SN1987A"}
    assert len(warnings) == 2
    assert any("MiniBooNE_dmu.dat" in w for w in warnings)
    assert any("SN1987A_muB_top.dat" in w for w in warnings)
    # the e panel does not use MiniBooNE
    regions_e, warnings_e = lit.neutrino_dipole_limits("e", data_dir=data)
    assert {r.name for r in regions_e} == EXPECTED["e"] - {"SN1987A"} and len(warnings_e) == 1


def test_absent_folder_gives_warnings_not_an_exception(tmp_path):
    regions, warnings = lit.neutrino_dipole_limits("tau", data_dir=tmp_path / "nowhere")
    assert regions == [] and len(warnings) == len(EXPECTED["tau"])


def test_header_units_decide_the_conversion(tmp_path):
    # the same LSND curve written with masses in MeV, as its header now says, loads identically
    data = tmp_path / "dipole"
    shutil.copytree(DATA_DIR, data, ignore=shutil.ignore_patterns("*.pdf"))
    rows = raw_rows("e/LSND_de.dat")
    lines = ["# m4 [MeV]  d_gamma [1/GeV] at 95%CL from LSND data"]
    lines += [f"{m * 1e3:.17g}\t{d:.17g}" for m, d in rows]
    (data / "e" / "LSND_de.dat").write_text("\n".join(lines) + "\n")
    regions, warnings = lit.neutrino_dipole_limits("e", data_dir=data)
    (lsnd,) = [r for r in regions if r.name == "LSND"]
    reference = region("e", "LSND")
    np.testing.assert_allclose(lsnd.mass_GeV, reference.mass_GeV, rtol=1e-12)
    np.testing.assert_allclose(lsnd.coupling_GeVinv, reference.coupling_GeVinv, rtol=1e-12)
    assert len(warnings) == 1 and "LSND_de.dat" in warnings[0] and "MeV" in warnings[0]


def test_unknown_flavour_is_a_domain_error():
    with pytest.raises(DipscanError, match="flavour"):
        lit.neutrino_dipole_limits("sterile")


def test_draw_limit_regions_on_agg():
    colours = {}
    fig, axes = plt.subplots(1, 3)
    try:
        for ax, flavour in zip(axes, lit.FLAVOURS, strict=True):
            ax.set_xscale("log")
            ax.set_yscale("log")
            ax.set_xlim(1e-3, 10.0)
            ax.set_ylim(1e-10, 1e-2)
            regions, _ = lit.neutrino_dipole_limits(flavour)
            lit.draw_limit_regions(ax, regions, alpha=0.3)
            assert len(ax.patches) == len(regions)
            labels = {t.get_text() for t in ax.texts}
            assert labels == {r.name for r in regions}  # all of them are partly in view
            for patch in ax.patches:
                assert patch.get_facecolor()[3] == pytest.approx(0.3)
                colours.setdefault(patch.get_label(), set()).add(patch.get_facecolor())
            for text in ax.texts:  # labels sit in view
                x, y = text.get_position()
                assert 1e-3 <= x <= 10.0 and 1e-10 <= y <= 1e-2
        fig.canvas.draw()
    finally:
        plt.close(fig)
    assert all(len(c) == 1 for c in colours.values())  # one fixed colour per name
    assert len({next(iter(c)) for c in colours.values()}) == len(colours)  # and names differ
