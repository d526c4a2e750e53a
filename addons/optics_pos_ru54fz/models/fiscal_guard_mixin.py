from odoo import _, api, models
from odoo.exceptions import AccessError

# The context value that lets a write through: an object, so no RPC call (whose
# context is JSON) can carry it. Only the fiscal machinery's own methods set it.
FISCAL_WRITER = object()


class FiscalGuardMixin(models.AbstractModel):
    """Fields that only the fiscal machinery writes, whoever the user."""

    _name = "fiscal.guard.mixin"
    _description = "Fields Written by the Fiscal Connector Only"
    _fiscal_guarded_fields = ()

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._fiscal_refuse_guarded(vals)
        return super().create(vals_list)

    def write(self, vals):
        self._fiscal_refuse_guarded(vals)
        return super().write(vals)

    def _fiscal_refuse_guarded(self, vals):
        if self.env.context.get("fiscal_writer") is FISCAL_WRITER:
            return
        touched = [name for name in self._fiscal_guarded_fields if name in vals]
        if touched:
            labels = ", ".join(
                self._fields[name].get_description(self.env)["string"] for name in touched
            )
            raise AccessError(_("Only the fiscal connector writes these fields: %s.", labels))

    def _fiscal_write(self, vals):
        """The one way the fiscal machinery writes its fields."""
        return self.with_context(fiscal_writer=FISCAL_WRITER).write(vals)
