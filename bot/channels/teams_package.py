"""The Teams app package: manifest.json (from deploy/teams/manifest.template.json) and the two icons, zipped.

A council's Teams admin uploads the zip (Teams admin centre > Manage apps > Upload, or "Upload a custom
app" in Teams). `careerbot teams-package --app-id ID` calls build_package(); the icons are drawn here
with a small PNG writer (zlib only), so the package needs nothing but the standard library.
"""

from __future__ import annotations

import argparse
import json
import re
import struct
import sys
import uuid
import zipfile
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from bot.shipped import shipped

TEMPLATE_DIR = shipped("deploy", "teams")
TEMPLATE_NAME = "manifest.template.json"
COLOR_ICON = "color.png"
OUTLINE_ICON = "outline.png"
COLOR_SIZE = 192
OUTLINE_SIZE = 32
ACCENT = (0x1F, 0x6F, 0x78)  # a deep teal
_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_SEMVER = re.compile(r"^\d{1,5}\.\d{1,5}\.\d{1,5}$")
_DOMAIN = re.compile(r"^(?:\*\.)?(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
                     r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+(?::\d{1,5})?$")


class PackageError(ValueError):
    """The package cannot be built as asked; the message says why, for the person running the command."""


# -- PNG -------------------------------------------------------------------------------------------------------

def png_bytes(width: int, height: int, rgba: Sequence[tuple[int, int, int, int]]) -> bytes:
    """An 8-bit RGBA PNG of the given pixels (row by row)."""
    if len(rgba) != width * height:
        raise ValueError("pixel count does not match the size")
    raw = bytearray()
    for y in range(height):
        raw.append(0)  # filter: none
        for r, g, b, a in rgba[y * width:(y + 1) * width]:
            raw += bytes((r, g, b, a))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(bytes(raw), 9))
            + chunk(b"IEND", b""))


def read_png(data: bytes) -> tuple[int, int, list[tuple[int, int, int, int]]]:
    """Width, height and RGBA pixels of a PNG written by png_bytes (8-bit RGBA, no filters); checks CRCs."""
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG")
    pos, idat, width = 8, b"", 0
    height = 0
    while pos < len(data):
        (length,) = struct.unpack(">I", data[pos:pos + 4])
        kind = data[pos + 4:pos + 8]
        body = data[pos + 8:pos + 8 + length]
        (crc,) = struct.unpack(">I", data[pos + 8 + length:pos + 12 + length])
        if zlib.crc32(kind + body) & 0xFFFFFFFF != crc:
            raise ValueError(f"bad CRC in {kind!r}")
        if kind == b"IHDR":
            width, height, depth, colour, *_ = struct.unpack(">IIBBBBB", body)
            if (depth, colour) != (8, 6):
                raise ValueError("only 8-bit RGBA is read here")
        elif kind == b"IDAT":
            idat += body
        elif kind == b"IEND":
            break
        pos += 12 + length
    raw = zlib.decompress(idat)
    stride = width * 4 + 1
    pixels = []
    for y in range(height):
        row = raw[y * stride:(y + 1) * stride]
        if row[0] != 0:
            raise ValueError("filtered rows are not read here")
        pixels += [tuple(row[1 + 4 * x:5 + 4 * x]) for x in range(width)]
    return width, height, pixels  # type: ignore[return-value]


def _draw(size: int, inside: Callable[[float, float], bool], *, samples: int = 4) -> list[float]:
    """Coverage (0..1) of each pixel by a shape given in unit coordinates, anti-aliased by supersampling."""
    cover = []
    step = 1.0 / samples
    for y in range(size):
        for x in range(size):
            hits = 0
            for sy in range(samples):
                for sx in range(samples):
                    if inside((x + (sx + 0.5) * step) / size, (y + (sy + 0.5) * step) / size):
                        hits += 1
            cover.append(hits / (samples * samples))
    return cover


def _rounded_rect(x0: float, y0: float, x1: float, y1: float, r: float) -> Callable[[float, float], bool]:
    def inside(x: float, y: float) -> bool:
        if not (x0 <= x <= x1 and y0 <= y <= y1):
            return False
        cx = min(max(x, x0 + r), x1 - r)
        cy = min(max(y, y0 + r), y1 - r)
        return (x - cx) ** 2 + (y - cy) ** 2 <= r * r
    return inside


def _steps_glyph(margin: float) -> Callable[[float, float], bool]:
    """careerbot's mark: three rising steps and a person (a circle) at the top of them."""
    span = 1 - 2 * margin
    w = span * 0.26
    gap = span * 0.07
    base = margin + span
    bars = []
    for i, height in enumerate((0.30, 0.50, 0.70)):
        x0 = margin + i * (w + gap)
        bars.append(_rounded_rect(x0, base - span * height, x0 + w, base, span * 0.04))
    head_x = margin + 2 * (w + gap) + w / 2
    head_y = base - span * 0.70 - span * 0.15
    head_r = span * 0.10

    def inside(x: float, y: float) -> bool:
        if (x - head_x) ** 2 + (y - head_y) ** 2 <= head_r ** 2:
            return True
        return any(bar(x, y) for bar in bars)
    return inside


def color_icon() -> bytes:
    """192x192: white mark on the accent colour, full bleed."""
    cover = _draw(COLOR_SIZE, _steps_glyph(0.22))
    r0, g0, b0 = ACCENT
    pixels = [(round(r0 + (255 - r0) * c), round(g0 + (255 - g0) * c), round(b0 + (255 - b0) * c), 255)
              for c in cover]
    return png_bytes(COLOR_SIZE, COLOR_SIZE, pixels)


def outline_icon() -> bytes:
    """32x32: the mark in white on transparent, as Teams requires."""
    cover = _draw(OUTLINE_SIZE, _steps_glyph(0.06), samples=8)
    return png_bytes(OUTLINE_SIZE, OUTLINE_SIZE, [(255, 255, 255, round(255 * c)) for c in cover])


def write_icons(folder: Path = TEMPLATE_DIR) -> None:
    """(Re)draw deploy/teams/color.png and outline.png."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / COLOR_ICON).write_bytes(color_icon())
    (folder / OUTLINE_ICON).write_bytes(outline_icon())


# -- manifest ----------------------------------------------------------------------------------------------------

def _check_guid(value: str, what: str) -> str:
    value = (value or "").strip()
    if not _GUID.match(value):
        raise PackageError(f"{what} must be a GUID like 00000000-0000-0000-0000-000000000000, not {value!r}")
    return value.lower()


def _check_https(url: str, what: str) -> str:
    if not re.match(r"^https://[^\s/]+(/\S*)?$", url or ""):
        raise PackageError(f"{what} must be an https:// address, not {url!r}")
    return url


def _fill(node: Any, values: dict[str, Any]) -> Any:
    if isinstance(node, dict):
        return {k: _fill(v, values) for k, v in node.items()}
    if isinstance(node, list):
        out: list[Any] = []
        for item in node:
            if isinstance(item, str) and item.startswith("{{") and item.endswith("}}") \
                    and isinstance(values.get(item[2:-2]), list):
                out += values[item[2:-2]]  # a list placeholder expands in place
            else:
                out.append(_fill(item, values))
        return out
    if isinstance(node, str):
        def sub(m: re.Match[str]) -> str:
            key = m.group(1)
            if key not in values:
                raise PackageError(f"the manifest template uses {{{{{key}}}}}, which has no value")
            return str(values[key])
        return re.sub(r"\{\{([A-Z_]+)\}\}", sub, node)
    return node


def build_manifest(app_id: str, *, name: str = "careerbot",
                   full_name: str = "careerbot: social care career progression", version: str = "1.0.0",
                   manifest_id: str | None = None, developer_name: str = "careerbot",
                   website_url: str | None = None, privacy_url: str | None = None, terms_url: str | None = None,
                   domains: Sequence[str] = (), accent_color: str | None = None,
                   template_dir: Path = TEMPLATE_DIR) -> dict[str, Any]:
    """The manifest as a dict, checked: GUIDs, version, lengths Teams allows, https addresses, domains."""
    app_id = _check_guid(app_id, "The bot's Microsoft App ID (--app-id)")
    manifest_id = _check_guid(manifest_id, "The Teams app id (--manifest-id)") if manifest_id else app_id
    if not _SEMVER.match(version):
        raise PackageError(f"version must look like 1.0.0, not {version!r}")
    name = name.strip()
    full_name = full_name.strip()
    if not 1 <= len(name) <= 30:
        raise PackageError("the short name must be 1 to 30 characters")
    if not 1 <= len(full_name) <= 100:
        raise PackageError("the full name must be 1 to 100 characters")
    if not 1 <= len(developer_name.strip()) <= 32:
        raise PackageError("the developer name must be 1 to 32 characters")
    domains = [d.strip().lower() for d in domains if d and d.strip()]
    for d in domains:
        if not _DOMAIN.match(d):
            raise PackageError(f"{d!r} is not a domain name (give it without https://, e.g. careerbot.example.gov.uk)")
    home = f"https://{domains[0].removeprefix('*.')}" if domains else "https://www.example.org/careerbot"
    website_url = _check_https(website_url or home, "The website address")
    privacy_url = _check_https(privacy_url or website_url.rstrip("/") + "/privacy", "The privacy address")
    terms_url = _check_https(terms_url or website_url.rstrip("/") + "/terms", "The terms of use address")
    accent = accent_color or "#{:02X}{:02X}{:02X}".format(*ACCENT)
    if not re.match(r"^#[0-9A-Fa-f]{6}$", accent):
        raise PackageError(f"the accent colour must look like #1F6F78, not {accent!r}")
    template_path = template_dir / TEMPLATE_NAME
    try:
        template = json.loads(template_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise PackageError(f"the manifest template is missing: {template_path}") from exc
    values = {"APP_ID": app_id, "MANIFEST_ID": manifest_id, "VERSION": version, "NAME_SHORT": name,
              "NAME_FULL": full_name, "DEVELOPER_NAME": developer_name.strip(), "WEBSITE_URL": website_url,
              "PRIVACY_URL": privacy_url, "TERMS_URL": terms_url, "ACCENT_COLOR": accent,
              "VALID_DOMAINS": domains}
    manifest = _fill(template, values)
    for bot in manifest.get("bots") or []:
        for commands in bot.get("commandLists") or []:
            if len(commands.get("commands") or []) > 10:
                raise PackageError("Teams allows at most 10 commands per scope")
            for command in commands.get("commands") or []:
                if len(command["title"]) > 32 or len(command["description"]) > 128:
                    raise PackageError(f"command {command['title']!r} is too long for Teams")
    return manifest


def build_package(app_id: str, out_path: str | Path, *, name: str = "careerbot",
                  full_name: str = "careerbot: social care career progression", version: str = "1.0.0",
                  manifest_id: str | None = None, developer_name: str = "careerbot",
                  website_url: str | None = None, privacy_url: str | None = None, terms_url: str | None = None,
                  domains: Sequence[str] = (), accent_color: str | None = None,
                  template_dir: Path = TEMPLATE_DIR) -> Path:
    """Write the Teams app package (manifest.json, color.png, outline.png) to out_path; return the path.

    app_id is the bot's Microsoft App ID (MICROSOFT_APP_ID); it is also the Teams app id unless
    manifest_id is given. domains are the host names careerbot is served from (validDomains)."""
    manifest = build_manifest(app_id, name=name, full_name=full_name, version=version, manifest_id=manifest_id,
                              developer_name=developer_name, website_url=website_url, privacy_url=privacy_url,
                              terms_url=terms_url, domains=domains, accent_color=accent_color,
                              template_dir=template_dir)
    icons = {}
    for filename, draw, size in ((COLOR_ICON, color_icon, COLOR_SIZE), (OUTLINE_ICON, outline_icon, OUTLINE_SIZE)):
        path = template_dir / filename
        data = path.read_bytes() if path.exists() else draw()
        width, height, _ = read_png(data)
        if (width, height) != (size, size):
            raise PackageError(f"{path} must be {size}x{size} pixels, not {width}x{height}")
        icons[filename] = data
    out = Path(out_path)
    if out.suffix.lower() != ".zip":
        out = out / "careerbot-teams.zip" if out.is_dir() else out.with_suffix(".zip")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + f".{uuid.uuid4().hex[:8]}.tmp")
    with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("manifest.json", json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")
        for filename, data in icons.items():
            zf.writestr(filename, data)
    tmp.replace(out)
    return out


# -- command line ------------------------------------------------------------------------------------------------

def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--app-id", required=True, help="the bot's Microsoft App ID (a GUID)")
    parser.add_argument("--out", default="careerbot-teams.zip", help="the zip to write (default %(default)s)")
    parser.add_argument("--name", default="careerbot", help="short name shown in Teams (30 characters)")
    parser.add_argument("--full-name", default="careerbot: social care career progression")
    parser.add_argument("--version", default="1.0.0", help="the app's version; raise it for every new upload")
    parser.add_argument("--manifest-id", help="the Teams app id, if not the same as the App ID")
    parser.add_argument("--developer", default="careerbot", help="developer or organisation name")
    parser.add_argument("--website", help="https:// address of the service's home page")
    parser.add_argument("--privacy", help="https:// address of the privacy notice")
    parser.add_argument("--terms", help="https:// address of the terms of use")
    parser.add_argument("--domain", action="append", default=[], help="host name careerbot is served from "
                                                                       "(validDomains); may be repeated")


def run(args: argparse.Namespace) -> int:
    try:
        out = build_package(args.app_id, args.out, name=args.name, full_name=args.full_name, version=args.version,
                            manifest_id=args.manifest_id, developer_name=args.developer, website_url=args.website,
                            privacy_url=args.privacy, terms_url=args.terms, domains=args.domain)
    except PackageError as exc:
        print(f"careerbot teams-package: {exc}", file=sys.stderr)
        return 2
    print(f"Teams app package written to {out}. Upload it in the Teams admin centre (Manage apps > Upload).")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="careerbot teams-package", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
