/** @odoo-module */

import { _t } from "@web/core/l10n/translation";
import { patch } from "@web/core/utils/patch";
import { ErrorPopup } from "@point_of_sale/app/errors/popups/error_popup";
import { PaymentScreen } from "@point_of_sale/app/screens/payment_screen/payment_screen";

// Stopped here, before the order is paid: once paid, an order that mixes sales
// and returns, or a cloud register's sale without the buyer's contact, could only
// end as a failed fiscal receipt (the server refuses both in create_from_ui too).
patch(PaymentScreen.prototype, {
    // The deposit a pick-up sets off is at most what the job has received (the server's
    // rule, _fiscal_check_setoff): asked of the server, which alone knows the receipts.
    async fiscalSetOffIsCovered() {
        const order = this.currentOrder;
        const setOff = order.fiscalSetOff();
        if (!setOff) {
            return true;
        }
        if (!order.optics_job_id) {
            await this.popup.add(ErrorPopup, {
                title: _t("The set-off exceeds the job's deposits"),
                body: _t(
                    "This order sets off a deposit but names no glasses job: choose the job whose deposit it sets off with the Glasses Job button."
                ),
            });
            return false;
        }
        const jobs = await this.orm.call("pos.order", "optics_jobs_for_ui", [
            order.get_partner().id,
        ]);
        const job = jobs.find((candidate) => candidate.id === order.optics_job_id);
        const deposit = job ? job.deposit : 0;
        if (this.env.utils.roundCurrency(setOff - deposit) <= 0) {
            return true;
        }
        await this.popup.add(ErrorPopup, {
            title: _t("The set-off exceeds the job's deposits"),
            body: _t(
                "This order sets off %s, but the glasses job %s has received %s of deposits. Lower the set-off line to the deposits received.",
                this.env.utils.formatCurrency(setOff),
                order.optics_job_name || "",
                this.env.utils.formatCurrency(deposit)
            ),
        });
        return false;
    },

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
        if (!(await this.fiscalSetOffIsCovered())) {
            return false;
        }
        return super._isOrderValid(...arguments);
    },
});
