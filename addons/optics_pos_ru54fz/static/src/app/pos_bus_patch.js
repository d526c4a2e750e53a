/** @odoo-module */

import { PosBus } from "@point_of_sale/app/bus/pos_bus_service";
import { patch } from "@web/core/utils/patch";

// The server pushes each fiscal result to the session that sold the order: the
// receipt screen shows it as soon as the register confirmed it.
patch(PosBus.prototype, {
    dispatch(message) {
        super.dispatch(...arguments);
        if (message.type !== "OPTICS_FISCAL_RESULT") {
            return;
        }
        for (const order of this.pos.get_order_list()) {
            if (message.payload[order.name]) {
                order.fiscal = message.payload[order.name];
            }
        }
    },
});
