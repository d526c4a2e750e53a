/** @odoo-module */

import { onMounted, onWillUnmount } from "@odoo/owl";
import { ReceiptScreen } from "@point_of_sale/app/screens/receipt_screen/receipt_screen";
import { patch } from "@web/core/utils/patch";

const POLL_MS = 2000;
const POLL_TRIES = 30;

// Ask in the background for the fiscal data of the order just paid and
// show it on the receipt when it arrives; the cashier never waits on it.
patch(ReceiptScreen.prototype, {
    setup() {
        super.setup(...arguments);
        this.fiscalTries = 0;
        onMounted(() => {
            if (this.pos.config.fiscal_device_id) {
                this.pollFiscal();
            }
        });
        onWillUnmount(() => clearTimeout(this.fiscalTimer));
    },
    async pollFiscal() {
        const order = this.currentOrder;
        try {
            const infos = await this.orm.silent.call("pos.order", "fiscal_info_for_ui", [[order.name]]);
            if (infos[order.name]) {
                order.fiscal = infos[order.name];
            }
        } catch {
            // Offline or busy server: try again later.
        }
        const settled = order.fiscal && ["fiscalized", "failed"].includes(order.fiscal.state);
        if (!settled && ++this.fiscalTries < POLL_TRIES) {
            this.fiscalTimer = setTimeout(() => this.pollFiscal(), POLL_MS);
        }
    },
});
