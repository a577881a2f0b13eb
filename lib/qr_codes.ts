/** QR codes as inline SVG, through the `qrcode` package. */
import QRCode from "qrcode";

/** An SVG QR code of `url`, medium error correction (survives a scuffed sticker). */
export function qrSvg(url: string): Promise<string> {
  return QRCode.toString(url, {
    type: "svg",
    margin: 1,
    errorCorrectionLevel: "M",
  });
}
