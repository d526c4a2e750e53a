/** @odoo-module */

import { Order } from "@point_of_sale/app/store/models";
import { patch } from "@web/core/utils/patch";

// `fiscal` holds what the server knows of the order's fiscal document
// (state, FN, FD, FP, QR...). The receipt only ever prints this stored
// document: reprinting never asks for a new one.
patch(Order.prototype, {
    setup() {
        super.setup(...arguments);
        this.fiscal = this.fiscal || null;
    },
    init_from_JSON(json) {
        super.init_from_JSON(...arguments);
        this.fiscal = json.fiscal || null;
        this.optics_job_id = json.optics_job_id || false;
        this.optics_job_name = json.optics_job_name || "";
    },
    export_as_JSON() {
        const json = super.export_as_JSON(...arguments);
        json.optics_job_id = this.optics_job_id || false;
        json.optics_job_name = this.optics_job_name || "";
        return json;
    },
    // The rule of the server's receipt builder: a fiscal receipt is a sale or a
    // return, never both; only a set-off of the deposit product, an order discount or a
    // reward may go the other way.
    fiscalMixesSalesAndReturns() {
        const depositProduct = this.pos.config.fiscal_deposit_product_id;
        const depositId = depositProduct && depositProduct[0];
        const sign = this.get_total_with_tax() < 0 ? -1 : 1;
        return this.get_orderlines().some((line) => {
            const amount = line.get_price_with_tax() * sign;
            if (line.get_product().id === depositId && amount < 0) {
                return false;
            }
            if (amount < 0 && this.fiscalIsAdjustment(line)) {
                return false; // spread over the goods by the server's receipt builder
            }
            return amount < 0 || line.get_quantity() * sign < 0;
        });
    },
    // The server's rule (pos.order._fiscal_is_adjustment): an order discount of
    // pos_discount or a reward of pos_loyalty, where those modules are installed.
    fiscalIsAdjustment(line) {
        const discountProduct = this.pos.config.discount_product_id;
        const isOrderDiscount = discountProduct && line.get_product().id === discountProduct[0];
        return Boolean(line.is_reward_line || isOrderDiscount);
    },
    // The deposit this order sets off: its negative lines of the deposit product.
    fiscalSetOff() {
        const depositProduct = this.pos.config.fiscal_deposit_product_id;
        const depositId = depositProduct && depositProduct[0];
        return -this.get_orderlines()
            .filter((line) => line.get_product().id === depositId && line.get_price_with_tax() < 0)
            .reduce((total, line) => total + line.get_price_with_tax(), 0);
    },
    // The server's rule (pos.order._fiscal_client): an e-mail, else a phone of 10+ digits.
    fiscalBuyerContact() {
        const partner = this.get_partner();
        if (!partner) {
            return "";
        }
        const email = (partner.email || "").trim();
        if (/^[^@\s]+@[^@\s]+$/.test(email)) {
            return email;
        }
        const phone = partner.mobile || partner.phone || "";
        return phone.replace(/\D/g, "").length >= 10 ? phone : "";
    },
    export_for_printing() {
        const data = super.export_for_printing(...arguments);
        data.fiscal = this.fiscal;
        if (this.fiscal && this.fiscal.state === "fiscalized") {
            // One time on the receipt: the fiscal one, in the register's zone.
            data.date = this.fiscal.datetime;
        }
        data.fiscal_device = Boolean(this.pos.config.fiscal_device_id);
        return data;
    },
});
