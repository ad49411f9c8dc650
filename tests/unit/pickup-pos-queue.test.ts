import { describe, expect, it } from "vitest";
import { dueSoonCount, groupBySlot, itemsLine, readQueueAnswer, tileSubtitle, type PickupQueue, type QueueCard } from "../../extensions/pickup-pos/src/queue";

const card = (orderId: string, state: QueueCard["state"]): QueueCard => ({
  orderId,
  orderName: `#${orderId}`,
  customerName: null,
  items: [{ title: "Flat white", quantity: 1 }],
  state,
  flag: null,
  next: [],
});

const now = new Date("2026-03-02T08:00:00Z");
const queue: PickupQueue = {
  date: "2026-03-02",
  timezone: "Europe/London",
  slots: [
    // Listed out of order on purpose: the modal sorts.
    { slotStart: "2026-03-02T08:30:00Z", label: "08:30", cards: [card("5", "new")] },
    { slotStart: "2026-03-02T07:40:00Z", label: "07:40", cards: [card("1", "ready"), card("2", "picked-up")] },
    { slotStart: "2026-03-02T08:10:00Z", label: "08:10", cards: [card("3", "new"), card("4", "preparing"), card("6", "no-show")] },
    { slotStart: "2026-03-02T08:20:00Z", label: "08:20", cards: [card("7", "picked-up")] },
    { slotStart: "2026-03-02T08:29:59Z", label: "08:29", cards: [card("8", "new")] },
  ],
};

describe("the tile's count", () => {
  it("counts active orders due within 30 minutes, overdue ones included, handed-over ones not", () => {
    // 07:40 ready (overdue), 08:10 new + preparing, 08:29:59 new; 08:30 is outside the window.
    expect(dueSoonCount(queue, now)).toBe(4);
    expect(dueSoonCount(queue, now, 10)).toBe(1);
    expect(dueSoonCount(queue, new Date("2026-03-02T08:00:01Z"))).toBe(5);
    expect(dueSoonCount({ ...queue, slots: [] }, now)).toBe(0);
  });

  it("words the subtitle", () => {
    expect([tileSubtitle(null), tileSubtitle(0), tileSubtitle(3)]).toEqual(["Loading…", "Nothing due in 30 min", "3 due in 30 min"]);
  });
});

describe("the modal's grouping", () => {
  it("shows slots with orders to hand over, in time order, overdue ones marked", () => {
    const groups = groupBySlot(queue, now);
    expect(groups.map((g) => [g.label, g.active.map((c) => c.orderId), g.done.map((c) => c.orderId), g.overdue])).toEqual([
      ["07:40", ["1"], ["2"], true],
      ["08:10", ["3", "4"], ["6"], false],
      ["08:29", ["8"], [], false],
      ["08:30", ["5"], [], false],
    ]);
  });

  it("keeps slots with only collected orders when asked", () => {
    expect(groupBySlot(queue, now, { includeDone: true }).map((g) => g.label)).toEqual(["07:40", "08:10", "08:20", "08:29", "08:30"]);
  });

  it("lines up items", () => {
    expect(itemsLine([{ title: "Flat white", quantity: 2 }, { title: "Croissant", quantity: 1 }])).toBe("2 × Flat white, Croissant");
  });
});

describe("reading the app's answer", () => {
  it("keeps well-formed cards and drops malformed ones", () => {
    const answer = readQueueAnswer(200, {
      ok: true,
      locationId: "1001",
      queue: {
        date: "2026-03-02",
        timezone: "UTC",
        slots: [
          { slotStart: "2026-03-02T08:10:00Z", label: "08:10", cards: [{ orderId: "1", orderName: "#1", items: [{ title: "Mocha", quantity: 1 }, { title: 3 }], state: "new", next: ["preparing", "bogus"] }, { orderId: 2 }] },
          { label: "no start" },
        ],
      },
    });
    expect(answer).toEqual({
      ok: true,
      locationId: "1001",
      queue: {
        date: "2026-03-02",
        timezone: "UTC",
        slots: [{ slotStart: "2026-03-02T08:10:00Z", label: "08:10", cards: [{ orderId: "1", orderName: "#1", customerName: null, items: [{ title: "Mocha", quantity: 1 }], state: "new", flag: null, next: ["preparing"] }] }],
      },
    });
  });

  it("passes on the app's message when it refuses", () => {
    expect(readQueueAnswer(401, { ok: false, message: "Regulars is not installed on this shop." })).toEqual({ ok: false, message: "Regulars is not installed on this shop." });
    expect(readQueueAnswer(500, null)).toEqual({ ok: false, message: "The app answered 500 without a queue." });
    expect(readQueueAnswer(200, { ok: true })).toEqual({ ok: false, message: "The app's answer holds no queue." });
  });
});
