/** @odoo-module */

import * as ProductScreen from "@point_of_sale/../tests/tours/helpers/ProductScreenTourMethods";
import * as PaymentScreen from "@point_of_sale/../tests/tours/helpers/PaymentScreenTourMethods";
import * as ReceiptScreen from "@point_of_sale/../tests/tours/helpers/ReceiptScreenTourMethods";
import * as TicketScreen from "@point_of_sale/../tests/tours/helpers/TicketScreenTourMethods";
import * as Chrome from "@point_of_sale/../tests/tours/helpers/ChromeTourMethods";
import * as ErrorPopup from "@point_of_sale/../tests/tours/helpers/ErrorPopupTourMethods";
import * as NumberPopup from "@point_of_sale/../tests/tours/helpers/NumberPopupTourMethods";
import { registry } from "@web/core/registry";

function receiptSaysQueued() {
    return {
        content: "the receipt says the fiscal receipt is queued",
        trigger: ".pos-receipt .o_fiscal_receipt .o_fiscal_queued",
        isCheck: true,
    };
}

// Sell and pay: the receipt says the fiscal receipt is queued, the header shows the light.
registry.category("web_tour.tours").add("OpticsFiscalSellTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.confirmOpeningPopup(),
            ProductScreen.clickHomeCategory(),
            {
                content: "the fiscal status light is in the header",
                trigger: ".pos-topheader .o_fiscal_status[data-level='green']",
                isCheck: true,
            },
            ProductScreen.addOrderline("Desk Pad", "2"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            receiptSaysQueued(),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// After the cron ran: reprinting shows the stored fiscal document and its QR code.
registry.category("web_tour.tours").add("OpticsFiscalReprintTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            Chrome.clickMenuButton(),
            Chrome.clickTicketButton(),
            TicketScreen.selectFilter("Paid"),
            TicketScreen.selectOrder("-0001"),
            TicketScreen.clickControlButton("Print Receipt"),
            {
                content: "the reprinted receipt carries the fiscal data",
                trigger: ".pos-receipt .o_fiscal_receipt .o_fiscal_done",
                isCheck: true,
            },
            {
                content: "and the fiscal QR code",
                trigger: ".pos-receipt img.o_fiscal_qr",
                isCheck: true,
            },
        ].flat(),
});

function pickGlassesJob() {
    return [
        {
            content: "open the customer's glasses jobs",
            trigger: ".control-button.o_glasses_job_button",
        },
        {
            content: "pick the job",
            trigger: ".selection-item:contains('Frame for job')",
        },
    ];
}

// A deposit on a glasses job.
registry.category("web_tour.tours").add("OpticsGlassesDepositTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.confirmOpeningPopup(),
            ProductScreen.clickHomeCategory(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Glasses Customer"),
            pickGlassesJob(),
            ProductScreen.addOrderline("Glasses deposit", "1", "5000"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// Once the deposit's receipt is fiscalized, the pick-up sets it off; a set-off above the
// deposits received (here the job picked twice: 10,000 against 5,000) is stopped at the
// payment screen, before the order is paid.
registry.category("web_tour.tours").add("OpticsGlassesPickupTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.clickHomeCategory(),
            ProductScreen.clickPartnerButton(),
            ProductScreen.clickCustomer("Glasses Customer"),
            ProductScreen.addOrderline("Frame for job", "1"),
            pickGlassesJob(),
            {
                content: "the deposit is set off by a negative line",
                trigger: ".order-container .orderline:has(.product-name:contains('Glasses deposit')):has(em.qty:contains('-1'))",
                isCheck: true,
            },
            pickGlassesJob(),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            {
                content: "a set-off of 10,000 against 5,000 received is refused",
                trigger: ".popup-error:contains('exceeds the job')",
                isCheck: true,
            },
            ErrorPopup.clickConfirm(),
            {
                content: "the order stays on the payment screen, unpaid",
                trigger: ".payment-screen",
                isCheck: true,
            },
        ].flat(),
});

// A sale and a return in one order is stopped at validation, before it is paid.
registry.category("web_tour.tours").add("OpticsMixedOrderTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.confirmOpeningPopup(),
            ProductScreen.clickHomeCategory(),
            ProductScreen.addOrderline("Desk Pad", "2"),
            ProductScreen.clickDisplayedProduct("Desk Organizer"),
            ProductScreen.pressNumpad("+/-", "1"),
            ProductScreen.selectedOrderlineHas("Desk Organizer", "-1.00"),
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ErrorPopup.isShown(),
            ErrorPopup.messageBodyContains("either a sale or a return"),
            ErrorPopup.clickConfirm(),
            PaymentScreen.isShown(),
        ].flat(),
});

// The same sale by a cashier working in Russian (the session is opened beforehand).
registry.category("web_tour.tours").add("OpticsFiscalRussianSellTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.clickHomeCategory(),
            ProductScreen.clickDisplayedProduct("Desk Pad"),
            {
                content: "one Desk Pad in the order (quantities read 1,00 in Russian)",
                trigger: ".order-container .orderline.selected:has(.product-name:contains('Desk Pad')):has(em.qty:contains('1,00'))",
                isCheck: true,
            },
            ProductScreen.clickPayButton(),
            PaymentScreen.clickPaymentMethod("Bank"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            {
                content: "the receipt says, in Russian, that the fiscal receipt is queued",
                trigger: ".pos-receipt .o_fiscal_queued:contains('Кассовый чек в очереди')",
                isCheck: true,
            },
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});

// Reprinted in Russian after the cron: one time on the whole receipt, the register's.
// The test stores the time it expects (the fiscal time in the register's zone, written
// as Russian writes it) before the tour starts.
registry.category("web_tour.tours").add("OpticsFiscalRussianReprintTour", {
    test: true,
    url: "/pos/ui",
    steps: () => {
        const expected = window.localStorage.getItem("optics_fiscal_expected_time");
        return [
            Chrome.clickMenuButton(),
            Chrome.clickTicketButton(),
            TicketScreen.selectFilter("Оплачено"),
            TicketScreen.selectOrder("-0001"),
            TicketScreen.clickControlButton("Печать чека"),
            {
                content: "the fiscal block, in Russian",
                trigger: ".pos-receipt .o_fiscal_done:contains('КАССОВЫЙ ЧЕК')",
                isCheck: true,
            },
            {
                content: "shows the register's fiscal time",
                trigger: `.pos-receipt .o_fiscal_datetime:contains("${expected}")`,
                isCheck: true,
            },
            {
                content: "and the receipt's footer shows the same time",
                trigger: `.pos-receipt #order-date:contains("${expected}")`,
                isCheck: true,
            },
        ].flat();
    },
});

// A global discount of 10 % and cash rounding to the ruble: paid in cash, the receipt
// screen shows the fiscal block; the server spreads both over the line (tested there).
registry.category("web_tour.tours").add("OpticsFiscalDiscountRoundingTour", {
    test: true,
    url: "/pos/ui",
    steps: () =>
        [
            ProductScreen.confirmOpeningPopup(),
            ProductScreen.clickHomeCategory(),
            ProductScreen.addOrderline("Glasses Case", "1"),
            {
                content: "open the global discount",
                trigger: ".control-button.js_discount",
            },
            NumberPopup.enterValue("10"),
            NumberPopup.clickConfirm(),
            ProductScreen.totalAmountIs("1,111.10"),
            ProductScreen.clickPayButton(),
            PaymentScreen.totalIs("1,111.00"),
            PaymentScreen.clickPaymentMethod("Cash"),
            PaymentScreen.remainingIs("0.0"),
            PaymentScreen.clickValidate(),
            ReceiptScreen.receiptIsThere(),
            receiptSaysQueued(),
            ReceiptScreen.clickNextOrder(),
        ].flat(),
});
