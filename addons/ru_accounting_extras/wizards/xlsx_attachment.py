import base64
import io

import xlsxwriter


def write_xlsx(env, file_name, fill):
    """Build a workbook with ``fill(workbook)`` and return an action downloading it."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    fill(workbook)
    workbook.close()
    attachment = env["ir.attachment"].create(
        {
            "name": file_name,
            "datas": base64.b64encode(buffer.getvalue()),
            "mimetype": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        }
    )
    return {
        "type": "ir.actions.act_url",
        "url": "/web/content/%s?download=true" % attachment.id,
        "target": "self",
    }
