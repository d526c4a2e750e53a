/** @odoo-module */

import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { ErrorPopup } from "@point_of_sale/app/errors/popups/error_popup";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

// Stopped here, before the order is paid: once paid, an order that mixes sales
// and returns, or a cloud register's sale without the buyer's contact, could only
// end as a failed fiscal receipt (the server refuses both in create_from_ui too).
patch(PaymentScreen.prototype, {
    async _isOrderValid(isForceValidate) {
        if (this.pos.config.fiscal_device_id && this.currentOrder.fiscalMixesSalesAndReturns()) {
            await this.popup.add(ErrorPopup, {
                title: _t("Sale and return in one order"),
                body: _t(
                    "This order has both sold and returned items, but a fiscal receipt is either a sale or a return. Remove the returned items and register them as an order of their own."
                ),
            });
            return false;
        }
        if (this.pos.config.fiscal_backend === "atol_online" && !this.currentOrder.fiscalBuyerContact()) {
            await this.popup.add(ErrorPopup, {
                title: _t("The buyer's e-mail or phone is needed"),
                body: _t(
                    "This cash register is a cloud register: it sends the receipt to the buyer electronically. Choose the customer and enter their e-mail or phone before payment."
                ),
            });
            return false;
        }
        return super._isOrderValid(...arguments);
    },
});
