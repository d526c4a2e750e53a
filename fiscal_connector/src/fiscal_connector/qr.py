"""The receipt QR code as a PNG image (the string itself: receipt.receipt_qr)."""

import io

import qrcode


def qr_png(text, box_size=4, border=2):
    """PNG bytes of a QR code holding `text` (e.g. FiscalResult.qr), error level M."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M,
                         box_size=box_size, border=border)
    code.add_data(text)
    code.make(fit=True)
    buffer = io.BytesIO()
    code.make_image().save(buffer)
    return buffer.getvalue()
