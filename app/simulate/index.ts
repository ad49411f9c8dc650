/**
 * The synthetic cafe: `simulateCafe` plants a history and its ground truth;
 * the rest turns it into what the app ingests (sync shapes, CSV rows, webhook
 * events and payloads, a delivery plan with duplicates and reordering).
 */
export { simulateCafe, simulateOptions, type SimLocation, type SimulateOptions, type SimulateSettings, type Simulation } from "./simulate";
export { groundTruth, type CustomerTruth, type GroundTruth } from "./ground-truth";
export { PERSONAS, RETURN_WINDOWS, returnProbabilityAfter, returnWithinDays, truePattern, type Persona, type Rhythm } from "./rhythms";
export { DAYPARTS, daypartLabel, type Daypart, type DaypartLabel } from "./dayparts";
export { daysInMonthsBefore, localFacts, startOfLocalDay } from "./calendar";
export { toSyncedCustomer, toSyncedOrder } from "./synced";
export { CSV_HEADER, csvLines } from "./csv";
export { simulationEvents, SIMULATED_TOPICS, type SimEvent, type SimulatedTopic } from "./events";
export { planDeliveries, type Delivery, type DeliveryPlan } from "./deliveries";
export { customerAt, eventPayload, orderAt } from "./shopify-payloads";
export type { SimOrder, SimRefund } from "./history";
export type { SimCustomer } from "./population";
