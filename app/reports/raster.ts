import { PNG } from "pngjs";
import { GLYPH_HEIGHT, GLYPH_WIDTH, glyphOf } from "./font";

/**
 * A small RGB raster for the report's charts: rectangles, lines, a bitmap
 * font, encoded as PNG with pngjs (pure JavaScript: no browser, no native
 * module, no font files; docs/decisions on the chart renderer).
 */

export type Rgb = readonly [number, number, number];

export const WHITE: Rgb = [255, 255, 255];
export const INK: Rgb = [32, 34, 35];
export const SUBDUED: Rgb = [110, 113, 117];
export const RULE: Rgb = [225, 227, 229];

export class Raster {
  readonly pixels: Buffer;

  constructor(
    readonly width: number,
    readonly height: number,
    background: Rgb = WHITE,
  ) {
    if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1 || width > 4096 || height > 4096) {
      throw new RangeError(`a chart is 1–4096 pixels each way (got ${width}×${height})`);
    }
    this.pixels = Buffer.alloc(width * height * 4);
    this.fillRect(0, 0, width, height, background);
  }

  setPixel(x: number, y: number, color: Rgb): void {
    if (x < 0 || y < 0 || x >= this.width || y >= this.height) return;
    const offset = (Math.floor(y) * this.width + Math.floor(x)) * 4;
    this.pixels[offset] = color[0];
    this.pixels[offset + 1] = color[1];
    this.pixels[offset + 2] = color[2];
    this.pixels[offset + 3] = 255;
  }

  getPixel(x: number, y: number): Rgb {
    const offset = (y * this.width + x) * 4;
    return [this.pixels[offset] ?? 0, this.pixels[offset + 1] ?? 0, this.pixels[offset + 2] ?? 0];
  }

  fillRect(x: number, y: number, width: number, height: number, color: Rgb): void {
    const x0 = Math.max(0, Math.round(x));
    const y0 = Math.max(0, Math.round(y));
    const x1 = Math.min(this.width, Math.round(x + width));
    const y1 = Math.min(this.height, Math.round(y + height));
    for (let row = y0; row < y1; row++) for (let column = x0; column < x1; column++) this.setPixel(column, row, color);
  }

  /** A line `thickness` pixels wide (square pen), optionally dashed. */
  line(x0: number, y0: number, x1: number, y1: number, color: Rgb, thickness = 1, dash = 0): void {
    const length = Math.hypot(x1 - x0, y1 - y0);
    const steps = Math.max(1, Math.ceil(length));
    const half = Math.floor(thickness / 2);
    for (let i = 0; i <= steps; i++) {
      if (dash > 0 && Math.floor(i / dash) % 2 === 1) continue;
      const x = Math.round(x0 + ((x1 - x0) * i) / steps);
      const y = Math.round(y0 + ((y1 - y0) * i) / steps);
      this.fillRect(x - half, y - half, thickness, thickness, color);
    }
  }

  /** Width in pixels of `text` at `scale`. */
  static textWidth(text: string, scale = 1): number {
    const chars = [...text].length;
    return chars === 0 ? 0 : (chars * (GLYPH_WIDTH + 1) - 1) * scale;
  }

  static textHeight(scale = 1): number {
    return GLYPH_HEIGHT * scale;
  }

  text(x: number, y: number, text: string, color: Rgb, options: { scale?: number; align?: "left" | "center" | "right" } = {}): void {
    const scale = options.scale ?? 1;
    const width = Raster.textWidth(text, scale);
    const left = options.align === "center" ? x - width / 2 : options.align === "right" ? x - width : x;
    let cursor = Math.round(left);
    for (const char of text) {
      const glyph = glyphOf(char);
      for (let row = 0; row < GLYPH_HEIGHT; row++) {
        for (let column = 0; column < GLYPH_WIDTH; column++) {
          if (glyph[row]?.[column]) this.fillRect(cursor + column * scale, Math.round(y) + row * scale, scale, scale, color);
        }
      }
      cursor += (GLYPH_WIDTH + 1) * scale;
    }
  }

  toPng(): Buffer {
    const png = new PNG({ width: this.width, height: this.height, colorType: 2, inputColorType: 6, inputHasAlpha: true });
    this.pixels.copy(png.data);
    return PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true });
  }
}

/** Mixes two colours: 0 gives `from`, 1 gives `to`. */
export function mix(from: Rgb, to: Rgb, amount: number): Rgb {
  const t = Math.min(1, Math.max(0, amount));
  return [Math.round(from[0] + (to[0] - from[0]) * t), Math.round(from[1] + (to[1] - from[1]) * t), Math.round(from[2] + (to[2] - from[2]) * t)];
}
