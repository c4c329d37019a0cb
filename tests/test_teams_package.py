"""The Teams app package: deploy/teams/manifest.template.json and icons, zipped by build_package()."""

from __future__ import annotations

import json
import zipfile

import pytest

from bot.channels import teams_package as pkg

APP_ID = "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0"


def test_build_package_writes_a_valid_zip(tmp_path):
    out = pkg.build_package(APP_ID, tmp_path / "careerbot.zip", domains=["careerbot.example.gov.uk"])
    assert out == tmp_path / "careerbot.zip"
    with zipfile.ZipFile(out) as zf:
        assert sorted(zf.namelist()) == ["color.png", "manifest.json", "outline.png"]
        manifest = json.loads(zf.read("manifest.json"))
        color = pkg.read_png(zf.read("color.png"))
        outline = pkg.read_png(zf.read("outline.png"))
    assert manifest["manifestVersion"] >= "1.16" and manifest["$schema"].endswith("MicrosoftTeams.schema.json")
    assert manifest["id"] == APP_ID and manifest["version"] == "1.0.0"
    [bot] = manifest["bots"]
    assert bot["botId"] == APP_ID
    assert set(bot["scopes"]) >= {"personal", "team"}
    assert {s for cl in bot["commandLists"] for s in cl["scopes"]} >= {"personal", "team"}
    for commands in bot["commandLists"]:
        assert 1 <= len(commands["commands"]) <= 10
        assert all(len(c["title"]) <= 32 and len(c["description"]) <= 128 for c in commands["commands"])
    assert manifest["validDomains"] == ["careerbot.example.gov.uk"]
    assert manifest["developer"]["websiteUrl"] == "https://careerbot.example.gov.uk"
    assert all(manifest["developer"][k].startswith("https://") for k in ("websiteUrl", "privacyUrl", "termsOfUseUrl"))
    assert len(manifest["name"]["short"]) <= 30 and len(manifest["description"]["short"]) <= 80
    assert len(manifest["description"]["full"]) <= 4000
    assert manifest["icons"] == {"color": "color.png", "outline": "outline.png"}
    assert "{{" not in json.dumps(manifest)
    # icons: 192x192 colour, 32x32 outline in white on transparent
    assert color[:2] == (192, 192) and outline[:2] == (32, 32)
    assert all(a == 255 for *_, a in color[2])
    assert all((r, g, b) == (255, 255, 255) for r, g, b, _ in outline[2])
    alphas = {a for *_, a in outline[2]}
    assert 0 in alphas and 255 in alphas


def test_the_icons_in_deploy_are_the_ones_drawn():
    assert (pkg.TEMPLATE_DIR / "color.png").read_bytes() == pkg.color_icon()
    assert (pkg.TEMPLATE_DIR / "outline.png").read_bytes() == pkg.outline_icon()


@pytest.mark.parametrize("bad", ["", "not-a-guid", "12345678-1234-1234-1234-12345678", "{" + APP_ID + "}",
                                 APP_ID + "0", "zzzzzzzz-1234-1234-1234-123456789abc"])
def test_the_app_id_must_be_a_guid(tmp_path, bad):
    with pytest.raises(pkg.PackageError, match="GUID"):
        pkg.build_package(bad, tmp_path / "x.zip")
    assert not (tmp_path / "x.zip").exists()


def test_other_checks(tmp_path):
    with pytest.raises(pkg.PackageError, match="version"):
        pkg.build_package(APP_ID, tmp_path / "x.zip", version="1.0")
    with pytest.raises(pkg.PackageError, match="short name"):
        pkg.build_package(APP_ID, tmp_path / "x.zip", name="x" * 31)
    with pytest.raises(pkg.PackageError, match="domain"):
        pkg.build_package(APP_ID, tmp_path / "x.zip", domains=["https://careerbot.example.gov.uk"])
    with pytest.raises(pkg.PackageError, match="https"):
        pkg.build_package(APP_ID, tmp_path / "x.zip", website_url="http://insecure.example")


def test_separate_teams_app_id_and_uppercase_guid(tmp_path):
    other = "AAAAAAAA-BBBB-CCCC-DDDD-EEEEEEEEEEEE"
    out = pkg.build_package(APP_ID.upper(), tmp_path / "pkg", manifest_id=other)
    manifest = json.loads(zipfile.ZipFile(out).read("manifest.json"))
    assert manifest["id"] == other.lower() and manifest["bots"][0]["botId"] == APP_ID


def test_command_line(tmp_path, capsys):
    out = tmp_path / "teams.zip"
    assert pkg.main(["--app-id", APP_ID, "--out", str(out), "--domain", "careerbot.example.gov.uk"]) == 0
    assert out.exists() and "Teams app package written" in capsys.readouterr().out
    assert pkg.main(["--app-id", "nope", "--out", str(out)]) == 2
    assert "must be a GUID" in capsys.readouterr().err


def test_png_writer_round_trips():
    pixels = [(x, y, (x * y) % 256, 255 - x) for y in range(7) for x in range(5)]
    assert pkg.read_png(pkg.png_bytes(5, 7, pixels)) == (5, 7, pixels)
    data = bytearray(pkg.png_bytes(5, 7, pixels))
    data[40] ^= 0xFF
    with pytest.raises(ValueError):
        pkg.read_png(bytes(data))
