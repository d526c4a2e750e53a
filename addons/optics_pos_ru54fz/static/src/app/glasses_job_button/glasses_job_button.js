/** @odoo-module */

import { Component } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { ProductScreen } from "@point_of_sale/app/screens/product_screen/product_screen";
import { ErrorPopup } from "@point_of_sale/app/errors/popups/error_popup";
import { SelectionPopup } from "@point_of_sale/app/utils/input_popups/selection_popup";
import { usePos } from "@point_of_sale/app/store/pos_hook";

// Links the order to a glasses job of its customer. At pick-up, the deposits
// already paid on the job are set off: a negative line of the deposit product.
export class GlassesJobButton extends Component {
    static template = "optics_pos_ru54fz.GlassesJobButton";

    setup() {
        this.pos = usePos();
        this.popup = useService("popup");
        this.orm = useService("orm");
    }

    get order() {
        return this.pos.get_order();
    }

    async click() {
        const partner = this.order.get_partner();
        if (!partner) {
            await this.popup.add(ErrorPopup, {
                title: _t("Customer needed"),
                body: _t("Select the customer first: the glasses jobs are looked up by customer."),
            });
            return;
        }
        const jobs = await this.orm.call("pos.order", "optics_jobs_for_ui", [partner.id]);
        if (!jobs.length) {
            await this.popup.add(ErrorPopup, {
                title: _t("No glasses job"),
                body: _t("This customer has no open glasses job."),
            });
            return;
        }
        const { confirmed, payload: job } = await this.popup.add(SelectionPopup, {
            title: _t("Select the glasses job"),
            list: jobs.map((job) => ({
                id: job.id,
                label: job.deposit
                    ? _t("%s (deposits %s)", job.name, this.env.utils.formatCurrency(job.deposit))
                    : job.name,
                isSelected: job.id === this.order.optics_job_id,
                item: job,
            })),
        });
        if (!confirmed) {
            return;
        }
        this.order.optics_job_id = job.id;
        this.order.optics_job_name = job.name;
        const depositProduct = this.pos.db.get_product_by_id(
            this.pos.config.fiscal_deposit_product_id && this.pos.config.fiscal_deposit_product_id[0]
        );
        if (job.deposit > 0 && depositProduct) {
            this.order.add_product(depositProduct, {
                quantity: -1,
                price: job.deposit,
                merge: false,
            });
        }
    }
}

ProductScreen.addControlButton({
    component: GlassesJobButton,
    condition: function () {
        return Boolean(this.pos.config.fiscal_device_id);
    },
});
