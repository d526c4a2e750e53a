/** @odoo-module */

import { Component, onMounted, onWillUnmount, useState } from "@odoo/owl";
import { _t } from "@web/core/l10n/translation";
import { useService } from "@web/core/utils/hooks";
import { usePos } from "@point_of_sale/app/store/pos_hook";

// Background refresh of the header light; never awaited by the till's own flow.
export const FISCAL_STATUS_REFRESH_MS = 30000;

export function formatFiscalAge(seconds) {
    const minutes = Math.floor((seconds || 0) / 60);
    if (minutes < 60) {
        return _t("%s min", minutes);
    }
    return _t("%s h %s min", Math.floor(minutes / 60), minutes % 60);
}

export class FiscalStatus extends Component {
    static template = "optics_pos_ru54fz.FiscalStatus";
    static props = {};

    setup() {
        this.pos = usePos();
        this.orm = useService("orm");
        this.state = useState({
            level: "unknown",
            waiting: 0,
            oldest_age: 0,
            failed: 0,
            shift_warning: false,
            paused: false,
            shift_renewed: false,
        });
        onMounted(() => {
            this.refresh();
            this.timer = setInterval(() => this.refresh(), FISCAL_STATUS_REFRESH_MS);
        });
        onWillUnmount(() => clearInterval(this.timer));
    }

    async refresh() {
        try {
            const status = await this.orm.silent.call("pos.config", "fiscal_status_for_ui", [
                [this.pos.config.id],
            ]);
            Object.assign(this.state, status);
        } catch {
            // Offline: the till keeps selling, the light says the status is unknown.
            this.state.level = "unknown";
        }
    }

    get title() {
        const parts = [];
        if (this.state.level === "unknown") {
            return _t("Fiscal status unknown (no connection to the server)");
        }
        if (this.state.waiting) {
            parts.push(_t("%s receipts waiting, oldest %s", this.state.waiting, formatFiscalAge(this.state.oldest_age)));
        } else if (!this.state.failed) {
            parts.push(_t("All fiscal receipts sent"));
        }
        if (this.state.failed) {
            parts.push(_t("%s receipts failed: call the manager", this.state.failed));
        }
        if (this.state.paused) {
            parts.push(_t("The register refused its settings, receipts wait: call the manager"));
        }
        if (this.state.shift_renewed) {
            parts.push(_t("The register's shift passed 24 hours and was renewed by itself"));
        }
        if (this.state.shift_warning) {
            parts.push(_t("The register shift is close to 24 hours: close the session"));
        }
        return parts.join(". ");
    }

    formatAge(seconds) {
        return formatFiscalAge(seconds);
    }

    get colorClass() {
        return {
            green: "text-success",
            yellow: "text-warning",
            red: "text-danger",
        }[this.state.level] || "text-muted";
    }
}
