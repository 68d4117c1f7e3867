"""A corpus of hostile uploads, built in code at test time so that no binary lives in the repository.

Every builder returns bytes. The big ones (900 and 100 megapixels) stream their pixel rows
through zlib, so the files are small while the dimensions they declare are not.
"""

import io
import random
import struct
import zlib
from pathlib import Path

from PIL import ExifTags, Image
from PIL.PngImagePlugin import PngInfo

SCRIPT = b"<html><body><script>alert(document.cookie)</script></body></html>"


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def streamed_png(width: int, height: int) -> bytes:
    """Return a valid 1-bit greyscale PNG of any size; 900 megapixels come out near 110 kB."""
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(6)
    row = b"\x00" + bytes((width + 7) // 8)  # filter byte "none", then all-black pixels
    batch_rows = 1000
    compressed = []
    for start in range(0, height, batch_rows):
        compressed.append(compressor.compress(row * min(batch_rows, height - start)))
    compressed.append(compressor.flush())
    data = b"".join(compressed)
    idat = b"".join(_png_chunk(b"IDAT", data[i : i + 65536]) for i in range(0, len(data), 65536))
    return b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + idat + _png_chunk(b"IEND", b"")


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        chunks.append((data[position + 4 : position + 8], data[position + 8 : position + 8 + length]))
        position += 12 + length
    return chunks


def png_with_bad_crc() -> bytes:
    """A byte of pixel data flipped in transit: the chunk's CRC no longer matches."""
    data = bytearray(small_png())
    data[data.index(b"IDAT") + 6] ^= 0xFF
    return bytes(data)


def png_with_corrupt_pixels() -> bytes:
    """Every chunk well-formed with a correct CRC, but the compressed pixel data is garbage.

    Only a full decode finds this out: the request accepts it, the worker must fail it.
    """
    chunks = png_chunks(small_png())
    garbage = b"\x78\x9c" + bytes(range(7, 250, 3)) * 4
    rebuilt = [(kind, garbage if kind == b"IDAT" else payload) for kind, payload in chunks]
    return b"\x89PNG\r\n\x1a\n" + b"".join(_png_chunk(kind, payload) for kind, payload in rebuilt)


def truncated_png() -> bytes:
    data = _save(noise_image(200, 100), "PNG")
    return data[: len(data) // 2]


def truncated_webp() -> bytes:
    data = _save(noise_image(200, 100), "WEBP", quality=90)
    return data[: len(data) // 2]


def _save(image: Image.Image, image_format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **options)
    return buffer.getvalue()


def two_colour_image(width: int = 40, height: int = 20) -> Image.Image:
    """Left half red, right half blue: enough to see which way an image was turned."""
    image = Image.new("RGB", (width, height), (255, 0, 0))
    image.paste((0, 0, 255), (width // 2, 0, width, height))
    return image


def noise_image(width: int, height: int, seed: int = 7) -> Image.Image:
    return Image.frombytes("RGB", (width, height), random.Random(seed).randbytes(width * height * 3))


def small_jpeg(width: int = 64, height: int = 48, **options: object) -> bytes:
    return _save(noise_image(width, height), "JPEG", quality=90, **options)


def small_png() -> bytes:
    return _save(two_colour_image(), "PNG")


def small_webp() -> bytes:
    return _save(two_colour_image(), "WEBP", quality=90)


def polyglot_png() -> bytes:
    """A valid PNG with HTML and script in a tEXt chunk and again after IEND."""
    info = PngInfo()
    info.add_text("Comment", SCRIPT.decode())
    return _save(two_colour_image(), "PNG", pnginfo=info) + SCRIPT


def svg_with_script() -> bytes:
    return (
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" onload="alert(1)">'
        b"<script>alert(document.domain)</script><rect width='10' height='10'/></svg>"
    )


def html_document() -> bytes:
    return b"<!DOCTYPE html>\n" + SCRIPT


def executable_with_jpeg_magic() -> bytes:
    """JPEG's first four bytes, then a DOS/PE header and machine code."""
    stub = b"MZ\x90\x00\x03" + bytes(55) + struct.pack("<I", 64) + b"PE\x00\x00" + b"\x4c\x01\x03\x00"
    return b"\xff\xd8\xff\xe0" + stub + bytes(range(256)) * 8


def truncated_jpeg() -> bytes:
    data = _save(noise_image(400, 300), "JPEG", quality=90)
    return data[: len(data) // 2]


def tiff() -> bytes:
    return _save(two_colour_image(), "TIFF")


def pdf() -> bytes:
    return _save(two_colour_image(), "PDF")


def gif() -> bytes:
    return _save(two_colour_image().convert("P"), "GIF")


def oversized_jpeg(min_bytes: int) -> bytes:
    """A real, decodable JPEG larger than `min_bytes` (noise does not compress)."""
    side = 1400
    while True:
        data = _save(noise_image(side, side), "JPEG", quality=98)
        if len(data) > min_bytes:
            return data
        side += 400


GPS_LATITUDE = (52.0, 13.0, 26.0)
XMP_WITH_GPS = (
    b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
    b'<rdf:Description xmlns:exif="http://ns.adobe.com/exif/1.0/" exif:GPSLatitude="52,13.43N"/>'
    b"</rdf:RDF></x:xmpmeta>"
)


def jpeg_with_gps_and_orientation() -> bytes:
    """A 40x20 JPEG (red left, blue right) whose EXIF says "turn 90° clockwise" and where it was taken."""
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    exif[ExifTags.Base.Make] = "PhoneCorp"
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = GPS_LATITUDE
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (21.0, 0.0, 42.0)
    return _save(two_colour_image(), "JPEG", quality=95, exif=exif, xmp=XMP_WITH_GPS)


def cmyk_jpeg() -> bytes:
    """Pure red, as a print shop would save it: four CMYK channels (Adobe inverted)."""
    return _save(Image.new("CMYK", (64, 48), (0, 255, 255, 0)), "JPEG", quality=95)


def palette_png_with_transparency() -> bytes:
    """Left half fully transparent (palette entry 0 in tRNS), right half opaque blue."""
    image = Image.new("P", (32, 16), 0)
    image.putpalette([255, 0, 0, 0, 0, 255])
    image.paste(1, (16, 0, 32, 16))
    return _save(image, "PNG", transparency=0)


def sixteen_bit_grey_png(level: int = 0x8080) -> bytes:
    return _save(Image.new("I;16", (16, 16), level), "PNG")


def animated_webp() -> bytes:
    frames = [Image.new("RGB", (32, 32), colour) for colour in ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    return _save(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=100, loop=0, lossless=True)


def jpeg_with_declared_size(width: int, height: int) -> bytes:
    """A tiny JPEG whose frame header (SOF0) claims `width` x `height`."""
    data = bytearray(small_jpeg(16, 16))
    sof = data.index(b"\xff\xc0")
    # FF C0, length (2), precision (1), then height and width, big-endian.
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def jpeg_with_many_scans(copies: int = 300) -> bytes:
    """A progressive JPEG whose last scan is repeated: each scan costs a pass over every block."""
    data = _save(noise_image(64, 64), "JPEG", quality=80, progressive=True)
    last_scan = data[data.rindex(b"\xff\xda") : -2]
    return data[:-2] + last_scan * copies + b"\xff\xd9"


def flipped_bytes(data: bytes, *, seed: int, flips: int = 8) -> bytes:
    """`data` with a few bytes overwritten at random, past the first 8 so the format is still recognised."""
    rng = random.Random(seed)
    mutated = bytearray(data)
    for _ in range(flips):
        mutated[rng.randrange(8, len(mutated))] = rng.randrange(256)
    return bytes(mutated)


def jpeg_with_script_comment() -> bytes:
    """A JPEG whose COM segment is an HTML page: Pillow copies comments over on a plain re-save."""
    return _save(two_colour_image(), "JPEG", quality=90, comment=SCRIPT)


def random_bytes(size: int, seed: int = 3) -> bytes:
    return random.Random(seed).randbytes(size)


def files_under(root: Path) -> list[str]:
    """Every stored file below `root`, as sorted relative paths."""
    return sorted(str(path.relative_to(root)) for path in root.rglob("*") if path.is_file())
