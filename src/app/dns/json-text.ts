/**
 * JSON text helpers for the app-layer EVE builders (dns, tls, ssh). They
 * turn protocol bytes into JSON string literals the way Suricata's EVE
 * writer does. Valid UTF-8 stays as it is. A field that is not valid UTF-8
 * keeps its printable ASCII bytes and writes every other byte as the four
 * characters `\xnn` (lower-case hex).
 */

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** Escapes a JavaScript string into a JSON string literal, quotes included. */
export function jsonQuote(text: string): string {
  return JSON.stringify(text);
}

/** Decodes protocol bytes into the text that EVE prints for them. */
export function bytesToEveText(bytes: Uint8Array): string {
  let isAscii = true;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] >= 0x80) {
      isAscii = false;
      break;
    }
  }
  if (isAscii) return String.fromCharCode.apply(null, Array.from(bytes));

  try {
    return STRICT_UTF8.decode(bytes);
  } catch {
    let out = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i];
      out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\x' + b.toString(16).padStart(2, '0');
    }
    return out;
  }
}

/** Returns the JSON string literal for protocol bytes. */
export function jsonBytes(bytes: Uint8Array): string {
  return jsonQuote(bytesToEveText(bytes));
}

/** Returns lower-case hex of `bytes` with an optional separator between bytes. */
export function toHex(bytes: Uint8Array, separator = ''): string {
  let out = '';
  for (let i = 0; i < bytes.length; i++) {
    if (i > 0 && separator !== '') out += separator;
    out += (bytes[i] < 16 ? '0' : '') + bytes[i].toString(16);
  }
  return out;
}

/** Encodes an ASCII string as bytes (one byte per character, low 8 bits). */
export function asciiBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i) & 0xff;
  return out;
}
