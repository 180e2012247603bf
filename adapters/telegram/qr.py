"""The join QR codes a shop puts on screen during a live stream.

One image, one code per app: a Telegram deep link (t.me/<bot>?start=<code>) and a
WhatsApp click-to-chat link (wa.me/<number>?text=<code>). Scanning either opens a chat
with the code ready to send; bot.join records the viewer's consent when it arrives.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont
from qrcode.image.pil import PilImage

from bot.errors import ConfigError


@dataclass(frozen=True)
class JoinLink:
    app: str
    url: str


def telegram_link(bot_username: str, code: str) -> JoinLink:
    username = bot_username.strip().removeprefix("@")
    if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]{3,31}", username):
        raise ConfigError(f"{bot_username!r} is not a Telegram bot username")
    return JoinLink("Telegram", f"https://t.me/{username}?start={code}")


def whatsapp_link(whatsapp_from: str, code: str) -> JoinLink:
    """`whatsapp:+14155238886` -> wa.me/14155238886 (wa.me wants digits only)."""
    digits = re.sub(r"\D", "", whatsapp_from)
    if not 7 <= len(digits) <= 15:
        raise ConfigError(f"TWILIO_WHATSAPP_FROM {whatsapp_from!r} is not a phone number")
    return JoinLink("WhatsApp", f"https://wa.me/{digits}?text={quote(code)}")


def write_png(links: list[JoinLink], code: str, out: Path) -> Path:
    """The codes side by side, each captioned with its app and link, the show code above."""
    if not links:
        raise ConfigError("no join link to draw: configure Telegram or WhatsApp")
    codes = [_qr(link.url) for link in links]
    side = max(image.width for image in codes)
    margin, header, footer = 40, 90, 110
    canvas = Image.new(
        "RGB", (margin + len(codes) * (side + margin), header + side + footer), "white"
    )
    draw = ImageDraw.Draw(canvas)
    big, small = ImageFont.load_default(size=40), ImageFont.load_default(size=18)
    draw.text((canvas.width / 2, header / 2), code, fill="black", font=big, anchor="mm")
    for index, (link, image) in enumerate(zip(links, codes, strict=True)):
        left = margin + index * (side + margin)
        canvas.paste(image.resize((side, side)), (left, header))
        centre = left + side / 2
        draw.text((centre, header + side + 30), link.app, fill="black", font=big, anchor="mm")
        caption = link.url.removeprefix("https://")
        draw.text((centre, header + side + 75), caption, fill="#444444", font=small, anchor="mm")
    out.parent.mkdir(parents=True, exist_ok=True)
    canvas.save(out, format="PNG")
    return out


def _qr(url: str) -> Image.Image:
    # Level M survives a compressed, slightly blurred video frame; the URLs are short.
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=12)
    code.add_data(url)
    code.make(fit=True)
    return code.make_image(image_factory=PilImage).get_image().convert("RGB")
