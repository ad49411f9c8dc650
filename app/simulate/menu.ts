/**
 * The simulated cafe's menu (SKUs with tax-inclusive unit prices in the shop
 * currency) and the names its customers and locations get.
 */

export type MenuCategory = "drink" | "pastry" | "brunch" | "retail";

export interface MenuItem {
  title: string;
  sku: string;
  price: string;
  category: MenuCategory;
  variantTitle?: string;
}

export const MENU: readonly MenuItem[] = [
  { title: "Espresso", sku: "ESP", price: "2.60", category: "drink" },
  { title: "Americano", sku: "AME", price: "3.00", category: "drink" },
  { title: "Flat White", sku: "FW", price: "3.40", category: "drink" },
  { title: "Cappuccino", sku: "CAP", price: "3.40", category: "drink" },
  { title: "Latte", sku: "LAT", price: "3.50", category: "drink", variantTitle: "Whole milk" },
  { title: "Latte", sku: "LAT-OAT", price: "3.90", category: "drink", variantTitle: "Oat milk" },
  { title: "Mocha", sku: "MOC", price: "3.80", category: "drink" },
  { title: "Chai Latte", sku: "CHAI", price: "3.60", category: "drink" },
  { title: "Filter Coffee", sku: "FIL", price: "2.90", category: "drink" },
  { title: "Cold Brew", sku: "CB", price: "3.90", category: "drink" },
  { title: "Pot of Tea", sku: "TEA", price: "2.50", category: "drink" },
  { title: "Croissant", sku: "CRO", price: "2.80", category: "pastry" },
  { title: "Pain au Chocolat", sku: "PAC", price: "3.10", category: "pastry" },
  { title: "Almond Croissant", sku: "ACRO", price: "3.60", category: "pastry" },
  { title: "Cinnamon Bun", sku: "BUN", price: "3.40", category: "pastry" },
  { title: "Banana Bread", sku: "BB", price: "3.20", category: "pastry" },
  { title: "Blueberry Muffin", sku: "MUF", price: "3.00", category: "pastry" },
  { title: "Scone", sku: "SCO", price: "2.90", category: "pastry" },
  { title: "Chocolate Brownie", sku: "BRO", price: "3.20", category: "pastry" },
  { title: "Oat Cookie", sku: "COO", price: "2.20", category: "pastry" },
  { title: "Carrot Cake", sku: "CAR", price: "3.80", category: "pastry" },
  { title: "Lemon Drizzle", sku: "LEM", price: "3.30", category: "pastry" },
  { title: "Avocado Toast", sku: "AVO", price: "8.50", category: "brunch" },
  { title: "Granola Bowl", sku: "GRA", price: "6.50", category: "brunch" },
  { title: "Ham & Cheese Toastie", sku: "TOA", price: "6.90", category: "brunch" },
  { title: "Soup of the Day", sku: "SOUP", price: "6.00", category: "brunch" },
  { title: "House Blend Beans 250g", sku: "BEAN-HB", price: "11.00", category: "retail" },
  { title: "Single Origin Beans 250g", sku: "BEAN-SO", price: "13.50", category: "retail" },
  { title: "Reusable Cup", sku: "CUP", price: "12.00", category: "retail" },
];

/**
 * Planted item affinity ("members who order X also like Y"): every drink has
 * its own partner pastry, which joins a ticket holding the drink with
 * probability `PARTNER_SHARE` — so a customer whose usual drink is X orders
 * partner(X) in about that share of their visits (their usual pastry is never
 * the partner). Recommendations are checked against this map (issue 9).
 */
export const PARTNER_PASTRY: Readonly<Record<string, string>> = {
  ESP: "PAC",
  AME: "MUF",
  FW: "ACRO",
  CAP: "CRO",
  LAT: "BB",
  "LAT-OAT": "BUN",
  MOC: "BRO",
  CHAI: "CAR",
  FIL: "SCO",
  CB: "COO",
  TEA: "LEM",
};
export const PARTNER_SHARE = 0.28;

export const FIRST_NAMES = [
  "Amara", "Ben", "Chloe", "Dev", "Elena", "Finn", "Grace", "Hugo", "Isla", "Jonas",
  "Kemi", "Liam", "Maya", "Noah", "Olivia", "Priya", "Quinn", "Rosa", "Sami", "Tara",
  "Umar", "Vera", "Wen", "Xavier", "Yara", "Zoe", "Aiden", "Bea", "Caleb", "Dara",
  "Erin", "Felix", "Gia", "Hana", "Ivan", "Jade", "Kai", "Lena", "Milo", "Nina",
] as const;

export const LAST_NAMES = [
  "Adeyemi", "Brooks", "Costa", "Dubois", "Evans", "Fischer", "Garcia", "Hughes", "Ito", "Jensen",
  "Khan", "Lopez", "Murphy", "Nowak", "Okafor", "Patel", "Quint", "Rossi", "Silva", "Taylor",
  "Usman", "Varga", "Walsh", "Xu", "Young", "Zielinski", "Ahmed", "Byrne", "Chen", "Doyle",
] as const;

export const LOCATION_NAMES = ["High Street", "Station Kiosk", "Riverside"] as const;

/** The n-th location's name: the list above, then numbered counters. */
export function locationName(index: number): string {
  return LOCATION_NAMES[index] ?? `Counter ${index + 1}`;
}
