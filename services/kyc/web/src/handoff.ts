import { toString as qrSvg } from 'qrcode';

/**
 * Desktop-to-phone handoff: the QR code of this verification's hosted link (token in the
 * fragment, as the tenant sent it), rendered as SVG by `qrcode` and shown as an image (the page's
 * CSP allows `data:` images; no inline script or style is needed).
 */
export async function qrDataUrl(link: string): Promise<string> {
  const svg = await qrSvg(link, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return `data:image/svg+xml;charset=utf-8,${encodeURIComponent(svg)}`;
}
